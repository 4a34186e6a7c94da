// Command rafthttp-node runs one real etcd 3.4 rafthttp.Transport for interop tests.
//
// It serves the transport's handler on its own listener (etcd's timeout listener, optionally
// with mutual TLS), and is driven over stdin/stdout with JSON lines: each stdin line is a
// command {"cmd": ..., "seq": n, ...}; each command gets exactly one {"ev":"reply","seq":n,...}
// (with "error" when it failed). Everything the transport reports arrives as unsolicited events:
// ready, recv, reportUnreachable, reportSnapshot, refused, errorC, snapshotSent.
// IDs are hex strings (etcd's types.ID form); messages are hex of their raftpb encoding.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/etcdserver/api/snap"
	stats "go.etcd.io/etcd/etcdserver/api/v2stats"
	"go.etcd.io/etcd/pkg/transport"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft/raftpb"
	"go.uber.org/zap"
)

type command struct {
	Cmd     string   `json:"cmd"`
	Seq     int64    `json:"seq"`
	ID      string   `json:"id"`
	URLs    []string `json:"urls"`
	Msgs    []string `json:"msgs"`
	Msg     string   `json:"msg"`
	Size    int64    `json:"size"`
	Seed    int64    `json:"seed"`
	Short   int64    `json:"short"`
	Removed bool     `json:"removed"`
	On      bool     `json:"on"`
}

type node struct {
	events        *eventWriter
	raft          *stubRaft
	tr            *rafthttp.Transport
	srv           *http.Server
	counters      counters
	refuseStreams int32
	tmpSnapDir    string
}

func main() {
	idStr := flag.String("id", "1", "local member ID (hex)")
	clusterStr := flag.String("cluster", "1000", "cluster ID (hex)")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	certFile := flag.String("cert", "", "PEM certificate (enables https with mutual TLS)")
	keyFile := flag.String("key", "", "PEM key of -cert")
	caFile := flag.String("ca", "", "PEM CA that signs peers (server and client side)")
	refuse := flag.Bool("refuse-streams", false, "answer stream GETs with 404 (peers use the pipeline)")
	plain := flag.Bool("plain-listener", false, "plain TCP listener (raftexample) instead of etcd's timeout listener")
	snapDir := flag.String("snap-dir", "", "snapshotter directory (default: a temp dir removed at exit)")
	logLevel := flag.String("log-level", "warn", "zap level of the transport's log on stderr")
	dialTimeout := flag.Duration("dial-timeout", 0, "Transport.DialTimeout")
	flag.Parse()

	n, err := start(*idStr, *clusterStr, *listen, *certFile, *keyFile, *caFile, *refuse, *plain, *snapDir, *logLevel, *dialTimeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rafthttp-node:", err)
		os.Exit(2)
	}
	n.loop()
	n.shutdown()
}

func start(idStr, clusterStr, listen, certFile, keyFile, caFile string, refuse, plain bool,
	snapDir, logLevel string, dialTimeout time.Duration) (*node, error) {
	id, err := types.IDFromString(idStr)
	if err != nil {
		return nil, fmt.Errorf("bad -id: %v", err)
	}
	cid, err := types.IDFromString(clusterStr)
	if err != nil {
		return nil, fmt.Errorf("bad -cluster: %v", err)
	}
	zcfg := zap.NewProductionConfig()
	if err := zcfg.Level.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, fmt.Errorf("bad -log-level: %v", err)
	}
	zcfg.OutputPaths = []string{"stderr"}
	zcfg.Sampling = nil
	lg, err := zcfg.Build()
	if err != nil {
		return nil, err
	}

	n := &node{events: newEventWriter()}
	if refuse {
		n.refuseStreams = 1
	}
	if snapDir == "" {
		if snapDir, err = os.MkdirTemp("", "rafthttp-node-snap-"); err != nil {
			return nil, err
		}
		n.tmpSnapDir = snapDir
	}
	snapshotter := snap.New(lg, snapDir)
	n.raft = newStubRaft(n.events, snapshotter)

	var tlsInfo transport.TLSInfo
	scheme := "http"
	if certFile != "" {
		scheme = "https"
		tlsInfo = transport.TLSInfo{CertFile: certFile, KeyFile: keyFile, TrustedCAFile: caFile, ClientCertAuth: true, Logger: lg}
	}
	var ln net.Listener
	if plain {
		ln, err = net.Listen("tcp", listen)
	} else {
		ln, err = rafthttp.NewListener(url.URL{Scheme: scheme, Host: listen}, &tlsInfo)
	}
	if err != nil {
		return nil, err
	}
	self := scheme + "://" + ln.Addr().String()
	urls, err := types.NewURLs([]string{self})
	if err != nil {
		return nil, err
	}

	n.tr = &rafthttp.Transport{
		Logger:      lg,
		DialTimeout: dialTimeout,
		TLSInfo:     tlsInfo,
		ID:          id,
		URLs:        urls,
		ClusterID:   cid,
		Raft:        n.raft,
		Snapshotter: snapshotter,
		ServerStats: stats.NewServerStats("", id.String()),
		LeaderStats: stats.NewLeaderStats(id.String()),
		ErrorC:      make(chan error, 1),
	}
	if err := n.tr.Start(); err != nil {
		return nil, err
	}
	go func() {
		for err := range n.tr.ErrorC {
			n.events.emit("errorC", map[string]interface{}{"error": err.Error()})
		}
	}()
	n.srv = &http.Server{Handler: wrapHandler(n.tr.Handler(), &n.counters, &n.refuseStreams), ErrorLog: zap.NewStdLog(lg)}
	go n.srv.Serve(ln)
	n.events.emit("ready", map[string]interface{}{"addr": ln.Addr().String(), "url": self, "id": id.String(), "snapDir": snapDir})
	return n, nil
}

// loop runs commands until "stop" or the end of stdin.
func (n *node) loop() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			n.events.emit("reply", map[string]interface{}{"seq": -1, "error": "bad command: " + err.Error()})
			continue
		}
		reply, err := n.run(c)
		if reply == nil {
			reply = map[string]interface{}{}
		}
		reply["seq"] = c.Seq
		reply["cmd"] = c.Cmd
		if err != nil {
			reply["error"] = err.Error()
		}
		if c.Cmd == "stop" {
			n.shutdown()
			n.events.emit("reply", reply)
			os.Exit(0)
		}
		n.events.emit("reply", reply)
	}
}

func (n *node) shutdown() {
	n.tr.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n.srv.Shutdown(ctx) != nil {
		n.srv.Close()
	}
	if n.tmpSnapDir != "" {
		os.RemoveAll(n.tmpSnapDir)
	}
}

func (n *node) run(c command) (map[string]interface{}, error) {
	switch c.Cmd {
	case "addPeer", "addRemote", "updatePeer":
		id, err := types.IDFromString(c.ID)
		if err != nil {
			return nil, err
		}
		if _, err := types.NewURLs(c.URLs); err != nil {
			return nil, err
		}
		switch c.Cmd {
		case "addPeer":
			n.tr.AddPeer(id, c.URLs)
		case "addRemote":
			n.tr.AddRemote(id, c.URLs)
		default:
			n.tr.UpdatePeer(id, c.URLs)
		}
	case "removePeer", "cutPeer", "mendPeer", "activeSince":
		id, err := types.IDFromString(c.ID)
		if err != nil {
			return nil, err
		}
		switch c.Cmd {
		case "removePeer":
			if n.tr.Get(id) == nil {
				return nil, fmt.Errorf("unknown peer %s", id)
			}
			n.tr.RemovePeer(id)
		case "cutPeer":
			n.tr.CutPeer(id)
		case "mendPeer":
			n.tr.MendPeer(id)
		default:
			since := n.tr.ActiveSince(id)
			ms := int64(0)
			if !since.IsZero() {
				ms = since.UnixMilli()
			}
			return map[string]interface{}{"sinceMs": ms}, nil
		}
	case "removeAllPeers":
		n.tr.RemoveAllPeers()
	case "pause":
		n.tr.Pause()
	case "resume":
		n.tr.Resume()
	case "send":
		msgs := make([]raftpb.Message, 0, len(c.Msgs))
		for _, h := range c.Msgs {
			m, err := decodeMessage(h)
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, m)
		}
		n.tr.Send(msgs)
	case "sendSnapshot":
		m, err := decodeMessage(c.Msg)
		if err != nil {
			return nil, err
		}
		if m.Type != raftpb.MsgSnap {
			return nil, fmt.Errorf("sendSnapshot needs a MsgSnap, got %s", m.Type)
		}
		n.sendSnapshot(m, c.Size, c.Seed, c.Short)
	case "setRemoved":
		id, err := types.IDFromString(c.ID)
		if err != nil {
			return nil, err
		}
		n.raft.setRemoved(uint64(id), c.Removed)
	case "refuseStreams":
		v := int32(0)
		if c.On {
			v = 1
		}
		atomic.StoreInt32(&n.refuseStreams, v)
	case "activePeers":
		return map[string]interface{}{"n": n.tr.ActivePeers()}, nil
	case "stats":
		return n.counters.snapshot(), nil
	case "metrics":
		m, err := gatherNetworkMetrics()
		return map[string]interface{}{"metrics": m}, err
	case "stop":
	default:
		return nil, fmt.Errorf("unknown command %q", c.Cmd)
	}
	return nil, nil
}

func decodeMessage(h string) (raftpb.Message, error) {
	var m raftpb.Message
	b, err := hex.DecodeString(h)
	if err != nil {
		return m, err
	}
	return m, m.Unmarshal(b)
}

// sendSnapshot streams a body of size pseudo-random bytes (from seed) after the message, and
// reports the outcome and the body's SHA-256 as a snapshotSent event. With short > 0 the body
// ends that many bytes early, so the transfer fails midway (etcd's exact-length reader).
func (n *node) sendSnapshot(m raftpb.Message, size, seed, short int64) {
	h := sha256.New()
	body := io.TeeReader(io.LimitReader(rand.New(rand.NewSource(seed)), size-short), h)
	sm := snap.NewMessage(m, io.NopCloser(body), size)
	n.tr.SendSnapshot(*sm)
	go func() {
		ok := <-sm.CloseNotify()
		n.events.emit("snapshotSent", map[string]interface{}{
			"to": types.ID(m.To).String(), "ok": ok, "size": size, "sha256": hex.EncodeToString(h.Sum(nil)),
		})
	}()
}

// Command bench-transport is the Go twin of bench/transport: one process of a sender/receiver
// pair, each a real etcd 3.4.23 rafthttp.Transport set up like raftexample (plain TCP listener,
// http.Server{Handler: tr.Handler()}, ClusterID 0x1000, no-op zap logger). The coordinator
// (bench/transport/main.ts) drives it with JSON lines on stdin and reads JSON replies on stdout;
// the TS twin (bench/transport/peer.ts) speaks the same protocol.
//
// Flow control: the receiver writes its delivered count (8 bytes, big endian) to a side TCP
// connection to the sender every ackEvery messages; the sender keeps at most `window` messages
// in flight (sent but not delivered) and, when full, sleeps until the next ack.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	stats "go.etcd.io/etcd/etcdserver/api/v2stats"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

const clusterID = 0x1000

type command struct {
	Cmd        string `json:"cmd"`
	PeerURL    string `json:"peerUrl"`
	PeerID     uint64 `json:"peerId"`
	AckAddr    string `json:"ackAddr"`
	Case       string `json:"case"`
	DurationMs int64  `json:"durationMs"`
	Window     int64  `json:"window"`
	AckEvery   int64  `json:"ackEvery"`
	Latency    bool   `json:"latency"`
	RTT        bool   `json:"rtt"`
	Warmup     int64  `json:"warmup"`
	Samples    int64  `json:"samples"`
	Expect     int64  `json:"expect"`
	TimeoutMs  int64  `json:"timeoutMs"`
}

// monoNs is CLOCK_MONOTONIC in ns: the same clock Node's process.hrtime.bigint() reads, so
// sender and receiver timestamps from different processes compare.
func monoNs() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

func cpuUs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Sec*1e6 + ru.Utime.Usec + ru.Stime.Sec*1e6 + ru.Stime.Usec
}

// recorder is the receiver's raft: counts deliveries, acks them, records latencies.
type recorder struct {
	mu          sync.Mutex
	received    int64
	payload     int64
	entries     int64
	first, last int64
	ackEvery    int64
	latency     bool
	warmup      int64
	lat         []int64
	ack         net.Conn
	ackBuf      [8]byte
	done        chan struct{}
	expect      int64
	unreachable int64
	rtt         bool  // receiver: answer each MsgApp with a MsgAppResp (round-trip latency)
	node        *node // for the MsgAppResp answers and the sender's round-trip samples
}

func (r *recorder) Process(ctx context.Context, m raftpb.Message) error {
	now := monoNs()
	if m.Type == raftpb.MsgAppResp && r.node.role == "sender" {
		r.node.gotResp(now, m)
		return nil
	}
	r.mu.Lock()
	if r.received == 0 {
		r.first = now
	}
	r.received++
	r.last = now
	r.entries += int64(len(m.Entries))
	for i := range m.Entries {
		r.payload += int64(len(m.Entries[i].Data))
	}
	if r.latency && r.received > r.warmup {
		r.lat = append(r.lat, now-int64(m.Commit))
	}
	if r.ack != nil && r.ackEvery > 0 && r.received%r.ackEvery == 0 {
		binary.BigEndian.PutUint64(r.ackBuf[:], uint64(r.received))
		r.ack.Write(r.ackBuf[:])
	}
	if r.done != nil && r.received >= r.expect {
		close(r.done)
		r.done = nil
	}
	rtt := r.rtt
	r.mu.Unlock()
	if rtt && m.Type == raftpb.MsgApp {
		r.node.tr.Send([]raftpb.Message{{Type: raftpb.MsgAppResp, From: m.To, To: m.From, Term: m.Term,
			Index: m.Index + uint64(len(m.Entries)), Commit: m.Commit}})
	}
	return nil
}
func (r *recorder) IsIDRemoved(id uint64) bool                           { return false }
func (r *recorder) ReportUnreachable(id uint64)                          { atomic.AddInt64(&r.unreachable, 1) }
func (r *recorder) ReportSnapshot(id uint64, status raft.SnapshotStatus) {}

type node struct {
	role     string
	id, peer types.ID
	tr       *rafthttp.Transport
	rec      *recorder
	posts    int64
	conns    int64    // TCP connections accepted
	gets     [2]int64 // msgapp, message stream GETs served
	refuse   bool
	out      *bufio.Writer

	// sender side
	ackLn   net.Listener
	acked   int64
	ackCond *sync.Cond
	ackMu   sync.Mutex
	nextIdx uint64
	rttLat  []int64 // sender: round trips MsgApp -> MsgAppResp, after warm-up
	rttSkip int64
}

// gotResp counts a MsgAppResp as the sender's ack and records its round trip (Commit carries
// the MsgApp's send time).
func (n *node) gotResp(now int64, m raftpb.Message) {
	n.ackMu.Lock()
	n.acked++
	if n.acked > n.rttSkip {
		n.rttLat = append(n.rttLat, now-int64(m.Commit))
	}
	n.ackCond.Broadcast()
	n.ackMu.Unlock()
}

func main() {
	role := flag.String("role", "receiver", "sender, receiver, or node (an idle member, -id)")
	nodeID := flag.Uint64("id", 1, "member ID of a node")
	refuse := flag.Bool("refuse-streams", false, "answer /raft/stream/* with 404 (pipeline-only pair)")
	flag.Parse()
	n := &node{role: *role, rec: &recorder{}, refuse: *refuse, out: bufio.NewWriter(os.Stdout)}
	n.rec.node = n
	n.ackCond = sync.NewCond(&n.ackMu)
	if n.role == "sender" {
		n.id, n.peer = 1, 2
	} else if n.role == "receiver" {
		n.id, n.peer = 2, 1
	} else {
		n.id = types.ID(*nodeID)
	}
	n.tr = &rafthttp.Transport{
		Logger:      zap.NewNop(),
		ID:          n.id,
		ClusterID:   clusterID,
		Raft:        n.rec,
		ServerStats: stats.NewServerStats("", ""),
		LeaderStats: stats.NewLeaderStats(n.id.String()),
		ErrorC:      make(chan error, 1),
	}
	if err := n.tr.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h := n.tr.Handler()
	ln = countingListener{Listener: ln, n: &n.conns}
	go (&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/raft/stream/") {
			if n.refuse {
				http.NotFound(w, r)
				return
			}
			if strings.HasPrefix(r.URL.Path, "/raft/stream/msgapp/") {
				atomic.AddInt64(&n.gets[0], 1)
			} else {
				atomic.AddInt64(&n.gets[1], 1)
			}
		} else if r.URL.Path == "/raft" {
			atomic.AddInt64(&n.posts, 1)
		}
		h.ServeHTTP(w, r)
	})}).Serve(ln)
	ready := map[string]interface{}{"ev": "ready", "url": "http://" + ln.Addr().String(), "pid": os.Getpid()}
	if n.role == "sender" {
		if n.ackLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ready["ackAddr"] = n.ackLn.Addr().String()
		go n.acceptAcks()
	}
	n.reply(ready)

	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			n.reply(map[string]interface{}{"error": err.Error()})
			continue
		}
		if c.Cmd == "stop" {
			break
		}
		n.reply(n.run(c))
	}
	n.tr.Stop()
	n.reply(map[string]interface{}{"ev": "stopped"})
}

func (n *node) reply(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	n.out.Write(b)
	n.out.WriteByte('\n')
	n.out.Flush()
}

func (n *node) acceptAcks() {
	for {
		c, err := n.ackLn.Accept()
		if err != nil {
			return
		}
		go func() {
			r := bufio.NewReader(c)
			var b [8]byte
			for {
				if _, err := ioReadFull(r, b[:]); err != nil {
					return
				}
				n.ackMu.Lock()
				n.acked = int64(binary.BigEndian.Uint64(b[:]))
				n.ackCond.Broadcast()
				n.ackMu.Unlock()
			}
		}()
	}
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	got := 0
	for got < len(b) {
		k, err := r.Read(b[got:])
		got += k
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

func (n *node) run(c command) map[string]interface{} {
	switch c.Cmd {
	case "connect":
		peer := n.peer
		if c.PeerID != 0 {
			peer = types.ID(c.PeerID)
		}
		n.tr.AddPeer(peer, []string{c.PeerURL})
		if c.AckAddr != "" {
			conn, err := net.Dial("tcp", c.AckAddr)
			if err != nil {
				return map[string]interface{}{"error": err.Error()}
			}
			conn.(*net.TCPConn).SetNoDelay(true)
			n.rec.mu.Lock()
			n.rec.ack = conn
			n.rec.mu.Unlock()
		}
		return map[string]interface{}{"ok": true}
	case "probe":
		// One MsgApp (msgappv2) and one MsgHeartbeat (message stream) to the peer; Commit 0 marks them.
		n.tr.Send([]raftpb.Message{
			{Type: raftpb.MsgApp, From: uint64(n.id), To: uint64(n.peer), Term: 1, LogTerm: 1, Index: n.nextIdx,
				Entries: []raftpb.Entry{{Term: 1, Index: n.nextIdx + 1, Data: make([]byte, 8)}}},
			{Type: raftpb.MsgHeartbeat, From: uint64(n.id), To: uint64(n.peer), Term: 1},
		})
		n.nextIdx++
		return map[string]interface{}{"ok": true}
	case "stat":
		n.rec.mu.Lock()
		received := n.rec.received
		n.rec.mu.Unlock()
		return map[string]interface{}{
			"received": received, "posts": atomic.LoadInt64(&n.posts),
			"msgappGets": atomic.LoadInt64(&n.gets[0]), "messageGets": atomic.LoadInt64(&n.gets[1]),
			"rssKb": rssKb(), "cpuUs": cpuUs(), "activePeers": n.tr.ActivePeers(),
		}
	case "expect":
		r := n.rec
		r.mu.Lock()
		r.received, r.payload, r.entries, r.first, r.last = 0, 0, 0, 0, 0
		r.ackEvery, r.latency, r.lat, r.warmup = c.AckEvery, c.Latency, nil, c.Warmup
		r.done, r.expect, r.rtt = nil, 1<<62, c.RTT
		r.mu.Unlock()
		atomic.StoreInt64(&n.posts, 0)
		atomic.StoreInt64(&n.conns, 0)
		return map[string]interface{}{"ok": true, "cpu0": cpuUs()}
	case "finish":
		return n.finish(c)
	case "run":
		return n.send(c)
	}
	return map[string]interface{}{"error": "unknown command " + c.Cmd}
}

func (n *node) finish(c command) map[string]interface{} {
	r := n.rec
	r.mu.Lock()
	var done chan struct{}
	if r.received < c.Expect {
		done = make(chan struct{})
		r.done, r.expect = done, c.Expect
	}
	r.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-time.After(time.Duration(c.TimeoutMs) * time.Millisecond):
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = nil
	res := map[string]interface{}{
		"received": r.received, "entries": r.entries, "payload": r.payload, "first": r.first, "last": r.last,
		"cpu1": cpuUs(), "posts": atomic.LoadInt64(&n.posts), "conns": atomic.LoadInt64(&n.conns),
	}
	if r.latency && len(r.lat) > 0 {
		lat := append([]int64(nil), r.lat...)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		res["p50"] = lat[len(lat)*50/100]
		res["p99"] = lat[len(lat)*99/100]
		res["samples"] = len(lat)
	}
	r.latency, r.lat, r.rtt = false, nil, false
	return res
}

// build makes the messages of one Send batch for a case.
func (n *node) build(kind string, count int, data []byte) []raftpb.Message {
	msgs := make([]raftpb.Message, count)
	for i := range msgs {
		m := &msgs[i]
		m.From, m.To = uint64(n.id), uint64(n.peer)
		switch kind {
		case "e":
			m.Type, m.Term = raftpb.MsgHeartbeat, 1
			m.Commit = n.nextIdx
			n.nextIdx++
		default:
			per := 1
			size := len(data)
			if kind == "d" {
				per, size = 64, 128
			}
			m.Type, m.Term, m.LogTerm, m.Index, m.Commit = raftpb.MsgApp, 1, 1, n.nextIdx, n.nextIdx
			if kind == "g" {
				m.Term = 2 // Term ≠ LogTerm: msgappv2 writes the full protobuf frame
			}
			m.Entries = make([]raftpb.Entry, per)
			for j := range m.Entries {
				m.Entries[j] = raftpb.Entry{Term: m.Term, Index: n.nextIdx + uint64(j) + 1, Data: data[:size]}
			}
			n.nextIdx += uint64(per)
		}
	}
	return msgs
}

// caseKind maps a case id to the message shape it sends and its entry size.
func caseKind(c string) (kind string, entryBytes int) {
	switch c {
	case "b":
		return "b", 1024
	case "c":
		return "c", 16384
	case "d":
		return "d", 128
	case "e", "lat-hb":
		return "e", 0
	case "g":
		return "g", 64
	}
	return "a", 64 // a, f (a on the pipeline-only pair), lat-app, lat-pipe
}

const batchSize = 64

// send runs one case: for durationMs (or, in latency mode, warmup+samples messages one at a
// time), keeping at most window messages in flight.
func (n *node) send(c command) map[string]interface{} {
	kind, entryBytes := caseKind(c.Case)
	data := make([]byte, 16384)
	for i := range data {
		data[i] = byte(i * 7)
	}
	data = data[:max(entryBytes, 1)]
	atomic.StoreInt64(&n.rec.unreachable, 0)
	n.ackMu.Lock()
	n.acked, n.rttLat, n.rttSkip = 0, nil, c.Warmup
	n.ackMu.Unlock()
	cpu0 := cpuUs()
	t0 := monoNs()
	var sent int64
	if c.Latency {
		total := c.Warmup + c.Samples
		for sent < total {
			msgs := n.build(kind, 1, data)
			msgs[0].Commit = uint64(monoNs())
			n.tr.Send(msgs)
			sent++
			n.ackMu.Lock()
			deadline := time.Now().Add(5 * time.Second)
			for n.acked < sent && time.Now().Before(deadline) {
				waitCond(n.ackCond, 100*time.Millisecond)
			}
			lost := n.acked < sent
			n.ackMu.Unlock()
			if lost {
				break
			}
		}
	} else {
		end := t0 + c.DurationMs*1e6
		for monoNs() < end {
			n.ackMu.Lock()
			for sent-n.acked >= c.Window {
				if !waitCond(n.ackCond, 5*time.Second) {
					break
				}
			}
			room := c.Window - (sent - n.acked)
			n.ackMu.Unlock()
			if room <= 0 {
				break // receiver stalled: report what was sent
			}
			k := int64(batchSize)
			if room < k {
				k = room
			}
			n.tr.Send(n.build(kind, int(k), data))
			sent += k
		}
	}
	res := map[string]interface{}{"sent": sent, "t0": t0, "cpu0": cpu0, "unreachable": atomic.LoadInt64(&n.rec.unreachable)}
	n.ackMu.Lock()
	if lat := n.rttLat; len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		res["p50"], res["p99"], res["samples"] = lat[len(lat)*50/100], lat[len(lat)*99/100], len(lat)
	}
	n.rttLat = nil
	n.ackMu.Unlock()
	return res
}

// waitCond waits on cond (whose lock is held) for at most d; false when it timed out.
func waitCond(cond *sync.Cond, d time.Duration) bool {
	t := time.AfterFunc(d, cond.Broadcast)
	start := time.Now()
	cond.Wait()
	t.Stop()
	return time.Since(start) < d
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func rssKb() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

// countingListener counts accepted connections (pipeline connection reuse shows in it).
type countingListener struct {
	net.Listener
	n *int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		atomic.AddInt64(l.n, 1)
	}
	return c, err
}

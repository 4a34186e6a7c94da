package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/etcdserver/api/snap"
	stats "go.etcd.io/etcd/etcdserver/api/v2stats"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/wal"
	"go.etcd.io/etcd/wal/walpb"
	"go.uber.org/zap"
)

const clusterID = 0x1000

// loggedEntry is one applied entry as reported by the "log" command.
type loggedEntry struct {
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
	Type  int32  `json:"type"`
	Data  string `json:"data"`
}

type raftNode struct {
	id        uint64
	ev        *eventWriter
	node      raft.Node
	storage   *raft.MemoryStorage
	wal       *wal.WAL
	snapper   *snap.Snapshotter
	transport *rafthttp.Transport
	srv       *http.Server
	tickEvery time.Duration
	snapCount uint64
	catchUp   uint64

	removedMu sync.Mutex
	removed   map[uint64]bool
	// leaving: members a conf change removed that may still be outgoing voters of a joint config
	leaving map[uint64]bool

	// Owned by the loop goroutine.
	confState     raftpb.ConfState
	snapshotIndex uint64
	appliedIndex  uint64
	hash          [32]byte
	applied       []loggedEntry
	lead          uint64

	queries  chan func()
	stopc    chan struct{}
	donec    chan struct{}
	stopOnce sync.Once
}

func startNode(c command, dir string, ln net.Listener, ev *eventWriter) (*raftNode, error) {
	id, err := types.IDFromString(c.ID)
	if err != nil {
		return nil, fmt.Errorf("bad id: %v", err)
	}
	n := &raftNode{
		id:        uint64(id),
		ev:        ev,
		tickEvery: time.Duration(orDefault(c.TickMs, 20)) * time.Millisecond,
		snapCount: c.SnapCount,
		catchUp:   c.CatchUp,
		removed:   map[uint64]bool{},
		leaving:   map[uint64]bool{},
		queries:   make(chan func()),
		stopc:     make(chan struct{}),
		donec:     make(chan struct{}),
	}
	walDir := filepath.Join(dir, "wal")
	snapDir := filepath.Join(dir, "snap")
	if err := os.MkdirAll(snapDir, 0o750); err != nil {
		return nil, err
	}
	lg := zap.NewNop()
	n.snapper = snap.New(lg, snapDir)
	oldWAL := wal.Exist(walDir)
	if err := n.openStorage(walDir, lg); err != nil {
		return nil, err
	}
	readOnly := raft.ReadOnlySafe
	if c.LeaseReads {
		readOnly = raft.ReadOnlyLeaseBased
	}
	cfg := &raft.Config{
		ID:                        n.id,
		ElectionTick:              orDefault(c.ElectionTick, 10),
		HeartbeatTick:             1,
		Storage:                   n.storage,
		MaxSizePerMsg:             1024 * 1024,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   c.PreVote,
		ReadOnlyOption:            readOnly,
		Logger:                    &raft.DefaultLogger{Logger: log.New(os.Stderr, "raft ", log.LstdFlags)},
	}
	if oldWAL || c.Join {
		n.node = raft.RestartNode(cfg)
	} else {
		peers := make([]raft.Peer, 0, len(c.Peers))
		for _, p := range c.Peers {
			pid, err := types.IDFromString(p.ID)
			if err != nil {
				return nil, fmt.Errorf("bad peer id: %v", err)
			}
			peers = append(peers, raft.Peer{ID: uint64(pid)})
		}
		n.node = raft.StartNode(cfg, peers)
	}
	urls, err := types.NewURLs([]string{"http://" + ln.Addr().String()})
	if err != nil {
		return nil, err
	}
	n.transport = &rafthttp.Transport{
		Logger:      lg,
		ID:          id,
		URLs:        urls,
		ClusterID:   clusterID,
		Raft:        n,
		Snapshotter: n.snapper,
		ServerStats: stats.NewServerStats("", id.String()),
		LeaderStats: stats.NewLeaderStats(id.String()),
		ErrorC:      make(chan error, 1),
	}
	if err := n.transport.Start(); err != nil {
		return nil, err
	}
	for _, p := range c.Peers {
		pid, _ := types.IDFromString(p.ID)
		if uint64(pid) != n.id {
			n.transport.AddPeer(pid, []string{p.URL})
		}
	}
	n.srv = &http.Server{Handler: n.watchStreams(n.transport.Handler())}
	go n.srv.Serve(ln)
	hs, _, _ := n.storage.InitialState()
	ev.emit("ready", map[string]interface{}{
		"restarted": oldWAL, "snapshotIndex": n.snapshotIndex, "commit": hs.Commit, "lastIndex": mustLast(n.storage),
	})
	if n.snapshotIndex > 0 {
		// The state machine starts at the loaded snapshot.
		ev.emit("applied", map[string]interface{}{"index": n.snapshotIndex})
	}
	// Only now: the loop's first "applied" must follow the ones above.
	go n.loop()
	return n, nil
}

// watchStreams reports every stream a peer opens to this member's server ({"ev":"stream"}, open
// true, then false when it ends): the stream this member writes its messages to that peer on.
func (n *raftNode) watchStreams(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		if r.Method != http.MethodGet || len(parts) != 5 || parts[1] != "raft" || parts[2] != "stream" {
			h.ServeHTTP(w, r)
			return
		}
		n.ev.emit("stream", map[string]interface{}{"type": parts[3], "peer": parts[4], "open": true})
		defer n.ev.emit("stream", map[string]interface{}{"type": parts[3], "peer": parts[4], "open": false})
		h.ServeHTTP(w, r)
	})
}

// openStorage replays the snapshot and WAL into a MemoryStorage (raftexample's replayWAL), or
// creates an empty WAL.
func (n *raftNode) openStorage(walDir string, lg *zap.Logger) error {
	n.storage = raft.NewMemoryStorage()
	if !wal.Exist(walDir) {
		w, err := wal.Create(lg, walDir, nil)
		if err != nil {
			return fmt.Errorf("create wal: %v", err)
		}
		n.wal = w
		return nil
	}
	snapshot, err := n.snapper.Load()
	if err != nil && err != snap.ErrNoSnapshot {
		return fmt.Errorf("load snapshot: %v", err)
	}
	walSnap := walpb.Snapshot{}
	if snapshot != nil {
		walSnap.Index, walSnap.Term = snapshot.Metadata.Index, snapshot.Metadata.Term
	}
	w, err := wal.Open(lg, walDir, walSnap)
	if err != nil {
		return fmt.Errorf("open wal: %v", err)
	}
	_, st, ents, err := w.ReadAll()
	if err != nil {
		return fmt.Errorf("read wal: %v", err)
	}
	if snapshot != nil {
		if err := n.storage.ApplySnapshot(*snapshot); err != nil {
			return err
		}
		n.adoptSnapshot(*snapshot)
	}
	if err := n.storage.SetHardState(st); err != nil {
		return err
	}
	if err := n.storage.Append(ents); err != nil {
		return err
	}
	n.wal = w
	return nil
}

func (n *raftNode) adoptSnapshot(s raftpb.Snapshot) {
	n.confState = s.Metadata.ConfState
	n.snapshotIndex = s.Metadata.Index
	n.appliedIndex = s.Metadata.Index
	copy(n.hash[:], s.Data)
	n.applied = n.applied[:0]
}

func (n *raftNode) loop() {
	defer close(n.donec)
	ticker := time.NewTicker(n.tickEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			n.node.Tick()
		case rd := <-n.node.Ready():
			n.handleReady(rd)
		case q := <-n.queries:
			q()
		case err := <-n.transport.ErrorC:
			n.ev.emit("fatal", map[string]interface{}{"error": err.Error()})
		case <-n.stopc:
			return
		}
	}
}

func (n *raftNode) handleReady(rd raft.Ready) {
	if rd.SoftState != nil && rd.SoftState.Lead != n.lead {
		n.lead = rd.SoftState.Lead
		n.ev.emit("leaderChanged", map[string]interface{}{
			"lead": types.ID(n.lead).String(), "term": n.node.Status().Term,
		})
	}
	must(n.wal.Save(rd.HardState, rd.Entries))
	if !raft.IsEmptySnap(rd.Snapshot) {
		must(n.saveSnap(rd.Snapshot))
		must(n.storage.ApplySnapshot(rd.Snapshot))
		n.adoptSnapshot(rd.Snapshot)
		n.ev.emit("snapshotApplied", map[string]interface{}{"index": rd.Snapshot.Metadata.Index})
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		must(n.storage.SetHardState(rd.HardState))
	}
	must(n.storage.Append(rd.Entries))
	n.transport.Send(rd.Messages)
	for _, rs := range rd.ReadStates {
		n.ev.emit("readState", map[string]interface{}{"index": rs.Index, "rctx": hex.EncodeToString(rs.RequestCtx)})
	}
	if len(rd.CommittedEntries) > 0 || !raft.IsEmptySnap(rd.Snapshot) {
		for _, e := range rd.CommittedEntries {
			if e.Index <= n.appliedIndex {
				continue
			}
			n.apply(e)
		}
		n.ev.emit("applied", map[string]interface{}{"index": n.appliedIndex})
		if n.snapCount > 0 && n.appliedIndex-n.snapshotIndex >= n.snapCount {
			n.snapshot(n.catchUp)
		}
	}
	n.node.Advance()
}

// apply extends the hash chain, records the entry and applies conf changes.
func (n *raftNode) apply(e raftpb.Entry) {
	if e.Index != n.appliedIndex+1 {
		panic(fmt.Sprintf("applying %d after %d", e.Index, n.appliedIndex))
	}
	n.hash = chain(n.hash, e)
	n.applied = append(n.applied, loggedEntry{Term: e.Term, Index: e.Index, Type: int32(e.Type), Data: hex.EncodeToString(e.Data)})
	n.appliedIndex = e.Index
	switch e.Type {
	case raftpb.EntryConfChange:
		var cc raftpb.ConfChange
		must(cc.Unmarshal(e.Data))
		n.confState = *n.node.ApplyConfChange(cc)
		n.applyPeerChange(cc.Type, cc.NodeID, string(cc.Context))
	case raftpb.EntryConfChangeV2:
		var cc raftpb.ConfChangeV2
		must(cc.Unmarshal(e.Data))
		n.confState = *n.node.ApplyConfChange(cc)
		urls := map[string]string{}
		if len(cc.Context) > 0 {
			must(json.Unmarshal(cc.Context, &urls))
		}
		for _, ch := range cc.Changes {
			n.applyPeerChange(ch.Type, ch.NodeID, urls[types.ID(ch.NodeID).String()])
		}
	default:
		return
	}
	n.dropLeft(e.Index)
}

// applyPeerChange adds a new member to the transport, or marks a removed one as leaving.
func (n *raftNode) applyPeerChange(t raftpb.ConfChangeType, id uint64, url string) {
	switch t {
	case raftpb.ConfChangeAddNode, raftpb.ConfChangeAddLearnerNode:
		delete(n.leaving, id)
		if id != n.id && url != "" {
			n.transport.AddPeer(types.ID(id), []string{url})
		}
	case raftpb.ConfChangeRemoveNode:
		n.leaving[id] = true
	}
}

// dropLeft forgets the leaving members that no configuration holds any more (a removed member
// stays an outgoing voter until the joint configuration is left, and must hear the leader till then).
func (n *raftNode) dropLeft(index uint64) {
	cs := n.confState
	for id := range n.leaving {
		if inAny(id, cs.Voters, cs.Learners, cs.VotersOutgoing, cs.LearnersNext) {
			continue
		}
		delete(n.leaving, id)
		n.removedMu.Lock()
		n.removed[id] = true
		n.removedMu.Unlock()
		if id == n.id {
			n.ev.emit("removed", map[string]interface{}{"index": index})
		} else {
			n.transport.RemovePeer(types.ID(id))
		}
	}
}

func inAny(id uint64, lists ...[]uint64) bool {
	for _, l := range lists {
		for _, x := range l {
			if x == id {
				return true
			}
		}
	}
	return false
}

// chain is the state machine: SHA-256(prev ‖ term ‖ index ‖ type ‖ data), integers big-endian u64.
func chain(prev [32]byte, e raftpb.Entry) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], e.Term)
	binary.BigEndian.PutUint64(b[8:], e.Index)
	binary.BigEndian.PutUint64(b[16:], uint64(e.Type))
	h.Write(b[:])
	h.Write(e.Data)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// snapshot creates a snapshot at the applied index and compacts the log, keeping `keep` entries
// before it (raftexample's maybeTriggerSnapshot).
func (n *raftNode) snapshot(keep uint64) uint64 {
	if n.appliedIndex <= n.snapshotIndex {
		return n.snapshotIndex
	}
	s, err := n.storage.CreateSnapshot(n.appliedIndex, &n.confState, append([]byte(nil), n.hash[:]...))
	must(err)
	must(n.saveSnap(s))
	compactIndex := uint64(1)
	if n.appliedIndex > keep {
		compactIndex = n.appliedIndex - keep
	}
	if first, _ := n.storage.FirstIndex(); compactIndex >= first {
		must(n.storage.Compact(compactIndex))
	}
	n.snapshotIndex = n.appliedIndex
	return n.snapshotIndex
}

func (n *raftNode) saveSnap(s raftpb.Snapshot) error {
	if err := n.wal.SaveSnapshot(walpb.Snapshot{Index: s.Metadata.Index, Term: s.Metadata.Term}); err != nil {
		return err
	}
	if err := n.snapper.SaveSnap(s); err != nil {
		return err
	}
	return n.wal.ReleaseLockTo(s.Metadata.Index)
}

// inLoop runs f on the loop goroutine and waits for it.
func (n *raftNode) inLoop(f func()) error {
	done := make(chan struct{})
	select {
	case n.queries <- func() { f(); close(done) }:
	case <-n.donec:
		return fmt.Errorf("stopped")
	}
	<-done
	return nil
}

func (n *raftNode) stop() {
	n.stopOnce.Do(func() {
		close(n.stopc)
		<-n.donec
		n.transport.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if n.srv.Shutdown(ctx) != nil {
			n.srv.Close()
		}
		cancel()
		n.node.Stop()
		n.wal.Close()
	})
}

// rafthttp.Raft
func (n *raftNode) Process(ctx context.Context, m raftpb.Message) error {
	return n.node.Step(ctx, m)
}
func (n *raftNode) IsIDRemoved(id uint64) bool {
	n.removedMu.Lock()
	defer n.removedMu.Unlock()
	return n.removed[id]
}
func (n *raftNode) ReportUnreachable(id uint64) { n.node.ReportUnreachable(id) }
func (n *raftNode) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	n.node.ReportSnapshot(id, status)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func mustLast(s *raft.MemoryStorage) uint64 {
	i, err := s.LastIndex()
	must(err)
	return i
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

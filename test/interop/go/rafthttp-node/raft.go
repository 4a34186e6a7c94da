package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"sync"

	"go.etcd.io/etcd/etcdserver/api/snap"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
)

// forbidden is what etcdserver's Process returns for a message from a removed member: the
// pipeline handler writes it as the response (403), which the sender turns into ErrorC.
type forbidden struct{ msg string }

func (e forbidden) Error() string { return e.msg }

func (e forbidden) WriteTo(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, `{"message":"`+e.msg+`"}`)
}

// stubRaft is the harness's raft: every callback becomes an event on stdout.
type stubRaft struct {
	events      *eventWriter
	snapshotter *snap.Snapshotter

	mu      sync.RWMutex
	removed map[uint64]bool
}

func newStubRaft(events *eventWriter, snapshotter *snap.Snapshotter) *stubRaft {
	return &stubRaft{events: events, snapshotter: snapshotter, removed: map[uint64]bool{}}
}

func (r *stubRaft) setRemoved(id uint64, removed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if removed {
		r.removed[id] = true
	} else {
		delete(r.removed, id)
	}
}

// Process reports the message as received. via is "http" when it came through a POST
// (pipeline or snapshot handler, which pass an empty Go context) and "stream" otherwise.
// Like etcdserver, a message from a removed member is refused with a 403.
func (r *stubRaft) Process(ctx context.Context, m raftpb.Message) error {
	if r.IsIDRemoved(m.From) {
		r.events.emit("refused", map[string]interface{}{"from": types.ID(m.From).String(), "type": m.Type.String()})
		return forbidden{msg: "cannot process message from removed member"}
	}
	b, err := m.Marshal()
	if err != nil {
		r.events.emit("harnessError", map[string]interface{}{"error": err.Error()})
		return nil
	}
	via := "stream"
	if ctx == context.TODO() {
		via = "http"
	}
	fields := map[string]interface{}{"msg": hex.EncodeToString(b), "via": via, "type": m.Type.String()}
	if m.Type == raftpb.MsgSnap && r.snapshotter != nil {
		if db := r.snapshotDB(m.Snapshot.Metadata.Index); db != nil {
			fields["snapDb"] = db
		}
	}
	r.events.emit("recv", fields)
	return nil
}

// snapshotDB describes the database file the snapshot handler saved for index, if any.
func (r *stubRaft) snapshotDB(index uint64) map[string]interface{} {
	path, err := r.snapshotter.DBFilePath(index)
	if err != nil {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return map[string]interface{}{"path": path, "error": err.Error()}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return map[string]interface{}{"path": path, "error": err.Error()}
	}
	return map[string]interface{}{"path": path, "size": n, "sha256": hex.EncodeToString(h.Sum(nil))}
}

func (r *stubRaft) IsIDRemoved(id uint64) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.removed[id]
}

func (r *stubRaft) ReportUnreachable(id uint64) {
	r.events.emit("reportUnreachable", map[string]interface{}{"id": types.ID(id).String()})
}

func (r *stubRaft) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	s := "failure"
	if status == raft.SnapshotFinish {
		s = "finish"
	}
	r.events.emit("reportSnapshot", map[string]interface{}{"id": types.ID(id).String(), "status": s})
}

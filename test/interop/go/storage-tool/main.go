// storage-tool drives etcd 3.4.23's own wal and snap packages for raftwire's interop tests.
//
// Subcommands (every JSON document goes to stdout; errors to stderr with exit status 1):
//
//	write-wal <dir> <spec.json>        wal.Create + a sequence of Save / SaveSnapshot / ReleaseLockTo
//	append-wal <dir> <index> <term> <spec.json>  wal.Open + ReadAll, then the spec's ops
//	read-wal <dir> <index> <term>      wal.Open at the marker + ReadAll, plus wal.ValidSnapshotEntries
//	hold-wal <dir> <index> <term>      wal.Open + ReadAll, prints {"held":true}, keeps the WAL (and its
//	                                   segment locks) open until stdin closes, then Close
//	restart <waldir> <snapdir>         etcd's restart: ValidSnapshotEntries, LoadNewestAvailable, Open, ReadAll
//	repair-wal <dir>                   wal.Repair (what etcd runs when ReadAll meets a torn tail)
//	write-snap <dir> <spec.json>       snap.New(dir).SaveSnap
//	read-snap <dir> [index:term ...]   snap.New(dir).Load, or LoadNewestAvailable with the markers
//	save-db <dir> <index>              snap.SaveDBFrom(stdin, index)
//	db-path <dir> <index>              snap.DBFilePath(index)
//
// Numbers that may use all 64 bits (node IDs, the vote) travel as decimal strings; bytes as hex.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strconv"
	"strings"

	"go.etcd.io/etcd/etcdserver/api/snap"
	"go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/wal"
	"go.etcd.io/etcd/wal/walpb"
	"go.uber.org/zap"
)

type jsonEntry struct {
	Term    uint64 `json:"term"`
	Index   uint64 `json:"index"`
	Type    int32  `json:"type"`
	DataHex string `json:"dataHex"`
	// HasData distinguishes a nil Data (not encoded) from an empty one.
	HasData bool `json:"hasData"`
}

type jsonHardState struct {
	Term   uint64 `json:"term"`
	Vote   string `json:"vote"`
	Commit uint64 `json:"commit"`
}

type jsonMarker struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
}

type jsonConfState struct {
	Voters         []string `json:"voters"`
	Learners       []string `json:"learners"`
	VotersOutgoing []string `json:"votersOutgoing"`
	LearnersNext   []string `json:"learnersNext"`
	AutoLeave      bool     `json:"autoLeave"`
}

type jsonSnapshot struct {
	DataHex   string        `json:"dataHex"`
	Index     uint64        `json:"index"`
	Term      uint64        `json:"term"`
	ConfState jsonConfState `json:"confState"`
}

// walOp is one step of write-wal: kind "save", "snapshot" or "release".
type walOp struct {
	Kind      string         `json:"kind"`
	HardState *jsonHardState `json:"hardState"`
	Entries   []jsonEntry    `json:"entries"`
	Index     uint64         `json:"index"`
	Term      uint64         `json:"term"`
}

type walSpec struct {
	MetadataHex      string  `json:"metadataHex"`
	SegmentSizeBytes int64   `json:"segmentSizeBytes"`
	Ops              []walOp `json:"ops"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "storage-tool: "+format+"\n", args...)
	os.Exit(1)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		fail("bad hex %q: %v", s, err)
	}
	return b
}

func mustUint(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		fail("bad number %q: %v", s, err)
	}
	return v
}

func readSpec(path string, v interface{}) {
	b, err := ioutil.ReadFile(path)
	if err != nil {
		fail("read spec: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		fail("parse spec: %v", err)
	}
}

func emit(v interface{}) {
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(v); err != nil {
		fail("encode output: %v", err)
	}
}

func toEntry(j jsonEntry) raftpb.Entry {
	e := raftpb.Entry{Term: j.Term, Index: j.Index, Type: raftpb.EntryType(j.Type)}
	if j.HasData {
		e.Data = mustHex(j.DataHex)
	}
	return e
}

func fromEntry(e raftpb.Entry) jsonEntry {
	return jsonEntry{Term: e.Term, Index: e.Index, Type: int32(e.Type), DataHex: hex.EncodeToString(e.Data), HasData: e.Data != nil}
}

func ids(v []uint64) []string {
	out := make([]string, 0, len(v))
	for _, id := range v {
		out = append(out, strconv.FormatUint(id, 10))
	}
	return out
}

func parseIDs(v []string) []uint64 {
	var out []uint64
	for _, s := range v {
		out = append(out, mustUint(s))
	}
	return out
}

func writeWAL(dir, specPath string) {
	var spec walSpec
	readSpec(specPath, &spec)
	if spec.SegmentSizeBytes > 0 {
		wal.SegmentSizeBytes = spec.SegmentSizeBytes
	}
	w, err := wal.Create(zap.NewNop(), dir, mustHex(spec.MetadataHex))
	if err != nil {
		fail("wal.Create: %v", err)
	}
	applyOps(w, spec.Ops)
}

// appendWAL reopens an existing WAL at a snapshot marker, reads it all (as a restart does) and
// applies the spec's ops; the spec's metadata is ignored.
func appendWAL(dir, index, term, specPath string) {
	var spec walSpec
	readSpec(specPath, &spec)
	if spec.SegmentSizeBytes > 0 {
		wal.SegmentSizeBytes = spec.SegmentSizeBytes
	}
	w, err := wal.Open(zap.NewNop(), dir, walpb.Snapshot{Index: mustUint(index), Term: mustUint(term)})
	if err != nil {
		fail("wal.Open: %v", err)
	}
	if _, _, _, err := w.ReadAll(); err != nil {
		fail("ReadAll: %v", err)
	}
	applyOps(w, spec.Ops)
}

func applyOps(w *wal.WAL, ops []walOp) {
	var err error
	for i, op := range ops {
		switch op.Kind {
		case "save":
			var hs raftpb.HardState
			if op.HardState != nil {
				hs = raftpb.HardState{Term: op.HardState.Term, Vote: mustUint(op.HardState.Vote), Commit: op.HardState.Commit}
			}
			ents := make([]raftpb.Entry, 0, len(op.Entries))
			for _, j := range op.Entries {
				ents = append(ents, toEntry(j))
			}
			err = w.Save(hs, ents)
		case "snapshot":
			err = w.SaveSnapshot(walpb.Snapshot{Index: op.Index, Term: op.Term})
		case "release":
			err = w.ReleaseLockTo(op.Index)
		default:
			fail("op %d: unknown kind %q", i, op.Kind)
		}
		if err != nil {
			fail("op %d (%s): %v", i, op.Kind, err)
		}
	}
	if err := w.Close(); err != nil {
		fail("close: %v", err)
	}
	emit(map[string]interface{}{"ok": true})
}

func readWAL(dir, index, term string) {
	marker := walpb.Snapshot{Index: mustUint(index), Term: mustUint(term)}
	lg := zap.NewNop()
	snaps, verr := wal.ValidSnapshotEntries(lg, dir)
	w, err := wal.Open(lg, dir, marker)
	if err != nil {
		fail("wal.Open: %v", err)
	}
	metadata, hs, ents, rerr := w.ReadAll()
	w.Close()
	out := map[string]interface{}{
		"metadataHex": hex.EncodeToString(metadata),
		"hardState":   jsonHardState{Term: hs.Term, Vote: strconv.FormatUint(hs.Vote, 10), Commit: hs.Commit},
	}
	entries := make([]jsonEntry, 0, len(ents))
	for _, e := range ents {
		entries = append(entries, fromEntry(e))
	}
	out["entries"] = entries
	markers := make([]jsonMarker, 0, len(snaps))
	for _, s := range snaps {
		markers = append(markers, jsonMarker{Index: s.Index, Term: s.Term})
	}
	out["snapshots"] = markers
	if verr != nil {
		out["snapshotsError"] = verr.Error()
	}
	if rerr != nil {
		out["error"] = rerr.Error()
	}
	emit(out)
}

func holdWAL(dir, index, term string) {
	marker := walpb.Snapshot{Index: mustUint(index), Term: mustUint(term)}
	w, err := wal.Open(zap.NewNop(), dir, marker)
	if err != nil {
		fail("wal.Open: %v", err)
	}
	if _, _, _, err := w.ReadAll(); err != nil {
		fail("ReadAll: %v", err)
	}
	emit(map[string]interface{}{"held": true})
	ioutil.ReadAll(os.Stdin)
	if err := w.Close(); err != nil {
		fail("close: %v", err)
	}
}

func writeSnap(dir, specPath string) {
	var spec jsonSnapshot
	readSpec(specPath, &spec)
	s := raftpb.Snapshot{
		Data: mustHex(spec.DataHex),
		Metadata: raftpb.SnapshotMetadata{
			Index: spec.Index,
			Term:  spec.Term,
			ConfState: raftpb.ConfState{
				Voters:         parseIDs(spec.ConfState.Voters),
				Learners:       parseIDs(spec.ConfState.Learners),
				VotersOutgoing: parseIDs(spec.ConfState.VotersOutgoing),
				LearnersNext:   parseIDs(spec.ConfState.LearnersNext),
				AutoLeave:      spec.ConfState.AutoLeave,
			},
		},
	}
	if err := snap.New(zap.NewNop(), dir).SaveSnap(s); err != nil {
		fail("SaveSnap: %v", err)
	}
	emit(map[string]interface{}{"ok": true})
}

func readSnap(dir string, markers []string) {
	ss := snap.New(zap.NewNop(), dir)
	var s *raftpb.Snapshot
	var err error
	if len(markers) == 0 {
		s, err = ss.Load()
	} else {
		var walSnaps []walpb.Snapshot
		for _, m := range markers {
			parts := strings.SplitN(m, ":", 2)
			if len(parts) != 2 {
				fail("bad marker %q (want index:term)", m)
			}
			walSnaps = append(walSnaps, walpb.Snapshot{Index: mustUint(parts[0]), Term: mustUint(parts[1])})
		}
		s, err = ss.LoadNewestAvailable(walSnaps)
	}
	if err != nil {
		emit(map[string]interface{}{"error": err.Error()})
		return
	}
	emit(toJSONSnapshot(s))
}

// restart replays etcd 3.4's server restart (etcdserver/server.go): the WAL's valid snapshot
// markers, the newest .snap among them, then the WAL opened at that snapshot and read.
func restart(walDir, snapDir string) {
	lg := zap.NewNop()
	walSnaps, err := wal.ValidSnapshotEntries(lg, walDir)
	if err != nil {
		fail("ValidSnapshotEntries: %v", err)
	}
	out := map[string]interface{}{}
	marker := walpb.Snapshot{}
	s, err := snap.New(lg, snapDir).LoadNewestAvailable(walSnaps)
	switch {
	case err == snap.ErrNoSnapshot:
		out["snapshotError"] = err.Error()
	case err != nil:
		fail("LoadNewestAvailable: %v", err)
	default:
		out["snapshot"] = toJSONSnapshot(s)
		marker = walpb.Snapshot{Index: s.Metadata.Index, Term: s.Metadata.Term}
	}
	w, err := wal.Open(lg, walDir, marker)
	if err != nil {
		fail("wal.Open: %v", err)
	}
	metadata, hs, ents, rerr := w.ReadAll()
	w.Close()
	if rerr != nil {
		out["error"] = rerr.Error()
	}
	entries := make([]jsonEntry, 0, len(ents))
	for _, e := range ents {
		entries = append(entries, fromEntry(e))
	}
	out["metadataHex"] = hex.EncodeToString(metadata)
	out["hardState"] = jsonHardState{Term: hs.Term, Vote: strconv.FormatUint(hs.Vote, 10), Commit: hs.Commit}
	out["entries"] = entries
	emit(out)
}

func toJSONSnapshot(s *raftpb.Snapshot) jsonSnapshot {
	cs := s.Metadata.ConfState
	return jsonSnapshot{
		DataHex: hex.EncodeToString(s.Data),
		Index:   s.Metadata.Index,
		Term:    s.Metadata.Term,
		ConfState: jsonConfState{
			Voters:         ids(cs.Voters),
			Learners:       ids(cs.Learners),
			VotersOutgoing: ids(cs.VotersOutgoing),
			LearnersNext:   ids(cs.LearnersNext),
			AutoLeave:      cs.AutoLeave,
		},
	}
}

func main() {
	args := os.Args[1:]
	if len(args) < 2 {
		fail("usage: storage-tool write-wal|append-wal|read-wal|write-snap|read-snap|save-db|db-path <dir> ...")
	}
	cmd, dir := args[0], args[1]
	switch {
	case cmd == "write-wal" && len(args) == 3:
		writeWAL(dir, args[2])
	case cmd == "append-wal" && len(args) == 5:
		appendWAL(dir, args[2], args[3], args[4])
	case cmd == "read-wal" && len(args) == 4:
		readWAL(dir, args[2], args[3])
	case cmd == "hold-wal" && len(args) == 4:
		holdWAL(dir, args[2], args[3])
	case cmd == "write-snap" && len(args) == 3:
		writeSnap(dir, args[2])
	case cmd == "read-snap":
		readSnap(dir, args[2:])
	case cmd == "save-db" && len(args) == 3:
		n, err := snap.New(zap.NewNop(), dir).SaveDBFrom(os.Stdin, mustUint(args[2]))
		if err != nil {
			fail("SaveDBFrom: %v", err)
		}
		emit(map[string]interface{}{"bytes": n})
	case cmd == "restart" && len(args) == 3:
		restart(dir, args[2])
	case cmd == "repair-wal" && len(args) == 2:
		emit(map[string]interface{}{"repaired": wal.Repair(zap.NewNop(), dir)})
	case cmd == "db-path" && len(args) == 3:
		p, err := snap.New(zap.NewNop(), dir).DBFilePath(mustUint(args[2]))
		if err != nil {
			emit(map[string]interface{}{"error": err.Error()})
			return
		}
		emit(map[string]interface{}{"path": p})
	default:
		fail("unknown subcommand or wrong arguments: %v", args)
	}
}

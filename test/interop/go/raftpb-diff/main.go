// raftpb-diff is the Go side of raftwire's differential codec test. It uses etcd 3.4.23's own
// raftpb (gogoproto) code.
//
//	raftpb-diff gen <seed> <count>   writes <count> random values of every raftpb type, one JSON
//	                                 line each: {"type","hex","fields"}
//	raftpb-diff check                reads lines {"id","type","hex"} on stdin and answers one line
//	                                 each: {"id","ok","error","hex","fields"}: Go's decoding of the
//	                                 bytes, its JSON fields and its re-encoding
//
// JSON fields use the form of ../shared/reference/vectors: uint64 as decimal strings, bytes as
// lowercase hex or null when absent, enums as numbers.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"

	"go.etcd.io/etcd/raft/raftpb"
)

type obj = map[string]interface{}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func b(v []byte) interface{} {
	if v == nil {
		return nil
	}
	return hex.EncodeToString(v)
}

func ids(v []uint64) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		out = append(out, u(x))
	}
	return out
}

func entryJSON(e raftpb.Entry) obj {
	return obj{"term": u(e.Term), "index": u(e.Index), "type": int32(e.Type), "data": b(e.Data)}
}

func confStateJSON(cs raftpb.ConfState) obj {
	return obj{"voters": ids(cs.Voters), "learners": ids(cs.Learners), "votersOutgoing": ids(cs.VotersOutgoing),
		"learnersNext": ids(cs.LearnersNext), "autoLeave": cs.AutoLeave}
}

func metadataJSON(md raftpb.SnapshotMetadata) obj {
	return obj{"confState": confStateJSON(md.ConfState), "index": u(md.Index), "term": u(md.Term)}
}

func snapshotJSON(s raftpb.Snapshot) obj {
	return obj{"data": b(s.Data), "metadata": metadataJSON(s.Metadata)}
}

func messageJSON(m raftpb.Message) obj {
	ents := make([]obj, 0, len(m.Entries))
	for _, e := range m.Entries {
		ents = append(ents, entryJSON(e))
	}
	return obj{"type": int32(m.Type), "to": u(m.To), "from": u(m.From), "term": u(m.Term), "logTerm": u(m.LogTerm),
		"index": u(m.Index), "entries": ents, "commit": u(m.Commit), "snapshot": snapshotJSON(m.Snapshot),
		"reject": m.Reject, "rejectHint": u(m.RejectHint), "context": b(m.Context)}
}

func hardStateJSON(hs raftpb.HardState) obj {
	return obj{"term": u(hs.Term), "vote": u(hs.Vote), "commit": u(hs.Commit)}
}

func confChangeJSON(cc raftpb.ConfChange) obj {
	return obj{"id": u(cc.ID), "type": int32(cc.Type), "nodeId": u(cc.NodeID), "context": b(cc.Context)}
}

func singleJSON(c raftpb.ConfChangeSingle) obj {
	return obj{"type": int32(c.Type), "nodeId": u(c.NodeID)}
}

func confChangeV2JSON(cc raftpb.ConfChangeV2) obj {
	ch := make([]obj, 0, len(cc.Changes))
	for _, c := range cc.Changes {
		ch = append(ch, singleJSON(c))
	}
	return obj{"transition": int32(cc.Transition), "changes": ch, "context": b(cc.Context)}
}

// codec is one raftpb type: a fresh value to unmarshal into, and its JSON form.
type codec struct {
	fresh  func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) }
	toJSON func(v interface{}) obj
}

var codecs = map[string]codec{
	"Message": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.Message{} },
		func(v interface{}) obj { return messageJSON(*v.(*raftpb.Message)) }},
	"Entry": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.Entry{} },
		func(v interface{}) obj { return entryJSON(*v.(*raftpb.Entry)) }},
	"HardState": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.HardState{} },
		func(v interface{}) obj { return hardStateJSON(*v.(*raftpb.HardState)) }},
	"ConfState": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.ConfState{} },
		func(v interface{}) obj { return confStateJSON(*v.(*raftpb.ConfState)) }},
	"SnapshotMetadata": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.SnapshotMetadata{} },
		func(v interface{}) obj { return metadataJSON(*v.(*raftpb.SnapshotMetadata)) }},
	"Snapshot": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.Snapshot{} },
		func(v interface{}) obj { return snapshotJSON(*v.(*raftpb.Snapshot)) }},
	"ConfChange": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.ConfChange{} },
		func(v interface{}) obj { return confChangeJSON(*v.(*raftpb.ConfChange)) }},
	"ConfChangeSingle": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.ConfChangeSingle{} },
		func(v interface{}) obj { return singleJSON(*v.(*raftpb.ConfChangeSingle)) }},
	"ConfChangeV2": {func() interface{ Unmarshal([]byte) error; Marshal() ([]byte, error) } { return &raftpb.ConfChangeV2{} },
		func(v interface{}) obj { return confChangeV2JSON(*v.(*raftpb.ConfChangeV2)) }},
}

// ---- random values --------------------------------------------------------------------------

const maxSafe = 1<<53 - 1

type gen struct{ r *rand.Rand }

// id: small IDs, etcd-style random 64-bit member IDs, and the extremes.
func (g gen) id() uint64 {
	switch g.r.Intn(5) {
	case 0:
		return uint64(g.r.Intn(8))
	case 1:
		return uint64(g.r.Intn(1000))
	case 2:
		return ^uint64(0) - uint64(g.r.Intn(3))
	default:
		return g.r.Uint64()
	}
}

// num: terms and indexes, up to 2^53-1 (raftwire keeps them as numbers).
func (g gen) num() uint64 {
	switch g.r.Intn(5) {
	case 0:
		return 0
	case 1:
		return uint64(g.r.Intn(128))
	case 2:
		return uint64(g.r.Intn(1 << 20))
	case 3:
		return maxSafe - uint64(g.r.Intn(3))
	default:
		return uint64(g.r.Int63n(maxSafe))
	}
}

func (g gen) bytes() []byte {
	switch g.r.Intn(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	default:
		n := g.r.Intn(200)
		if g.r.Intn(20) == 0 {
			n = 20000 + g.r.Intn(2000) // multi-byte length prefixes
		}
		out := make([]byte, n)
		g.r.Read(out)
		return out
	}
}

func (g gen) ids() []uint64 {
	n := g.r.Intn(5)
	if n == 0 {
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = g.id()
	}
	return out
}

func (g gen) entry() raftpb.Entry {
	return raftpb.Entry{Term: g.num(), Index: g.num(), Type: raftpb.EntryType(g.r.Intn(3)), Data: g.bytes()}
}

func (g gen) confState() raftpb.ConfState {
	return raftpb.ConfState{Voters: g.ids(), Learners: g.ids(), VotersOutgoing: g.ids(), LearnersNext: g.ids(),
		AutoLeave: g.r.Intn(2) == 0}
}

func (g gen) metadata() raftpb.SnapshotMetadata {
	return raftpb.SnapshotMetadata{ConfState: g.confState(), Index: g.num(), Term: g.num()}
}

func (g gen) snapshot() raftpb.Snapshot {
	if g.r.Intn(3) == 0 {
		return raftpb.Snapshot{}
	}
	return raftpb.Snapshot{Data: g.bytes(), Metadata: g.metadata()}
}

func (g gen) message() raftpb.Message {
	m := raftpb.Message{Type: raftpb.MessageType(g.r.Intn(19)), To: g.id(), From: g.id(), Term: g.num(),
		LogTerm: g.num(), Index: g.num(), Commit: g.num(), Reject: g.r.Intn(4) == 0, RejectHint: g.num(),
		Context: g.bytes()}
	n := g.r.Intn(4)
	if g.r.Intn(10) == 0 {
		n = 64
	}
	for i := 0; i < n; i++ {
		m.Entries = append(m.Entries, g.entry())
	}
	if m.Type == raftpb.MsgSnap || g.r.Intn(8) == 0 {
		m.Snapshot = g.snapshot()
	}
	return m
}

func (g gen) single() raftpb.ConfChangeSingle {
	return raftpb.ConfChangeSingle{Type: raftpb.ConfChangeType(g.r.Intn(4)), NodeID: g.id()}
}

func (g gen) value(typ string) interface{ Marshal() ([]byte, error) } {
	switch typ {
	case "Message":
		m := g.message()
		return &m
	case "Entry":
		e := g.entry()
		return &e
	case "HardState":
		return &raftpb.HardState{Term: g.num(), Vote: g.id(), Commit: g.num()}
	case "ConfState":
		cs := g.confState()
		return &cs
	case "SnapshotMetadata":
		md := g.metadata()
		return &md
	case "Snapshot":
		s := g.snapshot()
		return &s
	case "ConfChange":
		return &raftpb.ConfChange{ID: g.id(), Type: raftpb.ConfChangeType(g.r.Intn(4)), NodeID: g.id(), Context: g.bytes()}
	case "ConfChangeSingle":
		c := g.single()
		return &c
	case "ConfChangeV2":
		cc := raftpb.ConfChangeV2{Transition: raftpb.ConfChangeTransition(g.r.Intn(3)), Context: g.bytes()}
		for i := g.r.Intn(4); i > 0; i-- {
			cc.Changes = append(cc.Changes, g.single())
		}
		return &cc
	}
	panic("unknown type " + typ)
}

var order = []string{"Message", "Entry", "HardState", "ConfState", "SnapshotMetadata", "Snapshot", "ConfChange",
	"ConfChangeSingle", "ConfChangeV2"}

func main() {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	enc := json.NewEncoder(out)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: raftpb-diff gen <seed> <count> | check")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "gen":
		seed, _ := strconv.ParseInt(os.Args[2], 10, 64)
		count, _ := strconv.Atoi(os.Args[3])
		g := gen{rand.New(rand.NewSource(seed))}
		for i := 0; i < count; i++ {
			typ := order[i%len(order)]
			v := g.value(typ)
			data, err := v.Marshal()
			if err != nil {
				panic(err)
			}
			// Round-trip through Unmarshal so the JSON shows what Go itself decodes.
			c := codecs[typ]
			back := c.fresh()
			if err := back.Unmarshal(data); err != nil {
				panic(err)
			}
			enc.Encode(obj{"type": typ, "hex": hex.EncodeToString(data), "fields": c.toJSON(back)})
		}
	case "check":
		in := bufio.NewScanner(os.Stdin)
		in.Buffer(make([]byte, 1<<20), 64<<20)
		for in.Scan() {
			var req struct{ ID int; Type, Hex string }
			if err := json.Unmarshal(in.Bytes(), &req); err != nil {
				panic(err)
			}
			c, ok := codecs[req.Type]
			if !ok {
				panic("unknown type " + req.Type)
			}
			data, err := hex.DecodeString(req.Hex)
			if err != nil {
				panic(err)
			}
			v := c.fresh()
			if err := v.Unmarshal(data); err != nil {
				enc.Encode(obj{"id": req.ID, "ok": false, "error": err.Error()})
				continue
			}
			again, err := v.Marshal()
			if err != nil {
				enc.Encode(obj{"id": req.ID, "ok": false, "error": "marshal: " + err.Error()})
				continue
			}
			enc.Encode(obj{"id": req.ID, "ok": true, "hex": hex.EncodeToString(again), "fields": c.toJSON(v)})
		}
		if err := in.Err(); err != nil {
			panic(err)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

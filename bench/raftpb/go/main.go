// The Go twin of bench/raftpb: etcd 3.4.23's raftpb Marshal/Unmarshal on the same messages as the
// TypeScript side. Prints one JSON line per case: {"case","op","opsPerSec"}.
//
//	bench-raftpb <case> <seconds>
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.etcd.io/etcd/raft/raftpb"
)

// message builds the benchmark's MsgApp: etcd-style 64-bit member IDs, n entries of size bytes.
func message(n, size int) raftpb.Message {
	m := raftpb.Message{Type: raftpb.MsgApp, To: 0xd622127685879b3c, From: 0x8e9e05c52164694d, Term: 5,
		LogTerm: 5, Index: 1000, Commit: 999}
	for i := 0; i < n; i++ {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(i*31 + j)
		}
		m.Entries = append(m.Entries, raftpb.Entry{Term: 5, Index: uint64(1001 + i), Type: raftpb.EntryNormal, Data: data})
	}
	return m
}

var sink int

func measure(seconds float64, op func()) float64 {
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	start := time.Now()
	ops := 0
	for time.Now().Before(deadline) {
		for i := 0; i < 256; i++ {
			op()
		}
		ops += 256
	}
	return float64(ops) / time.Since(start).Seconds()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bench-raftpb <msgapp-1x64|msgapp-64x128> <seconds>")
		os.Exit(2)
	}
	seconds, _ := strconv.ParseFloat(os.Args[2], 64)
	var m raftpb.Message
	switch os.Args[1] {
	case "msgapp-1x64":
		m = message(1, 64)
	case "msgapp-64x128":
		m = message(64, 128)
	default:
		fmt.Fprintln(os.Stderr, "unknown case", os.Args[1])
		os.Exit(2)
	}
	bytes, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(os.Stdout)
	report := func(op string, rate float64) {
		enc.Encode(map[string]interface{}{"case": os.Args[1], "op": op, "opsPerSec": rate, "bytes": len(bytes)})
	}
	report("encode", measure(seconds, func() {
		b, _ := m.Marshal()
		sink += len(b)
	}))
	report("decode", measure(seconds, func() {
		var out raftpb.Message
		if err := out.Unmarshal(bytes); err != nil {
			panic(err)
		}
		sink += len(out.Entries)
	}))
	report("encode+decode", measure(seconds, func() {
		b, _ := m.Marshal()
		var out raftpb.Message
		if err := out.Unmarshal(b); err != nil {
			panic(err)
		}
		sink += len(out.Entries)
	}))
}

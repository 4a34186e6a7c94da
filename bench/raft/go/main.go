// Command bench-raft is the Go twin of bench/raft/main.ts: proposals committed per second through
// three in-process etcd 3.4 RawNodes with messages delivered in memory (no I/O), classic
// Ready/Advance mode only (etcd 3.4's raft has no asynchronous storage writes).
//
// Usage: bench-raft -batch 64 -seconds 5 -size 64
// Prints one JSON line: {"proposals":N,"seconds":S,"cpuSeconds":C}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"syscall"
	"time"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

const (
	numNodes = 3
	// Compact a node's storage when it applied this many entries past its first index, keeping
	// compactSlack entries so lagging followers never need a snapshot.
	compactEvery = 20000
	compactSlack = 10000
)

type member struct {
	rn      *raft.RawNode
	st      *raft.MemoryStorage
	applied uint64
	first   uint64
}

type cluster struct {
	nodes     []*member
	queue     []pb.Message
	committed int // proposals applied at node 1
}

func newCluster() *cluster {
	c := &cluster{}
	logger := &raft.DefaultLogger{Logger: log.New(ioutil.Discard, "", 0)}
	for i := 0; i < numNodes; i++ {
		st := raft.NewMemoryStorage()
		snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}
		if err := st.ApplySnapshot(snap); err != nil {
			panic(err)
		}
		rn, err := raft.NewRawNode(&raft.Config{
			ID: uint64(i + 1), ElectionTick: 10, HeartbeatTick: 1, Storage: st, Applied: 1,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, Logger: logger,
		})
		if err != nil {
			panic(err)
		}
		c.nodes = append(c.nodes, &member{rn: rn, st: st, applied: 1, first: 2})
	}
	return c
}

// process handles every node's Ready once and delivers the queued messages; reports whether
// there was any work.
func (c *cluster) process() bool {
	worked := false
	for i, n := range c.nodes {
		if !n.rn.HasReady() {
			continue
		}
		worked = true
		rd := n.rn.Ready()
		if !raft.IsEmptyHardState(rd.HardState) {
			n.st.SetHardState(rd.HardState)
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			n.st.ApplySnapshot(rd.Snapshot)
		}
		n.st.Append(rd.Entries)
		c.queue = append(c.queue, rd.Messages...)
		for _, e := range rd.CommittedEntries {
			if i == 0 && e.Type == pb.EntryNormal && len(e.Data) > 0 {
				c.committed++
			}
			n.applied = e.Index
		}
		n.rn.Advance(rd)
		if n.applied > n.first+compactEvery {
			n.first = n.applied - compactSlack
			n.st.Compact(n.first)
		}
	}
	msgs := c.queue
	c.queue = nil
	for _, m := range msgs {
		worked = true
		c.nodes[m.To-1].rn.Step(m)
	}
	return worked
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	batch := flag.Int("batch", 1, "proposals per round")
	seconds := flag.Float64("seconds", 3, "measured duration")
	size := flag.Int("size", 64, "bytes per proposal")
	flag.Parse()

	c := newCluster()
	c.nodes[0].rn.Campaign()
	for c.process() {
	}
	if c.nodes[0].rn.Status().RaftState != raft.StateLeader {
		fmt.Fprintln(os.Stderr, "node 1 did not become leader")
		os.Exit(1)
	}
	payload := make([]byte, *size)
	run := func(d time.Duration) (int, float64, float64) {
		start := time.Now()
		cpu0 := cpuSeconds()
		proposed := 0
		c.committed = 0
		for time.Since(start) < d {
			for j := 0; j < *batch; j++ {
				if err := c.nodes[0].rn.Propose(payload); err != nil {
					panic(err)
				}
			}
			proposed += *batch
			for c.committed < proposed {
				if !c.process() {
					panic("stalled")
				}
			}
			for c.process() {
			}
		}
		return proposed, time.Since(start).Seconds(), cpuSeconds() - cpu0
	}
	run(time.Duration(*seconds * 0.2 * float64(time.Second))) // warm-up
	n, s, cpu := run(time.Duration(*seconds * float64(time.Second)))
	out, _ := json.Marshal(map[string]interface{}{"proposals": n, "seconds": s, "cpuSeconds": cpu})
	fmt.Println(string(out))
}

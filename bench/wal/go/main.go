// bench-wal: the Go twin of bench/wal/main.ts. It measures etcd 3.4.23's own wal.Save on a fresh
// WAL: fsynced Save calls per second and entries per second, for one writer saving batches of N
// entries, or W goroutines each saving one entry per call (wal.Save takes a mutex and fsyncs once
// per call: etcd's WAL itself has no group commit; etcd batches at the raft Ready level).
//
// Usage: bench-wal -dir D -entries N -writers W -size B -duration 2s -warmup 300ms
// Prints one JSON line: {"saves":..,"entries":..,"seconds":..,"cpuSeconds":..}
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/wal"
	"go.uber.org/zap"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	dir := flag.String("dir", "", "empty or absent directory for the WAL")
	perBatch := flag.Int("entries", 1, "entries per Save call")
	writers := flag.Int("writers", 1, "goroutines calling Save concurrently")
	size := flag.Int("size", 100, "entry data bytes")
	duration := flag.Duration("duration", 2*time.Second, "measured time")
	warmup := flag.Duration("warmup", 300*time.Millisecond, "unmeasured time before")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "bench-wal: -dir is required")
		os.Exit(2)
	}

	w, err := wal.Create(zap.NewNop(), *dir, []byte("bench"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "wal.Create:", err)
		os.Exit(1)
	}
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = byte(i)
	}

	var nextIndex uint64
	var saves, entries int64
	var measuring int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failed atomic.Value

	for g := 0; g < *writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ents := make([]raftpb.Entry, *perBatch)
			for {
				select {
				case <-stop:
					return
				default:
				}
				last := atomic.AddUint64(&nextIndex, uint64(*perBatch))
				first := last - uint64(*perBatch) + 1
				for i := range ents {
					ents[i] = raftpb.Entry{Term: 1, Index: first + uint64(i), Type: raftpb.EntryNormal, Data: payload}
				}
				hs := raftpb.HardState{Term: 1, Vote: 1, Commit: first - 1}
				if err := w.Save(hs, ents); err != nil {
					failed.Store(err)
					return
				}
				if atomic.LoadInt32(&measuring) == 1 {
					atomic.AddInt64(&saves, 1)
					atomic.AddInt64(&entries, int64(*perBatch))
				}
			}
		}()
	}

	time.Sleep(*warmup)
	cpu0 := cpuSeconds()
	t0 := time.Now()
	atomic.StoreInt32(&measuring, 1)
	time.Sleep(*duration)
	atomic.StoreInt32(&measuring, 0)
	elapsed := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	s, e := atomic.LoadInt64(&saves), atomic.LoadInt64(&entries)
	close(stop)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fmt.Fprintln(os.Stderr, "wal.Save:", err)
		os.Exit(1)
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "wal.Close:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]interface{}{"saves": s, "entries": e, "seconds": elapsed, "cpuSeconds": cpu})
	fmt.Println(string(out))
}

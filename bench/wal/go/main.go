// bench-wal: the Go twin of bench/wal/main.ts. It measures etcd 3.4.23's own wal.Save on a fresh
// WAL: fsynced Save calls per second and entries per second, for one writer saving batches of N
// entries, or W goroutines each saving one entry per call (wal.Save takes a mutex and fsyncs once
// per call: etcd's WAL itself has no group commit; etcd batches at the raft Ready level).
//
// With -raw it measures the floor instead: no WAL, one writer doing WriteAt of -size bytes at the
// next offset of a zero-filled 64 MB file, then fdatasync (what any WAL must pay per save).
//
// Usage: bench-wal -dir D [-raw] -entries N -writers W -size B -duration 2s -warmup 300ms
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

	"go.etcd.io/etcd/pkg/fileutil"
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

// rawFloor: WriteAt + fdatasync in a loop on a zero-filled file.
func rawFloor(dir string, size int, duration, warmup time.Duration) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "mkdir:", err)
		os.Exit(1)
	}
	f, err := os.OpenFile(dir+"/raw", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	defer f.Close()
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		if _, err := f.Write(zeros); err != nil {
			fmt.Fprintln(os.Stderr, "zero-fill:", err)
			os.Exit(1)
		}
	}
	if err := fileutil.Fsync(f); err != nil {
		fmt.Fprintln(os.Stderr, "fsync:", err)
		os.Exit(1)
	}
	buf := make([]byte, size)
	var off int64
	var saves int64
	var cpu0 float64
	var t0 time.Time
	start := time.Now()
	measuring := false
	for {
		now := time.Now()
		if !measuring && now.Sub(start) >= warmup {
			measuring, saves, cpu0, t0 = true, 0, cpuSeconds(), now
		}
		if measuring && now.Sub(t0) >= duration {
			break
		}
		if _, err := f.WriteAt(buf, off); err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			os.Exit(1)
		}
		if err := fileutil.Fdatasync(f); err != nil {
			fmt.Fprintln(os.Stderr, "fdatasync:", err)
			os.Exit(1)
		}
		off = (off + int64(size)) % (64 << 20)
		saves++
	}
	elapsed := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]interface{}{"saves": saves, "entries": saves, "seconds": elapsed, "cpuSeconds": cpuSeconds() - cpu0})
	fmt.Println(string(out))
}

func main() {
	dir := flag.String("dir", "", "empty or absent directory for the WAL")
	perBatch := flag.Int("entries", 1, "entries per Save call")
	writers := flag.Int("writers", 1, "goroutines calling Save concurrently")
	size := flag.Int("size", 100, "entry data bytes")
	duration := flag.Duration("duration", 2*time.Second, "measured time")
	warmup := flag.Duration("warmup", 300*time.Millisecond, "unmeasured time before")
	raw := flag.Bool("raw", false, "measure WriteAt+fdatasync on a zero-filled file instead of the WAL")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "bench-wal: -dir is required")
		os.Exit(2)
	}
	if *raw {
		rawFloor(*dir, *size, *duration, *warmup)
		return
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

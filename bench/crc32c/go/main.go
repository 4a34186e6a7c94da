// The Go twin of bench/crc32c: etcd's pkg/crc digest (hash/crc32 with the Castagnoli table, which
// uses the CPU's CRC32 instruction) over the same buffers as the TypeScript side, continuing the
// checksum from the previous one as the WAL does. Prints one JSON line: {"size","opsPerSec"}.
//
//	bench-crc32c <bytes> <seconds>
package main

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bench-crc32c <bytes> <seconds>")
		os.Exit(2)
	}
	size, _ := strconv.Atoi(os.Args[1])
	seconds, _ := strconv.ParseFloat(os.Args[2], 64)
	table := crc32.MakeTable(crc32.Castagnoli)
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i*31 + 7)
	}
	var crc uint32
	batch := 1
	if size < 4096 {
		batch = 256
	}
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	start := time.Now()
	ops := 0
	for time.Now().Before(deadline) {
		for i := 0; i < batch; i++ {
			crc = crc32.Update(crc, table, buf)
		}
		ops += batch
	}
	rate := float64(ops) / time.Since(start).Seconds()
	out, _ := json.Marshal(map[string]interface{}{"size": size, "opsPerSec": rate, "crc": crc})
	fmt.Println(string(out))
}

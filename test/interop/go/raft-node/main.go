// Command raft-node runs one etcd 3.4 raft node for the mixed-cluster tests: raft.Node with
// raft.MemoryStorage, rafthttp.Transport, and etcd's wal + snap for durability, driven in
// contrib/raftexample's loop (save to WAL and storage, send, apply, snapshot, advance).
//
// The process binds its peer listener at once and announces it ({"ev":"listening"}); the test
// then sends {"cmd":"start", ...} with the member list. Every stdin line is a JSON command with a
// "seq"; each gets exactly one {"ev":"reply","seq":n} (with "error" when it failed). Unsolicited
// events: listening, ready, leaderChanged, applied, readState, snapshotApplied, removed, fatal.
//
// Entries are opaque bytes. The state machine is a SHA-256 chain over every applied entry
// (term, index, type, data); a snapshot's data is that 32-byte hash, so a node that installs a
// snapshot continues the chain, and equal hashes at equal applied indexes mean equal histories.
// IDs are hex strings (etcd's types.ID form), entry data and read contexts are hex.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
)

func main() {
	dir := flag.String("dir", "", "data directory (wal/ and snap/ live here; reused on restart)")
	listen := flag.String("listen", "127.0.0.1:0", "peer listen address (pass the old one to restart)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "raft-node: -dir is required")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "raft-node: listen:", err)
		os.Exit(2)
	}
	ev := newEventWriter()
	ev.emit("listening", map[string]interface{}{"addr": ln.Addr().String(), "url": "http://" + ln.Addr().String()})

	var n *raftNode
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			ev.emit("reply", map[string]interface{}{"seq": -1, "error": "bad command: " + err.Error()})
			continue
		}
		if c.Cmd == "start" {
			if n != nil {
				ev.reply(c, nil, fmt.Errorf("already started"))
				continue
			}
			n, err = startNode(c, *dir, ln, ev)
			ev.reply(c, nil, err)
			continue
		}
		if c.Cmd == "stop" {
			if n != nil {
				n.stop()
			} else {
				ln.Close()
			}
			ev.reply(c, nil, nil)
			os.Exit(0)
		}
		if n == nil {
			ev.reply(c, nil, fmt.Errorf("not started"))
			continue
		}
		// Commands that may block (proposals wait for a leader) run on their own goroutine so
		// status and log queries stay answerable.
		go func(c command) {
			reply, err := n.run(c)
			ev.reply(c, reply, err)
		}(c)
	}
	// stdin closed: the test process went away.
	if n != nil {
		n.stop()
	}
}

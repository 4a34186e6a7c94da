package main

import (
	"encoding/json"
	"os"
	"sync"
)

// command is one stdin line.
type command struct {
	Cmd string `json:"cmd"`
	Seq int64  `json:"seq"`
	// start
	ID           string       `json:"id"`
	Peers        []peerConfig `json:"peers"`
	Join         bool         `json:"join"`
	TickMs       int          `json:"tickMs"`
	ElectionTick int          `json:"electionTick"`
	SnapCount    uint64       `json:"snapCount"`
	CatchUp      uint64       `json:"catchUp"`
	PreVote      bool         `json:"preVote"`
	LeaseReads   bool         `json:"leaseReads"`
	// propose: several payloads proposed in order
	Data []string `json:"data"`
	// proposeConfChange
	Type    string `json:"type"`
	NodeID  string `json:"nodeId"`
	Context string `json:"context"`
	// proposeConfChangeV2: the changes (each with type, nodeId and, for adds, the URL as context)
	// and the transition ("auto", "implicit", "explicit"); no changes leaves a joint config.
	Changes    []command `json:"changes"`
	Transition string    `json:"transition"`
	// transferLeader
	Transferee string `json:"transferee"`
	// readIndex
	Rctx string `json:"rctx"`
	// log: entries from this index on (0 = all kept)
	From uint64 `json:"from"`
}

type peerConfig struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// eventWriter writes one JSON object per line on stdout, from any goroutine.
type eventWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newEventWriter() *eventWriter {
	return &eventWriter{enc: json.NewEncoder(os.Stdout)}
}

func (w *eventWriter) emit(ev string, fields map[string]interface{}) {
	if fields == nil {
		fields = map[string]interface{}{}
	}
	fields["ev"] = ev
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(fields)
}

func (w *eventWriter) reply(c command, fields map[string]interface{}, err error) {
	if fields == nil {
		fields = map[string]interface{}{}
	}
	fields["seq"] = c.Seq
	fields["cmd"] = c.Cmd
	if err != nil {
		fields["error"] = err.Error()
	}
	w.emit("reply", fields)
}

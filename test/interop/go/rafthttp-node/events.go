package main

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
)

// eventWriter serialises JSON-line events on stdout; every event is flushed at once so the
// controlling test sees it without delay.
type eventWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newEventWriter() *eventWriter {
	return &eventWriter{w: bufio.NewWriterSize(os.Stdout, 1<<16)}
}

// emit writes one event: ev names it, fields are merged into the JSON object.
func (e *eventWriter) emit(ev string, fields map[string]interface{}) {
	if fields == nil {
		fields = map[string]interface{}{}
	}
	fields["ev"] = ev
	b, err := json.Marshal(fields)
	if err != nil {
		b, _ = json.Marshal(map[string]interface{}{"ev": "harnessError", "error": err.Error()})
	}
	e.mu.Lock()
	e.w.Write(b)
	e.w.WriteByte('\n')
	e.w.Flush()
	e.mu.Unlock()
}

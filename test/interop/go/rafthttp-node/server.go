package main

import (
	"net/http"
	"strings"
	"sync/atomic"
)

// counters record what the harness's HTTP server served, so tests can tell which path
// (pipeline, snapshot, msgappv2 stream, message stream) carried traffic.
type counters struct {
	posts         int64 // POST /raft served
	snapshotPosts int64 // POST /raft/snapshot served
	msgappGets    int64 // GET /raft/stream/msgapp/<id>
	messageGets   int64 // GET /raft/stream/message/<id>
	refusedGets   int64 // stream GETs answered 404 because streams are refused
	msgappBytes   int64 // body bytes written on msgappv2 stream responses (this node -> peer)
	messageBytes  int64 // body bytes written on message stream responses
}

func (c *counters) snapshot() map[string]interface{} {
	return map[string]interface{}{
		"posts":         atomic.LoadInt64(&c.posts),
		"snapshotPosts": atomic.LoadInt64(&c.snapshotPosts),
		"msgappGets":    atomic.LoadInt64(&c.msgappGets),
		"messageGets":   atomic.LoadInt64(&c.messageGets),
		"refusedGets":   atomic.LoadInt64(&c.refusedGets),
		"msgappBytes":   atomic.LoadInt64(&c.msgappBytes),
		"messageBytes":  atomic.LoadInt64(&c.messageBytes),
	}
}

// countingWriter counts the body bytes of a stream response; it keeps http.Flusher, which the
// rafthttp stream handler requires.
type countingWriter struct {
	http.ResponseWriter
	n *int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	atomic.AddInt64(w.n, int64(n))
	return n, err
}

func (w countingWriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

// wrapHandler counts requests and, when refuseStreams is set, answers every stream GET with a
// plain 404 (no X-Server-Version), so peers never get a stream writer here and fall back to
// the pipeline for everything they send to this node.
func wrapHandler(h http.Handler, c *counters, refuseStreams *int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/raft/stream/"):
			if atomic.LoadInt32(refuseStreams) != 0 {
				atomic.AddInt64(&c.refusedGets, 1)
				http.NotFound(w, r)
				return
			}
			if strings.HasPrefix(p, "/raft/stream/msgapp/") {
				atomic.AddInt64(&c.msgappGets, 1)
				w = countingWriter{ResponseWriter: w, n: &c.msgappBytes}
			} else if strings.HasPrefix(p, "/raft/stream/message/") {
				atomic.AddInt64(&c.messageGets, 1)
				w = countingWriter{ResponseWriter: w, n: &c.messageBytes}
			}
		case p == "/raft/snapshot":
			atomic.AddInt64(&c.snapshotPosts, 1)
		case p == "/raft" && r.Method == http.MethodPost:
			atomic.AddInt64(&c.posts, 1)
		}
		h.ServeHTTP(w, r)
	})
}

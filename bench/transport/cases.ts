/**
 * The benchmark cases of ../shared/reference/go-anchor-bench.md, shared by the coordinator and the
 * TS peer (the Go peer, go/main.go, implements the same table).
 */

/** One throughput case. */
export interface BenchCase {
  /** a…g as in the Go anchor. */
  readonly id: string;
  readonly label: string;
  /** 'pipeline' runs on the pair whose sender refuses streams, so everything is a POST. */
  readonly pair: 'stream' | 'pipeline';
  /** Most messages in flight (sent, not yet delivered to the receiver's process). */
  readonly window: number;
  /** Entries per MsgApp (0 for heartbeats). */
  readonly entries: number;
  readonly entryBytes: number;
}

/** Most messages in flight on the streams (the stream buffer is 4096; etcd's own bench overruns it). */
export const STREAM_WINDOW = 1000;
/** Most messages in flight on the pipeline (its buffer is 64). */
export const PIPELINE_WINDOW = 64;
/** Messages per Transport.send call. */
export const SEND_BATCH = 64;

export const CASES: readonly BenchCase[] = [
  { id: 'a', label: 'MsgApp 1×64 B', pair: 'stream', window: STREAM_WINDOW, entries: 1, entryBytes: 64 },
  { id: 'b', label: 'MsgApp 1×1 KiB', pair: 'stream', window: STREAM_WINDOW, entries: 1, entryBytes: 1024 },
  { id: 'c', label: 'MsgApp 1×16 KiB', pair: 'stream', window: STREAM_WINDOW, entries: 1, entryBytes: 16384 },
  { id: 'd', label: 'MsgApp 64×128 B', pair: 'stream', window: STREAM_WINDOW, entries: 64, entryBytes: 128 },
  { id: 'e', label: 'MsgHeartbeat', pair: 'stream', window: STREAM_WINDOW, entries: 0, entryBytes: 0 },
  {
    id: 'f',
    label: 'pipeline MsgApp 1×64 B',
    pair: 'pipeline',
    window: PIPELINE_WINDOW,
    entries: 1,
    entryBytes: 64,
  },
  {
    id: 'g',
    label: 'MsgApp 1×64 B non-consec.',
    pair: 'stream',
    window: STREAM_WINDOW,
    entries: 1,
    entryBytes: 64,
  },
];

/**
 * Idle latency runs, one message outstanding: one-way = send → the receiver's process; RTT = a
 * MsgApp to the receiver, whose process answers with a MsgAppResp, back to the sender's process.
 */
export interface LatencyCase {
  readonly id: string;
  readonly label: string;
  readonly pair: 'stream' | 'pipeline';
}

export const LATENCY_CASES: readonly LatencyCase[] = [
  { id: 'lat-app', label: 'one-way MsgApp 1×64 B (msgappv2)', pair: 'stream' },
  { id: 'lat-hb', label: 'one-way MsgHeartbeat (message stream)', pair: 'stream' },
  { id: 'lat-rtt', label: 'RTT MsgApp → MsgAppResp (both streams)', pair: 'stream' },
  { id: 'lat-pipe', label: 'one-way pipeline POST', pair: 'pipeline' },
];

/** The message shape a case id sends: kind and entry size (mirrors caseKind in go/main.go). */
export function caseShape(id: string): { kind: 'app' | 'app-d' | 'app-g' | 'hb'; entryBytes: number } {
  switch (id) {
    case 'b':
      return { kind: 'app', entryBytes: 1024 };
    case 'c':
      return { kind: 'app', entryBytes: 16384 };
    case 'd':
      return { kind: 'app-d', entryBytes: 128 };
    case 'e':
    case 'lat-hb':
      return { kind: 'hb', entryBytes: 0 };
    case 'g':
      return { kind: 'app-g', entryBytes: 64 };
    default:
      return { kind: 'app', entryBytes: 64 }; // a, f, lat-app, lat-pipe, lat-rtt
  }
}

/**
 * Messages for interop tests: realistic raft traffic with every field exercised, and the
 * byte-level comparison used to check "delivered exactly as sent".
 */
import {
  type Entry,
  EntryType,
  encodeMessage,
  type Message,
  MessageType,
  newConfState,
  newEntry,
  newMessage,
  newSnapshot,
} from '../../../src/raftpb/index.js';
import { toHex } from '../../support/hex.js';

/** A Go-side member ID with all 64 bits in use. */
export const GO_ID = 0xd622127685879b3cn;
/** A TS-side member ID with the top bit set. */
export const TS_ID = 0x8e9e05c52164694dn;
/** A second Go-side member ID. */
export const GO_ID_2 = 0xfd422379fda50e48n;

/** `n` deterministic pseudo-random bytes (xorshift32 from `seed`). */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Hex of the raftpb encoding: equal hex ⇔ every field equal (the encoding is canonical). */
export const messageHex = (m: Message): string => toHex(encodeMessage(m));

/** Options of `msgApp`. */
export interface MsgAppOptions {
  readonly from: bigint;
  readonly to: bigint;
  readonly term?: number;
  /** Term of the entry before the first one; defaults to `term` (steady-state replication). */
  readonly logTerm?: number;
  /** Index of the entry before the first one. */
  readonly index: number;
  readonly commit?: number;
  readonly entries?: number;
  readonly entryBytes?: number;
  readonly seed?: number;
}

/** A MsgApp carrying `entries` entries of `entryBytes` bytes after `index`. */
export function msgApp(o: MsgAppOptions): Message {
  const term = o.term ?? 1;
  const entries: Entry[] = [];
  for (let i = 0; i < (o.entries ?? 1); i++) {
    entries.push(
      newEntry({
        term,
        index: o.index + 1 + i,
        data: pseudoRandomBytes(o.entryBytes ?? 64, (o.seed ?? 7) + o.index + i),
      }),
    );
  }
  return newMessage({
    type: MessageType.MsgApp,
    from: o.from,
    to: o.to,
    term,
    logTerm: o.logTerm ?? term,
    index: o.index,
    commit: o.commit ?? o.index,
    entries,
  });
}

/**
 * A steady-state replication run: `count` consecutive MsgApps (each Index is the previous one's
 * last entry), the shape msgappv2 encodes with its compact frame.
 */
export function msgAppRun(from: bigint, to: bigint, count: number, firstIndex = 0, term = 1): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      msgApp({ from, to, term, index: firstIndex + i, commit: firstIndex + i, entryBytes: 16 + (i % 50) }),
    );
  }
  return out;
}

/** A MsgHeartbeat numbered by `commit` (the field a heartbeat carries). */
export function heartbeat(from: bigint, to: bigint, commit: number, term = 3): Message {
  return newMessage({ type: MessageType.MsgHeartbeat, from, to, term, commit });
}

/**
 * One message of every kind raft sends between peers (except MsgSnap, which needs a snapshot
 * body), with large terms and indexes, 64-bit IDs in payloads, contexts and rejections: the
 * field-for-field check of the wire.
 */
export function messageMix(from: bigint, to: bigint): Message[] {
  const term = 2 ** 40 + 3;
  const big = 2 ** 53 - 1;
  const ctx = new TextEncoder().encode('read-index-ctx\u0000\u00ff');
  const confChange = newEntry({
    term,
    index: 901,
    type: EntryType.EntryConfChange,
    data: pseudoRandomBytes(40, 3),
  });
  return [
    newMessage({
      type: MessageType.MsgProp,
      from,
      to,
      entries: [newEntry({ data: pseudoRandomBytes(100, 1) }), newEntry({})],
    }),
    msgApp({ from, to, term, logTerm: term - 1, index: 900, commit: 899, entries: 3, entryBytes: 300 }),
    newMessage({
      type: MessageType.MsgApp,
      from,
      to,
      term,
      logTerm: term,
      index: 900,
      commit: 900,
      entries: [confChange],
    }),
    newMessage({ type: MessageType.MsgApp, from, to, term, logTerm: term, index: 901, commit: 901 }),
    newMessage({
      type: MessageType.MsgAppResp,
      from,
      to,
      term,
      index: big,
      reject: true,
      rejectHint: big - 1,
    }),
    newMessage({ type: MessageType.MsgAppResp, from, to, term, index: 901 }),
    newMessage({ type: MessageType.MsgVote, from, to, term: term + 1, logTerm: term, index: 901 }),
    newMessage({ type: MessageType.MsgVoteResp, from, to, term: term + 1, reject: true }),
    newMessage({ type: MessageType.MsgPreVote, from, to, term: term + 2, logTerm: term, index: 901 }),
    newMessage({ type: MessageType.MsgPreVoteResp, from, to, term: term + 2 }),
    newMessage({ type: MessageType.MsgHeartbeat, from, to, term, commit: 901, context: ctx }),
    newMessage({ type: MessageType.MsgHeartbeatResp, from, to, term, context: ctx }),
    newMessage({ type: MessageType.MsgReadIndex, from, to, term, entries: [newEntry({ data: ctx })] }),
    newMessage({
      type: MessageType.MsgReadIndexResp,
      from,
      to,
      term,
      index: 901,
      entries: [newEntry({ data: ctx })],
    }),
    newMessage({ type: MessageType.MsgTimeoutNow, from, to, term }),
    newMessage({ type: MessageType.MsgTransferLeader, from, to, term }),
  ];
}

/** A MsgSnap for a snapshot at `index` whose ConfState holds 64-bit member IDs. */
export function msgSnap(from: bigint, to: bigint, index: number, data?: Uint8Array): Message {
  const snapshot = newSnapshot({
    index,
    term: 7,
    confState: newConfState({ voters: [from, to, GO_ID_2], learners: [0xffffffffffffffffn] }),
    ...(data === undefined ? {} : { data }),
  });
  return newMessage({ type: MessageType.MsgSnap, from, to, term: 7, snapshot });
}

/** True for the probe heartbeats `waitStreams` sends (term 1, commit 0); test traffic never is. */
export function isProbe(m: Message): boolean {
  return m.type === MessageType.MsgHeartbeat && m.term === 1 && m.commit === 0;
}

/** Each item's hex, sorted: streams and the pipeline keep order only within themselves. */
export function sortedHex(items: readonly ({ readonly hex: string } | Message)[]): string[] {
  return items.map((m) => ('hex' in m ? m.hex : messageHex(m))).sort();
}

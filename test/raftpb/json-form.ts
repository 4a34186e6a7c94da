/**
 * The JSON form the shared vectors (and the Go differential harness) use for raftpb values:
 * uint64 as decimal strings, bytes as lowercase hex or null when absent, enums as numbers.
 * Converting both ways lets the tests compare field for field.
 */
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeV2,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
  SnapshotMetadata,
} from '../../src/raftpb/index.js';
import { fromHex, toHex } from '../support/hex.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are untyped by nature.
export type Json = any;

const b2j = (b: Uint8Array | undefined): string | null => (b === undefined ? null : toHex(b));
const j2b = (s: string | null | undefined): Uint8Array | undefined => (s == null ? undefined : fromHex(s));
const num = (s: string): number => {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`vector value ${s} is not a safe integer`);
  return n;
};
const ids = (v: bigint[]) => v.map(String);

export const entryToJson = (e: Entry): Json => ({
  term: String(e.term),
  index: String(e.index),
  type: e.type,
  data: b2j(e.data),
});
export const entryFromJson = (j: Json): Entry => {
  const e: Entry = { term: num(j.term), index: num(j.index), type: j.type };
  if (j.data != null) e.data = j2b(j.data);
  return e;
};

export const confStateToJson = (cs: ConfState): Json => ({
  voters: ids(cs.voters),
  learners: ids(cs.learners),
  votersOutgoing: ids(cs.votersOutgoing),
  learnersNext: ids(cs.learnersNext),
  autoLeave: cs.autoLeave,
});
export const confStateFromJson = (j: Json): ConfState => ({
  voters: j.voters.map(BigInt),
  learners: j.learners.map(BigInt),
  votersOutgoing: j.votersOutgoing.map(BigInt),
  learnersNext: j.learnersNext.map(BigInt),
  autoLeave: j.autoLeave,
});

export const metadataToJson = (md: SnapshotMetadata): Json => ({
  confState: confStateToJson(md.confState),
  index: String(md.index),
  term: String(md.term),
});
export const metadataFromJson = (j: Json): SnapshotMetadata => ({
  confState: confStateFromJson(j.confState),
  index: num(j.index),
  term: num(j.term),
});

const ZERO_SNAPSHOT: Snapshot = {
  metadata: {
    confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    index: 0,
    term: 0,
  },
};
export const snapshotToJson = (s: Snapshot | undefined): Json => {
  const snap = s ?? ZERO_SNAPSHOT;
  return { data: b2j(snap.data), metadata: metadataToJson(snap.metadata) };
};
export const snapshotFromJson = (j: Json): Snapshot => {
  const s: Snapshot = { metadata: metadataFromJson(j.metadata) };
  if (j.data != null) s.data = j2b(j.data);
  return s;
};

export const messageToJson = (m: Message): Json => ({
  type: m.type,
  to: String(m.to),
  from: String(m.from),
  term: String(m.term),
  logTerm: String(m.logTerm),
  index: String(m.index),
  entries: m.entries.map(entryToJson),
  commit: String(m.commit),
  snapshot: snapshotToJson(m.snapshot),
  reject: m.reject,
  rejectHint: String(m.rejectHint),
  context: b2j(m.context),
});
export const messageFromJson = (j: Json): Message => {
  const m: Message = {
    type: j.type,
    to: BigInt(j.to),
    from: BigInt(j.from),
    term: num(j.term),
    logTerm: num(j.logTerm),
    index: num(j.index),
    entries: j.entries.map(entryFromJson),
    commit: num(j.commit),
    reject: j.reject,
    rejectHint: num(j.rejectHint),
  };
  const snap = snapshotFromJson(j.snapshot);
  if (snapshotIsNonZeroJson(j.snapshot)) m.snapshot = snap;
  if (j.context != null) m.context = j2b(j.context);
  return m;
};
function snapshotIsNonZeroJson(j: Json): boolean {
  return JSON.stringify(j) !== JSON.stringify(snapshotToJson(undefined));
}

export const hardStateToJson = (hs: HardState): Json => ({
  term: String(hs.term),
  vote: String(hs.vote),
  commit: String(hs.commit),
});
export const hardStateFromJson = (j: Json): HardState => ({
  term: num(j.term),
  vote: BigInt(j.vote),
  commit: num(j.commit),
});

export const confChangeToJson = (cc: ConfChange): Json => ({
  id: String(cc.id),
  type: cc.type,
  nodeId: String(cc.nodeId),
  context: b2j(cc.context),
});
export const confChangeFromJson = (j: Json): ConfChange => {
  const cc: ConfChange = { id: BigInt(j.id), type: j.type, nodeId: BigInt(j.nodeId) };
  if (j.context != null) cc.context = j2b(j.context);
  return cc;
};

export const confChangeSingleToJson = (c: ConfChangeSingle): Json => ({
  type: c.type,
  nodeId: String(c.nodeId),
});
export const confChangeSingleFromJson = (j: Json): ConfChangeSingle => ({
  type: j.type,
  nodeId: BigInt(j.nodeId),
});

export const confChangeV2ToJson = (cc: ConfChangeV2): Json => ({
  transition: cc.transition,
  changes: cc.changes.map(confChangeSingleToJson),
  context: b2j(cc.context),
});
export const confChangeV2FromJson = (j: Json): ConfChangeV2 => {
  const cc: ConfChangeV2 = { transition: j.transition, changes: j.changes.map(confChangeSingleFromJson) };
  if (j.context != null) cc.context = j2b(j.context);
  return cc;
};

/** Drops the `...Name` companions the vectors carry beside enum numbers. */
export function stripNames(j: Json): Json {
  if (Array.isArray(j)) return j.map(stripNames);
  if (j !== null && typeof j === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(j)) if (!k.endsWith('Name')) out[k] = stripNames(v);
    return out;
  }
  return j;
}

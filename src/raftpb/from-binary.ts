/**
 * Decoders that accept what a conforming proto2 decoder accepts from etcd 3.4 and 3.6 peers:
 * fields in any order, scalar repeats (last wins), sub-message repeats merged, repeated uint64
 * packed or unpacked, unknown fields kept (written back on re-encode), the snapshot field absent.
 * Every failure throws RaftpbDecodeError; nothing half-decoded is ever returned.
 */
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  ConfChangeV2,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  Snapshot,
  SnapshotMetadata,
} from './types.js';
import { plainView } from './wire/alloc.js';
import { appendUnknown, Reader } from './wire/reader.js';

/** Runs `read` on the delimited sub-message that starts at the reader's position. */
function nested<T>(r: Reader, read: (r: Reader, into: T | undefined) => T, into?: T): T {
  const stop = r.delimitedEnd();
  const outer = r.end;
  r.end = stop;
  const v = read(r, into);
  r.end = outer;
  return v;
}

/** A field this message does not know, or a known field with the wrong wire type. */
function other(
  r: Reader,
  start: number,
  tag: number,
  known: readonly string[],
  unknown: Uint8Array | undefined,
) {
  const field = Math.floor(tag / 8);
  const name = known[field];
  if (name !== undefined) r.wrongWireType(start, tag % 8, name);
  return appendUnknown(unknown, r.skip(start, tag));
}

const ENTRY_FIELDS = ['', 'Type', 'Term', 'Index', 'Data'];

function readEntry(r: Reader): Entry {
  const e: Entry = { term: 0, index: 0, type: 0, data: undefined };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('Entry');
    switch (tag) {
      case 0x08:
        e.type = r.enum() as EntryType;
        break;
      case 0x10:
        e.term = r.u53LastWins('Entry.term');
        break;
      case 0x18:
        e.index = r.u53LastWins('Entry.index');
        break;
      case 0x22:
        e.data = r.bytes();
        break;
      default:
        e.unknown = other(r, start, tag, ENTRY_FIELDS, e.unknown);
    }
  }
  return e;
}

const CONF_STATE_FIELDS = ['', 'Voters', 'Learners', 'VotersOutgoing', 'LearnersNext', 'AutoLeave'];

function readIds(r: Reader, wireType: number, into: bigint[]): void {
  if (wireType === 0) {
    into.push(r.u64());
    return;
  }
  // Packed (wire type 2): a run of varints. As gogo does, the last varint may run past the packed
  // length (bounded by the enclosing message), and decoding goes on from where it ended.
  const stop = r.delimitedEnd();
  while (r.pos < stop) into.push(r.u64());
}

function readConfState(r: Reader, into: ConfState | undefined): ConfState {
  const cs: ConfState = into ?? {
    voters: [],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('ConfState');
    const field = Math.floor(tag / 8);
    const wt = tag % 8;
    if (field >= 1 && field <= 4 && (wt === 0 || wt === 2)) {
      readIds(
        r,
        wt,
        field === 1
          ? cs.voters
          : field === 2
            ? cs.learners
            : field === 3
              ? cs.votersOutgoing
              : cs.learnersNext,
      );
    } else if (tag === 0x28) {
      cs.autoLeave = r.bool();
    } else {
      cs.unknown = other(r, start, tag, CONF_STATE_FIELDS, cs.unknown);
    }
  }
  return cs;
}

const METADATA_FIELDS = ['', 'ConfState', 'Index', 'Term'];

function readSnapshotMetadata(r: Reader, into: SnapshotMetadata | undefined): SnapshotMetadata {
  const md: SnapshotMetadata = into ?? {
    confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    index: 0,
    term: 0,
  };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('SnapshotMetadata');
    switch (tag) {
      case 0x0a:
        md.confState = nested(r, readConfState, md.confState);
        break;
      case 0x10:
        md.index = r.u53LastWins('SnapshotMetadata.index');
        break;
      case 0x18:
        md.term = r.u53LastWins('SnapshotMetadata.term');
        break;
      default:
        md.unknown = other(r, start, tag, METADATA_FIELDS, md.unknown);
    }
  }
  return md;
}

const SNAPSHOT_FIELDS = ['', 'Data', 'Metadata'];

function readSnapshot(r: Reader, into: Snapshot | undefined): Snapshot {
  const s: Snapshot = into ?? {
    data: undefined,
    metadata: {
      confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      index: 0,
      term: 0,
    },
  };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('Snapshot');
    switch (tag) {
      case 0x0a:
        s.data = r.bytes();
        break;
      case 0x12:
        s.metadata = nested(r, readSnapshotMetadata, s.metadata);
        break;
      default:
        s.unknown = other(r, start, tag, SNAPSHOT_FIELDS, s.unknown);
    }
  }
  return s;
}

/** True for the zero Snapshot (what 3.4 writes into every non-snapshot message). */
function isZeroSnapshot(s: Snapshot): boolean {
  const md = s.metadata;
  const cs = md.confState;
  return (
    s.data === undefined &&
    s.unknown === undefined &&
    md.index === 0 &&
    md.term === 0 &&
    md.unknown === undefined &&
    cs.voters.length === 0 &&
    cs.learners.length === 0 &&
    cs.votersOutgoing.length === 0 &&
    cs.learnersNext.length === 0 &&
    !cs.autoLeave &&
    cs.unknown === undefined
  );
}

/** Length prefix and body of the empty snapshot as gogo writes it. */
const EMPTY_SNAPSHOT_FIELD = Uint8Array.of(0x0a, 0x12, 0x08, 0x0a, 0x02, 0x28, 0x00, 0x10, 0x00, 0x18, 0x00);

function isEmptySnapshotAt(buf: Uint8Array, pos: number, end: number): boolean {
  const n = EMPTY_SNAPSHOT_FIELD.length;
  if (pos + n > end) return false;
  for (let i = 0; i < n; i++) if (buf[pos + i] !== EMPTY_SNAPSHOT_FIELD[i]) return false;
  return true;
}

const MESSAGE_FIELDS = [
  '',
  'Type',
  'To',
  'From',
  'Term',
  'LogTerm',
  'Index',
  'Entries',
  'Commit',
  'Snapshot',
  'Reject',
  'RejectHint',
  'Context',
];

function readMessage(r: Reader): Message {
  const m: Message = {
    type: 0,
    to: 0n,
    from: 0n,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: undefined,
    reject: false,
    rejectHint: 0,
    context: undefined,
  };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('Message');
    switch (tag) {
      case 0x08:
        m.type = r.enum() as MessageType;
        break;
      case 0x10:
        m.to = r.u64();
        break;
      case 0x18:
        m.from = r.u64();
        break;
      case 0x20:
        m.term = r.u53LastWins('Message.term');
        break;
      case 0x28:
        m.logTerm = r.u53LastWins('Message.logTerm');
        break;
      case 0x30:
        m.index = r.u53LastWins('Message.index');
        break;
      case 0x3a: {
        // nested() inlined: this is the hot path of every MsgApp.
        const stop = r.delimitedEnd();
        const outer = r.end;
        r.end = stop;
        m.entries.push(readEntry(r));
        r.end = outer;
        break;
      }
      case 0x40:
        m.commit = r.u53LastWins('Message.commit');
        break;
      case 0x4a: {
        // etcd 3.4 writes the empty snapshot into every message: recognise its exact bytes.
        if (m.snapshot === undefined && isEmptySnapshotAt(r.buf, r.pos, r.end)) {
          r.pos += EMPTY_SNAPSHOT_FIELD.length;
          break;
        }
        const s = nested(r, readSnapshot, m.snapshot);
        m.snapshot = isZeroSnapshot(s) ? undefined : s;
        break;
      }
      case 0x50:
        m.reject = r.bool();
        break;
      case 0x58:
        m.rejectHint = r.u53LastWins('Message.rejectHint');
        break;
      case 0x62:
        m.context = r.bytes();
        break;
      default:
        m.unknown = other(r, start, tag, MESSAGE_FIELDS, m.unknown);
    }
  }
  return m;
}

const HARD_STATE_FIELDS = ['', 'Term', 'Vote', 'Commit'];

function readHardState(r: Reader): HardState {
  const hs: HardState = { term: 0, vote: 0n, commit: 0 };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('HardState');
    switch (tag) {
      case 0x08:
        hs.term = r.u53LastWins('HardState.term');
        break;
      case 0x10:
        hs.vote = r.u64();
        break;
      case 0x18:
        hs.commit = r.u53LastWins('HardState.commit');
        break;
      default:
        hs.unknown = other(r, start, tag, HARD_STATE_FIELDS, hs.unknown);
    }
  }
  return hs;
}

const CONF_CHANGE_FIELDS = ['', 'ID', 'Type', 'NodeID', 'Context'];

function readConfChange(r: Reader): ConfChange {
  const cc: ConfChange = { id: 0n, type: 0, nodeId: 0n };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('ConfChange');
    switch (tag) {
      case 0x08:
        cc.id = r.u64();
        break;
      case 0x10:
        cc.type = r.enum() as ConfChangeType;
        break;
      case 0x18:
        cc.nodeId = r.u64();
        break;
      case 0x22:
        cc.context = r.bytes();
        break;
      default:
        cc.unknown = other(r, start, tag, CONF_CHANGE_FIELDS, cc.unknown);
    }
  }
  return cc;
}

const CONF_CHANGE_SINGLE_FIELDS = ['', 'Type', 'NodeID'];

function readConfChangeSingle(r: Reader): ConfChangeSingle {
  const c: ConfChangeSingle = { type: 0, nodeId: 0n };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('ConfChangeSingle');
    switch (tag) {
      case 0x08:
        c.type = r.enum() as ConfChangeType;
        break;
      case 0x10:
        c.nodeId = r.u64();
        break;
      default:
        c.unknown = other(r, start, tag, CONF_CHANGE_SINGLE_FIELDS, c.unknown);
    }
  }
  return c;
}

const CONF_CHANGE_V2_FIELDS = ['', 'Transition', 'Changes', 'Context'];

function readConfChangeV2(r: Reader): ConfChangeV2 {
  const cc: ConfChangeV2 = { transition: 0, changes: [] };
  while (r.pos < r.end) {
    const start = r.pos;
    const tag = r.tag('ConfChangeV2');
    switch (tag) {
      case 0x08:
        cc.transition = r.enum() as ConfChangeTransition;
        break;
      case 0x12:
        cc.changes.push(nested(r, readConfChangeSingle));
        break;
      case 0x1a:
        cc.context = r.bytes();
        break;
      default:
        cc.unknown = other(r, start, tag, CONF_CHANGE_V2_FIELDS, cc.unknown);
    }
  }
  return cc;
}

function decodeWith<T>(read: (r: Reader) => T) {
  return (bytes: Uint8Array): T => {
    const r = new Reader(plainView(bytes));
    return r.checkSafe(read(r));
  };
}

/** Decodes a Message. Entry data, context and snapshot data are views into `bytes` (no copy). */
export const decodeMessage: (bytes: Uint8Array) => Message = decodeWith(readMessage);
/** Decodes an Entry; its `data` is a view into `bytes` (no copy). */
export const decodeEntry: (bytes: Uint8Array) => Entry = decodeWith(readEntry);
export const decodeHardState: (bytes: Uint8Array) => HardState = decodeWith(readHardState);
export const decodeConfState: (bytes: Uint8Array) => ConfState = decodeWith((r) =>
  readConfState(r, undefined),
);
export const decodeSnapshotMetadata: (bytes: Uint8Array) => SnapshotMetadata = decodeWith((r) =>
  readSnapshotMetadata(r, undefined),
);
export const decodeSnapshot: (bytes: Uint8Array) => Snapshot = decodeWith((r) => readSnapshot(r, undefined));
export const decodeConfChange: (bytes: Uint8Array) => ConfChange = decodeWith(readConfChange);
export const decodeConfChangeSingle: (bytes: Uint8Array) => ConfChangeSingle =
  decodeWith(readConfChangeSingle);
export const decodeConfChangeV2: (bytes: Uint8Array) => ConfChangeV2 = decodeWith(readConfChangeV2);

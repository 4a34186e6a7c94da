/**
 * etcd's human-readable forms (raft/util.go of etcd-io/raft v3.6): logs and raft's datadriven test
 * data print messages and entries exactly like this.
 */
import { confChangeAsV2, confChangesToString } from './conf-change.js';
import { decodeConfChange, decodeConfChangeV2 } from './from-binary.js';
import { goQuote } from './go-quote.js';
import {
  type ConfState,
  type Entry,
  EntryType,
  entryTypeName,
  type HardState,
  isEmptySnap,
  type Message,
  messageTypeName,
  type Snapshot,
} from './types.js';
import { MAX_U64 } from './wire/varint.js';

/** Formats an entry's payload; the default is Go's `%q`. */
export type EntryFormatter = (data: Uint8Array | undefined) => string;

/** raft.None, and the targets of etcd-io/raft v3.6's local storage messages. */
export const NONE = 0n;
export const LOCAL_APPEND_THREAD = MAX_U64;
export const LOCAL_APPLY_THREAD = MAX_U64 - 1n;

const ids = (v: readonly bigint[]) => `[${v.join(' ')}]`;

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term}${hs.vote !== 0n ? ` Vote:${hs.vote}` : ''} Commit:${hs.commit}`;
}

export function describeConfState(cs: ConfState): string {
  return `Voters:${ids(cs.voters)} VotersOutgoing:${ids(cs.votersOutgoing)} Learners:${ids(cs.learners)} LearnersNext:${ids(cs.learnersNext)} AutoLeave:${cs.autoLeave}`;
}

export function describeSnapshot(s: Snapshot): string {
  const md = s.metadata;
  return `Index:${md.index} Term:${md.term} ConfState:${describeConfState(md.confState)}`;
}

export function describeEntry(e: Entry, format: EntryFormatter = goQuote): string {
  let formatted: string;
  try {
    switch (e.type) {
      case EntryType.EntryNormal:
        formatted = format(e.data);
        break;
      case EntryType.EntryConfChange:
        formatted = confChangesToString(confChangeAsV2(decodeConfChange(e.data ?? new Uint8Array())).changes);
        break;
      case EntryType.EntryConfChangeV2:
        formatted = confChangesToString(decodeConfChangeV2(e.data ?? new Uint8Array()).changes);
        break;
      default:
        formatted = '';
    }
  } catch (err) {
    formatted = (err as Error).message;
  }
  return `${e.term}/${e.index} ${entryTypeName(e.type)}${formatted === '' ? '' : ` ${formatted}`}`;
}

/** describeEntry for each entry, each followed by a newline. */
export function describeEntries(entries: readonly Entry[], format?: EntryFormatter): string {
  let out = '';
  for (const e of entries) out += `${describeEntry(e, format)}\n`;
  return out;
}

export function describeTarget(id: bigint): string {
  if (id === NONE) return 'None';
  if (id === LOCAL_APPEND_THREAD) return 'AppendThread';
  if (id === LOCAL_APPLY_THREAD) return 'ApplyThread';
  return id.toString(16);
}

export function describeMessage(m: Message, format?: EntryFormatter): string {
  return describeWithIndent('', m, format);
}

function describeWithIndent(indent: string, m: Message, format: EntryFormatter | undefined): string {
  let out = `${indent}${describeTarget(m.from)}->${describeTarget(m.to)} ${messageTypeName(m.type)} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) out += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) out += ` Commit:${m.commit}`;
  if (m.vote !== undefined && m.vote !== 0n) out += ` Vote:${m.vote}`;
  if (m.entries.length === 1) {
    out += ` Entries:[${describeEntry(m.entries[0]!, format)}]`;
  } else if (m.entries.length > 1) {
    out += ' Entries:[';
    for (const e of m.entries) out += `\n${indent}  ${describeEntry(e, format)}`;
    out += `\n${indent}]`;
  }
  if (m.snapshot !== undefined && !isEmptySnap(m.snapshot)) {
    out += `\n${indent}  Snapshot: ${describeSnapshot(m.snapshot)}`;
  }
  if (m.responses !== undefined && m.responses.length > 0) {
    out += ' Responses:[';
    for (const r of m.responses) out += `\n${describeWithIndent(`${indent}  `, r, format)}`;
    out += `\n${indent}]`;
  }
  return out;
}

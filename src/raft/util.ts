/**
 * Small helpers of the raft core (etcd raft's util.go): message classification, entry sizes, and
 * the human-readable forms of Ready and SoftState used by logs and the interaction test data.
 */
import {
  type ConfChange,
  type ConfChangeV2,
  confChangeTransitionName,
  confChangeTypeName,
  describeEntries,
  describeHardState,
  describeMessage,
  describeSnapshot,
  type Entry,
  type EntryFormatter,
  entrySize,
  type HardState,
  isEmptyHardState,
  isEmptySnap,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  MessageType,
  messageTypeName,
} from '../raftpb/index.js';
import { RaftFatalError } from './errors.js';
import type { Ready, SoftState } from './rawnode.js';
import type { ReadState } from './read-only.js';
import { stateTypeName } from './status.js';

const localMsgs: boolean[] = [];
for (const t of [
  MessageType.MsgHup,
  MessageType.MsgBeat,
  MessageType.MsgUnreachable,
  MessageType.MsgSnapStatus,
  MessageType.MsgCheckQuorum,
  MessageType.MsgStorageAppend,
  MessageType.MsgStorageAppendResp,
  MessageType.MsgStorageApply,
  MessageType.MsgStorageApplyResp,
]) {
  localMsgs[t] = true;
}

const responseMsgs: boolean[] = [];
for (const t of [
  MessageType.MsgAppResp,
  MessageType.MsgVoteResp,
  MessageType.MsgHeartbeatResp,
  MessageType.MsgUnreachable,
  MessageType.MsgReadIndexResp,
  MessageType.MsgPreVoteResp,
  MessageType.MsgStorageAppendResp,
  MessageType.MsgStorageApplyResp,
]) {
  responseMsgs[t] = true;
}

/** True for message types that must never arrive over the network (etcd's IsLocalMsg). */
export function isLocalMsg(t: MessageType): boolean {
  return localMsgs[t] === true;
}

/** True for response types (etcd's IsResponseMsg: refused from nodes without Progress). */
export function isResponseMsg(t: MessageType): boolean {
  return responseMsgs[t] === true;
}

/** True for the IDs of the local append and apply threads (async storage writes' message targets). */
export function isLocalMsgTarget(id: bigint): boolean {
  return id === LOCAL_APPEND_THREAD || id === LOCAL_APPLY_THREAD;
}

/** The response type of a (pre-)vote request type. */
export function voteRespMsgType(t: MessageType): MessageType {
  if (t === MessageType.MsgVote) return MessageType.MsgVoteResp;
  if (t === MessageType.MsgPreVote) return MessageType.MsgPreVoteResp;
  throw new RaftFatalError(`not a vote message: ${messageTypeName(t)}`);
}

/** Sum of the protobuf encoding sizes of the entries (etcd's entsSize). */
export function entsSize(ents: readonly Entry[]): number {
  let size = 0;
  for (let i = 0; i < ents.length; i++) size += entrySize(ents[i]!);
  return size;
}

/**
 * The longest prefix of `ents` whose summed encoding size does not exceed maxSize; never empty if
 * `ents` is not (the first entry always goes, however big).
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  for (let limit = 1; limit < ents.length; limit++) {
    size += entrySize(ents[limit]!);
    if (size > maxSize) return ents.slice(0, limit);
  }
  return ents;
}

/** Payload length of one entry (empty entries count 0). */
export function payloadSize(e: Entry): number {
  return e.data === undefined ? 0 : e.data.length;
}

/** Summed payload length of the entries. */
export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0;
  for (let i = 0; i < ents.length; i++) {
    const d = ents[i]!.data;
    if (d !== undefined) s += d.length;
  }
  return s;
}

/** True when the hard state or entry count demands a synchronous (fsynced) write. */
export function mustSync(st: HardState, prev: HardState, entsnum: number): boolean {
  return entsnum !== 0 || st.vote !== prev.vote || st.term !== prev.term;
}

/** `Lead:1 State:StateLeader`: etcd's DescribeSoftState text, for log lines. */
export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${stateTypeName(ss.raftState)}`;
}

/** Go's `%v` of a byte slice: `[1 2 3]`. */
export function goBytes(b: Uint8Array | undefined): string {
  return b === undefined ? '[]' : `[${Array.from(b).join(' ')}]`;
}

function describeReadStates(rs: readonly ReadState[]): string {
  return `[${rs.map((r) => `{${r.index} ${goBytes(r.requestCtx)}}`).join(' ')}]`;
}

/**
 * etcd's DescribeReady text: every non-empty part of a Ready, or `<empty Ready>`, for log lines
 * (entries printed with `f`, or as etcd prints them by default).
 */
export function describeReady(rd: Ready, f?: EntryFormatter): string {
  let buf = '';
  if (rd.softState !== undefined) buf += `${describeSoftState(rd.softState)}\n`;
  if (!isEmptyHardState(rd.hardState)) buf += `HardState ${describeHardState(rd.hardState)}\n`;
  if (rd.readStates.length > 0) buf += `ReadStates ${describeReadStates(rd.readStates)}\n`;
  if (rd.entries.length > 0) buf += `Entries:\n${describeEntries(rd.entries, f)}`;
  if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) {
    buf += `Snapshot ${describeSnapshot(rd.snapshot)}\n`;
  }
  if (rd.committedEntries.length > 0) buf += `CommittedEntries:\n${describeEntries(rd.committedEntries, f)}`;
  if (rd.messages.length > 0) {
    buf += 'Messages:\n';
    for (const m of rd.messages) buf += `${describeMessage(m, f)}\n`;
  }
  if (buf.length > 0) return `Ready MustSync=${rd.mustSync}:\n${buf}`;
  return '<empty Ready>';
}

/** Go's `%v` of a ConfChange or ConfChangeV2 value (used in etcd's log lines). */
export function goFormatConfChange(cc: ConfChange | ConfChangeV2): string {
  if ('changes' in cc) {
    const changes = cc.changes.map((c) => `{${confChangeTypeName(c.type)} ${c.nodeId}}`).join(' ');
    return `{${confChangeTransitionName(cc.transition)} [${changes}] ${goBytes(cc.context)}}`;
  }
  return `{${cc.id} ${confChangeTypeName(cc.type)} ${cc.nodeId} ${goBytes(cc.context)}}`;
}

/**
 * etcd's raftpb types (raft/raftpb/raft.proto of etcd 3.4, plus the local-only message types of
 * etcd-io/raft v3.6) as plain TypeScript objects.
 *
 * Numbers: node IDs (to, from, vote, conf-change node IDs, ConfState members) are `bigint` and keep
 * all 64 bits. Terms, indexes, commits and reject hints are `number`: they never come near 2^53 in a
 * real cluster, and a number keeps the raft core fast. The codec rejects any such value above
 * Number.MAX_SAFE_INTEGER with a clear error instead of rounding it.
 *
 * Optional bytes fields (`data`, `context`) distinguish absent (`undefined`, Go nil: not encoded)
 * from present-but-empty (an empty Uint8Array, encoded as `tag 00`), as gogoproto does.
 *
 * `unknown` holds the raw bytes of fields this version does not know (gogo's XXX_unrecognized);
 * they are written back after the known fields on re-encode.
 */

export const EntryType = {
  EntryNormal: 0,
  EntryConfChange: 1,
  EntryConfChangeV2: 2,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export const MessageType = {
  MsgHup: 0,
  MsgBeat: 1,
  MsgProp: 2,
  MsgApp: 3,
  MsgAppResp: 4,
  MsgVote: 5,
  MsgVoteResp: 6,
  MsgSnap: 7,
  MsgHeartbeat: 8,
  MsgHeartbeatResp: 9,
  MsgUnreachable: 10,
  MsgSnapStatus: 11,
  MsgCheckQuorum: 12,
  MsgTransferLeader: 13,
  MsgTimeoutNow: 14,
  MsgReadIndex: 15,
  MsgReadIndexResp: 16,
  MsgPreVote: 17,
  MsgPreVoteResp: 18,
  // Local-only types of etcd-io/raft v3.6 (asynchronous storage writes, ForgetLeader). They never
  // cross the wire; an etcd 3.4 peer would not know them.
  MsgStorageAppend: 19,
  MsgStorageAppendResp: 20,
  MsgStorageApply: 21,
  MsgStorageApplyResp: 22,
  MsgForgetLeader: 23,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const ConfChangeTransition = {
  ConfChangeTransitionAuto: 0,
  ConfChangeTransitionJointImplicit: 1,
  ConfChangeTransitionJointExplicit: 2,
} as const;
export type ConfChangeTransition = (typeof ConfChangeTransition)[keyof typeof ConfChangeTransition];

export const ConfChangeType = {
  ConfChangeAddNode: 0,
  ConfChangeRemoveNode: 1,
  ConfChangeUpdateNode: 2,
  ConfChangeAddLearnerNode: 3,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

function reverse<T extends Record<string, number>>(o: T): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(o)) names[value] = name;
  return names;
}
const messageTypeNames = reverse(MessageType);
const entryTypeNames = reverse(EntryType);
const confChangeTypeNames = reverse(ConfChangeType);
const transitionNames = reverse(ConfChangeTransition);

/** Go's String() of an enum value: the name, or the number for a value the enum does not name. */
function enumName(names: string[], v: number): string {
  return names[v] ?? String(v);
}
export const messageTypeName = (t: number): string => enumName(messageTypeNames, t);
export const entryTypeName = (t: number): string => enumName(entryTypeNames, t);
export const confChangeTypeName = (t: number): string => enumName(confChangeTypeNames, t);
export const confChangeTransitionName = (t: number): string => enumName(transitionNames, t);

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /**
   * The payload. A decoded entry's `data` is a zero-copy view into the decoded buffer: whoever keeps
   * the entry beyond the life of that buffer (a log, a cache) keeps the whole buffer alive, and must
   * not reuse the buffer for other bytes. Copy with `data.slice()` to detach it.
   */
  data?: Uint8Array | undefined;
  unknown?: Uint8Array | undefined;
}

export interface ConfState {
  voters: bigint[];
  learners: bigint[];
  votersOutgoing: bigint[];
  learnersNext: bigint[];
  autoLeave: boolean;
  unknown?: Uint8Array | undefined;
}

export interface SnapshotMetadata {
  confState: ConfState;
  index: number;
  term: number;
  unknown?: Uint8Array | undefined;
}

export interface Snapshot {
  data?: Uint8Array | undefined;
  metadata: SnapshotMetadata;
  unknown?: Uint8Array | undefined;
}

export interface Message {
  type: MessageType;
  to: bigint;
  from: bigint;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  /**
   * `undefined` means the empty snapshot. etcd 3.4 always writes field 9; the encoder writes the
   * empty snapshot for `undefined`, and the decoder maps an empty snapshot (or, from etcd 3.6, an
   * absent one) to `undefined`, so non-snapshot messages cost no allocation.
   */
  snapshot?: Snapshot | undefined;
  reject: boolean;
  rejectHint: number;
  context?: Uint8Array | undefined;
  /**
   * Local-only fields of etcd-io/raft v3.6 (MsgStorageAppend carries the vote and the responses to
   * deliver once the write is durable). Never encoded: they matter only inside one process.
   */
  vote?: bigint | undefined;
  responses?: Message[] | undefined;
  unknown?: Uint8Array | undefined;
}

export interface HardState {
  term: number;
  vote: bigint;
  commit: number;
  unknown?: Uint8Array | undefined;
}

export interface ConfChange {
  /** etcd uses it as a request ID: random, all 64 bits. */
  id: bigint;
  type: ConfChangeType;
  nodeId: bigint;
  context?: Uint8Array | undefined;
  unknown?: Uint8Array | undefined;
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: bigint;
  unknown?: Uint8Array | undefined;
}

export interface ConfChangeV2 {
  transition: ConfChangeTransition;
  changes: ConfChangeSingle[];
  context?: Uint8Array | undefined;
  unknown?: Uint8Array | undefined;
}

/** A message with every field at its zero value, then `fields` laid over it. */
export function newMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: 0n,
    from: 0n,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

export function newEntry(fields: Partial<Entry> = {}): Entry {
  return { term: 0, index: 0, type: EntryType.EntryNormal, ...fields };
}

export function newConfState(fields: Partial<ConfState> = {}): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false, ...fields };
}

export function newSnapshot(
  fields: { data?: Uint8Array; index?: number; term?: number; confState?: ConfState } = {},
): Snapshot {
  const snap: Snapshot = {
    metadata: {
      confState: fields.confState ?? newConfState(),
      index: fields.index ?? 0,
      term: fields.term ?? 0,
    },
  };
  if (fields.data !== undefined) snap.data = fields.data;
  return snap;
}

export function newHardState(fields: Partial<HardState> = {}): HardState {
  return { term: 0, vote: 0n, commit: 0, ...fields };
}

/** etcd's IsEmptySnap: a snapshot is empty when its metadata index is 0. */
export function isEmptySnap(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

/** etcd's IsEmptyHardState. */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0n && hs.commit === 0;
}

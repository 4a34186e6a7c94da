/**
 * raftwire/raftpb: etcd's raft messages and their protobuf bytes, identical to etcd 3.4's
 * gogoproto output. See docs/raftpb.md.
 */

export {
  confChangeAsV2,
  confChangeEnterJoint,
  confChangeLeaveJoint,
  confChangesFromString,
  confChangesToString,
} from './conf-change.js';
export { confStatesEquivalent } from './conf-state.js';
export type { EntryFormatter } from './describe.js';
export {
  describeConfState,
  describeEntries,
  describeEntry,
  describeHardState,
  describeMessage,
  describeSnapshot,
  describeTarget,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  NONE,
} from './describe.js';
export type { DecodeFailure } from './errors.js';
export { RaftpbDecodeError, RaftpbErrorCode, RaftpbRangeError, RaftpbSizeMismatchError } from './errors.js';
export {
  decodeConfChange,
  decodeConfChangeSingle,
  decodeConfChangeV2,
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  decodeSnapshotMetadata,
} from './from-binary.js';
export { goQuote } from './go-quote.js';
export { formatId, InvalidIdError, parseId } from './ids.js';
export {
  confChangeSingleSize,
  confChangeSize,
  confChangeV2Size,
  confStateSize,
  encodeConfChange,
  encodeConfChangeSingle,
  encodeConfChangeV2,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
  encodeSnapshotMetadata,
  entrySize,
  hardStateSize,
  messageSize,
  snapshotMetadataSize,
  snapshotSize,
  writeEntry,
  writeHardState,
  writeMessage,
} from './to-binary.js';
export type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeV2,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
  SnapshotMetadata,
} from './types.js';
export {
  ConfChangeTransition,
  ConfChangeType,
  confChangeTransitionName,
  confChangeTypeName,
  EntryType,
  entryTypeName,
  isEmptyHardState,
  isEmptySnap,
  MessageType,
  messageTypeName,
  newConfState,
  newEntry,
  newHardState,
  newMessage,
  newSnapshot,
} from './types.js';
// The byte-level layer, shared with the msgappv2 codec and the WAL's own records.
export { Reader as ProtoReader } from './wire/reader.js';
export {
  MAX_U64,
  sizeEnum,
  sizeLen,
  sizeU53,
  sizeU64,
  writeEnum,
  writeU53,
  writeU64,
} from './wire/varint.js';

/**
 * raftwire/wal: etcd 3.4's write-ahead log, byte-compatible with etcd's Go `wal` package.
 * See docs/wal.md.
 */
export type { ScannedRecord, SegmentScan, SegmentStop } from './decoder.js';
export { scanSegment } from './decoder.js';
export { LOCK_FILE_NAME } from './dir-lock.js';
export { maxFrameBytes, RecordEncoder } from './encoder.js';
export { WalError, WalErrorCode, WalRecordError } from './errors.js';
export type { WalFile, WalFs } from './file-layer.js';
export { nodeWalFs } from './file-layer.js';
export type { Preallocation } from './file-pipeline.js';
export {
  FRAME_HEADER_BYTES,
  MAX_RECORD_BYTES,
  MIN_SECTOR_BYTES,
  padBytesFor,
  readFrameHeader,
  writeFrameHeader,
} from './framing.js';
export { validSnapshotEntries, verifyWal } from './inspect.js';
export type { SegmentName } from './names.js';
export { parseWalName, walExists, walName } from './names.js';
export { defaultWalFs, nativeWalFs, nativeWalFsError } from './native-fs.js';
export { repairWal } from './repair.js';
export type { WalContents, WalOptions } from './wal.js';
export { DEFAULT_SEGMENT_SIZE_BYTES, Wal } from './wal.js';
export type { WalRecord, WalSnapshot } from './walpb.js';
export {
  decodeRecord,
  decodeWalSnapshot,
  encodeRecord,
  encodeWalSnapshot,
  RecordType,
  recordSize,
} from './walpb.js';

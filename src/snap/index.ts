/**
 * raftwire/snap: etcd 3.4's snapshot directory — `.snap` files (`snappb.Snapshot` with CRC-32C)
 * named by term and index, and `.snap.db` database snapshot bodies. See docs/snap.md.
 */

export type { DbSource } from './db-file.js';
export type { SnapFileFailure } from './errors.js';
export {
  DbSourceError,
  NoDbSnapshotError,
  NoSnapshotError,
  SnapErrorCode,
  SnapFileError,
  SnapRangeError,
} from './errors.js';
export { dbFileName, parseDbFileName, snapFileName } from './names.js';
export type { SnapRecord } from './snap-file.js';
export { decodeSnapFile, decodeSnapRecord, encodeSnapFile, encodeSnapRecord } from './snap-file.js';
export type { SnapshotMarker, SnapshotterOptions } from './snapshotter.js';
export { readSnapFile, Snapshotter } from './snapshotter.js';

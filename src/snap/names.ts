/**
 * File names of the snapshot directory, as etcd's snap package names them:
 * `%016x-%016x.snap` (term, index) for raft snapshots and `%016x.snap.db` (index) for the state
 * machine's database snapshot received from a leader.
 */
import { SnapRangeError } from './errors.js';

/** Suffix of raft snapshot files. */
export const SNAP_SUFFIX = '.snap';
/** Suffix of database snapshot files. */
export const DB_SUFFIX = '.snap.db';
/** Suffix etcd gives a `.snap` file it could not read. */
export const BROKEN_SUFFIX = '.broken';
/** Suffix of raftwire's in-progress files (always with a leading dot; see `isOwnTempFile`). */
export const TEMP_SUFFIX = '.tmp';

function hex16(n: number, what: string): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new SnapRangeError(what, n);
  return n.toString(16).padStart(16, '0');
}

/** `%016x-%016x.snap` of a snapshot's term and index. */
export function snapFileName(term: number, index: number): string {
  return `${hex16(term, 'term')}-${hex16(index, 'index')}${SNAP_SUFFIX}`;
}

/** `%016x.snap.db` of an index. */
export function dbFileName(index: number): string {
  return `${hex16(index, 'index')}${DB_SUFFIX}`;
}

/** The index of a `%016x.snap.db` name, or undefined when the name is not one (or is above 2^53). */
export function parseDbFileName(name: string): number | undefined {
  if (!name.endsWith(DB_SUFFIX)) return undefined;
  const hex = name.slice(0, -DB_SUFFIX.length);
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  const index = Number.parseInt(hex, 16);
  return Number.isSafeInteger(index) ? index : undefined;
}

/**
 * Names of snapshot files, newest first, as etcd orders them: every name ending in `.snap`,
 * sorted in reverse byte order (fixed-width hex makes that term, then index order).
 */
export function sortSnapNames(names: readonly string[]): string[] {
  return names.filter((n) => n.endsWith(SNAP_SUFFIX)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/** True for a temp file raftwire itself creates (`.<target>.<pid>.<seq>.tmp`). */
export function isOwnTempFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/** True for the `db.tmp*` files an etcd defragmentation can leave behind (etcd deletes them). */
export function isDefragOrphan(name: string): boolean {
  return name.startsWith('db.tmp');
}

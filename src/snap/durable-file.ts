/**
 * Crash-safe file replacement for the snapshot directory: write a temp file, fsync it, rename it
 * into place, fsync the directory. After a crash the target either does not exist or is whole;
 * only a temp file (recognisable by `isOwnTempFile`) can be left behind.
 */
import { access, type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../fsutil/index.js';

/** Writes all of `bytes` at the file's current end (loops over short writes). */
export async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.length - off);
    off += bytesWritten;
  }
}

/** True when `path` exists (any other error than ENOENT is thrown). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Removes a file, ignoring that it is already gone (used on failure paths). */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Atomically creates or replaces `dir/name` with `bytes`, through `dir/tempName`. On failure the
 * temp file is removed and the error rethrown; the target is untouched.
 */
export async function replaceFileDurably(
  dir: string,
  name: string,
  tempName: string,
  bytes: Uint8Array,
  mode = 0o666,
): Promise<void> {
  const temp = join(dir, tempName);
  let fh: FileHandle | undefined = await open(temp, 'wx', mode);
  try {
    await writeAll(fh, bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(temp, join(dir, name));
  } catch (e) {
    if (fh !== undefined) await fh.close().catch(() => {});
    await removeQuietly(temp).catch(() => {});
    throw e;
  }
  await fsyncDir(dir);
}

/**
 * Streaming a database snapshot (the body of a MsgSnap) to `<index>.snap.db`, as etcd's
 * `SaveDBFrom`: into a temp file, fsync, then rename, so a half-received body is never taken for a
 * whole one. Memory stays bounded: each chunk is written (or copied into one fixed staging buffer)
 * before the next is pulled, so the source may even reuse its buffer between chunks.
 */

import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir } from '../fsutil/index.js';
import { exists, removeQuietly, writeAll } from './durable-file.js';
import { DbSourceError } from './errors.js';

/** Where database snapshot bytes come from: a Node stream or any async iterable of byte chunks. */
export type DbSource = AsyncIterable<Uint8Array> | Readable;

/** Small chunks are gathered into a buffer of this size before one write; larger ones go as is. */
const STAGING_BYTES = 256 * 1024;

/** What `streamToFile` did. */
export interface StreamedFile {
  /** Bytes read from the source. */
  bytes: number;
  /** False when the target already existed: etcd keeps the existing file and drops the new one. */
  renamed: boolean;
}

async function pump(fh: FileHandle, source: DbSource): Promise<number> {
  const stage = new Uint8Array(STAGING_BYTES);
  let staged = 0;
  let total = 0;
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new DbSourceError(`db snapshot source yielded ${typeof chunk}, expected Uint8Array chunks`);
    }
    total += chunk.length;
    if (staged + chunk.length <= STAGING_BYTES) {
      stage.set(chunk, staged);
      staged += chunk.length;
      if (staged === STAGING_BYTES) {
        await writeAll(fh, stage);
        staged = 0;
      }
      continue;
    }
    if (staged > 0) {
      await writeAll(fh, stage.subarray(0, staged));
      staged = 0;
    }
    if (chunk.length >= STAGING_BYTES) {
      await writeAll(fh, chunk);
    } else {
      stage.set(chunk, 0);
      staged = chunk.length;
    }
  }
  if (staged > 0) await writeAll(fh, stage.subarray(0, staged));
  return total;
}

/**
 * Streams `source` into `dir/tempName`, fsyncs it and renames it to `dir/name` (then fsyncs the
 * directory). If `dir/name` already exists the temp file is removed and the existing file kept,
 * as etcd does. On any failure (source error, disk error) the temp file is removed and the error
 * rethrown; a Node stream source is destroyed.
 */
export async function streamToFile(
  dir: string,
  name: string,
  tempName: string,
  source: DbSource,
): Promise<StreamedFile> {
  const temp = join(dir, tempName);
  const target = join(dir, name);
  const stream = isReadable(source) ? source : undefined;
  // A stream that fails before iteration starts (while the temp file opens) must not crash the
  // process with an unhandled 'error': the iteration below reports the stored error instead.
  stream?.on('error', ignore);
  let fh: FileHandle | undefined;
  try {
    fh = await open(temp, 'wx', 0o600);
    const bytes = await pump(fh, source);
    await fh.sync();
    await fh.close();
    fh = undefined;
    if (await exists(target)) {
      await removeQuietly(temp);
      return { bytes, renamed: false };
    }
    await rename(temp, target);
    await fsyncDir(dir);
    return { bytes, renamed: true };
  } catch (e) {
    if (fh !== undefined) {
      await fh.close().catch(ignore);
      await removeQuietly(temp).catch(ignore);
    }
    stream?.destroy();
    throw e;
  } finally {
    stream?.off('error', ignore);
  }
}

function ignore(): void {}

function isReadable(source: DbSource): source is Readable {
  return typeof (source as Readable).on === 'function' && typeof (source as Readable).destroy === 'function';
}

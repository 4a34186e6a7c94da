/**
 * Prepares the next segment file ahead of time, as etcd's filePipeline: while the current segment
 * fills, a preallocated `0.tmp` / `1.tmp` (alternating, so the file being handed out is never the
 * one just published) waits in the WAL directory. A cut takes it, writes its header records,
 * syncs it and renames it to its segment name; the pipeline then prepares the next one.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, type WalFile, type WalFs, writeZeros } from './file-layer.js';

/** How a segment's space is reserved. */
export type Preallocation = 'zeros' | 'sparse';

/** A prepared segment file. */
export interface PreparedFile {
  file: WalFile;
  path: string;
}

/**
 * Reserves `size` bytes of `file`: `zeros` writes zeros and syncs them (real blocks, so later
 * appends change no metadata and fdatasync flushes only data); `sparse` only sets the length.
 */
export async function preallocate(file: WalFile, size: number, mode: Preallocation): Promise<void> {
  const { size: current } = await file.stat();
  if (current >= size) return;
  if (mode === 'sparse') {
    await file.truncate(size);
    return;
  }
  await writeZeros(file, current, size);
  await file.datasync();
}

/** Keeps one preallocated temporary file ready. */
export class FilePipeline {
  readonly #dir: string;
  readonly #size: number;
  readonly #fs: WalFs;
  readonly #mode: Preallocation;
  #count = 0;
  #next: Promise<PreparedFile> | undefined;
  #closed = false;

  constructor(dir: string, size: number, fs: WalFs, mode: Preallocation) {
    this.#dir = dir;
    this.#size = size;
    this.#fs = fs;
    this.#mode = mode;
    this.#prepare();
  }

  /** The next file, preallocated; starts preparing the one after. Rejects on a disk error. */
  async open(): Promise<PreparedFile> {
    const next = this.#next ?? this.#start();
    this.#next = undefined;
    const f = await next;
    this.#prepare();
    return f;
  }

  /** Stops preparing and removes the file prepared but not handed out. */
  async close(): Promise<void> {
    this.#closed = true;
    const next = this.#next;
    this.#next = undefined;
    if (next === undefined) return;
    try {
      const f = await next;
      await f.file.close();
      await unlink(f.path).catch(() => undefined);
    } catch {
      // The preparation failed; nothing was left open.
    }
  }

  #prepare(): void {
    if (this.#closed) return;
    const p = this.#start();
    // The error surfaces at open(); do not let it count as unhandled before then.
    p.catch(() => undefined);
    this.#next = p;
  }

  async #start(): Promise<PreparedFile> {
    const path = join(this.#dir, `${this.#count % 2}.tmp`);
    this.#count++;
    const file = await this.#fs.open(path, 'w', PRIVATE_FILE_MODE);
    try {
      await preallocate(file, this.#size, this.#mode);
    } catch (e) {
      await file.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw e;
    }
    return { file, path };
  }
}

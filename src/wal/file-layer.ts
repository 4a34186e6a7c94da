/**
 * The file layer the WAL writes through: a narrow slice of `fs/promises` so that tests can inject
 * disk faults (a failing fsync, ENOSPC) without touching the real file system. The default,
 * `nodeWalFs`, is plain `fs/promises`.
 */
import { open } from 'node:fs/promises';
import { fsyncDir } from '../fsutil/index.js';
import { WalError, WalErrorCode } from './errors.js';

/** An open file, as the WAL uses it (a `FileHandle` satisfies it). */
export interface WalFile {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /**
   * Optional: writes all of `buffer[offset, offset+length)` at `position`, then fdatasyncs, as one
   * operation (the native layer does both in one hand-off to its thread). A rejection's `syscall`
   * says which step failed. Layers without it get `write` + `datasync`.
   */
  writeDurable?(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(len?: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** Opens files and syncs directories. */
export interface WalFs {
  /** `flags` as `fs.open` takes them ('r', 'r+', 'w', or `O_*` bits); `mode` for created files. */
  open(path: string, flags: string | number, mode?: number): Promise<WalFile>;
  /** fsync of a directory, making creations and renames in it durable. */
  syncDir(path: string): Promise<void>;
}

/** etcd's `fileutil.PrivateFileMode`. */
export const PRIVATE_FILE_MODE = 0o600;

/** The real file system. */
export const nodeWalFs: WalFs = {
  open: (path, flags, mode) => open(path, flags, mode),
  syncDir: fsyncDir,
};

/** One megabyte of zeros, shared by every zero-fill. */
const ZEROS = new Uint8Array(1 << 20);

/** Writes zeros over `[from, to)` of `file` (preallocation that leaves no sparse holes). */
export async function writeZeros(file: WalFile, from: number, to: number): Promise<void> {
  let pos = from;
  while (pos < to) {
    const n = Math.min(ZEROS.length, to - pos);
    const { bytesWritten } = await file.write(ZEROS, 0, n, pos);
    pos += bytesWritten;
  }
}

/** Writes all of `buf[0, length)` at `position`, looping over short writes. */
export async function writeFully(
  file: WalFile,
  buf: Uint8Array,
  length: number,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await file.write(buf, done, length - done, position + done);
    if (bytesWritten <= 0) throw new WalError(WalErrorCode.WRITE_FAILED, 'wal: write made no progress');
    done += bytesWritten;
  }
}

/** Reads the whole file into a fresh buffer; returns the buffer and the byte count read. */
export async function readWhole(file: WalFile): Promise<Uint8Array> {
  const { size } = await file.stat();
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  while (pos < size) {
    const { bytesRead } = await file.read(buf, pos, size - pos, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
  }
  return pos === size ? buf : buf.subarray(0, pos);
}

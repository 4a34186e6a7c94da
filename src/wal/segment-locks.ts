/**
 * etcd's segment locks: etcd's WAL holds an exclusive lock on every segment it may still append
 * to or read back (`fileutil.TryLockFile` at open, `LockFile` on each new segment, released by
 * `ReleaseLockTo` and `Close`). On Linux these are open file description locks (F_OFD_SETLK).
 * raftwire takes the same locks through its addon, so a Go etcd and a raftwire WAL refuse to
 * append to one directory at once, either way round; the kernel drops them when the holder dies,
 * so a crash leaves nothing stale. Each lock is one descriptor kept open for as long as it is held.
 *
 * Without the addon there is nothing to take them with: `SegmentLocks.available` is false, every
 * call is a no-op, and `DirLock` (an abstract Unix socket, dir-lock.ts) is the only lock, among
 * raftwire processes only.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename } from 'node:path';
import { WalError, WalErrorCode } from './errors.js';
import { errnoException, nativeBinding } from './native-binding.js';

const EAGAIN = osConstants.errno.EAGAIN;

/** The segment locks one WAL holds, by segment file name. */
export class SegmentLocks {
  /** Whether locks are taken at all (the addon is built). */
  static readonly available = nativeBinding !== undefined;
  readonly #held = new Map<string, FileHandle>();

  /** Names of the segments locked, in the order they were locked. */
  get names(): string[] {
    return [...this.#held.keys()];
  }

  /**
   * Locks the file at `path`, held as segment `name` (default: the file's name), without waiting.
   * Throws `RAFTWIRE_WAL_LOCKED` when another process or WAL holds it.
   */
  async lock(path: string, name = basename(path)): Promise<void> {
    const binding = nativeBinding;
    if (binding === undefined || this.#held.has(name)) return;
    const fh = await open(path, constants.O_RDWR);
    let err: number;
    try {
      err = binding.lock(fh.fd);
    } catch (e) {
      await fh.close();
      throw e;
    }
    if (err !== 0) {
      await fh.close();
      if (err === EAGAIN) {
        throw new WalError(
          WalErrorCode.LOCKED,
          `wal: ${path} is locked by another WAL (an etcd or raftwire process, or another WAL here)`,
        );
      }
      throw errnoException(err, 'fcntl', path);
    }
    this.#held.set(name, fh);
  }

  /** Locks each path in order; on a failure releases what this call took and rethrows. */
  async lockAll(paths: readonly string[]): Promise<void> {
    const taken: string[] = [];
    try {
      for (const p of paths) {
        const had = this.#held.has(basename(p));
        await this.lock(p);
        if (!had) taken.push(basename(p));
      }
    } catch (e) {
      await this.release(taken);
      throw e;
    }
  }

  /** Releases the locks of these segment names (ones not held are ignored). */
  async release(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const fh = this.#held.get(name);
      if (fh === undefined) continue;
      this.#held.delete(name);
      await fh.close();
    }
  }

  /** Releases every lock. */
  async releaseAll(): Promise<void> {
    await this.release([...this.#held.keys()]);
  }
}

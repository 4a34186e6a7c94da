/**
 * The lock that keeps two processes (or two WAL objects in one process) from appending to the same
 * WAL, with or without the native addon. (With it, the WAL also takes etcd's own segment locks,
 * segment-locks.ts, which is what keeps a Go etcd out.) Both ways the lock is held by the kernel,
 * which drops it when its holder dies, so there is no stale lock to detect and take over, and no
 * race in doing so:
 * - with the addon: an exclusive open file description lock (F_OFD_SETLK, as etcd's segment
 *   locks) on the lock file `wal.lock` in the WAL directory. After locking, the file is checked to
 *   still be the one at that path (a closing holder unlinks it while still holding its lock), so
 *   two openers can never hold locks on two different files;
 * - without it (Linux): a Unix socket bound in the abstract namespace under a name derived from
 *   the directory's device and inode (so it follows the directory through create's rename). Binding
 *   is atomic and exclusive, and the name goes away with the socket. Its limit: the abstract
 *   namespace is per network namespace (two containers sharing a volume but not a network do not
 *   see each other's locks; use the addon there).
 * The socket is bound in both cases, so a process without the addon and one with it exclude each
 * other too. Either way `wal.lock` holds the holder's pid, only so that the LOCKED error can name it; close
 * removes it. The lock is advisory and local to one host; Go's etcd does not see it (it ignores
 * unknown files in the WAL directory, with a warning).
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { WalError, WalErrorCode } from './errors.js';
import { errnoException, nativeBinding } from './native-binding.js';

/** Name of the lock file inside the WAL directory. */
export const LOCK_FILE_NAME = 'wal.lock';

/** How the kernel holds the lock: an OFD lock through the addon (and the socket), or the abstract Unix socket alone. */
export type DirLockKind = 'ofd' | 'socket';

/** The kind used when none is asked for: the OFD lock when the addon is built. */
export const DEFAULT_DIR_LOCK_KIND: DirLockKind = nativeBinding !== undefined ? 'ofd' : 'socket';

const EAGAIN = osConstants.errno.EAGAIN;
/** Attempts when a closing holder unlinks the lock file between our open and our lock. */
const OFD_ATTEMPTS = 8;

/** Lock files this process holds, by path. */
const held = new Set<string>();

/** A held directory lock. */
export class DirLock {
  #path: string;
  readonly #file: FileHandle | undefined;
  readonly #server: Server | undefined;
  #released = false;

  private constructor(path: string, file: FileHandle | undefined, server: Server | undefined) {
    this.#path = path;
    this.#file = file;
    this.#server = server;
  }

  /** Path of the lock file. */
  get path(): string {
    return this.#path;
  }

  /**
   * Takes the lock of `dir` without waiting, or throws `RAFTWIRE_WAL_LOCKED` naming the holder's
   * pid when the lock file names one. `kind` is for tests (default: `DEFAULT_DIR_LOCK_KIND`).
   */
  static async acquire(dir: string, kind: DirLockKind = DEFAULT_DIR_LOCK_KIND): Promise<DirLock> {
    const path = join(dir, LOCK_FILE_NAME);
    if (held.has(path)) {
      throw new WalError(WalErrorCode.LOCKED, `wal: ${dir} is locked by another WAL in this process`);
    }
    // Reserve it in this process before the first await, for the clearer message above.
    held.add(path);
    let server: Server | undefined;
    try {
      server = await bindSocket(dir, path);
      if (kind === 'ofd') return new DirLock(path, await lockFile(dir, path), server);
      await writeFile(path, `${process.pid}\n`, { mode: 0o600 });
      return new DirLock(path, undefined, server);
    } catch (e) {
      held.delete(path);
      server?.close();
      throw e;
    }
  }

  /** Follows a rename of the directory holding the lock (create's `.tmp` directory). */
  moved(newDir: string): void {
    held.delete(this.#path);
    this.#path = join(newDir, LOCK_FILE_NAME);
    held.add(this.#path);
  }

  /** Renames the directory holding the lock, keeping the lock held throughout. */
  async renameDir(fromDir: string, toDir: string): Promise<void> {
    await rename(fromDir, toDir);
    this.moved(toDir);
  }

  /** Removes the lock file, then lets go of the lock (in that order: see the header). Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.#path);
    await unlink(this.#path).catch(() => undefined);
    await this.#file?.close();
    if (this.#server !== undefined)
      await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** Opens and OFD-locks `dir`'s lock file, checking it is still the file at `path`; writes our pid. */
async function lockFile(dir: string, path: string): Promise<FileHandle> {
  const binding = nativeBinding;
  if (binding === undefined)
    throw new WalError(WalErrorCode.NATIVE, 'wal: the OFD lock needs the raftwire_wal addon');
  for (let attempt = 0; attempt < OFD_ATTEMPTS; attempt++) {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      const err = binding.lock(fh.fd);
      if (err === EAGAIN) throw lockedError(dir, await readPid(path));
      if (err !== 0) throw errnoException(err, 'fcntl', path);
      const [mine, there] = await Promise.all([fh.stat(), stat(path).catch(() => undefined)]);
      if (there === undefined || there.ino !== mine.ino || there.dev !== mine.dev) {
        // The holder we raced with unlinked this file while closing: lock the new one instead.
        await fh.close();
        continue;
      }
      await fh.truncate(0);
      await fh.write(`${process.pid}\n`, 0);
      return fh;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }
  throw lockedError(dir, await readPid(path));
}

/** Binds the abstract socket named after `dir`'s device and inode; LOCKED when it is taken. */
async function bindSocket(dir: string, path: string): Promise<Server> {
  const st = await stat(dir);
  const name = `\0raftwire-wal-lock/${st.dev}/${st.ino}`;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: name, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: unknown) => {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') throw lockedError(dir, await readPid(path));
    throw e;
  });
  server.unref();
  return server;
}

function lockedError(dir: string, pid: number | undefined): WalError {
  const who =
    pid === undefined
      ? 'another process'
      : pid === process.pid
        ? 'another WAL in this process'
        : `process ${pid}`;
  return new WalError(WalErrorCode.LOCKED, `wal: ${dir} is locked by ${who} (${LOCK_FILE_NAME})`);
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lock that keeps two processes (or two WAL objects in one process) from appending to the same
 * WAL, with or without the native addon. (With it, the WAL also takes etcd's own segment locks,
 * segment-locks.ts, which is what keeps a Go etcd out.) A lock file, `wal.lock`, in the WAL
 * directory, holding the owner's pid:
 * - it is created atomically with its content: the pid is written to a private temporary file,
 *   which is then hard-linked to `wal.lock` (link fails with EEXIST if the lock exists), so nobody
 *   ever sees an empty lock file;
 * - a lock whose pid is no longer running (the owner was killed) is stale: it is removed and taken
 *   over. A lock holding this process's own pid is stale unless this process holds it (a restarted
 *   container often gets the same pid);
 * - close removes it.
 * - a stale lock is renamed aside (atomic) and checked before it is removed, so two processes
 *   taking it over at once cannot both win (a third one arriving in the same instant could).
 * Limits: the lock is advisory and local (pids mean nothing across hosts or pid namespaces).
 * Go's etcd does not see this file (it ignores unknown files in the WAL directory, with a warning).
 */
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WalError, WalErrorCode } from './errors.js';

/** Name of the lock file inside the WAL directory. */
export const LOCK_FILE_NAME = 'wal.lock';

/** Lock files this process holds, by path. */
const held = new Set<string>();

/** A held directory lock. */
export class DirLock {
  #path: string;
  #released = false;

  private constructor(path: string) {
    this.#path = path;
  }

  /** Path of the lock file. */
  get path(): string {
    return this.#path;
  }

  /** Takes the lock of `dir`, or throws `RAFTWIRE_WAL_LOCKED` naming the holder's pid. */
  static async acquire(dir: string): Promise<DirLock> {
    const path = join(dir, LOCK_FILE_NAME);
    if (held.has(path)) {
      throw new WalError(WalErrorCode.LOCKED, `wal: ${dir} is locked by another WAL in this process`);
    }
    // Reserve it in this process before the first await, so two concurrent opens here cannot both
    // see a lock file with our own pid and take it for stale.
    held.add(path);
    try {
      await linkLock(dir, path);
      return new DirLock(path);
    } catch (e) {
      held.delete(path);
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

  /** Removes the lock file (when it is still ours). Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    held.delete(this.#path);
    if ((await readPid(this.#path)) === process.pid) {
      await unlink(this.#path).catch(() => undefined);
    }
  }
}

/** Creates the lock file at `path` holding our pid, taking over a stale one once. */
async function linkLock(dir: string, path: string): Promise<void> {
  const tmp = join(dir, `${LOCK_FILE_NAME}.${process.pid}.tmp`);
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path);
        return;
      } catch (e) {
        if (!isCode(e, 'EEXIST')) throw e;
        if (attempt > 0) throw lockedError(dir, await readPid(path));
      }
      const pid = await readPid(path);
      if (pid !== undefined && isAlive(pid)) throw lockedError(dir, pid);
      await removeStale(dir, path);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Removes a stale lock by renaming it aside (atomic: of two processes doing this at once, one
 * moves it), then checks that what was moved is indeed stale. If another process had taken the
 * lock in between, its lock is put back and this one gives up.
 */
async function removeStale(dir: string, path: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.tmp`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return; // someone else removed it first; retry the link
    throw e;
  }
  const pid = await readPid(aside);
  if (pid !== undefined && isAlive(pid)) {
    // A fresh lock was taken between our read and our rename: restore it.
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw lockedError(dir, pid);
  }
  await unlink(aside).catch(() => undefined);
}

function lockedError(dir: string, pid: number | undefined): WalError {
  const who = pid === undefined ? 'another process' : `process ${pid}`;
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

/** Whether `pid` runs, other than as this process (see the header for our own pid). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isCode(e, 'EPERM');
  }
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

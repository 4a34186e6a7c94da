/**
 * The lock that keeps two processes (or two WAL objects in one process) from appending to the same
 * WAL. etcd flocks every segment file; Node has no flock, so raftwire keeps a lock file,
 * `wal.lock`, in the WAL directory, holding the owner's pid:
 * - it is created atomically with its content: the pid is written to a private temporary file,
 *   which is then hard-linked to `wal.lock` (link fails with EEXIST if the lock exists), so nobody
 *   ever sees an empty lock file;
 * - a lock whose pid is no longer running (the owner was killed) is stale: it is removed and taken
 *   over. A lock holding this process's own pid is stale unless this process holds it (a restarted
 *   container often gets the same pid);
 * - close removes it.
 * Limits: the lock is advisory and local (pids mean nothing across hosts or pid namespaces), and
 * two processes taking over the same stale lock at the same instant may both succeed.
 * Go's etcd does not see this lock (it ignores unknown files in the WAL directory, with a warning).
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
    const tmp = join(dir, `${LOCK_FILE_NAME}.${process.pid}.tmp`);
    await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await link(tmp, path);
          held.add(path);
          return new DirLock(path);
        } catch (e) {
          if (!isCode(e, 'EEXIST') || attempt > 0) {
            if (isCode(e, 'EEXIST')) throw lockedError(dir, await readPid(path));
            throw e;
          }
        }
        const pid = await readPid(path);
        if (pid !== undefined && isAlive(pid)) throw lockedError(dir, pid);
        // Stale: its owner is gone. Remove it and try once more.
        await unlink(path).catch((e: unknown) => {
          if (!isCode(e, 'ENOENT')) throw e;
        });
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
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

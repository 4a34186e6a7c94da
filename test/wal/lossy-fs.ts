/**
 * A file layer that loses what was not synced, for power-loss tests (SIGKILL keeps the page cache,
 * so only this can show what a power cut does). Writes to a file are held in memory until its
 * fdatasync/fsync (or, on an O_DSYNC handle, until the write call returns); `truncate` and `close`
 * apply them first. The crash comes at a chosen operation count: that operation and every later
 * one fail, and each file keeps its synced bytes plus, at random, some whole 512-byte sectors of
 * what was pending (disks persist sectors in any order), the rest being what was there before.
 */
import { constants } from 'node:fs';
import type { WalFile, WalFs } from '../../src/wal/index.js';
import { defaultWalFs } from '../../src/wal/index.js';

const SECTOR = 512;

interface Pending {
  pos: number;
  bytes: Uint8Array;
}

export interface LossyFs {
  fs: WalFs;
  /** True once the crash happened. */
  readonly crashed: boolean;
  /** Operations (writes and syncs) performed so far. */
  readonly ops: number;
}

/** A lossy file layer that crashes at operation number `crashAtOp`, tearing with `rand`. */
export function lossyFs(crashAtOp: number, rand: () => number): LossyFs {
  let ops = 0;
  let crashed = false;
  const files = new Set<{ real: WalFile; pending: Pending[]; closed: boolean }>();

  const crashError = (): Error => Object.assign(new Error('EIO: simulated power loss'), { code: 'EIO' });

  async function flush(f: { real: WalFile; pending: Pending[] }): Promise<void> {
    const list = f.pending;
    f.pending = [];
    for (const p of list) await writeAll(f.real, p.bytes, p.pos);
  }

  /** At the crash: keep a random subset of each file's pending sectors. */
  async function crash(): Promise<void> {
    crashed = true;
    for (const f of files) {
      const keepAll = rand() < 0.3;
      const dropAll = !keepAll && rand() < 0.3;
      for (const p of f.pending) {
        if (dropAll) break;
        let off = 0;
        while (off < p.bytes.length) {
          const fileOff = p.pos + off;
          const len = Math.min(SECTOR - (fileOff % SECTOR), p.bytes.length - off);
          if (keepAll || rand() < 0.5) await writeAll(f.real, p.bytes.subarray(off, off + len), fileOff);
          off += len;
        }
      }
      f.pending = [];
      if (!f.closed) {
        f.closed = true;
        await f.real.close();
      }
    }
  }

  /** Counts an operation; at the crash point performs the crash and throws. */
  async function step(): Promise<void> {
    if (crashed) throw crashError();
    ops++;
    if (ops >= crashAtOp) {
      await crash();
      throw crashError();
    }
  }

  const fs: WalFs = {
    async open(path, flags, mode) {
      if (crashed) throw crashError();
      const real = await defaultWalFs.open(path, flags, mode);
      const dsync = typeof flags === 'number' && (flags & constants.O_DSYNC) !== 0;
      const f = { real, pending: [] as Pending[], closed: false };
      files.add(f);
      const file: WalFile = {
        async write(buffer, offset, length, position) {
          await step();
          f.pending.push({ pos: position, bytes: buffer.slice(offset, offset + length) });
          if (dsync) {
            // Durable when the call returns; a crash before that may tear it.
            await new Promise((r) => setImmediate(r));
            await step();
            await flush(f);
          }
          return { bytesWritten: length };
        },
        async read(buffer, offset, length, position) {
          if (crashed) throw crashError();
          return real.read(buffer, offset, length, position);
        },
        async datasync() {
          await step();
          await flush(f);
        },
        async sync() {
          await step();
          await flush(f);
        },
        async truncate(len) {
          await step();
          await flush(f);
          await real.truncate(len);
        },
        async stat() {
          if (crashed) throw crashError();
          await flush(f);
          return real.stat();
        },
        async close() {
          if (f.closed) return;
          // Closing does not sync, but the data reaches the disk eventually if no crash comes.
          await flush(f);
          f.closed = true;
          files.delete(f);
          await real.close();
        },
      };
      return file;
    },
    async syncDir(path) {
      await step();
      await defaultWalFs.syncDir(path);
    },
  };
  return {
    fs,
    get crashed() {
      return crashed;
    },
    get ops() {
      return ops;
    },
  };
}

async function writeAll(f: WalFile, bytes: Uint8Array, pos: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await f.write(bytes, done, bytes.length - done, pos + done);
    done += bytesWritten;
  }
}

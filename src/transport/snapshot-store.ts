/**
 * The default SnapshotStore: etcd's Snapshotter.SaveDBFrom on a directory. The body is streamed to
 * `<dir>/tmp<random>`, fsynced, then renamed to `<dir>/<index as %016x>.snap.db` and the directory
 * fsynced. Any failure removes the temp file.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotStore } from './types.js';

/** etcd's file name of a received snapshot database: index as 16 lower-case hex digits + ".snap.db". */
export function snapshotDbFileName(index: number): string {
  return `${index.toString(16).padStart(16, '0')}.snap.db`;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A SnapshotStore writing etcd-named `.snap.db` files into `dir` (created if missing). */
export function directorySnapshotStore(dir: string): SnapshotStore {
  return {
    async saveDBFrom(body: AsyncIterable<Uint8Array>, index: number): Promise<number> {
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `tmp${randomBytes(8).toString('hex')}`);
      const fh = await open(tmp, 'wx', 0o600);
      let bytes = 0;
      let closed = false;
      try {
        for await (const chunk of body) {
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
            off += bytesWritten;
          }
          bytes += chunk.length;
        }
        await fh.sync();
        await fh.close();
        closed = true;
        const target = join(dir, snapshotDbFileName(index));
        const exists = await access(target).then(
          () => true,
          () => false,
        );
        // etcd keeps an existing file for the same index and still reports success.
        if (exists) await unlink(tmp);
        else await rename(tmp, target);
        await fsyncDir(dir);
        return bytes;
      } catch (err) {
        if (!closed) await fh.close().catch(() => {});
        await unlink(tmp).catch(() => {});
        throw err;
      }
    },
  };
}

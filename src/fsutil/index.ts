/**
 * Low-level file-system helpers shared by the on-disk areas (wal, snap) without either importing the
 * other. Internal: not a package export.
 */
import { open } from 'node:fs/promises';

/** fsyncs directory `dir`, so that a create, rename or unlink in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Whether process `pid` exists (signal 0): for pid files (a supervisor's lock, test port
 * reservations). EPERM means it exists under another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

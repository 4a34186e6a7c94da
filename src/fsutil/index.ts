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

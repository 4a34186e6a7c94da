/**
 * The one snapshot-database writer (Snapshotter.saveDBFrom, which the transport uses as its
 * SnapshotStore): what a crash mid-transfer leaves behind is recognised and removed by the next
 * Snapshotter on the directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dbFileName, NoSnapshotError, Snapshotter } from '../../src/snap/index.js';
import type { SnapshotStore } from '../../src/transport/index.js';

test('a database snapshot cut off mid-write leaves only a temp file, which the next Snapshotter removes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-db-leftover-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The transport takes the Snapshotter as its store.
  const store: SnapshotStore = new Snapshotter(dir);
  let reached!: () => void;
  const written = new Promise<void>((r) => (reached = r));
  let release!: (err: Error) => void;
  const cut = new Promise<never>((_, reject) => (release = reject));
  cut.catch(() => {});
  t.after(() => release(new Error('test over')));
  async function* source(): AsyncGenerator<Uint8Array> {
    // Large enough to be written through at once (no staging), so the file holds bytes.
    yield new Uint8Array(1024 * 1024).fill(7);
    reached();
    await cut;
  }
  const saving = store.saveDBFrom(source(), 42);
  saving.catch(() => {});
  await written;
  const during = await readdir(dir);
  assert.equal(during.length, 1);
  assert.notEqual(during[0], dbFileName(42));
  // The process "crashes" here: a new Snapshotter (a restart) finds the leftover and removes it.
  const restarted = new Snapshotter(dir);
  await assert.rejects(restarted.load(), NoSnapshotError);
  assert.deepEqual(await readdir(dir), []);
  // The interrupted writer fails cleanly and publishes nothing.
  release(new Error('connection lost'));
  await assert.rejects(saving, /connection lost/);
  assert.deepEqual(await readdir(dir), []);
});

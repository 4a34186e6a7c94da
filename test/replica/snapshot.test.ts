import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestCluster, tempDir, waitFor } from './helpers.js';

test('a lagging member installs a snapshot through the transport after compaction and catches up', async (t) => {
  const { dir, cleanup } = await tempDir('snap');
  const c = new TestCluster(dir, { snapshotCount: 5, snapshotCatchUpEntries: 2 });
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  const ids = [1n, 2n, 3n];
  await Promise.all(ids.map((id) => c.start(id, ids)));
  const leader = await c.leader();
  const lagging = ids.find((id) => id !== leader) as bigint;
  await c.replicas.get(leader)?.propose(Buffer.from('before'));
  await c.stop(lagging);
  const lr = c.replicas.get(leader);
  const saved: number[] = [];
  lr?.on('snapshot-saved', ({ index }) => saved.push(index));
  const values = ['before'];
  for (let i = 0; i < 30; i++) {
    const v = `v${i}`;
    await lr?.propose(Buffer.from(v));
    values.push(v);
  }
  assert.ok(saved.length >= 3, `snapshots taken: ${saved}`);
  // The leader's log was compacted past what the lagging member has.
  const snapFiles = (await readdir(join(c.dirs.get(leader) as string, 'snap'))).filter((n) =>
    n.endsWith('.snap'),
  );
  assert.ok(snapFiles.length >= 1 && snapFiles.length <= 3, `kept .snap files: ${snapFiles}`);

  const r = await c.start(lagging, ids);
  const sm = c.machines.get(lagging);
  // If the lagging member applied index 5 before it stopped, it took a snapshot of its own there,
  // and starting again restored it from its disk; either way, exactly one more comes from the leader.
  const restoredAtStart = sm?.restores ?? -1;
  assert.ok(restoredAtStart === 0 || restoredAtStart === 1, `restores during start: ${restoredAtStart}`);
  const installs: number[] = [];
  const installed = new Promise<number>((resolve) =>
    r.on('snapshot-installed', ({ index }) => {
      installs.push(index);
      resolve(index);
    }),
  );
  const index = await installed;
  assert.ok(index >= (saved.at(-1) ?? 0) - 5, `installed snapshot at ${index}`);
  await r.readBarrier();
  assert.equal(sm?.restores, restoredAtStart + 1);
  assert.deepEqual(installs, [index]);
  assert.deepEqual(sm?.list(), values);
  await waitFor(() => r.status().snapshotIndex >= index, 5000, 'snapshot index in status');
  // It keeps up afterwards.
  const last = await lr?.propose(Buffer.from('after'));
  await r.readBarrier();
  assert.equal(sm?.values.get(last as number), 'after');
});

test('old WAL segments are purged after snapshots (at most 5 kept beyond the held ones)', async (t) => {
  const { dir, cleanup } = await tempDir('purge');
  const c = new TestCluster(dir, {
    snapshotCount: 10,
    snapshotCatchUpEntries: 2,
    walSegmentSizeBytes: 64 * 1024,
  });
  t.after(async () => {
    await c.closeAll();
    await cleanup();
  });
  await c.start(1n, [1n]);
  const r = c.replicas.get(1n);
  const big = 'x'.repeat(8 * 1024);
  for (let i = 0; i < 120; i++) await r?.propose(Buffer.from(`${i}:${big}`));
  const segments = (await readdir(join(c.dirs.get(1n) as string, 'wal'))).filter((n) => n.endsWith('.wal'));
  // 120 × 8 KiB went through 64 KiB segments: ~15 were cut, most of them purged.
  assert.ok(segments.length <= 7, `segments left: ${segments.length}`);
  // Restart from what is left: the newest snapshot plus the WAL after it.
  await c.stop(1n);
  await c.start(1n, [1n]);
  await c.replicas.get(1n)?.readBarrier();
  const sm = c.machines.get(1n);
  assert.equal(sm?.values.size, 120);
  assert.ok([...(sm?.counts.values() ?? [])].every((n) => n === 1));
});

/**
 * The WAL on each of its file layers: the native writer threads (the default) and plain
 * fs/promises (the fallback when the addon is not built). The same saves, group commits, segment
 * cuts and snapshot markers must leave byte-identical segment files and read back the same, in
 * both sync modes.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Entry } from '../../src/raftpb/index.js';
import { nativeWalFs, nodeWalFs, Wal, type WalFs } from '../../src/wal/index.js';
import { entries, entry, hardState, plain, tempRoot } from './helpers.js';

const ZERO = { index: 0, term: 0 };

/** A fixed workload: single saves, a burst of concurrent ones, big entries across cuts, a marker. */
async function workload(dir: string, fs: WalFs, sync: 'o_dsync' | 'fdatasync'): Promise<Entry[]> {
  const w = await Wal.create(dir, Uint8Array.of(7, 7), { fs, sync, segmentSizeBytes: 4096 });
  const all: Entry[] = [];
  for (let i = 1; i <= 20; i++) {
    const e = entry(i, 1, 50 + i);
    all.push(e);
    await w.save(hardState(1, 1n, i - 1), [e]);
  }
  const burst: Promise<void>[] = [];
  for (let i = 21; i <= 60; i++) {
    const e = entry(i, 2, 200);
    all.push(e);
    burst.push(w.save(hardState(2, 1n, i - 1), [e]));
  }
  await Promise.all(burst);
  await w.saveSnapshot({ index: 30, term: 2 });
  const big = entries(61, 70, 2, 3000);
  all.push(...big);
  await w.save(hardState(2, 1n, 65), big);
  for (let i = 71; i <= 80; i++) {
    const e = entry(i, 3, 100);
    all.push(e);
    await w.save(hardState(3, 2n, i - 1), [e]);
  }
  await w.close();
  return all;
}

async function segments(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort()) {
    out.set(name, await readFile(join(dir, name)));
  }
  return out;
}

describe('WAL file layers', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    t = await tempRoot();
  });
  after(() => t.dispose());

  for (const sync of ['o_dsync', 'fdatasync'] as const) {
    it(`native and fs/promises write the same segments (${sync})`, async () => {
      assert.ok(nativeWalFs !== undefined, 'the raftwire_wal addon is built');
      const layers: Array<[string, WalFs]> = [
        ['native', nativeWalFs],
        ['promises', nodeWalFs],
      ];
      const written = new Map<string, Map<string, Buffer>>();
      for (const [name, fs] of layers) {
        const dir = join(t.root, `${sync}-${name}`);
        const all = await workload(dir, fs, sync);
        const segs = await segments(dir);
        assert.ok(segs.size >= 3, `${name}: the workload cuts segments (${segs.size})`);
        written.set(name, segs);
        // Each layer reads back what it wrote, and so does the other.
        for (const [, readFs] of layers) {
          const r = await Wal.open(dir, ZERO, { fs: readFs });
          const c = await r.readAll();
          assert.deepEqual([...c.metadata], [7, 7]);
          assert.deepEqual(c.hardState, hardState(3, 2n, 79));
          assert.deepEqual(plain(c.entries), plain(all));
          await r.close();
        }
      }
      const [a, b] = [written.get('native'), written.get('promises')];
      assert.deepEqual([...(a?.keys() ?? [])], [...(b?.keys() ?? [])]);
      for (const [name, bytes] of a ?? []) assert.ok(bytes.equals(b?.get(name) ?? Buffer.alloc(0)), name);
    });
  }
});

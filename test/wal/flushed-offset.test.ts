/**
 * FlushedOffset: the offset etcd's page writer has flushed, which decides where etcd cuts a
 * segment. The interop test (test/interop/storage/wal.test.ts) checks the cut points against Go;
 * these cases pin the page writer's rules one by one, with the numbers worked out by hand.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FlushedOffset } from '../../src/wal/flushed-offset.js';
import { Wal } from '../../src/wal/index.js';
import { entry, hardState, tempRoot } from './helpers.js';

const KiB = 1024;

describe('FlushedOffset', () => {
  it('keeps records in the buffer until a sync, then counts them all', () => {
    const f = new FlushedOffset(100);
    f.record(64);
    f.record(4 * KiB);
    assert.equal(f.flushed, 100);
    f.flush();
    assert.equal(f.flushed, 100 + 64 + 4 * KiB);
  });

  it('fills the buffer exactly to the 128 KiB watermark without flushing', () => {
    const f = new FlushedOffset(0);
    f.record(128 * KiB);
    assert.equal(f.flushed, 0);
  });

  it('on overflow, completes the unaligned page, flushes, writes whole pages through, buffers the rest', () => {
    // Offset 100: the length field (8) is buffered; the 131072 bytes of data overflow. Slack to
    // the page end: 4096 - 108 = 3988. That flush brings the file to 4096; 31 whole pages (126976
    // bytes) go straight through, to 131072; the last 108 bytes stay buffered.
    const f = new FlushedOffset(100);
    f.record(128 * KiB + 8);
    assert.equal(f.flushed, 131072);
    f.flush();
    assert.equal(f.flushed, 100 + 128 * KiB + 8);
  });

  it('does not flush when the overflowing write cannot fill the slack page', () => {
    const f = new FlushedOffset(100);
    f.record(131062); // buffered 131062, 10 short of the watermark
    f.record(28); // the length fits; the 20 bytes overflow but are fewer than the slack (3998)
    assert.equal(f.flushed, 100);
    // The next length field is partial again (slack 3978); then 4096 bytes fill the slack page,
    // flush everything up to the page boundary and leave 126 bytes buffered.
    f.record(8 + 4096);
    assert.equal(f.flushed, 135168);
  });

  it('after a flush, exactly one page left over is buffered, not written through', () => {
    const f = new FlushedOffset(0);
    f.record(130976); // buffered 130976; then the length field: 130984, slack 88
    f.record(8 + 88 + 4096); // overflow: 88 complete the page, flush, 4096 left
    assert.equal(f.flushed, 128 * KiB);
  });
});

describe('Wal segment cuts', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('concurrent saves give the same segments as the same saves one by one', async () => {
    const saves = (w: Wal, concurrent: boolean) => {
      const ps: Promise<void>[] = [];
      return (async () => {
        for (let i = 1; i <= 120; i++) {
          const p = w.save(hardState(1 + Math.floor(i / 50), 1n, i - 1), [
            entry(i, 1, 50 + ((i * 37) % 700)),
          ]);
          if (concurrent) ps.push(p);
          else await p;
        }
        await Promise.all(ps);
      })();
    };
    const dirs = [join(t.root, 'one-by-one'), join(t.root, 'concurrent')];
    for (const [k, dir] of dirs.entries()) {
      const w = await Wal.create(dir, undefined, { segmentSizeBytes: 8 * KiB });
      await saves(w, k === 1);
      await w.close();
    }
    const [a, b] = await Promise.all(dirs.map(async (d) => (await readdir(d)).sort()));
    assert.deepEqual(b, a);
    assert.ok((a as string[]).length > 4, `${(a as string[]).length} segments`);
    for (const name of a as string[]) {
      const [x, y] = await Promise.all(dirs.map((d) => readFile(join(d, name))));
      assert.ok((x as Buffer).equals(y as Buffer), name);
    }
  });
});

/**
 * etcd's segment locks as raftwire takes them (src/wal/segment-locks.ts): exclusive between two
 * holders even in one process (open file description locks), released by release/releaseAll, and
 * re-taken by the same holder without conflict. Against Go: test/interop/storage/wal-lock.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { WalErrorCode } from '../../src/wal/index.js';
import { SegmentLocks } from '../../src/wal/segment-locks.js';
import { tempRoot } from './helpers.js';

const locked = (e: unknown) => isRaftwireError(e, WalErrorCode.LOCKED);

describe('segment locks', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  const paths: string[] = [];
  before(async () => {
    t = await tempRoot();
    for (const n of ['a.wal', 'b.wal', 'c.wal']) {
      const p = join(t.root, n);
      await writeFile(p, 'x');
      paths.push(p);
    }
  });
  after(() => t.dispose());

  it('are taken (the addon is built)', () => {
    assert.equal(SegmentLocks.available, true);
  });

  it('exclude a second holder in the same process until released', async () => {
    const [a, b] = paths as [string, string];
    const one = new SegmentLocks();
    const two = new SegmentLocks();
    await one.lockAll([a, b]);
    await one.lock(a); // the holder's own lock again: a no-op
    assert.deepEqual(one.names, ['a.wal', 'b.wal']);
    await assert.rejects(two.lock(a), (e: unknown) => locked(e) && String(e).includes(a));
    await one.release(['a.wal']);
    await two.lock(a);
    await assert.rejects(two.lock(b), locked);
    await one.releaseAll();
    await two.lock(b);
    assert.deepEqual(two.names, ['a.wal', 'b.wal']);
    await two.releaseAll();
    assert.deepEqual(two.names, []);
  });

  it('lockAll takes all or none', async () => {
    const [a, b, c] = paths as [string, string, string];
    const other = new SegmentLocks();
    await other.lock(c);
    const all = new SegmentLocks();
    await assert.rejects(all.lockAll([a, b, c]), locked);
    assert.deepEqual(all.names, []);
    // What it took before the failure was let go: a third holder gets a and b.
    const third = new SegmentLocks();
    await third.lockAll([a, b]);
    await third.releaseAll();
    await other.releaseAll();
  });

  it('a missing file is the open error, not a lock error', async () => {
    const l = new SegmentLocks();
    await assert.rejects(l.lock(join(t.root, 'nope.wal')), { code: 'ENOENT' });
  });
});

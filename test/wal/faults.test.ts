/**
 * Disk faults: a failing fdatasync or write (injected through the file layer), and a full disk
 * (a small tmpfs mounted for the test). Each gives a clear error, the WAL refuses further writes
 * until reopened (etcd panics at that point), and the log stays readable with everything that was
 * acknowledged.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isRaftwireError } from '../../src/errors/index.js';
import type { Entry } from '../../src/raftpb/index.js';
import { Wal, WalErrorCode } from '../../src/wal/index.js';
import { entries, entry, errnoError, hardState, plain, probedFs, tempRoot } from './helpers.js';

const run = promisify(execFile);
const ZERO = { index: 0, term: 0 };

function failedWith(code: string, cause: string) {
  return (e: unknown) =>
    isRaftwireError(e, code) &&
    (e.cause as NodeJS.ErrnoException | undefined)?.code === cause &&
    e.message.includes(cause);
}

async function readBack(dir: string): Promise<Entry[]> {
  const w = await Wal.open(dir, ZERO);
  try {
    return (await w.readAll()).entries;
  } finally {
    await w.close();
  }
}

describe('fsync and write failures (injected)', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('a failed fdatasync fails the save and every later one until reopen; the log stays readable', async () => {
    const { fs, probe } = probedFs();
    const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 1 << 16, sync: 'fdatasync' });
    await w.save(hardState(1, 1n, 0), entries(1, 10, 1));
    probe.failDatasync = errnoError('EIO', 'fdatasync');
    const inFlight = [
      w.save(hardState(1, 1n, 10), [entry(11, 1)]),
      w.save(hardState(1, 1n, 11), [entry(12, 1)]),
      w.save(hardState(1, 1n, 12), [entry(13, 1)]),
    ];
    const results = await Promise.allSettled(inFlight);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(
        failedWith(WalErrorCode.WRITE_FAILED, 'EIO')(r.reason) ||
          failedWith(WalErrorCode.FAILED, 'EIO')(r.reason),
        String(r.status === 'rejected' ? r.reason : ''),
      );
    }
    assert.ok(failedWith(WalErrorCode.WRITE_FAILED, 'EIO')((results[0] as PromiseRejectedResult).reason));
    // Even with the disk healthy again, this WAL object refuses writes.
    probe.failDatasync = undefined;
    await assert.rejects(
      w.save(hardState(1, 1n, 13), [entry(14, 1)]),
      failedWith(WalErrorCode.FAILED, 'EIO'),
    );
    await assert.rejects(w.saveSnapshot({ index: 5, term: 1 }), failedWith(WalErrorCode.FAILED, 'EIO'));
    await w.close();
    const es = await readBack(t.dir);
    // Everything acknowledged is there; the unacknowledged batches may or may not be.
    assert.deepEqual(plain(es.slice(0, 10)), plain(entries(1, 10, 1)));
    const r = await Wal.open(t.dir, ZERO);
    await r.readAll();
    await r.save(hardState(2, 1n, 10), [entry(es.length + 1, 2)]);
    await r.close();
    assert.equal((await readBack(t.dir)).length, es.length + 1);
  });

  for (const sync of ['fdatasync', 'o_dsync'] as const) {
    // With O_DSYNC a failed sync surfaces as a failed write (EIO), which is this case too.
    for (const errno of ['ENOSPC', 'EIO']) {
      it(`a failed write (${errno}, ${sync}) fails the save with the cause and leaves the log readable`, async () => {
        const { fs, probe } = probedFs();
        const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 1 << 16, sync });
        await w.save(hardState(1, 1n, 0), entries(1, 3, 1));
        probe.failWrite = errnoError(errno, 'injected');
        await assert.rejects(
          w.save(hardState(1, 1n, 3), [entry(4, 1)]),
          failedWith(WalErrorCode.WRITE_FAILED, errno),
        );
        probe.failWrite = undefined;
        await assert.rejects(
          w.save(hardState(1, 1n, 3), [entry(4, 1)]),
          failedWith(WalErrorCode.FAILED, errno),
        );
        await w.close();
        assert.deepEqual(plain(await readBack(t.dir)), plain(entries(1, 3, 1)));
      });
    }
  }
});

describe('a full disk (tmpfs)', () => {
  let mnt: string;
  before(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'raftwire-wal-tmpfs-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt]);
  });
  after(async () => {
    await run('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  for (const [preallocation, sync] of [
    ['zeros', 'o_dsync'],
    ['sparse', 'o_dsync'],
    ['zeros', 'fdatasync'],
    ['sparse', 'fdatasync'],
  ] as const) {
    it(`ENOSPC gives a clear error and loses nothing acknowledged (${preallocation} preallocation, ${sync})`, async (t) => {
      const dir = join(mnt, `wal-${preallocation}-${sync}`);
      const filler = join(mnt, `filler-${preallocation}-${sync}`);
      // A failed run must not leave the small file system full for the next one.
      t.after(async () => {
        await rm(filler, { force: true });
        await rm(dir, { recursive: true, force: true });
      });
      await writeFile(filler, Buffer.alloc(96 * 1024, 1));
      const w = await Wal.create(dir, Uint8Array.of(1), { segmentSizeBytes: 64 * 1024, preallocation, sync });
      let acked = 0;
      let failure: unknown;
      try {
        for (let i = 1; i <= 2000 && failure === undefined; i++) {
          try {
            await w.save(hardState(1, 1n, i - 1), [entry(i, 1, 1000)]);
            acked = i;
          } catch (e) {
            failure = e;
          }
        }
        assert.ok(failedWith(WalErrorCode.WRITE_FAILED, 'ENOSPC')(failure), String(failure));
        assert.ok(acked > 50, `only ${acked} saves before the disk was full`);
        await assert.rejects(
          w.save(hardState(1, 1n, 0), [entry(acked + 1, 1)]),
          failedWith(WalErrorCode.FAILED, 'ENOSPC'),
        );
      } finally {
        await w.close();
      }
      // Free some space (a repair keeps a .broken copy), then everything acknowledged is there.
      await unlink(filler);
      const es = await readBack(dir);
      assert.ok(es.length >= acked);
      assert.deepEqual(plain(es.slice(0, acked)), plain(entries(1, acked, 1, 1000)));
      await rm(dir, { recursive: true, force: true });
    });
  }
});

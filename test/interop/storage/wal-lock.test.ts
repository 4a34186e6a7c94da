/**
 * etcd's segment locks across implementations: while raftwire appends to a WAL, etcd 3.4.23's
 * wal.Open (which TryLocks every segment) refuses it, and while a Go process holds one open,
 * raftwire's Wal.open refuses it with RAFTWIRE_WAL_LOCKED; a released or killed holder lets the
 * other in. Both read-only opens (OpenForRead, openForRead) take no lock and always work.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import { EntryType } from '../../../src/raftpb/index.js';
import { Wal, WalErrorCode } from '../../../src/wal/index.js';
import { goHoldWal, goReadWal } from './storage-tool.js';

const ZERO = { index: 0, term: 0 };
const locked = (e: unknown) => isRaftwireError(e, WalErrorCode.LOCKED);

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-wal-lock-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A raftwire WAL with `count` entries in segments of `segmentSizeBytes`. */
async function raftwireWal(count: number, segmentSizeBytes: number): Promise<{ dir: string; wal: Wal }> {
  const dir = join(root, `wal-${++n}`);
  const wal = await Wal.create(dir, Uint8Array.of(1), { segmentSizeBytes });
  for (let i = 1; i <= count; i++) {
    await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [
      { term: 1, index: i, type: EntryType.EntryNormal, data: new Uint8Array(200).fill(i & 0xff) },
    ]);
  }
  return { dir, wal };
}

/** Go's wal.Open error text for a locked segment (fileutil.ErrLocked, or EAGAIN from fcntl). */
const GO_LOCKED = /locked|resource temporarily unavailable/i;

describe('WAL locks between etcd and raftwire', () => {
  it('Go cannot open a WAL raftwire is appending to, and can once raftwire closes it', async () => {
    const { dir, wal } = await raftwireWal(40, 4096);
    assert.ok(wal.lockedSegments.length >= 3, 'the WAL spans several segments, each locked');
    await assert.rejects(goReadWal(dir, 0, 0), (e: Error) => GO_LOCKED.test(String(e)));
    await wal.close();
    const r = await goReadWal(dir, 0, 0);
    assert.equal(r.entries.length, 40);
  });

  it('the segment a cut creates is locked too: Go at a marker in the newest segment is refused', async () => {
    const { dir, wal } = await raftwireWal(10, 4096);
    await wal.saveSnapshot({ index: 10, term: 1 });
    for (let i = 11; i <= 60; i++) {
      await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [
        { term: 1, index: i, type: EntryType.EntryNormal, data: new Uint8Array(200) },
      ]);
    }
    await wal.saveSnapshot({ index: 60, term: 1 });
    wal.releaseLockTo(60);
    // Go at marker 60 locks only the newest segments, which raftwire still holds.
    await assert.rejects(goReadWal(dir, 60, 1), (e: Error) => GO_LOCKED.test(String(e)));
    await wal.close();
    assert.equal((await goReadWal(dir, 60, 1)).entries.length, 0);
  });

  it('raftwire cannot open a WAL a Go process holds, and can once Go closes it', async () => {
    const { dir, wal } = await raftwireWal(5, 64 * 1024);
    await wal.close();
    const holder = await goHoldWal(dir, ZERO);
    try {
      await assert.rejects(Wal.open(dir, ZERO), (e: unknown) => {
        assert.ok(locked(e), String(e));
        assert.match(String(e), /locked by another WAL/);
        return true;
      });
      // Reading without the lock works beside Go, as etcd's OpenForRead does.
      const ro = await Wal.openForRead(dir, ZERO);
      assert.equal((await ro.readAll()).entries.length, 5);
      await ro.close();
    } finally {
      assert.equal(await holder.release(), 0);
    }
    const again = await Wal.open(dir, ZERO);
    assert.equal((await again.readAll()).entries.length, 5);
    await again.save({ term: 1, vote: 1n, commit: 5 }, []);
    await again.close();
  });

  it('a Go holder killed with SIGKILL leaves no lock behind', async () => {
    const { dir, wal } = await raftwireWal(3, 64 * 1024);
    await wal.close();
    const holder = await goHoldWal(dir, ZERO);
    try {
      await assert.rejects(Wal.open(dir, ZERO), locked);
    } finally {
      await holder.kill();
    }
    const w = await Wal.open(dir, ZERO);
    assert.equal((await w.readAll()).entries.length, 3);
    await w.close();
  });
});

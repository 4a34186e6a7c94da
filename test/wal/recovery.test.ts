import assert from 'node:assert/strict';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  MIN_SECTOR_BYTES,
  RecordEncoder,
  repairWal,
  type ScannedRecord,
  scanSegment,
  Wal,
  WalErrorCode,
  WalRecordError,
  walName,
} from '../../src/wal/index.js';
import { entries, entry, hardState, plain, tempRoot } from './helpers.js';

const ZERO = { index: 0, term: 0 };
const SEG0 = walName(0, 0);

/** Writes batches of one entry each (entries 1..n, `size` bytes of data), closes. */
async function writeLog(dir: string, n: number, size: number, segmentSizeBytes = 1 << 16): Promise<void> {
  const w = await Wal.create(dir, Uint8Array.of(9), { segmentSizeBytes });
  for (let i = 1; i <= n; i++) await w.save(hardState(1, 1n, i - 1), [entry(i, 1, size)]);
  await w.close();
}

/** The records of a segment file and where its data ends. */
async function recordsOf(path: string): Promise<{ records: ScannedRecord[]; end: number }> {
  const buf = await readFile(path);
  const s = scanSegment(buf, buf.length, path, 0, true);
  return { records: s.records, end: s.end };
}

/** Frame end of record `i` (start of the next frame, or the data end). */
function frameEnd(records: ScannedRecord[], i: number, end: number): number {
  return records[i + 1]?.offset ?? end;
}

async function readIndexes(dir: string): Promise<number[]> {
  const w = await Wal.open(dir, ZERO);
  try {
    return (await w.readAll()).entries.map((e) => e.index);
  } finally {
    await w.close();
  }
}

async function flipByte(path: string, at: number): Promise<void> {
  const f = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await f.read(b, 0, 1, at);
  b[0] = (b[0] as number) ^ 0x10;
  await f.write(b, 0, 1, at);
  await f.close();
}

describe('recovery', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('a tail cut at any byte of the last record is repaired: truncated, with a .broken copy', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { records, end } = await recordsOf(path);
    // The last record is the hard state of batch 5; the one before it is entry 5.
    const lastEntry = records.length - 2;
    const start = (records[lastEntry] as ScannedRecord).offset;
    const stop = frameEnd(records, records.length - 1, end);
    const pristine = join(t.root, 'pristine');
    await copyFile(path, pristine);
    for (let cut = start + 1; cut < stop; cut++) {
      await copyFile(pristine, path);
      await truncate(path, cut);
      const w = await Wal.open(t.dir, ZERO);
      const c = await w.readAll();
      // A cut inside entry 5 loses it; a cut inside the hard state after it keeps entry 5.
      const cutEntry = cut < frameEnd(records, lastEntry, end);
      assert.deepEqual(
        c.entries.map((e) => e.index),
        cutEntry ? [1, 2, 3, 4] : [1, 2, 3, 4, 5],
        `cut at ${cut}`,
      );
      if (cut === frameEnd(records, lastEntry, end)) {
        // The file ends on a record boundary: nothing is torn, nothing is repaired.
        assert.ok(!(await readdir(t.dir)).includes(`${SEG0}.broken`));
      } else {
        const broken = await readFile(`${path}.broken`);
        assert.equal(broken.length, cut, 'the .broken copy holds the file as it was');
        await rm(`${path}.broken`);
      }
      await w.save(hardState(1, 1n, 4), [entry(5, 1, 3, 55)]);
      await w.close();
      assert.deepEqual(await readIndexes(t.dir), [1, 2, 3, 4, 5], `cut at ${cut}, after append`);
    }
  });

  it('a record with an all-zero sector at the tail is a torn write (etcd isTornEntry)', async () => {
    await writeLog(t.dir, 4, 2000);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    // Entry 4's record spans several sectors; zero one whole sector inside it.
    const rec = records[records.length - 2] as ScannedRecord;
    const sector = Math.ceil((rec.offset + 8) / MIN_SECTOR_BYTES) * MIN_SECTOR_BYTES;
    assert.ok(sector + MIN_SECTOR_BYTES < rec.dataEnd);
    const f = await open(path, 'r+');
    await f.write(Buffer.alloc(MIN_SECTOR_BYTES), 0, MIN_SECTOR_BYTES, sector);
    await f.close();
    assert.deepEqual(await readIndexes(t.dir), [1, 2, 3]);
    assert.ok((await readdir(t.dir)).includes(`${SEG0}.broken`));
  });

  it('a torn record in the middle of the last segment ends the log there (records after it were never synced)', async () => {
    await writeLog(t.dir, 6, 600);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    const third = records.find((r) => r.type === 2 && r.dataEnd - r.dataStart > 600 && r.offset > 200);
    assert.ok(third !== undefined);
    const sector = Math.ceil((third.offset + 8) / MIN_SECTOR_BYTES) * MIN_SECTOR_BYTES;
    const f = await open(path, 'r+');
    await f.write(Buffer.alloc(MIN_SECTOR_BYTES), 0, MIN_SECTOR_BYTES, sector);
    await f.close();
    const idx = await readIndexes(t.dir);
    assert.ok(idx.length < 6 && idx.length >= 1);
    assert.deepEqual(
      idx,
      entries(1, idx.length, 1).map((e) => e.index),
    );
  });

  it('a bit flip in the last record with no zero sector is a CRC mismatch, and the file is left alone', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    const last = records[records.length - 1] as ScannedRecord;
    await flipByte(path, last.dataStart + 1);
    const before = await readFile(path);
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(w.readAll(), (e: unknown) => {
      return (
        e instanceof WalRecordError &&
        e.code === WalErrorCode.CRC_MISMATCH &&
        e.file === path &&
        e.offset === last.offset &&
        e.message.includes(path) &&
        e.message.includes(`offset ${last.offset}`)
      );
    });
    await w.close();
    assert.deepEqual(await readFile(path), before);
    assert.ok(!(await readdir(t.dir)).some((n) => n.endsWith('.broken')));
  });

  it('a bit flip in an earlier record is a CRC mismatch naming its offset, never a truncation', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    const victim = records[4] as ScannedRecord;
    await flipByte(path, victim.dataEnd - 1);
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(
      w.readAll(),
      (e: unknown) =>
        e instanceof WalRecordError && e.code === WalErrorCode.CRC_MISMATCH && e.offset === victim.offset,
    );
    await w.close();
  });

  it('a corrupt record in a segment before the last is a CRC mismatch', async () => {
    await writeLog(t.dir, 30, 200, 2048);
    const names = (await readdir(t.dir)).filter((n) => n.endsWith('.wal')).sort();
    assert.ok(names.length >= 3);
    const path = join(t.dir, names[1] as string);
    // A scan from a zero chain accepts the segment's own crc record as the start.
    const { records } = await recordsOf(path);
    const victim = records[3] as ScannedRecord;
    await flipByte(path, victim.dataEnd - 1);
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(
      w.readAll(),
      (e: unknown) => e instanceof WalRecordError && e.code === WalErrorCode.CRC_MISMATCH && e.file === path,
    );
    await w.close();
  });

  it('a truncated segment before the last is corruption, not a torn tail', async () => {
    await writeLog(t.dir, 30, 200, 2048);
    const names = (await readdir(t.dir)).filter((n) => n.endsWith('.wal')).sort();
    const path = join(t.dir, names[0] as string);
    const { records } = await recordsOf(path);
    await truncate(path, (records[records.length - 1] as ScannedRecord).offset + 12);
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(
      w.readAll(),
      (e: unknown) => e instanceof WalRecordError && e.code === WalErrorCode.CORRUPT && e.file === path,
    );
    await w.close();
  });

  it('zeroes stale bytes after the last record before appending (etcd ZeroToEnd)', async () => {
    await writeLog(t.dir, 3, 20, 8192);
    const path = join(t.dir, SEG0);
    const { end } = await recordsOf(path);
    // A later sector of an unsynced write reached the disk, an earlier one did not.
    const f = await open(path, 'r+');
    await f.write(Buffer.alloc(100, 0xab), 0, 100, end + 1024);
    await f.close();
    const w = await Wal.open(t.dir, ZERO);
    await w.readAll();
    const after = await readFile(path);
    assert.ok(after.subarray(end).every((b) => b === 0));
    assert.equal(after.length, 8192);
    await w.save(hardState(1, 1n, 3), entries(4, 40, 1, 20));
    await w.close();
    assert.equal((await readIndexes(t.dir)).length, 40);
  });

  it('finds and zeroes one stale byte at the very end of a large preallocated segment', async () => {
    const size = 256 * 1024 + 512;
    await writeLog(t.dir, 3, 20, size);
    const path = join(t.dir, SEG0);
    const { end } = await recordsOf(path);
    const f = await open(path, 'r+');
    await f.write(Buffer.of(0xab), 0, 1, size - 1);
    await f.close();
    const w = await Wal.open(t.dir, ZERO);
    await w.readAll();
    const after = await readFile(path);
    assert.equal(after.length, size);
    assert.ok(after.subarray(end).every((b) => b === 0));
    await w.close();
  });

  it('a gap in the segment sequence is FILE_NOT_FOUND', async () => {
    await writeLog(t.dir, 30, 200, 2048);
    const names = (await readdir(t.dir)).filter((n) => n.endsWith('.wal')).sort();
    await rename(join(t.dir, names[1] as string), join(t.root, 'moved'));
    await assert.rejects(Wal.open(t.dir, ZERO), (e: unknown) =>
      isRaftwireError(e, WalErrorCode.FILE_NOT_FOUND),
    );
  });

  it('segments with different metadata are METADATA_CONFLICT', async () => {
    await mkdir(t.dir);
    const enc = new RecordEncoder(0);
    const buf0 = Buffer.alloc(256);
    let p = enc.crcRecord(buf0, 0);
    p = enc.metadata(buf0, p, Uint8Array.of(1));
    p = enc.snapshot(buf0, p, ZERO, 4);
    await writeFile(join(t.dir, walName(0, 0)), buf0.subarray(0, p));
    const buf1 = Buffer.alloc(256);
    let q = enc.crcRecord(buf1, 0);
    q = enc.metadata(buf1, q, Uint8Array.of(2));
    await writeFile(join(t.dir, walName(1, 1)), buf1.subarray(0, q));
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(w.readAll(), (e: unknown) => isRaftwireError(e, WalErrorCode.METADATA_CONFLICT));
    await w.close();
  });

  it('reads a log whose last segment was never preallocated (etcd TestTailWriteNoSlackSpace)', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { end } = await recordsOf(path);
    await truncate(path, end);
    const w = await Wal.open(t.dir, ZERO);
    const c = await w.readAll();
    assert.deepEqual(plain(c.entries), plain(entries(1, 5, 1, 20)));
    await w.save(hardState(1, 1n, 5), entries(6, 10, 1, 20));
    await w.close();
    assert.deepEqual(await readIndexes(t.dir), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('openForRead', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('reads beside a WAL open for appending, without the lock', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 2048 });
    for (let i = 1; i <= 20; i++) await w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]);
    const r = await Wal.openForRead(t.dir, ZERO);
    const c = await r.readAll();
    assert.deepEqual(plain(c.entries), plain(entries(1, 20, 1, 100)));
    await assert.rejects(r.save(hardState(1, 1n, 20), [entry(21, 1)]), (e: unknown) =>
      isRaftwireError(e, WalErrorCode.BAD_STATE),
    );
    await r.close();
    await w.save(hardState(1, 1n, 20), [entry(21, 1, 100)]);
    await w.close();
  });

  it('stops at a torn tail and changes nothing on disk', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    const lastEntry = records[records.length - 2] as ScannedRecord;
    await truncate(path, lastEntry.offset + 12);
    const before = await readFile(path);
    const r = await Wal.openForRead(t.dir, ZERO);
    assert.deepEqual(
      (await r.readAll()).entries.map((e) => e.index),
      [1, 2, 3, 4],
    );
    await r.close();
    assert.deepEqual(await readFile(path), before);
    assert.ok(!(await readdir(t.dir)).some((n) => n.endsWith('.broken')));
  });
});

describe('repairWal', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('truncates a torn tail, keeps a .broken copy, and is a no-op on a sound WAL', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const sound = await readFile(path);
    assert.equal(await repairWal(t.dir), true);
    assert.deepEqual(await readFile(path), sound);
    const { records } = await recordsOf(path);
    const lastEntry = records[records.length - 2] as ScannedRecord;
    await truncate(path, lastEntry.offset + 12);
    assert.equal(await repairWal(t.dir), true);
    assert.equal((await readFile(path)).length, lastEntry.offset);
    assert.equal((await readFile(`${path}.broken`)).length, lastEntry.offset + 12);
    assert.deepEqual(await readIndexes(t.dir), [1, 2, 3, 4]);
  });

  it('returns false for corruption that truncation cannot repair, and changes nothing', async () => {
    await writeLog(t.dir, 5, 20);
    const path = join(t.dir, SEG0);
    const { records } = await recordsOf(path);
    await flipByte(path, (records[3] as ScannedRecord).dataEnd - 1);
    const before = await readFile(path);
    assert.equal(await repairWal(t.dir), false);
    assert.deepEqual(await readFile(path), before);
  });

  it('refuses while the WAL is open', async () => {
    await writeLog(t.dir, 2, 20);
    const w = await Wal.open(t.dir, ZERO);
    await assert.rejects(repairWal(t.dir), (e: unknown) => isRaftwireError(e, WalErrorCode.LOCKED));
    await w.close();
  });
});

describe("etcd's TestOpenOnTornWrite", () => {
  it('a zeroed record in the middle of the tail ends the log; new appends do not meet the stale records after it', async () => {
    const t = await tempRoot();
    try {
      const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16 });
      for (let i = 0; i < 40; i++) await w.save(hardState(0, 0n, 0), [{ index: i, term: 0, type: 0 }]);
      await w.close();
      const path = join(t.dir, SEG0);
      const { records } = await recordsOf(path);
      const entryRecs = records.filter((r) => r.type === 2);
      // Zero the record of entry 20.
      const victim = entryRecs[20] as ScannedRecord;
      const end = (entryRecs[21] as ScannedRecord).offset;
      const f = await open(path, 'r+');
      await f.write(Buffer.alloc(end - victim.offset), 0, end - victim.offset, victim.offset);
      await f.close();
      const r = await Wal.open(t.dir, ZERO);
      assert.equal((await r.readAll()).entries.length, 19);
      for (let i = 0; i < 5; i++) {
        await r.save(hardState(0, 0n, 0), [
          { index: 20 + i, term: 0, type: 0, data: new TextEncoder().encode('new') },
        ]);
      }
      await r.close();
      const again = await Wal.openForRead(t.dir, ZERO);
      assert.equal((await again.readAll()).entries.length, 19 + 5);
      await again.close();
    } finally {
      await t.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { crc32c } from '../../src/crc32c/index.js';
import { isRaftwireError } from '../../src/errors/index.js';
import { decodeEntry } from '../../src/raftpb/index.js';
import {
  LOCK_FILE_NAME,
  RecordType,
  scanSegment,
  validSnapshotEntries,
  verifyWal,
  Wal,
  WalErrorCode,
  walName,
} from '../../src/wal/index.js';
import { entries, entry, hardState, plain, probedFs, tempRoot } from './helpers.js';

const ZERO = { index: 0, term: 0 };
const code = (c: string) => (e: unknown) => isRaftwireError(e, c);

describe('Wal', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('round-trips metadata, hard state and entries', async () => {
    const meta = Uint8Array.of(1, 2, 3);
    const w = await Wal.create(t.dir, meta, { segmentSizeBytes: 1 << 16 });
    await w.save(hardState(1, 2n, 0), entries(1, 5, 1));
    await w.save(hardState(1, 2n, 5), entries(6, 8, 1, 300));
    await w.close();
    assert.deepEqual(await readdir(t.root), ['wal']);
    const r = await Wal.open(t.dir, ZERO);
    const c = await r.readAll();
    assert.deepEqual([...c.metadata], [1, 2, 3]);
    assert.deepEqual(c.hardState, hardState(1, 2n, 5));
    assert.deepEqual(plain(c.entries), plain([...entries(1, 5, 1), ...entries(6, 8, 1, 300)]));
    await r.close();
  });

  it('create refuses a directory that holds a WAL or other files', async () => {
    const w = await Wal.create(t.dir);
    await w.close();
    await assert.rejects(Wal.create(t.dir), code(WalErrorCode.EXISTS));
    await assert.rejects(Wal.create(t.root), code(WalErrorCode.EXISTS));
  });

  it('create refuses a path that is a regular file, a symbolic link or a non-empty directory, and removes nothing', async () => {
    const file = join(t.root, 'a-file');
    await writeFile(file, 'precious');
    await assert.rejects(Wal.create(file), code(WalErrorCode.NOT_A_DIRECTORY));
    assert.equal(await readFile(file, 'utf8'), 'precious');
    const target = join(t.root, 'target');
    await mkdir(target);
    const link = join(t.root, 'a-link');
    await symlink(target, link);
    await assert.rejects(Wal.create(link), code(WalErrorCode.NOT_A_DIRECTORY));
    assert.equal(await readlink(link), target);
    await mkdir(t.dir);
    await writeFile(join(t.dir, 'notes.txt'), 'keep me');
    await assert.rejects(Wal.create(t.dir), code(WalErrorCode.EXISTS));
    assert.equal(await readFile(join(t.dir, 'notes.txt'), 'utf8'), 'keep me');
    assert.deepEqual((await readdir(t.root)).sort(), ['a-file', 'a-link', 'target', 'wal']);
  });

  it('create builds the WAL in an existing empty directory', async () => {
    await mkdir(t.dir);
    const w = await Wal.create(t.dir);
    await w.close();
    assert.deepEqual(await readdir(t.root), ['wal']);
    assert.ok((await readdir(t.dir)).includes(walName(0, 0)));
  });

  it('create refuses when <dir>.tmp is anything but the leftover of a create, and removes nothing', async () => {
    await writeFile(`${t.dir}.tmp`, 'not ours');
    await assert.rejects(Wal.create(t.dir), code(WalErrorCode.EXISTS));
    assert.equal(await readFile(`${t.dir}.tmp`, 'utf8'), 'not ours');
    await rm(`${t.dir}.tmp`);
    await mkdir(`${t.dir}.tmp`);
    await writeFile(join(`${t.dir}.tmp`, 'notes.txt'), 'keep me');
    await assert.rejects(Wal.create(t.dir), code(WalErrorCode.EXISTS));
    assert.equal(await readFile(join(`${t.dir}.tmp`, 'notes.txt'), 'utf8'), 'keep me');
  });

  it('open of a directory without segments is FILE_NOT_FOUND', async () => {
    await assert.rejects(Wal.open(t.root, ZERO), code(WalErrorCode.FILE_NOT_FOUND));
  });

  it('later entries overwrite earlier ones at the same index and after', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16 });
    await w.save(hardState(1, 1n, 0), entries(1, 10, 1));
    await w.save(hardState(2, 1n, 0), [entry(6, 2, 4, 600), entry(7, 2, 4, 700)]);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    const c = await r.readAll();
    assert.deepEqual(
      c.entries.map((e) => [e.index, e.term]),
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 1],
        [5, 1],
        [6, 2],
        [7, 2],
      ],
    );
    assert.deepEqual(plain(c.entries.slice(5)), plain([entry(6, 2, 4, 600), entry(7, 2, 4, 700)]));
    await r.close();
  });

  it('ignores entries at or below the marker, so a rewrite there does not drop later ones (etcd)', async () => {
    const w = await Wal.create(t.dir);
    await w.save(hardState(1, 1n, 0), entries(1, 3, 1));
    await w.save(hardState(2, 2n, 0), [entry(1, 2)]);
    await w.save(hardState(2, 2n, 1), []);
    await w.saveSnapshot({ index: 1, term: 2 });
    await w.close();
    const full = await Wal.open(t.dir, ZERO);
    assert.deepEqual(plain((await full.readAll()).entries), plain([entry(1, 2)]));
    await full.close();
    // etcd's ReadAll: `if e.Index > w.start.Index { ents = append(ents[:up], e) }` — the rewrite
    // of index 1 is skipped, so 2 and 3 of term 1 stay (test/interop/storage: Go agrees).
    const atMarker = await Wal.open(t.dir, { index: 1, term: 2 });
    assert.deepEqual(plain((await atMarker.readAll()).entries), plain(entries(2, 3, 1)));
    await atMarker.close();
  });

  it('returns only the entries after the snapshot marker', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16 });
    await w.save(hardState(1, 1n, 5), entries(1, 10, 1));
    await w.saveSnapshot({ index: 5, term: 1 });
    await w.close();
    const r = await Wal.open(t.dir, { index: 5, term: 1 });
    const c = await r.readAll();
    assert.deepEqual(
      c.entries.map((e) => e.index),
      [6, 7, 8, 9, 10],
    );
    await r.close();
  });

  it('a marker not in the WAL is SNAPSHOT_NOT_FOUND; another term is SNAPSHOT_MISMATCH', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16 });
    await w.save(hardState(1, 1n, 5), entries(1, 10, 1));
    await w.saveSnapshot({ index: 5, term: 1 });
    await w.close();
    const a = await Wal.open(t.dir, { index: 4, term: 1 });
    await assert.rejects(a.readAll(), code(WalErrorCode.SNAPSHOT_NOT_FOUND));
    await assert.rejects(a.save(hardState(1, 1n, 5), [entry(11, 1)]), code(WalErrorCode.FAILED));
    await a.close();
    const b = await Wal.open(t.dir, { index: 5, term: 2 });
    await assert.rejects(b.readAll(), (e: unknown) => {
      return isRaftwireError(e, WalErrorCode.SNAPSHOT_MISMATCH) && /term 1, expected 2/.test(String(e));
    });
    await b.close();
  });

  it('an entry leaving a gap after the marker is SLICE_OUT_OF_RANGE', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16 });
    await w.save(hardState(1, 1n, 0), [entry(1, 1), entry(3, 1)]);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    await assert.rejects(r.readAll(), code(WalErrorCode.SLICE_OUT_OF_RANGE));
    await r.close();
  });

  it('an empty save is a no-op that writes nothing', async () => {
    const { fs, probe } = probedFs();
    const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 4096 });
    const before = { ...probe };
    await w.save(hardState(0, 0n, 0), []);
    assert.equal(probe.writes, before.writes);
    assert.equal(probe.datasyncs, before.datasyncs);
    await w.close();
  });

  it('in fdatasync mode a commit-only save is written without its own fsync (raft.MustSync)', async () => {
    const { fs, probe } = probedFs();
    const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 4096, sync: 'fdatasync' });
    await w.save(hardState(1, 1n, 0), [entry(1, 1)]);
    const syncs = probe.datasyncs;
    await w.save(hardState(1, 1n, 1), []);
    assert.equal(probe.datasyncs, syncs);
    await w.save(hardState(2, 1n, 1), []);
    assert.equal(probe.datasyncs, syncs + 1);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    assert.deepEqual((await r.readAll()).hardState, hardState(2, 1n, 1));
    await r.close();
  });

  it('save before readAll, readAll twice, and save after close are BAD_STATE', async () => {
    const w = await Wal.create(t.dir);
    await w.close();
    await assert.rejects(w.save(hardState(1, 1n, 0), [entry(1, 1)]), code(WalErrorCode.BAD_STATE));
    const r = await Wal.open(t.dir, ZERO);
    await assert.rejects(r.save(hardState(1, 1n, 0), [entry(1, 1)]), code(WalErrorCode.BAD_STATE));
    await r.readAll();
    await assert.rejects(r.readAll(), code(WalErrorCode.BAD_STATE));
    await r.close();
    await r.close();
  });

  for (const sync of ['fdatasync', 'o_dsync'] as const) {
    it(`group commit (${sync}): concurrent saves share one write and one sync`, async () => {
      const { fs, probe } = probedFs();
      const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 1 << 20, sync });
      const writes = probe.writes;
      const syncs = probe.datasyncs;
      const saves: Promise<void>[] = [];
      for (let i = 1; i <= 16; i++) saves.push(w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]));
      await Promise.all(saves);
      // The first save goes alone; the 15 queued behind it share the next write (and fdatasync;
      // with O_DSYNC the write itself is the sync).
      assert.equal(probe.writes - writes, 2);
      assert.equal(probe.datasyncs - syncs, sync === 'fdatasync' ? 2 : 0);
      await w.close();
      const r = await Wal.open(t.dir, ZERO);
      const c = await r.readAll();
      assert.deepEqual(plain(c.entries), plain(entries(1, 16, 1, 100)));
      assert.deepEqual(c.hardState, hardState(1, 1n, 15));
      await r.close();
    });
  }

  it('an entry that cannot be encoded rejects its save and leaves the WAL usable', async () => {
    const w = await Wal.create(t.dir);
    await assert.rejects(w.save(hardState(1, 1n, 0), [entry(2 ** 60, 1)]));
    await w.save(hardState(1, 1n, 0), [entry(1, 1)]);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    assert.equal((await r.readAll()).entries.length, 1);
    await r.close();
  });

  it('preallocates the first segment and leaves no lock or temp file after close', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 8192 });
    assert.ok((await readdir(t.dir)).includes(LOCK_FILE_NAME));
    await w.close();
    assert.equal((await stat(join(t.dir, walName(0, 0)))).size, 8192);
    assert.deepEqual(await readdir(t.dir), [walName(0, 0)]);
  });

  it('o_dsync mode makes each write durable without a separate fdatasync, across cuts', async () => {
    const { fs, probe } = probedFs();
    const w = await Wal.create(t.dir, undefined, { fs, segmentSizeBytes: 2048, sync: 'o_dsync' });
    const syncs = probe.datasyncs;
    for (let i = 1; i <= 5; i++) await w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]);
    assert.equal(probe.datasyncs, syncs, 'no fdatasync for saves that stay in the segment');
    for (let i = 6; i <= 40; i++) await w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]);
    await w.close();
    assert.ok((await readdir(t.dir)).filter((n) => n.endsWith('.wal')).length > 2);
    const r = await Wal.open(t.dir, ZERO, { sync: 'o_dsync' });
    const c = await r.readAll();
    assert.deepEqual(plain(c.entries), plain(entries(1, 40, 1, 100)));
    await r.save(hardState(1, 1n, 40), [entry(41, 1)]);
    await r.close();
    const again = await Wal.open(t.dir, ZERO);
    assert.equal((await again.readAll()).entries.length, 41);
    await again.close();
  });

  it('sparse preallocation sets the length without writing', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 20, preallocation: 'sparse' });
    await w.close();
    const s = await stat(join(t.dir, walName(0, 0)));
    assert.equal(s.size, 1 << 20);
    assert.ok(s.blocks * 512 < 1 << 20);
  });
});

describe('segment cut', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('cuts when a segment fills, names segments seq-index, and chains the CRC across them', async () => {
    const w = await Wal.create(t.dir, Uint8Array.of(7), { segmentSizeBytes: 2048 });
    for (let i = 1; i <= 40; i++) await w.save(hardState(1, 3n, i - 1), [entry(i, 1, 200)]);
    await w.close();
    const names = (await readdir(t.dir)).sort();
    assert.ok(names.length > 3, names.join());
    assert.ok(!names.some((n) => n.endsWith('.tmp')));
    assert.equal(names[0], walName(0, 0));
    // Each cut names the next segment after the last entry saved (etcd: seq+1, enti+1).
    let crc = 0;
    let lastIndex = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      assert.equal(name, walName(i, i === 0 ? 0 : lastIndex + 1));
      const buf = await readFile(join(t.dir, name));
      const last = i === names.length - 1;
      const s = scanSegment(buf, buf.length, name, crc, last);
      const types = s.records.map((r) => r.type);
      assert.equal(types[0], RecordType.CRC);
      assert.equal(s.records[0]?.crc, crc, 'each segment opens with the chain so far');
      assert.equal(types[1], RecordType.METADATA);
      if (i > 0) assert.equal(types[2], RecordType.STATE, 'a cut repeats the last hard state');
      if (!last) assert.equal(buf.length, s.end, 'a full segment is truncated to its data');
      for (const r of s.records) {
        if (r.type === RecordType.ENTRY) lastIndex = decodeEntry(buf.subarray(r.dataStart, r.dataEnd)).index;
      }
      crc = s.crc;
    }
    const r = await Wal.open(t.dir, ZERO);
    const c = await r.readAll();
    assert.deepEqual(plain(c.entries), plain(entries(1, 40, 1, 200)));
    assert.deepEqual([...c.metadata], [7]);
    await r.close();
  });

  it('opens at a marker in a later segment and reads only from the segment that holds it', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 2048 });
    for (let i = 1; i <= 30; i++) await w.save(hardState(1, 3n, i), [entry(i, 1, 200)]);
    await w.saveSnapshot({ index: 20, term: 1 });
    await w.save(hardState(1, 3n, 31), [entry(31, 1, 200)]);
    await w.close();
    const r = await Wal.open(t.dir, { index: 20, term: 1 });
    assert.ok(r.lockedSegments[0] !== walName(0, 0));
    const c = await r.readAll();
    assert.deepEqual(
      c.entries.map((e) => e.index),
      [21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31],
    );
    assert.deepEqual(c.hardState, hardState(1, 3n, 31));
    await r.close();
  });

  it('appends after reopening into the next segment, continuing the chain', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 2048 });
    for (let i = 1; i <= 12; i++) await w.save(hardState(1, 3n, i), [entry(i, 1, 200)]);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    await r.readAll();
    for (let i = 13; i <= 24; i++) await r.save(hardState(1, 3n, i), [entry(i, 1, 200)]);
    await r.close();
    const again = await Wal.open(t.dir, ZERO);
    const c = await again.readAll();
    assert.deepEqual(plain(c.entries), plain(entries(1, 24, 1, 200)));
    await again.close();
  });

  it('releaseLockTo keeps the segment holding the index, as etcd (TestReleaseLockTo)', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 });
    w.releaseLockTo(10);
    assert.equal(w.lockedSegments.length, 1);
    // A segment of 1 byte is full before every save (a new segment starts with its crc and
    // metadata records, already flushed): each save cuts, as etcd's test cuts after each.
    for (let i = 0; i < 10; i++) await w.save(hardState(0, 0n, 0), [{ index: i, term: 0, type: 0 }]);
    assert.equal(w.lockedSegments.length, 11);
    w.releaseLockTo(5);
    assert.deepEqual(
      w.lockedSegments.map((n) => Number.parseInt(n.slice(17, 33), 16)),
      [4, 5, 6, 7, 8, 9, 10],
    );
    w.releaseLockTo(15);
    assert.deepEqual(w.lockedSegments, [walName(10, 10)]);
    await w.close();
  });
});

describe('CRC chain', () => {
  it('segment 0 chains from zero: the first record of data has crc32c of its data', async () => {
    const t = await tempRoot();
    try {
      const w = await Wal.create(t.dir, Uint8Array.of(5, 6), { segmentSizeBytes: 4096 });
      await w.close();
      const buf = await readFile(join(t.dir, walName(0, 0)));
      const s = scanSegment(buf, buf.length, 'x', 0, true);
      assert.equal(s.records[1]?.crc, crc32c(Uint8Array.of(5, 6)));
    } finally {
      await t.dispose();
    }
  });
});

describe('read-only inspection', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('validSnapshotEntries lists the markers at or below the last commit, beside an open WAL', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 2048 });
    await w.save(hardState(1, 1n, 10), entries(1, 12, 1, 100));
    await w.saveSnapshot({ index: 5, term: 1 });
    await w.saveSnapshot({ index: 10, term: 1 });
    await w.saveSnapshot({ index: 12, term: 1 });
    for (let i = 13; i <= 30; i++) await w.save(hardState(1, 1n, 11), [entry(i, 1, 100)]);
    // Works while the WAL is held: no lock is taken.
    assert.deepEqual(await validSnapshotEntries(t.dir), [
      { index: 0, term: 0 },
      { index: 5, term: 1 },
      { index: 10, term: 1 },
    ]);
    await w.close();
  });

  it('verifyWal accepts a sound WAL and reports the marker and CRC errors readAll would', async () => {
    const w = await Wal.create(t.dir, Uint8Array.of(3), { segmentSizeBytes: 2048 });
    for (let i = 1; i <= 30; i++) await w.save(hardState(1, 1n, i), [entry(i, 1, 100)]);
    await w.saveSnapshot({ index: 25, term: 1 });
    await w.close();
    await verifyWal(t.dir, { index: 25, term: 1 });
    await verifyWal(t.dir, ZERO);
    await assert.rejects(verifyWal(t.dir, { index: 24, term: 1 }), code(WalErrorCode.SNAPSHOT_NOT_FOUND));
    await assert.rejects(verifyWal(t.dir, { index: 25, term: 2 }), code(WalErrorCode.SNAPSHOT_MISMATCH));
    const seg0 = join(t.dir, walName(0, 0));
    const buf = await readFile(seg0);
    const victim = scanSegment(buf, buf.length, seg0, 0, false).records[5];
    assert.equal(victim?.type, RecordType.ENTRY);
    const at = (victim?.dataEnd ?? 0) - 1;
    buf[at] = (buf[at] as number) ^ 1;
    await writeFile(seg0, buf);
    await assert.rejects(verifyWal(t.dir, ZERO), code(WalErrorCode.CRC_MISMATCH));
  });
});

describe('lifecycle edges', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
  });
  afterEach(() => t.dispose());

  it('close waits for queued saves, which resolve durable', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1024 });
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 30; i++) saves.push(w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]));
    await w.close();
    const settled = await Promise.allSettled(saves);
    assert.ok(settled.every((s) => s.status === 'fulfilled'));
    const r = await Wal.open(t.dir, ZERO);
    assert.deepEqual(plain((await r.readAll()).entries), plain(entries(1, 30, 1, 100)));
    await r.close();
  });

  it('close during readAll leaves nothing open and the WAL reopenable', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1024 });
    for (let i = 1; i <= 30; i++) await w.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]);
    await w.close();
    const r = await Wal.open(t.dir, ZERO);
    // The rejection is handled from the start: it may settle before close does.
    const reading = assert.rejects(r.readAll(), code(WalErrorCode.BAD_STATE));
    await r.close();
    await reading;
    const again = await Wal.open(t.dir, ZERO);
    assert.equal((await again.readAll()).entries.length, 30);
    await again.close();
  });

  it('create replaces a leftover <dir>.tmp from a crashed create', async () => {
    await mkdir(`${t.dir}.tmp`);
    await writeFile(join(`${t.dir}.tmp`, walName(0, 0)), 'half a WAL');
    const w = await Wal.create(t.dir);
    await w.close();
    assert.deepEqual((await readdir(t.root)).sort(), ['wal']);
  });

  it('ignores and overwrites leftover .tmp files of the segment pipeline', async () => {
    const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1024 });
    await w.close();
    await writeFile(join(t.dir, '0.tmp'), Buffer.alloc(3000, 0xee));
    await writeFile(join(t.dir, '1.tmp'), Buffer.alloc(10, 0xee));
    const r = await Wal.open(t.dir, ZERO, { segmentSizeBytes: 1024 });
    await r.readAll();
    for (let i = 1; i <= 30; i++) await r.save(hardState(1, 1n, i - 1), [entry(i, 1, 100)]);
    await r.close();
    const again = await Wal.open(t.dir, ZERO);
    assert.deepEqual(plain((await again.readAll()).entries), plain(entries(1, 30, 1, 100)));
    await again.close();
    assert.ok((await readdir(t.dir)).filter((n) => n.endsWith('.wal')).length > 2);
  });
});

describe('group size', () => {
  it('splits a very large queue into writes of at most 8 MiB, in order', async () => {
    const t = await tempRoot();
    try {
      const { fs, probe } = probedFs();
      const w = await Wal.create(t.dir, undefined, {
        fs,
        segmentSizeBytes: 64 << 20,
        preallocation: 'sparse',
      });
      const writes = probe.writes;
      const saves: Promise<void>[] = [];
      // 40 saves of 1 MiB each: the first alone, then groups of at most 8.
      for (let i = 1; i <= 40; i++) saves.push(w.save(hardState(1, 1n, i - 1), [entry(i, 1, 1 << 20)]));
      await Promise.all(saves);
      assert.ok(probe.writes - writes >= 6, `${probe.writes - writes} writes`);
      await w.close();
      const r = await Wal.open(t.dir, ZERO);
      const c = await r.readAll();
      assert.deepEqual(
        c.entries.map((e) => e.index),
        entries(1, 40, 1, 0).map((e) => e.index),
      );
      assert.ok(Buffer.from(c.entries[39]?.data ?? []).equals(Buffer.from(entry(40, 1, 1 << 20).data ?? [])));
      await r.close();
    } finally {
      await t.dispose();
    }
  });
});

describe('record size limit', () => {
  it('refuses to write an entry whose record etcd could not read back (10 MiB), keeping the WAL usable', async () => {
    const t = await tempRoot();
    try {
      const w = await Wal.create(t.dir, undefined, { segmentSizeBytes: 1 << 16, preallocation: 'sparse' });
      await assert.rejects(
        w.save(hardState(1, 1n, 0), [entry(1, 1, 10 * 1024 * 1024)]),
        code(WalErrorCode.RECORD_TOO_LARGE),
      );
      await w.save(hardState(1, 1n, 0), [entry(1, 1, 9 * 1024 * 1024)]);
      await w.close();
      const r = await Wal.open(t.dir, ZERO);
      const c = await r.readAll();
      assert.equal(c.entries[0]?.data?.length, 9 * 1024 * 1024);
      await r.close();
    } finally {
      await t.dispose();
    }
  });
});

/**
 * Recovery rules against etcd's own: a torn write at the tail of a WAL that Go wrote is repaired
 * by raftwire to the same log that Go's wal.Repair gives, and the repaired WAL opens in Go without
 * repair; a CRC mismatch in the middle is refused by both, and raftwire names file and offset.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import { type Entry, EntryType, newHardState } from '../../../src/raftpb/index.js';
import { repairWal, Wal, WalErrorCode, WalRecordError } from '../../../src/wal/index.js';
import {
  type GoWalOp,
  goReadWal,
  goWriteWal,
  storageTool,
  toGoEntry,
  toGoHardState,
} from './storage-tool.js';

const SECTOR = 512;
const ZERO = { index: 0, term: 0 };

let root: string;
let goDir: string;
let n = 0;
/** Where each record's frame starts in the single segment, and where the records end. */
let frames: number[];
let end: number;

function entry(index: number, size: number): Entry {
  return { term: 1, index, type: EntryType.EntryNormal, data: new Uint8Array(size).fill(index) };
}

const saves: { hs: ReturnType<typeof newHardState>; ents: Entry[] }[] = [];
for (let i = 1; i <= 19; i++)
  saves.push({ hs: { term: 1, vote: 1n, commit: i - 1 }, ents: [entry(i, 3000)] });
// The last save has no hard state, so the last record of the file is entry 20.
saves.push({ hs: newHardState(), ents: [entry(20, 3000)] });

async function copy(): Promise<string> {
  const dst = join(root, `copy-${++n}`);
  await cp(goDir, dst, { recursive: true });
  return dst;
}

async function segmentPath(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.wal'));
  assert.equal(names.length, 1);
  return join(dir, names[0] as string);
}

/** Frame offsets from the 8-byte little-endian length words (low 56 bits: size; MSB: padding). */
async function scanFrames(path: string): Promise<{ starts: number[]; end: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const starts: number[] = [];
    let pos = 0;
    while (pos + 8 <= bytesRead) {
      const word = buf.readBigUInt64LE(pos);
      if (word === 0n) break;
      const size = Number(word & ((1n << 56n) - 1n));
      const pad = word >> 63n === 1n ? Number((word >> 56n) & 7n) : 0;
      starts.push(pos);
      pos += 8 + size + pad;
    }
    return { starts, end: pos };
  } finally {
    await fh.close();
  }
}

async function overwrite(path: string, at: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, at);
  } finally {
    await fh.close();
  }
}

function expected(upTo: number) {
  const last = saves.slice(0, upTo);
  const hs = [...last].reverse().find((s) => s.hs.term !== 0)?.hs ?? newHardState();
  return {
    metadataHex: Buffer.from('torn').toString('hex'),
    hardState: toGoHardState(hs),
    entries: last.flatMap((s) => s.ents).map(toGoEntry),
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-wal-recovery-'));
  goDir = join(root, 'go');
  const ops: GoWalOp[] = saves.map((s) => ({
    kind: 'save',
    hardState: toGoHardState(s.hs),
    entries: s.ents.map(toGoEntry),
  }));
  await goWriteWal(goDir, { metadataHex: Buffer.from('torn').toString('hex'), ops });
  ({ starts: frames, end } = await scanFrames(await segmentPath(goDir)));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Zeroes the sectors of the last record past its first sector: what a torn write leaves. */
async function tearLastRecord(dir: string): Promise<void> {
  const start = frames.at(-1) as number;
  const from = Math.ceil((start + 8 + 1) / SECTOR) * SECTOR;
  assert.ok(from < end, 'the last record spans a sector boundary');
  await overwrite(await segmentPath(dir), from, new Uint8Array(end - from));
}

describe('WAL recovery agrees with etcd', () => {
  it('the untouched Go WAL reads the same in both', async () => {
    const go = await goReadWal(await copy(), 0, 0);
    assert.equal(go.error, undefined);
    const w = await Wal.open(await copy(), ZERO);
    const ts = await w.readAll();
    await w.close();
    assert.deepEqual(
      {
        metadataHex: Buffer.from(ts.metadata).toString('hex'),
        hardState: toGoHardState(ts.hardState),
        entries: ts.entries.map(toGoEntry),
      },
      expected(20),
    );
    assert.deepEqual(
      { metadataHex: go.metadataHex, hardState: go.hardState, entries: go.entries },
      expected(20),
    );
  });

  it('a torn last record: raftwire repairs to what wal.Repair gives, and Go then opens it without repair', async () => {
    const forGo = await copy();
    await tearLastRecord(forGo);
    const torn = await goReadWal(forGo, 0, 0);
    assert.equal(torn.error, 'unexpected EOF');
    assert.deepEqual(await storageTool(['repair-wal', forGo]), { repaired: true });
    const goRepaired = await goReadWal(forGo, 0, 0);
    assert.equal(goRepaired.error, undefined);
    assert.deepEqual(
      { metadataHex: goRepaired.metadataHex, hardState: goRepaired.hardState, entries: goRepaired.entries },
      expected(19),
    );

    const forTs = await copy();
    await tearLastRecord(forTs);
    const w = await Wal.open(forTs, ZERO);
    try {
      const ts = await w.readAll();
      assert.deepEqual(ts.entries.map(toGoEntry), goRepaired.entries);
      assert.deepEqual(toGoHardState(ts.hardState), goRepaired.hardState);
      // Appending after the repair continues the chain where Go would.
      await w.save({ term: 1, vote: 1n, commit: 19 }, [entry(20, 10)]);
    } finally {
      await w.close();
    }
    const appended = await goReadWal(forTs, 0, 0);
    assert.equal(appended.error, undefined);
    assert.deepEqual(appended.entries, [...goRepaired.entries, toGoEntry(entry(20, 10))]);
    assert.equal(appended.hardState.commit, 19);
  });

  it('repairWal on a torn tail gives what Go Repair gives; both refuse to repair a mid-log CRC mismatch', async () => {
    const forGo = await copy();
    const forTs = await copy();
    await tearLastRecord(forGo);
    await tearLastRecord(forTs);
    assert.deepEqual(await storageTool(['repair-wal', forGo]), { repaired: true });
    assert.equal(await repairWal(forTs), true);
    const [go, ts] = [await goReadWal(forGo, 0, 0), await goReadWal(forTs, 0, 0)];
    assert.equal(ts.error, undefined);
    assert.deepEqual(ts.entries, go.entries);
    assert.deepEqual(ts.entries, expected(19).entries);

    const badGo = await copy();
    const badTs = await copy();
    for (const dir of [badGo, badTs]) {
      await overwrite(await segmentPath(dir), (frames[9] as number) + 8 + 100, Uint8Array.of(0x5a));
    }
    assert.deepEqual(await storageTool(['repair-wal', badGo]), { repaired: false });
    assert.equal(await repairWal(badTs), false);
  });

  it('a flipped byte in the middle: both refuse, raftwire naming the file and the record offset', async () => {
    const dir = await copy();
    // Frames: crc, metadata, snapshot, then entry and hard state per save: frame 9 is entry 4.
    const victim = frames[9] as number;
    const path = await segmentPath(dir);
    await overwrite(path, victim + 8 + 100, Uint8Array.of(0x5a));
    const goCopy = join(root, `copy-${++n}`);
    await cp(dir, goCopy, { recursive: true });
    const go = await goReadWal(goCopy, 0, 0);
    assert.equal(go.error, 'walpb: crc mismatch');
    const w = await Wal.open(dir, ZERO);
    try {
      await assert.rejects(w.readAll(), (e: unknown) => {
        assert.ok(isRaftwireError(e, WalErrorCode.CRC_MISMATCH), String(e));
        assert.ok(e instanceof WalRecordError);
        assert.equal(e.file, path);
        assert.equal(e.offset, victim);
        return true;
      });
    } finally {
      await w.close();
    }
  });
});

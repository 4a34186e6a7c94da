import assert from 'node:assert/strict';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32c } from '../../src/crc32c/index.js';
import { EntryType } from '../../src/raftpb/index.js';
import { encodeRecord, Wal, walName } from '../../src/wal/index.js';
import { fromHex, toHex } from '../support/hex.js';
import { plain, tempRoot } from './helpers.js';

/**
 * The data part of segment 0 written by etcd 3.4.23's Go code (printed by a Go program calling
 * wal.Create(dir, "somedata"); Save(HardState{Term: 2, Vote: 0xfedcba9876543210, Commit: 2},
 * three entries); SaveSnapshot({Index: 2, Term: 1}); Save(HardState{…, Commit: 3}, nil)).
 */
const GO_SEGMENT_HEX =
  '0400000000000084080410000000000012000000000000860801' +
  '1085d4fda0071a08736f6d65646174610000000000000e00000000000082080510' +
  '80db81c1011a04080010000000160000000000008208021097dfa6371a0d080010' +
  '011801220568656c6c6f00001c00000000000084080210e3edd1a8061a12080110' +
  '011802220a00010203040506070809000000001000000000000000080210a7cb99' +
  'fd031a060800100218031900000000000087080310be9285de031a0f08021090e4' +
  'd0b287d3aeeefe011802000000000000000e00000000000082080510eeedaea60d' +
  '1a0408021001000019000000000000870803108f80fad5041a0f08021090e4d0b2' +
  '87d3aeeefe01180300000000000000';

const ENTRIES = [
  { term: 1, index: 1, type: EntryType.EntryNormal, data: new TextEncoder().encode('hello') },
  {
    term: 1,
    index: 2,
    type: EntryType.EntryConfChange,
    data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  },
  { term: 2, index: 3, type: EntryType.EntryNormal },
];

describe('golden bytes against etcd 3.4.23', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    t = await tempRoot();
  });
  after(() => t.dispose());

  it('writes the same bytes as Go for the same calls', async () => {
    const dir = join(t.root, 'ours');
    const w = await Wal.create(dir, new TextEncoder().encode('somedata'), { segmentSizeBytes: 64 * 1024 });
    await w.save({ term: 2, vote: 0xfedcba9876543210n, commit: 2 }, ENTRIES);
    await w.saveSnapshot({ index: 2, term: 1 });
    await w.save({ term: 2, vote: 0xfedcba9876543210n, commit: 3 }, []);
    await w.close();
    const path = join(dir, walName(0, 0));
    const bytes = await readFile(path);
    const golden = fromHex(GO_SEGMENT_HEX);
    assert.equal(toHex(bytes.subarray(0, golden.length)), GO_SEGMENT_HEX);
    // The rest is the preallocated zeros.
    assert.ok(bytes.subarray(golden.length).every((b) => b === 0));
    assert.equal((await stat(path)).size, 64 * 1024);
  });

  it("reads Go's bytes back", async () => {
    const dir = join(t.root, 'go');
    await mkdir(dir);
    const f = await open(join(dir, walName(0, 0)), 'w');
    await f.write(fromHex(GO_SEGMENT_HEX));
    await f.truncate(8192);
    await f.close();
    const w = await Wal.open(dir, { index: 2, term: 1 });
    const c = await w.readAll();
    assert.equal(new TextDecoder().decode(c.metadata), 'somedata');
    assert.deepEqual(c.hardState, { term: 2, vote: 0xfedcba9876543210n, commit: 3 });
    // After the marker at index 2 only entry 3 remains.
    assert.deepEqual(plain(c.entries), plain([ENTRIES[2] as (typeof ENTRIES)[number]]));
    // Appending continues Go's CRC chain: a fresh reader accepts it.
    await w.save({ term: 2, vote: 1n, commit: 3 }, [{ term: 2, index: 4, type: 0, data: Uint8Array.of(9) }]);
    await w.close();
    const again = await Wal.open(dir, { index: 0, term: 0 });
    const all = await again.readAll();
    assert.deepEqual(
      all.entries.map((e) => e.index),
      [1, 2, 3, 4],
    );
    assert.deepEqual(all.hardState, { term: 2, vote: 1n, commit: 3 });
    await again.close();
  });

  it('writes the nil metadata of raftexample as a record without a data field', async () => {
    const dir = join(t.root, 'nil-meta');
    const w = await Wal.create(dir, undefined, { segmentSizeBytes: 4096 });
    await w.close();
    const bytes = await readFile(join(dir, walName(0, 0)));
    // crc record and metadata record (type 1, crc 0, no data field), each padded to 16 bytes.
    assert.equal(
      toHex(bytes.subarray(0, 32)),
      '0400000000000084080410000000000004000000000000840801100000000000',
    );
    // Then the empty snapshot marker, its crc chained from 0 over `08 00 10 00`.
    const crc = crc32c(fromHex('08001000'));
    const rec = encodeRecord({ type: 5, crc, data: fromHex('08001000') });
    assert.equal(toHex(bytes.subarray(40, 40 + rec.length)), toHex(rec));
  });
});

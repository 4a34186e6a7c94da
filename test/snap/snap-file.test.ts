import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '../../src/crc32c/index.js';
import { encodeSnapshot, newConfState, newSnapshot } from '../../src/raftpb/index.js';
import {
  decodeSnapFile,
  decodeSnapRecord,
  encodeSnapFile,
  encodeSnapRecord,
  SnapFileError,
} from '../../src/snap/index.js';
import { fromHex, toHex } from '../support/hex.js';

const sample = newSnapshot({
  data: fromHex('0102'),
  index: 5,
  term: 2,
  confState: { ...newConfState(), voters: [1n, 0xffffffffffffffffn] },
});

function failure(fn: () => unknown): SnapFileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SnapFileError, `expected SnapFileError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a SnapFileError');
}

describe('.snap file bytes (snappb.Snapshot)', () => {
  it('matches the bytes etcd 3.4 SaveSnap wrote for the same snapshot', () => {
    // Written by build/go/storage-tool write-snap (etcd's snap.SaveSnap) for `sample`.
    const goBytes = '0887a4d5960f121b0a0201021215' + '0a0f080108ffffffffffffffffff012800' + '10051802';
    assert.equal(toHex(encodeSnapFile(sample)), goBytes);
  });

  it('frames crc (always) then data, the crc being CRC-32C of the raftpb bytes', () => {
    const data = encodeSnapshot(sample);
    const file = encodeSnapFile(sample);
    const rec = decodeSnapRecord(file, 'x');
    assert.equal(rec.crc, crc32c(data));
    assert.deepEqual(rec.data, data);
    assert.equal(file[0], 0x08);
    assert.equal(toHex(encodeSnapRecord(0, new Uint8Array(0))), '08001200');
  });

  it('round-trips a snapshot through the file bytes', () => {
    const big = new Uint8Array(300_000).map((_, i) => i * 7);
    const snap = newSnapshot({ data: big, index: 2 ** 40, term: 77, confState: newConfState() });
    const back = decodeSnapFile(encodeSnapFile(snap), 'x');
    assert.equal(back.metadata.index, 2 ** 40);
    assert.equal(back.metadata.term, 77);
    assert.deepEqual(back.data, big);
  });

  it('accepts fields in any order, skips unknown ones and keeps the low 32 bits of the crc', () => {
    const data = encodeSnapshot(sample);
    const crc = crc32c(data);
    const framed = encodeSnapRecord(crc, data);
    // data first, an unknown varint field 7 and an unknown bytes field 9, then the crc.
    const dataPart = framed.subarray(framed.indexOf(0x12, 1));
    const crcPart = framed.subarray(0, framed.indexOf(0x12, 1));
    const reordered = Uint8Array.from([...dataPart, 0x38, 0x05, 0x4a, 0x01, 0xaa, ...crcPart]);
    assert.deepEqual(decodeSnapFile(reordered, 'x').metadata.confState.voters, [1n, 0xffffffffffffffffn]);
    // crc + 2^32 as a 5-byte varint: gogo's uint32 arithmetic drops the high bits.
    const wide = new Uint8Array(16);
    let pos = 0;
    let v = crc + 2 ** 32;
    wide[pos++] = 0x08;
    while (v >= 0x80) {
      wide[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    wide[pos++] = v;
    const widened = Uint8Array.from([...wide.subarray(0, pos), ...dataPart]);
    assert.equal(decodeSnapFile(widened, 'x').metadata.index, 5);
  });

  it('rejects an empty file, missing data, empty data and a zero crc as empty', () => {
    assert.equal(failure(() => decodeSnapFile(new Uint8Array(0), '/d/f.snap')).reason, 'empty');
    assert.equal(failure(() => decodeSnapFile(fromHex('0801'), 'f')).reason, 'empty');
    assert.equal(failure(() => decodeSnapFile(fromHex('08011200'), 'f')).reason, 'empty');
    const data = encodeSnapshot(sample);
    const e = failure(() => decodeSnapFile(encodeSnapRecord(0, data), '/d/f.snap'));
    assert.equal(e.reason, 'empty');
    assert.equal(e.code, 'RAFTWIRE_SNAP_EMPTY');
    assert.equal(e.path, '/d/f.snap');
  });

  it('rejects a flipped data byte as a crc mismatch naming the file', () => {
    const file = encodeSnapFile(sample);
    file[file.length - 1] = (file.at(-1) ?? 0) ^ 0x01;
    const e = failure(() => decodeSnapFile(file, '/d/x.snap'));
    assert.equal(e.reason, 'crc-mismatch');
    assert.equal(e.code, 'RAFTWIRE_SNAP_CRC_MISMATCH');
    assert.match(e.message, /\/d\/x\.snap/);
  });

  it('rejects bad framing and a bad raftpb.Snapshot as corrupt, with the decoder error as cause', () => {
    const truncated = encodeSnapFile(sample).subarray(0, 10);
    const e1 = failure(() => decodeSnapFile(truncated, 'f'));
    assert.equal(e1.reason, 'corrupt');
    assert.equal(e1.code, 'RAFTWIRE_SNAP_CORRUPT');
    assert.ok(e1.cause instanceof Error);
    const wrongType = failure(() => decodeSnapFile(fromHex('0a0101'), 'f'));
    assert.equal(wrongType.reason, 'corrupt');
    // Valid framing and crc around bytes that are not a raftpb.Snapshot (truncated varint).
    const junk = fromHex('08ff');
    const e2 = failure(() => decodeSnapFile(encodeSnapRecord(crc32c(junk), junk), 'f'));
    assert.equal(e2.reason, 'corrupt');
    assert.match(e2.message, /raftpb\.Snapshot/);
  });
});

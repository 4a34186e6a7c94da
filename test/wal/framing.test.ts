import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '../../src/crc32c/index.js';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  decodeRecord,
  decodeWalSnapshot,
  encodeRecord,
  encodeWalSnapshot,
  padBytesFor,
  RecordEncoder,
  readFrameHeader,
  scanSegment,
  WalErrorCode,
  writeFrameHeader,
} from '../../src/wal/index.js';
import { fromHex, toHex } from '../support/hex.js';

const isRaftwireErrorCode = isRaftwireError;

describe('frame length word', () => {
  it('pads to 8-byte alignment and marks padding in the top byte, as encodeFrameSize', () => {
    // etcd: lenField = n | (0x80|pad) << 56 when pad != 0.
    const cases: Array<[number, string]> = [
      [0, '0000000000000000'],
      [8, '0800000000000000'],
      [14, '0e00000000000082'],
      [13, '0d00000000000083'],
      [9, '0900000000000087'],
      [0x123456, '5634120000000082'],
    ];
    for (const [n, hex] of cases) {
      const buf = new Uint8Array(8);
      const pad = writeFrameHeader(buf, 0, n);
      assert.equal(toHex(buf), hex, `length ${n}`);
      assert.equal(pad, padBytesFor(n));
      assert.equal((n + pad) % 8, 0);
      const h = readFrameHeader(buf, 0);
      assert.equal(h.recordBytes, n);
      assert.equal(h.padBytes, pad);
      assert.equal(h.zero, n === 0);
    }
  });

  it('reads padding only when the top bit is set (decodeFrameSize)', () => {
    const h = readFrameHeader(fromHex('0e00000000000002'), 0);
    assert.equal(h.recordBytes, 14);
    assert.equal(h.padBytes, 0);
  });
});

describe('walpb', () => {
  it('Record always writes type and crc, and data only when present', () => {
    assert.equal(toHex(encodeRecord({ type: 4, crc: 0, data: undefined })), '08041000');
    assert.equal(toHex(encodeRecord({ type: 1, crc: 1, data: new Uint8Array(0) })), '080110011a00');
    const r = decodeRecord(encodeRecord({ type: 2, crc: 0xffffffff, data: fromHex('0a0b') }));
    assert.equal(r.type, 2);
    assert.equal(r.crc, 0xffffffff);
    assert.equal(toHex(r.data ?? new Uint8Array()), '0a0b');
    assert.equal(decodeRecord(fromHex('08041000')).data, undefined);
  });

  it('Snapshot always writes index and term, and skips unknown fields (3.5 conf_state)', () => {
    assert.equal(toHex(encodeWalSnapshot({ index: 0, term: 0 })), '08001000');
    assert.equal(toHex(encodeWalSnapshot({ index: 300, term: 2 })), '08ac021002');
    assert.deepEqual(decodeWalSnapshot(fromHex('08ac0210021a020800')), { index: 300, term: 2 });
  });
});

/** etcd's record_test.go: a metadata record framed without padding (older writers). */
const INFO_DATA = fromHex('08effd02');
const INFO_RECORD = fromHex('0e00000000000000' + '08011099b5e4d0031a04' + '08effd02');

describe('scanSegment', () => {
  it("decodes etcd's TestReadRecord record", () => {
    const s = scanSegment(INFO_RECORD, INFO_RECORD.length, 'f', 0, true);
    assert.equal(s.stop, 'eof');
    assert.equal(s.records.length, 1);
    const r = s.records[0];
    assert.equal(r?.type, 1);
    assert.equal(r?.crc, crc32c(INFO_DATA));
    assert.equal(s.crc, crc32c(INFO_DATA));
    assert.equal(s.end, INFO_RECORD.length);
  });

  it('treats every truncation of the last segment as a torn tail (ErrUnexpectedEOF)', () => {
    for (const cut of [8, INFO_RECORD.length - 4 - 8, INFO_RECORD.length - 4, INFO_RECORD.length - 8, 3]) {
      const s = scanSegment(INFO_RECORD, cut, 'f', 0, true);
      assert.equal(s.stop, 'torn', `cut ${cut}`);
      assert.equal(s.end, 0);
      assert.equal(s.records.length, 0);
    }
  });

  it('refuses a truncated segment that is not the last', () => {
    assert.throws(
      () => scanSegment(INFO_RECORD, INFO_RECORD.length - 4, 'seg-a', 0, false),
      (e: unknown) => isRaftwireErrorCode(e, WalErrorCode.CORRUPT) && /seg-a at offset 0/.test(String(e)),
    );
  });

  it('reports a CRC mismatch with no zero sector as corruption, naming file and offset', () => {
    const bad = INFO_RECORD.slice();
    bad[bad.length - 1] = 0x61;
    assert.throws(
      () => scanSegment(bad, bad.length, '/x/0.wal', 0, true),
      (e: unknown) =>
        isRaftwireErrorCode(e, WalErrorCode.CRC_MISMATCH) &&
        (e as unknown as { file: string }).file === '/x/0.wal' &&
        (e as unknown as { offset: number }).offset === 0,
    );
  });

  it('stops at an all-zero length word, as at preallocated space', () => {
    const buf = new Uint8Array(INFO_RECORD.length + 64);
    buf.set(INFO_RECORD);
    const s = scanSegment(buf, buf.length, 'f', 0, true);
    assert.equal(s.stop, 'zero');
    assert.equal(s.end, INFO_RECORD.length);
  });

  it('rejects records of 10 MiB and more', () => {
    const buf = new Uint8Array(16);
    writeFrameHeader(buf, 0, 10 * 1024 * 1024);
    assert.throws(
      () => scanSegment(buf, buf.length, 'f', 0, true),
      (e: unknown) => isRaftwireErrorCode(e, WalErrorCode.RECORD_TOO_LARGE),
    );
  });

  it('round-trips what RecordEncoder writes, chaining the CRC', () => {
    const enc = new RecordEncoder(0);
    const buf = new Uint8Array(4096);
    let pos = enc.crcRecord(buf, 0);
    pos = enc.metadata(buf, pos, fromHex('01020304'));
    pos = enc.snapshot(buf, pos, { index: 7, term: 3 }, 4);
    pos = enc.metadata(buf, pos, undefined);
    assert.equal(pos % 8, 0);
    const s = scanSegment(buf, buf.length, 'f', 0, true);
    assert.deepEqual(
      s.records.map((r) => r.type),
      [4, 1, 5, 1],
    );
    assert.equal(s.end, pos);
    assert.equal(s.crc, enc.crc);
    assert.equal(enc.crc, crc32c(fromHex('01020304' + '08071003')));
  });

  it('a crc record that does not continue the chain is a CRC mismatch', () => {
    const a = new RecordEncoder(0);
    const buf = new Uint8Array(256);
    let pos = a.crcRecord(buf, 0);
    pos = a.metadata(buf, pos, fromHex('aa'));
    const b = new RecordEncoder(0x1234);
    const end = b.crcRecord(buf, pos);
    assert.throws(
      () => scanSegment(buf, end, 'f', 0, true),
      (e: unknown) =>
        isRaftwireErrorCode(e, WalErrorCode.CRC_MISMATCH) &&
        (e as unknown as { offset: number }).offset === pos,
    );
  });

  it('an unknown record type with a valid CRC is corruption', () => {
    const data = fromHex('00');
    const rec = encodeRecord({ type: 9, crc: crc32c(data), data });
    const buf = new Uint8Array(8 + rec.length + 8);
    const pad = writeFrameHeader(buf, 0, rec.length);
    buf.set(rec, 8);
    assert.throws(
      () => scanSegment(buf, 8 + rec.length + pad, 'f', 0, true),
      (e: unknown) =>
        isRaftwireErrorCode(e, WalErrorCode.CORRUPT) && /unexpected record type 9/.test(String(e)),
    );
  });
});

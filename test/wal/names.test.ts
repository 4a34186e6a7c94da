import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { parseWalName, WalErrorCode, walName } from '../../src/wal/index.js';
import { type SegmentName, selectSegments } from '../../src/wal/names.js';

const parse = (names: string[]): SegmentName[] => names.map((n) => parseWalName(n) as SegmentName);

describe('segment names', () => {
  it('formats and parses %016x-%016x.wal (etcd TestScanWalName)', () => {
    assert.equal(walName(0, 0), '0000000000000000-0000000000000000.wal');
    assert.equal(walName(0x1f, 0xabc), '000000000000001f-0000000000000abc.wal');
    assert.deepEqual(parseWalName('0000000000000000-0000000000000000.wal'), {
      name: '0000000000000000-0000000000000000.wal',
      seq: 0,
      index: 0,
    });
    assert.equal(parseWalName('0000000000000000.wal'), undefined);
    assert.equal(parseWalName('0000000000000000-0000000000000000.snap'), undefined);
    assert.equal(parseWalName('0.tmp'), undefined);
    assert.equal(parseWalName('wal.lock'), undefined);
    assert.equal(parseWalName(`${walName(1, 2)}.broken`), undefined);
  });

  it('selects from the last segment at or below the index (etcd TestSearchIndex)', () => {
    const a = parse([
      '0000000000000000-0000000000000000.wal',
      '0000000000000001-0000000000001000.wal',
      '0000000000000002-0000000000002000.wal',
    ]);
    assert.deepEqual(
      selectSegments(a, 0x1000, 'd').map((s) => s.seq),
      [1, 2],
    );
    assert.deepEqual(
      selectSegments(a, 0x1fff, 'd').map((s) => s.seq),
      [1, 2],
    );
    assert.deepEqual(
      selectSegments(a, 0, 'd').map((s) => s.seq),
      [0, 1, 2],
    );
    const b = parse([
      '0000000000000001-0000000000004000.wal',
      '0000000000000002-0000000000003000.wal',
      '0000000000000003-0000000000005000.wal',
    ]);
    assert.deepEqual(
      selectSegments(b, 0x4000, 'd').map((s) => s.seq),
      [2, 3],
    );
    const c = parse([
      '0000000000000001-0000000000002000.wal',
      '0000000000000002-0000000000003000.wal',
      '0000000000000003-0000000000005000.wal',
    ]);
    assert.throws(
      () => selectSegments(c, 0x1000, 'd'),
      (e: unknown) => isRaftwireError(e, WalErrorCode.FILE_NOT_FOUND),
    );
  });

  it('refuses a gap in sequence numbers after the chosen segment (etcd isValidSeq)', () => {
    const gap = parse([
      '0000000000000000-0000000000000000.wal',
      '0000000000000001-0000000000000010.wal',
      '0000000000000003-0000000000000030.wal',
    ]);
    assert.throws(
      () => selectSegments(gap, 0, 'd'),
      (e: unknown) => isRaftwireError(e, WalErrorCode.FILE_NOT_FOUND) && /gap/.test(String(e)),
    );
    // A gap before the chosen segment does not matter.
    assert.deepEqual(
      selectSegments(gap, 0x30, 'd').map((s) => s.seq),
      [3],
    );
  });
});

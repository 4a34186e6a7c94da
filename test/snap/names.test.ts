import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbFileName, parseDbFileName, snapFileName } from '../../src/snap/index.js';
import { isDefragOrphan, isOwnTempFile, sortSnapNames } from '../../src/snap/names.js';

describe('snap file names', () => {
  it('formats %016x-%016x.snap as term then index', () => {
    assert.equal(snapFileName(0x2, 0x5), '0000000000000002-0000000000000005.snap');
    assert.equal(snapFileName(1, 0xabcdef), '0000000000000001-0000000000abcdef.snap');
    assert.equal(
      snapFileName(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
      '001fffffffffffff-001fffffffffffff.snap',
    );
  });

  it('formats %016x.snap.db and parses it back', () => {
    assert.equal(dbFileName(0x1234), '0000000000001234.snap.db');
    assert.equal(parseDbFileName('0000000000001234.snap.db'), 0x1234);
    assert.equal(parseDbFileName('00000000000000FF.snap.db'), 255);
    assert.equal(parseDbFileName('0000000000001234.snap'), undefined);
    assert.equal(parseDbFileName('xyz.snap.db'), undefined);
    assert.equal(parseDbFileName('ffffffffffffffff.snap.db'), undefined);
  });

  it('rejects terms and indexes that are negative, fractional or unsafe', () => {
    const range = { code: 'RAFTWIRE_SNAP_RANGE' };
    assert.throws(() => snapFileName(-1, 1), range);
    assert.throws(() => snapFileName(1, 1.5), range);
    assert.throws(() => dbFileName(2 ** 53), range);
  });

  it('orders snapshots newest first (term, then index) and keeps only .snap names', () => {
    const names = [
      snapFileName(1, 100),
      snapFileName(2, 3),
      'db',
      `${snapFileName(3, 1)}.broken`,
      dbFileName(9),
      snapFileName(1, 0x1000),
      snapFileName(2, 0x10),
    ];
    assert.deepEqual(sortSnapNames(names), [
      snapFileName(2, 0x10),
      snapFileName(2, 3),
      snapFileName(1, 0x1000),
      snapFileName(1, 100),
    ]);
  });

  it('recognises its own temp files and etcd defragmentation orphans', () => {
    assert.equal(isOwnTempFile(`.${snapFileName(1, 2)}.123.1.tmp`), true);
    assert.equal(isOwnTempFile(snapFileName(1, 2)), false);
    assert.equal(isOwnTempFile('tmp123'), false);
    assert.equal(isDefragOrphan('db.tmp.123'), true);
    assert.equal(isDefragOrphan('db'), false);
  });
});

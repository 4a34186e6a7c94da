import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstNonZero } from '../../src/wal/first-nonzero.js';

const BLOCK = 64 * 1024;

describe('firstNonZero (the stale-byte check after the last record)', () => {
  it('finds a single stale byte wherever it is: block edges, the last byte, a short last block', () => {
    const size = 3 * BLOCK + 100;
    for (const at of [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 7, 3 * BLOCK, size - 1]) {
      const buf = Buffer.alloc(size);
      buf[at] = 0xab;
      assert.equal(firstNonZero(buf, 0), at, `stale byte at ${at}`);
      assert.equal(firstNonZero(buf, at), at, `from ${at}`);
      assert.equal(firstNonZero(buf, at + 1), -1, `from ${at + 1}`);
    }
  });

  it('returns the first of several, and -1 for all zeros, an empty range or a start past the end', () => {
    const buf = Buffer.alloc(2 * BLOCK);
    assert.equal(firstNonZero(buf, 0), -1);
    buf[BLOCK + 5] = 1;
    buf[BLOCK + 3] = 2;
    buf[10] = 3;
    assert.equal(firstNonZero(buf, 0), 10);
    assert.equal(firstNonZero(buf, 11), BLOCK + 3);
    assert.equal(firstNonZero(buf, buf.length), -1);
    assert.equal(firstNonZero(buf, buf.length + 5), -1);
    assert.equal(firstNonZero(new Uint8Array(0), 0), -1);
  });

  it('reads a view at its own offset, not the underlying buffer', () => {
    const backing = new Uint8Array(BLOCK + 64);
    backing[3] = 9; // before the view
    backing[40 + BLOCK] = 7; // inside it
    const view = backing.subarray(32);
    assert.equal(firstNonZero(view, 0), BLOCK + 8);
  });
});

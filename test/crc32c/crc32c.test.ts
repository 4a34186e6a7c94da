import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32c, crc32cUpdate } from '../../src/crc32c/index.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time CRC-32C: the definition, used as the oracle for the sliced tables. */
function bitwise(seed: number, bytes: Uint8Array): number {
  let c = ~seed >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  // Expected values printed by Go 1.19: crc32.Update(seed, crc32.MakeTable(crc32.Castagnoli), p).
  it('matches Go on the check string', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  });

  it('rolls like crc32.Update: the result of one call seeds the next', () => {
    const a = crc32cUpdate(0, ascii('test data'));
    assert.equal(a, 0x3379b4ca);
    assert.equal(crc32cUpdate(a, ascii('test data')), 0x01869aed);
    assert.equal(crc32c(ascii('test datatest data')), 0x01869aed);
  });

  it('matches Go with a non-zero seed over 1000 bytes', () => {
    const buf = new Uint8Array(1000);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 7 + 3) & 0xff;
    assert.equal(crc32cUpdate(0xdeadbeef, buf), 0x251a4be2);
  });

  it('returns the seed unchanged for no bytes', () => {
    assert.equal(crc32cUpdate(0x12345678, new Uint8Array(0)), 0x12345678);
  });

  it('honours start and end', () => {
    const buf = ascii('xx123456789yy');
    assert.equal(crc32cUpdate(0, buf, 2, 11), 0xe3069283);
  });

  it('agrees with the bitwise definition for any seed, length and split', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        (seed, bytes, cut) => {
          const expected = bitwise(seed, bytes);
          assert.equal(crc32cUpdate(seed, bytes), expected);
          const at = bytes.length === 0 ? 0 : cut % bytes.length;
          const mid = crc32cUpdate(seed, bytes, 0, at);
          assert.equal(crc32cUpdate(mid, bytes, at), expected);
        },
      ),
    );
  });
});

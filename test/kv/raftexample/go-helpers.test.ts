import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectContentType, parseUintBase0 } from '../../../src/kv/raftexample/index.js';

describe("Go's strconv.ParseUint(s, 0, 64) for raftexample IDs", () => {
  const cases: [string, bigint | undefined][] = [
    ['4', 4n],
    ['0x4', 4n],
    ['0o4', 4n],
    ['04', 4n],
    ['0b100', 4n],
    ['1_0', 10n],
    ['0', 0n],
    ['18446744073709551615', (1n << 64n) - 1n],
    ['18446744073709551616', undefined],
    ['4?x', undefined],
    ['', undefined],
    ['+4', undefined],
    ['1_', undefined],
    ['_1', undefined],
    ['0x', undefined],
    ['09', undefined],
  ];
  for (const [s, want] of cases) {
    it(`${JSON.stringify(s)} → ${want ?? 'error'}`, () => assert.equal(parseUintBase0(s), want));
  }
});

describe("Go's http.DetectContentType for GET answers", () => {
  const enc = new TextEncoder();
  const cases: [Uint8Array, string][] = [
    [enc.encode('bar'), 'text/plain; charset=utf-8'],
    [Uint8Array.from([0x61, 0x00, 0x62, 0xff]), 'application/octet-stream'],
    [enc.encode('  <HTML>'), 'text/html; charset=utf-8'],
    [enc.encode('<html'), 'text/plain; charset=utf-8'],
    [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
    [enc.encode('%PDF-1.4'), 'application/pdf'],
    [enc.encode(`${'a'.repeat(512)}\x01`), 'text/plain; charset=utf-8'],
  ];
  for (const [body, ct] of cases) {
    it(`${JSON.stringify(Buffer.from(body.subarray(0, 12)).toString('latin1'))} → ${ct}`, () =>
      assert.equal(detectContentType(body), ct));
  }
});

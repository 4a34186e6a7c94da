/** Malformed input throws RaftpbDecodeError with a stable code and reason; out-of-range values refuse to encode. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  decodeConfState,
  decodeEntry,
  decodeMessage,
  encodeMessage,
  isEmptySnap,
  MessageType,
  messageSize,
  newMessage,
  RaftpbDecodeError,
} from '../../src/raftpb/index.js';
import { fromHex, toHex } from '../support/hex.js';

function rejects(hex: string, reason: string, decode: (b: Uint8Array) => unknown = decodeMessage) {
  assert.throws(
    () => decode(fromHex(hex)),
    (e: unknown) => {
      assert.ok(e instanceof RaftpbDecodeError, `want RaftpbDecodeError, got ${String(e)}`);
      assert.ok(isRaftwireError(e, 'RAFTWIRE_RAFTPB_DECODE'));
      assert.equal(e.reason, reason);
      return true;
    },
  );
}

describe('decode errors', () => {
  test('truncated varint', () => rejects('0880', 'truncated'));
  test('truncated tag', () => rejects('88', 'truncated'));
  test('length past the end', () => rejects('3a05080010', 'truncated'));
  test('length past the end of the enclosing message', () =>
    // Message.entries (len 4) holding Entry.data claiming 9 bytes.
    rejects('3a0422090000', 'truncated'));
  test('wrong wire type for a known field', () => rejects('0d00000000', 'wrong-wire-type'));
  test('wrong wire type inside an entry', () => rejects('0a00', 'wrong-wire-type', decodeEntry));
  test('varint over 10 bytes', () => rejects('10ffffffffffffffffffff01', 'varint-overflow'));
  test('negative length', () => rejects('3affffffffffffffffff01', 'negative-length'));
  test('end group at top level', () => rejects('0c', 'unexpected-end-group'));
  test('field number 0', () => rejects('0000', 'illegal-tag'));
  test('wire type 7 in an unknown field', () => rejects('7f00', 'illegal-wire-type'));
  test('term above 2^53-1 is refused, never rounded', () => rejects('208080808080808010', 'unsafe-integer'));
  test('packed ids with a truncated varint', () => rejects('0a0201ff', 'truncated', decodeConfState));
  test('an error carries the offset where the problem is', () => {
    try {
      decodeMessage(fromHex('08031002188080'));
      assert.fail('decoded');
    } catch (e) {
      assert.ok(e instanceof RaftpbDecodeError);
      assert.equal(e.offset, 5);
    }
  });
});

describe('accepted edge cases', () => {
  test('a 10-byte varint keeps the low 64 bits, as Go does', () => {
    // to = 2^64-1 written with a 10th byte carrying extra bits (0x7f): Go drops the overflow.
    const m = decodeMessage(fromHex('10ffffffffffffffffff7f'));
    assert.equal(m.to, (1n << 64n) - 1n);
  });
  test('non-minimal varints decode', () => {
    const m = decodeMessage(fromHex('088300108200188000')); // type=3, to=2, from=0 with padding bytes
    assert.equal(m.type, MessageType.MsgApp);
    assert.equal(m.to, 2n);
    assert.equal(m.from, 0n);
  });
  test('a group in an unknown field is skipped and kept', () => {
    const m = decodeMessage(fromHex('0808' + '6b' + '0801' + '6c'));
    assert.equal(m.type, MessageType.MsgHeartbeat);
    assert.equal(toHex(m.unknown!), '6b08016c');
  });
  test('a repeated snapshot field merges', () => {
    // snapshot{metadata{index:5}} then snapshot{metadata{term:2}} → index 5, term 2
    const m = decodeMessage(fromHex('4a04120210054a0412021802'));
    assert.equal(m.snapshot?.metadata.index, 5);
    assert.equal(m.snapshot?.metadata.term, 2);
    assert.equal(isEmptySnap(m.snapshot), false);
  });
});

describe('encode range checks', () => {
  const cases: Array<[string, Partial<Parameters<typeof newMessage>[0]>]> = [
    ['term above 2^53-1', { term: 2 ** 53 }],
    ['negative index', { index: -1 }],
    ['fractional commit', { commit: 1.5 }],
    ['NaN logTerm', { logTerm: Number.NaN }],
    ['negative ID', { to: -1n }],
    ['ID above 2^64-1', { from: 1n << 64n }],
  ];
  for (const [name, fields] of cases) {
    test(name, () => {
      const m = newMessage({ type: MessageType.MsgApp, ...fields });
      assert.throws(() => messageSize(m), { code: 'RAFTWIRE_RAFTPB_RANGE' });
      assert.throws(() => encodeMessage(m), { code: 'RAFTWIRE_RAFTPB_RANGE' });
    });
  }
});

describe('last wins, also for values raftwire cannot hold', () => {
  test('an unsafe term overwritten by a safe one decodes, as in Go', () => {
    const m = decodeMessage(fromHex('2080808080808080102005'));
    assert.equal(m.term, 5);
  });
  test('a safe term overwritten by an unsafe one is refused', () =>
    rejects('2005208080808080808010', 'unsafe-integer'));
});

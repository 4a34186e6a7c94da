import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  type Condition,
  decodeOperation,
  encodeOperation,
  KvErrorCode,
  type Operation,
} from '../../src/kv/index.js';

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'absent' as const }),
  fc.constant({ kind: 'exists' as const }),
  fc
    .integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
    .map((revision) => ({ kind: 'revision' as const, revision })),
);
const key = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'));
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 500 }), condition }),
  fc.record({ op: fc.constant('delete' as const), key, condition }),
);

test('every operation round-trips through the entry encoding, key bytes and value bytes exact', () => {
  fc.assert(
    fc.property(operation, (op) => {
      const data = encodeOperation(op);
      assert.equal(data[0], 1, 'first byte is the format version');
      const back = decodeOperation(data);
      if (op.op === 'put' && back.op === 'put') {
        assert.deepEqual(
          { ...back, value: Buffer.from(back.value) },
          { ...op, value: Buffer.from(op.value) },
        );
      } else assert.deepEqual({ ...back }, { ...op });
    }),
  );
});

test('the layout is the documented one', () => {
  const data = encodeOperation({
    op: 'put',
    key: 'ab',
    value: Buffer.from('xyz'),
    condition: { kind: 'revision', revision: 258 },
  });
  assert.equal(Buffer.from(data).toString('hex'), `010101${'0000000000000102'}02${'6162'}${'78797a'}`);
  const del = encodeOperation({ op: 'delete', key: 'k', condition: { kind: 'absent' } });
  assert.equal(Buffer.from(del).toString('hex'), '0102020' + '1' + '6b');
});

test('anything this version does not write is refused with RAFTWIRE_KV_ENTRY_DECODE', () => {
  const good = Buffer.from(
    encodeOperation({
      op: 'put',
      key: 'key',
      value: Buffer.from('v'),
      condition: { kind: 'revision', revision: 5 },
    }),
  );
  const cases: Array<[string, Uint8Array]> = [
    ['empty', Buffer.alloc(0)],
    ['unknown version', Buffer.concat([Buffer.from([2]), good.subarray(1)])],
    ['unknown op', Buffer.from([1, 9, 0, 0])],
    ['unknown condition', Buffer.from([1, 1, 7, 0])],
    ['truncated revision', good.subarray(0, 8)],
    ['truncated key', good.subarray(0, 13)],
    ['truncated key length', Buffer.from([1, 1, 0, 0x80])],
    ['trailing bytes after a delete', Buffer.from([1, 2, 0, 1, 0x6b, 0])],
  ];
  for (const [name, data] of cases) {
    assert.throws(
      () => decodeOperation(data),
      (e) => isRaftwireError(e, KvErrorCode.EntryDecode),
      name,
    );
  }
});

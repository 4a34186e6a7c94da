import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { type Condition, encodeOperation, KvErrorCode, KvStateMachine } from '../../src/kv/index.js';

const none: Condition = { kind: 'none' };
const putData = (key: string, value: string, condition: Condition = none) =>
  encodeOperation({ op: 'put', key, value: Buffer.from(value), condition });
const delData = (key: string, condition: Condition = none) =>
  encodeOperation({ op: 'delete', key, condition });

test('puts and deletes set the revision to the entry index', () => {
  const sm = new KvStateMachine();
  assert.deepEqual(sm.apply({ index: 5, term: 1, data: putData('k', 'v1') }), {
    ok: true,
    revision: 5,
    existed: false,
  });
  assert.deepEqual(sm.get('k')?.revision, 5);
  assert.deepEqual(sm.apply({ index: 6, term: 1, data: putData('k', 'v2') }), {
    ok: true,
    revision: 6,
    existed: true,
  });
  assert.equal(Buffer.from(sm.get('k')?.value ?? []).toString(), 'v2');
  assert.deepEqual(sm.apply({ index: 7, term: 1, data: delData('k') }), {
    ok: true,
    revision: 7,
    existed: true,
  });
  assert.equal(sm.get('k'), undefined);
  assert.deepEqual(sm.apply({ index: 8, term: 1, data: delData('k') }), {
    ok: true,
    revision: 8,
    existed: false,
  });
  assert.equal(sm.appliedIndex, 8);
});

test('conditions: If-Match revision, If-Match *, If-None-Match *', () => {
  const sm = new KvStateMachine();
  let i = 1;
  const apply = (data: Uint8Array) => sm.apply({ index: ++i, term: 1, data });
  assert.deepEqual(apply(putData('k', 'a', { kind: 'exists' })), {
    ok: false,
    revision: 2,
    current: undefined,
  });
  assert.deepEqual(apply(putData('k', 'a', { kind: 'revision', revision: 1 })), {
    ok: false,
    revision: 3,
    current: undefined,
  });
  assert.deepEqual(apply(putData('k', 'a', { kind: 'absent' })), { ok: true, revision: 4, existed: false });
  assert.deepEqual(apply(putData('k', 'b', { kind: 'absent' })), { ok: false, revision: 5, current: 4 });
  assert.deepEqual(apply(putData('k', 'b', { kind: 'revision', revision: 3 })), {
    ok: false,
    revision: 6,
    current: 4,
  });
  assert.deepEqual(apply(putData('k', 'b', { kind: 'revision', revision: 4 })), {
    ok: true,
    revision: 7,
    existed: true,
  });
  assert.deepEqual(apply(delData('k', { kind: 'revision', revision: 4 })), {
    ok: false,
    revision: 8,
    current: 7,
  });
  assert.deepEqual(apply(delData('k', { kind: 'exists' })), { ok: true, revision: 9, existed: true });
  assert.equal(sm.get('k'), undefined);
  assert.equal(Buffer.from(encodeOperation({ op: 'delete', key: 'k', condition: none })).length, 5);
});

test('two replicas fed the same entries end in the same state (deterministic)', async () => {
  const entries: Uint8Array[] = [];
  for (let n = 0; n < 200; n++) {
    const key = `k${n % 17}`;
    const r = n % 5;
    entries.push(
      r === 0
        ? delData(key)
        : r === 1
          ? putData(key, `v${n}`, { kind: 'revision', revision: Math.max(1, n - 17) })
          : r === 2
            ? putData(key, `v${n}`, { kind: 'absent' })
            : putData(key, `v${n}`),
    );
  }
  const a = new KvStateMachine();
  const b = new KvStateMachine();
  const ra = entries.map((data, i) => a.apply({ index: i + 1, term: 1, data }));
  const rb = entries.map((data, i) => b.apply({ index: i + 1, term: 1, data }));
  assert.deepEqual(ra, rb);
  const image = async (sm: KvStateMachine) => {
    const parts: Uint8Array[] = [];
    for await (const c of sm.snapshot()) parts.push(c);
    return parts;
  };
  assert.deepEqual(Buffer.concat(await image(a)), Buffer.concat(await image(b)));
});

test('listing: byte order, prefix, exclusive after-cursor, limit and next', () => {
  const sm = new KvStateMachine();
  const keys = ['b', 'a/2', 'a/1', 'a/10', 'a', 'a\u00ff', 'a/\u0000', 'c'];
  for (const [i, k] of keys.entries()) sm.apply({ index: i + 1, term: 1, data: putData(k, 'x') });
  const names = (l: { keys: Array<{ key: string }> }) => l.keys.map((k) => k.key);
  assert.deepEqual(names(sm.list('', undefined, 100)), [
    'a',
    'a/\u0000',
    'a/1',
    'a/10',
    'a/2',
    'a\u00ff',
    'b',
    'c',
  ]);
  const p1 = sm.list('a/', undefined, 2);
  assert.deepEqual(names(p1), ['a/\u0000', 'a/1']);
  assert.equal(p1.next, 'a/1');
  const p2 = sm.list('a/', p1.next, 2);
  assert.deepEqual(names(p2), ['a/10', 'a/2']);
  assert.equal(p2.next, undefined);
  assert.deepEqual(names(sm.list('a/', 'a/2', 2)), []);
  assert.deepEqual(names(sm.list('', 'a\u00ff', 10)), ['b', 'c']);
  assert.deepEqual(sm.list('zz', undefined, 10), { keys: [], next: undefined });
});

test('a malformed entry throws (the host stops the member) and changes nothing', () => {
  const sm = new KvStateMachine();
  sm.apply({ index: 1, term: 1, data: putData('k', 'v') });
  assert.throws(
    () => sm.apply({ index: 2, term: 1, data: Buffer.from([9, 9, 9, 9]) }),
    (e) => isRaftwireError(e, KvErrorCode.EntryDecode),
  );
  assert.equal(sm.appliedIndex, 1);
  assert.equal(sm.get('k')?.revision, 1);
});

test('hash: equal states hash equal; a value, a revision or a key changes it', () => {
  const a = new KvStateMachine();
  const b = new KvStateMachine();
  assert.equal(a.hash(), b.hash());
  a.apply({ index: 1, term: 1, data: putData('x', '1') });
  b.apply({ index: 1, term: 1, data: putData('x', '1') });
  assert.equal(a.hash(), b.hash());
  const c = new KvStateMachine();
  c.apply({ index: 2, term: 1, data: putData('x', '1') });
  assert.notEqual(c.hash(), a.hash(), 'revision counts');
  const d = new KvStateMachine();
  d.apply({ index: 1, term: 1, data: putData('x', '2') });
  assert.notEqual(d.hash(), a.hash(), 'value counts');
  b.apply({ index: 2, term: 1, data: putData('y', '') });
  assert.notEqual(b.hash(), a.hash(), 'an empty value still counts');
  b.apply({ index: 3, term: 1, data: delData('y') });
  assert.equal(b.hash(), a.hash(), 'deleted keys leave no trace');
});

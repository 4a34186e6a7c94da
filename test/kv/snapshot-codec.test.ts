import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isRaftwireError } from '../../src/errors/index.js';
import { encodeOperation, KvErrorCode, KvStateMachine } from '../../src/kv/index.js';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

/** Re-chunks `bytes` at the given cut points. */
async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= from || c >= bytes.length) continue;
    yield bytes.subarray(from, c);
    from = c;
  }
  yield bytes.subarray(from);
}

function put(sm: KvStateMachine, index: number, key: string, value: Uint8Array): void {
  sm.apply({ index, term: 1, data: encodeOperation({ op: 'put', key, value, condition: { kind: 'none' } }) });
}

test('a snapshot restores the same keys, values, revisions and applied index, however it is chunked', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 200 })), {
        maxLength: 60,
      }),
      fc.array(fc.nat({ max: 20000 }), { maxLength: 30 }),
      async (writes, cuts) => {
        const sm = new KvStateMachine();
        let index = 3;
        for (const [k, v] of writes) put(sm, ++index, Buffer.from(k).toString('latin1'), v);
        const image = await collect(sm.snapshot());
        const back = new KvStateMachine();
        await back.restore(chunked(image, cuts));
        assert.equal(back.appliedIndex, sm.appliedIndex);
        assert.deepEqual(back.list('', undefined, 10000), sm.list('', undefined, 10000));
        for (const [k] of writes) {
          const key = Buffer.from(k).toString('latin1');
          assert.deepEqual(Buffer.from(back.get(key)?.value ?? []), Buffer.from(sm.get(key)?.value ?? []));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a large state streams in many chunks', async () => {
  const sm = new KvStateMachine();
  for (let i = 1; i <= 3000; i++) put(sm, i, `key-${i}`, Buffer.alloc(100, i));
  let chunks = 0;
  let max = 0;
  for await (const c of sm.snapshot()) {
    chunks++;
    max = Math.max(max, c.length);
  }
  assert.ok(chunks > 3, `${chunks} chunks`);
  assert.ok(max < 128 * 1024, `largest chunk ${max} bytes`);
});

test('the snapshot captures the state at the call, not at consumption', async () => {
  const sm = new KvStateMachine();
  put(sm, 1, 'a', Buffer.from('1'));
  const snap = sm.snapshot();
  put(sm, 2, 'a', Buffer.from('2'));
  put(sm, 3, 'b', Buffer.from('3'));
  const back = new KvStateMachine();
  await back.restore(snap);
  assert.equal(back.appliedIndex, 1);
  assert.equal(Buffer.from(back.get('a')?.value ?? []).toString(), '1');
  assert.equal(back.get('b'), undefined);
});

test('a bad image is refused with RAFTWIRE_KV_SNAPSHOT_DECODE and the state is unchanged', async () => {
  const sm = new KvStateMachine();
  put(sm, 1, 'a', Buffer.from('value-a'));
  put(sm, 2, 'b', Buffer.from('value-b'));
  const image = await collect(sm.snapshot());
  const flip = (at: number): Buffer => {
    const b = Buffer.from(image);
    b[at] = (b[at] as number) ^ 0x01;
    return b;
  };
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['bad magic', flip(0)],
    ['unknown version', flip(4)],
    ['flipped value byte (CRC)', flip(image.length - 20)],
    ['truncated', image.subarray(0, image.length - 10)],
    ['no CRC', image.subarray(0, image.length - 4)],
    ['trailing bytes', Buffer.concat([image, Buffer.from([0])])],
    ['bad record tag', Buffer.concat([image.subarray(0, 13), Buffer.from([7]), image.subarray(14)])],
  ];
  const target = new KvStateMachine();
  put(target, 9, 'keep', Buffer.from('me'));
  for (const [name, bad] of cases) {
    await assert.rejects(
      target.restore(chunked(bad, [])),
      (e) => isRaftwireError(e, KvErrorCode.SnapshotDecode),
      name,
    );
    assert.equal(target.appliedIndex, 9, name);
    assert.equal(Buffer.from(target.get('keep')?.value ?? []).toString(), 'me', name);
  }
});

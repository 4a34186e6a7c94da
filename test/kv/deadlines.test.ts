import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deadlines } from '../../src/kv/deadlines.js';

test('requests in the same 50 ms slot share one signal, which aborts with a TimeoutError', async (t) => {
  // the slot timers are unref'd (a server's sockets keep the process alive); keep this test alive
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const d = new Deadlines();
  const a = d.after(30);
  const b = d.after(30);
  assert.equal(a, b);
  assert.equal(a.aborted, false);
  const reason = await new Promise<unknown>((resolve) =>
    a.addEventListener('abort', () => resolve(a.reason)),
  );
  assert.equal((reason as Error).name, 'TimeoutError');
  const later = d.after(30);
  assert.notEqual(later, a, 'a spent slot is not handed out again');
  assert.equal(later.aborted, false);
});

test('a slot signal takes every request of the slot without a "possible memory leak" warning', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const d = new Deadlines();
  const signal = d.after(60_000);
  const listeners = Array.from({ length: 200 }, () => () => {});
  for (const l of listeners) signal.addEventListener('abort', l, { once: true });
  t.after(() => {
    for (const l of listeners) signal.removeEventListener('abort', l);
  });
  // process warnings are emitted on the next tick
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.deepEqual(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
    [],
  );
});

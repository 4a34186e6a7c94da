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

test('a slot signal takes many listeners without a leak warning; close clears the timers', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const d = new Deadlines();
  const s = d.after(10_000);
  const listeners = Array.from({ length: 50 }, () => () => {});
  for (const l of listeners) s.addEventListener('abort', l);
  for (const l of listeners) s.removeEventListener('abort', l);
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  assert.deepEqual(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
    [],
  );
  d.close();
  assert.notEqual(d.after(10_000), s, 'close forgets the slots');
  d.close();
  assert.equal(s.aborted, false, 'close clears the timer, it does not fire it');
});

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

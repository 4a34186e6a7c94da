/**
 * `npm run torture` as a user runs it (scripts/torture.sh, a real process): a bad argument is
 * refused with a one-line reason, and one scenario picked by name runs with the given seed and
 * load duration, the others skipped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function torture(
  t: { after(fn: () => void): void },
  args: string[],
): Promise<{ code: number | null; out: string }> {
  // Not inside this test run: a node --test started from a test would skip its files.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn('bash', ['scripts/torture.sh', ...args], {
    cwd: root,
    env: { ...env, RAFTWIRE_TORTURE_NO_BUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // The whole process group: the script, node --test and the members it started.
  t.after(() => {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out })));
}

test('npm run torture refuses an unknown argument with a one-line reason', async (t) => {
  const r = await torture(t, ['--secs', '5']);
  assert.equal(r.code, 2);
  assert.match(r.out, /^torture: unknown argument '--secs'/m);
});

test('npm run torture -- --scenario NAME --seconds S --seed S runs that scenario alone', async (t) => {
  const r = await torture(t, [
    '--scenario',
    '^crash a follower \\(SIGKILL',
    '--seconds',
    '2',
    '--seed',
    '4242',
  ]);
  assert.equal(r.code, 0, r.out.slice(-3000));
  assert.match(r.out, /crash-follower \(seed 4242\): \d+ ops/);
  assert.match(r.out, /^# pass 1$/m);
  assert.match(r.out, /^# fail 0$/m);
});

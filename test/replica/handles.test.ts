import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function run(
  script: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    // A child that does not exit by itself keeps a handle open: kill it and fail.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test('close() leaves no active handle: the process exits by itself', async () => {
  const { code, out, err } = await run(join(here, 'handles-child.js'));
  assert.equal(code, 0, err);
  const resources = JSON.parse(out.trim().split('\n').at(-1) as string) as string[];
  // Only the child's own stdio may remain.
  const left = resources.filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
  assert.deepEqual(left, []);
});

test('the counter example runs and every member reads the same total', async () => {
  const { freePorts } = await import('./helpers.js');
  const ports = await freePorts(3);
  const script = join(here, '..', '..', 'examples', 'counter.js');
  const { code, out, err } = await run(script, { COUNTER_PORTS: ports.join(',') });
  assert.equal(code, 0, err);
  const totals = [...out.matchAll(/member (\d+): counter = (\d+)/g)].map((m) => Number(m[2]));
  assert.deepEqual(totals, [18, 18, 18]);
});

/**
 * `raftwire node` stops (exit 1) on a fatal error that happens while it is still starting: here
 * the first WAL fdatasync fails (failpoint walBeforeFsync). The replica's `fatal` event fires
 * before the command subscribes to it; the member must not stay up answering 503s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a fatal WAL error during start stops the member with exit 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-fatal-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [peer, client] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [MAIN, 'node', '--id', '1', '--cluster', `http://127.0.0.1:${peer}`, '--port', String(client)],
    {
      cwd: dir,
      env: { ...process.env, RAFTWIRE_FAILPOINTS: 'walBeforeFsync=error(EIO)' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 8_000).unref());
  const outcome = await Promise.race([exited, timer]);
  assert.equal(outcome, 1, `exit status (stderr: ${stderr.trim()})`);
  assert.match(stderr, /EIO/);
});

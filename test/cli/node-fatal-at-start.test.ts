/**
 * `raftwire node` stops (exit 1) on a fatal error that happens while it is still starting: here
 * the first WAL fdatasync fails (failpoint walBeforeFsync). The replica's `fatal` event fires
 * before the command subscribes to it; the member must not stay up answering 503s.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../support/ports.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('a fatal WAL error during start stops the member with exit 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-fatal-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [peer, client] = (await freePorts(2)) as [number, number];
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
  // Generous: on a loaded 2-core machine node's start alone took seconds, and the command's close
  // may take up to its 10 s hard stop. A member that stays up never exits at all.
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000).unref());
  const outcome = await Promise.race([exited, timer]);
  assert.equal(outcome, 1, `exit status (stderr: ${stderr.trim()})`);
  assert.match(stderr, /EIO/);
});

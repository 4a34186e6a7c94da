/**
 * Real libc sync failures under a member (libfiu): a follower runs under `fiu-run -x`; once it has
 * caught up, `fiu-ctrl` makes every fsync and fdatasync of its process fail with EIO. Its next
 * sync (the WAL's native writer and node's fs both call libc) must stop it: exit status 1, EIO on
 * stderr, nothing acknowledged it could not persist (the history check); restarted without libfiu,
 * it catches up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../interop/storage/raftexample.js';
import { until } from '../kv/e2e/process-cluster.js';
import { projectRoot } from '../support/paths.js';
import { awaitExit } from './support/failpoint-crash.js';
import { fiuCtrl, fiuRunEnv, removeFiuFifos } from './support/libfiu.js';
import { others, runScenario } from './support/scenario.js';

const variants: Array<{ what: string; name: string; points: string[]; reason: RegExp }> = [
  {
    what: 'fsync and fdatasync fail with EIO (libc)',
    name: 'libfiu-sync-eio',
    points: ['posix/io/sync/fdatasync', 'posix/io/sync/fsync'],
    reason: /EIO/,
  },
  {
    // In the default o_dsync mode a WAL append is one O_DSYNC pwrite on the native writer thread:
    // the disk error of a durable append shows there.
    what: 'pwrite fails with EIO (libc), the WAL append path',
    name: 'libfiu-pwrite-eio',
    points: ['posix/io/rw/pwrite'],
    reason: /wal: write of \S+\.wal failed .*EIO/,
  },
];

for (const v of variants) {
  test(`libfiu: ${v.what} on a follower: it fail-stops without acknowledging, restarts clean`, async (t) => {
    const env = fiuRunEnv();
    const pids: number[] = [];
    t.after(() => {
      for (const pid of pids) removeFiuFifos(env, pid);
    });
    await runScenario(t, {
      name: v.name,
      // Snapshots every 40 entries: the follower syncs its .snap files and segments often.
      args: ['--snapshot-count', '40', '--snapshot-catch-up-entries', '10'],
      warmupMs: 500,
      fault: async (c, leader) => {
        const id = others(leader)[0] as number;
        await c.kill(id, 'SIGKILL');
        c.startMember(id, env);
        const pid = c.member(id).child?.pid;
        assert.ok(pid !== undefined);
        pids.push(pid);
        // Caught up first (a snapshot it receives and cannot sync is only retried, as in etcd).
        await until(`member ${id} caught up under fiu-run`, async () => {
          const [mine, lead] = [await c.status(id), await c.status(leader)];
          return (
            mine !== undefined &&
            lead !== undefined &&
            (mine.applied as number) >= (lead.commit as number) - 5
          );
        });
        fiuCtrl(
          pid,
          v.points.map((p) => `enable name=${p},failinfo=5`),
        );
        const code = await awaitExit(c, id, 30_000);
        assert.equal(code, 1, `fail-stop with status 1\n${c.member(id).output}`);
        const reason = c
          .member(id)
          .output.split('\n')
          .find((l) => l.startsWith('raftwire node:'));
        assert.match(reason ?? '', v.reason, `it said why it stopped: ${reason}`);
        t.diagnostic(`its line: ${reason}`);
        c.startMember(id);
      },
    });
  });
}

test('libfiu reaches the native WAL writer: a new member whose fdatasync fails (libc, EIO) refuses to start, naming the WAL file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-libfiu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [peer, client] = [await freePort(), await freePort()];
  const cli = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
  const child = spawn(
    'fiu-run',
    [
      '-x',
      '-c',
      'enable name=posix/io/sync/fdatasync,failinfo=5',
      '--',
      process.execPath,
      cli,
      'node',
      '--id',
      '1',
      '--cluster',
      `http://127.0.0.1:${peer}`,
      '--port',
      String(client),
      '--data-dir',
      join(dir, 'd'),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_USE_IO_URING: '0' } },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (child.pid !== undefined) removeFiuFifos(fiuRunEnv(), child.pid);
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after 20 s: ${stderr}`)), 20_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 1, stderr);
  // The native writer's own message (src/wal/native-binding.ts), not libuv's "i/o error, fdatasync".
  assert.match(stderr, /^raftwire node: EIO: fdatasync failed, '[^']+\.wal' \(EIO\)$/m);
});

/**
 * Real libc sync failures under a member (libfiu): a follower runs under `fiu-run -x`; once it has
 * caught up, `fiu-ctrl` makes every fsync and fdatasync of its process fail with EIO. Its next
 * sync (the WAL's native writer and node's fs both call libc) must stop it: exit status 1, EIO on
 * stderr, nothing acknowledged it could not persist (the history check); restarted without libfiu,
 * it catches up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../kv/e2e/process-cluster.js';
import { awaitExit } from './support/failpoint-crash.js';
import { fiuCtrl, fiuRunEnv, removeFiuFifos } from './support/libfiu.js';
import { runScenario } from './support/scenario.js';

const others = (leader: number): number[] => [1, 2, 3].filter((id) => id !== leader);

test('libfiu: fsync and fdatasync fail with EIO (libc) on a follower: it fail-stops without acknowledging, restarts clean', async (t) => {
  const env = fiuRunEnv();
  const pids: number[] = [];
  t.after(() => {
    for (const pid of pids) removeFiuFifos(env, pid);
  });
  await runScenario(t, {
    name: 'libfiu-sync-eio',
    // Snapshots every 40 entries: the follower syncs its .snap files and segments often.
    args: ['--snapshot-count', '40', '--snapshot-catch-up-entries', '10'],
    warmupMs: 500,
    fault: async (c, leader) => {
      const id = others(leader)[0] as number;
      await c.kill(id, 'SIGKILL');
      c.startMember(id, env);
      const child = c.member(id).child;
      const pid = child?.pid;
      assert.ok(pid !== undefined);
      pids.push(pid);
      // Caught up first (a snapshot it receives and cannot sync is only retried, as in etcd).
      await until(`member ${id} caught up under fiu-run`, async () => {
        const [mine, lead] = [await c.status(id), await c.status(leader)];
        return (
          mine !== undefined && lead !== undefined && (mine.applied as number) >= (lead.commit as number) - 5
        );
      });
      fiuCtrl(pid, [
        'enable name=posix/io/sync/fdatasync,failinfo=5',
        'enable name=posix/io/sync/fsync,failinfo=5',
      ]);
      const code = await awaitExit(c, id, 30_000);
      assert.equal(code, 1, `fail-stop with status 1\n${c.member(id).output}`);
      const reason = c
        .member(id)
        .output.split('\n')
        .find((l) => l.startsWith('raftwire node:'));
      assert.match(reason ?? '', /EIO/, `it said why it stopped: ${reason}`);
      t.diagnostic(`its line: ${reason}`);
      c.startMember(id);
    },
  });
});

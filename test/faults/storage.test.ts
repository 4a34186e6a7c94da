/**
 * Storage faults: a failing fsync (the member stops rather than acknowledging, then restarts and
 * catches up), on a follower and on the leader; a slow disk on every member; a real disk-full on
 * a small tmpfs under one member's data directory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../support/wait.js';
import { awaitExit, moreWrites, transferTo } from './support/failpoint-crash.js';
import type { FaultCluster } from './support/fault-cluster.js';
import { others, runScenario } from './support/scenario.js';

/** Watches member `id`'s stderr (its one-line reason for stopping) for `re`. */
function sawOnStderr(c: FaultCluster, id: number, re: RegExp): () => boolean {
  let seen = false;
  c.member(id).child?.stderr?.on('data', (d: Buffer) => {
    if (re.test(d.toString())) seen = true;
  });
  return () => seen;
}

test('failing fsync on a follower: it stops (exit 1) instead of acknowledging, restarts clean', async (t) => {
  await runScenario(t, {
    name: 'fsync-eio-follower',
    warmupMs: 500,
    fault: async (c, leader) => {
      const id = others(leader)[0] as number;
      await c.kill(id, 'SIGKILL');
      c.startMember(id, { RAFTWIRE_FAILPOINTS: 'walBeforeFsync=1*error(EIO)' });
      const eio = sawOnStderr(c, id, /EIO/);
      assert.equal(await awaitExit(c, id), 1, 'fail-stop with status 1');
      assert.ok(eio(), 'the member said why it stopped (EIO) on stderr');
      c.startMember(id);
    },
  });
});

test('failing fsync on the leader: it stops, the others go on, no acknowledged write is lost', async (t) => {
  await runScenario(t, {
    name: 'fsync-eio-leader',
    warmupMs: 500,
    fault: async (c, leader) => {
      const id = others(leader)[0] as number;
      await c.kill(id, 'SIGKILL');
      // Armed for its 3rd fsync: it catches up first, then fails once it leads.
      c.startMember(id, { RAFTWIRE_FAILPOINTS: 'walBeforeFsync=3*error(EIO)' });
      const eio = sawOnStderr(c, id, /EIO/);
      await sleep(300);
      await transferTo(c, leader, id);
      assert.equal(await awaitExit(c, id), 1, 'fail-stop with status 1');
      assert.ok(eio(), 'the member said why it stopped (EIO) on stderr');
      await sleep(300);
      c.startMember(id);
    },
  });
});

test('slow disk: every save delayed 100 ms on half the saves of every member, for the whole run', async (t) => {
  await runScenario(t, {
    name: 'slow-disk',
    env: () => ({ RAFTWIRE_FAILPOINTS: 'raftBeforeSave=50%sleep(100)' }),
    fault: async () => {
      await sleep(2000);
    },
  });
});

test('disk full: a member on an 80 MiB tmpfs hits ENOSPC, acknowledges nothing it cannot persist, and recovers once space is freed', async (t) => {
  let mounted: string | undefined;
  t.after(() => {
    if (mounted !== undefined) execFileSync('umount', ['-l', mounted]);
  });
  await runScenario(t, {
    name: 'disk-full',
    args: ['--snapshot-count', '40', '--snapshot-catch-up-entries', '10'],
    warmupMs: 500,
    fault: async (c, leader, w) => {
      const id = others(leader)[0] as number;
      const m = c.member(id);
      await c.kill(id, 'SIGKILL');
      // Move its data onto a small tmpfs: copy out, mount, copy back.
      const saved = `${m.dataDir}.saved`;
      execFileSync('cp', ['-a', m.dataDir, saved]);
      rmSync(m.dataDir, { recursive: true, force: true });
      mkdirSync(m.dataDir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=80m', 'tmpfs', m.dataDir]);
      mounted = m.dataDir;
      execFileSync('cp', ['-a', `${saved}/.`, m.dataDir]);
      c.startMember(id);
      await moreWrites(w, 20);
      // Fill what is left: its next snapshot (or segment) cannot be written.
      const filler = join(m.dataDir, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=200'], { stdio: 'ignore' });
      } catch {
        // dd stops at ENOSPC: that is the point
      }
      // It must hit ENOSPC and then either stop (status 1) or stay up without acknowledging
      // anything it could not persist (the history check covers that); either way it must
      // recover once space is freed.
      let exitCode: number | null | undefined;
      void m.exited?.then((code) => {
        exitCode = code;
      });
      await waitFor('ENOSPC in the member log', () => /ENOSPC/.test(m.output), {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      await sleep(500);
      rmSync(filler, { force: true });
      // Settled: it either stopped (then restart it) or caught up with the leader by itself.
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (exitCode !== undefined) {
          assert.equal(exitCode, 1, 'a member that stops on ENOSPC exits with status 1');
          m.child = undefined;
          c.startMember(id);
          break;
        }
        const [mine, lead] = [await c.status(id), await c.status(leader)];
        if (mine !== undefined && lead !== undefined && mine.applied === lead.commit) break;
        assert.ok(Date.now() < deadline, 'the member neither stopped nor caught up after space was freed');
        await sleep(200);
      }
    },
  });
});

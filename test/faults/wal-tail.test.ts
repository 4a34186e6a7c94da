/**
 * A damaged WAL on a follower, found by its own decoder: (a) a torn tail (half a record after the
 * last whole one, as a crash mid-append leaves it) is repaired on restart and the member catches up;
 * (b) a corrupted record that is not the tail makes the member refuse to start (one-line error,
 * non-zero exit, nothing acknowledged) while the cluster goes on; the operator then removes it,
 * wipes its directory and adds a fresh member in its place.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { until } from '../kv/e2e/process-cluster.js';
import { awaitExit, moreWrites } from './support/failpoint-crash.js';
import { others, runScenario } from './support/scenario.js';
import { corruptRecord, tearTail } from './support/wal-surgery.js';

test('torn WAL tail on a follower: repaired on restart, it catches up', async (t) => {
  await runScenario(t, {
    name: 'wal-torn-tail',
    warmupMs: 1000,
    fault: async (c, leader, w) => {
      const id = others(leader)[0] as number;
      await c.kill(id, 'SIGKILL');
      const walDir = join(c.member(id).dataDir, 'wal');
      const torn = tearTail(walDir);
      t.diagnostic(`tore ${torn.path} at ${torn.length} (record at ${torn.recordOffset})`);
      c.startMember(id);
      const child = c.member(id).child;
      await until(
        `member ${id} serves again after the repair`,
        async () => child?.exitCode !== null || (await c.status(id)) !== undefined,
      );
      assert.equal(child?.exitCode, null, `member ${id} runs after the repair\n${c.member(id).output}`);
      assert.match(c.member(id).output, /torn write at the tail/, 'it logged the repair');
      assert.ok(existsSync(`${torn.path}.broken`), 'the torn segment was kept as <segment>.broken');
      await moreWrites(w, 20);
    },
  });
});

test('corrupted WAL record (not the tail) on a follower: it refuses to start; removed, wiped, replaced by a fresh member', async (t) => {
  await runScenario(t, {
    name: 'wal-corrupt-record',
    warmupMs: 1000,
    fault: async (c, leader, w) => {
      const id = others(leader)[0] as number;
      const m = c.member(id);
      await c.kill(id, 'SIGKILL');
      const bad = corruptRecord(join(m.dataDir, 'wal'));
      t.diagnostic(`corrupted the record at ${bad.recordOffset} of ${bad.path}`);
      let stderr = '';
      c.startMember(id);
      m.child?.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await awaitExit(c, id);
      assert.ok(code !== 0 && code !== null, `refuses to start with a non-zero exit (got ${code})`);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line on stderr: ${stderr}`);
      assert.match(lines[0] as string, /crc mismatch|corrupt|undecodable/i, 'names the damage');
      assert.match(lines[0] as string, /\.wal/, 'names the file');
      t.diagnostic(`its one line: ${lines[0]}`);
      // The cluster goes on without it.
      await moreWrites(w, 20);

      // The operator's way back: remove it, wipe its directory, add a fresh member (a new ID,
      // named: the default, largest ID + 1, would be the removed one when that was member 3).
      const removed = await c.req(leader, 'DELETE', `/-/members/${id.toString(16)}`);
      assert.equal(removed.status, 204, removed.text);
      rmSync(m.dataDir, { recursive: true, force: true });
      await c.setup(4);
      const fresh = c.member(4);
      const url = `http://127.0.0.1:${c.proxy(4).port}`;
      const added = await c.req(leader, 'POST', '/-/members', {
        body: JSON.stringify({ id: '4', peerUrls: [url] }),
      });
      assert.equal(added.status, 201, added.text);
      assert.equal((JSON.parse(added.text) as { id: string }).id, '4');
      c.start(4, { join: true, args: ['--listen-peer', `http://127.0.0.1:${fresh.peerPort}`] });
      await until('the fresh member is a voter', async () => {
        const r = await c.req(leader, 'GET', '/-/members');
        const list = JSON.parse(r.text) as { members: Array<{ id: string; role: string }> };
        return list.members.some((x) => x.id === '4' && x.role === 'voter');
      });
      await moreWrites(w, 10);
    },
  });
});

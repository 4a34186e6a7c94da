/**
 * `raftwire status <url> [--watch]` through the CLI against a real `raftwire cluster`: the
 * supervisor's table (every member, one leader, a killed member shown down), a member's own view,
 * --watch redrawing until SIGINT, and one-line errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI, ClusterProcess, freeBasePort } from '../cluster/cluster-process.js';
import { runCli } from '../kv/e2e/process-cluster.js';
import { waitFor } from '../support/wait.js';

/** The table's data rows as column arrays (split on runs of 2+ spaces). */
function rows(out: string): string[][] {
  const lines = out.trimEnd().split('\n');
  const header = lines.findIndex((l) => l.startsWith('MEMBER'));
  assert.ok(header >= 0, out);
  return lines.slice(header + 1).map((l) => l.split(/ {2,}/));
}

test('raftwire status prints the cluster, a member view, --watch redraws; errors are one line', async (t) => {
  const c = await ClusterProcess.start();
  t.after(() => c.close());
  await waitFor(
    'every member to know the leader',
    async () => (await c.status()).members.every((m) => typeof m.status?.leader === 'string'),
    { timeoutMs: 30_000, intervalMs: 200 },
  );

  const all = await runCli(['status', c.url]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(
    all.stdout,
    new RegExp(`^raftwire cluster at ${c.url}: 3/3 members up; leader: member [123] \\(term \\d+`),
  );
  const table = rows(all.stdout);
  assert.equal(table.length, 3, all.stdout);
  assert.deepEqual(
    table.map((r) => r[0]),
    ['1', '2', '3'],
  );
  assert.equal(table.filter((r) => r[2] === 'leader').length, 1, all.stdout);
  for (const r of table) {
    assert.equal(r[1], 'up');
    assert.equal(r[7], '2/2', `peers up: ${all.stdout}`);
    assert.ok(r.includes(c.memberUrl(Number(r[0]))), all.stdout);
  }

  // A member's own view, from its client URL.
  const one = await runCli(['status', c.memberUrl(2)]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^raftwire member 2 at .* \(its view\); leader: member [123]/);
  const view = rows(one.stdout);
  assert.equal(view.length, 3);
  assert.ok(view[1]?.includes('this member'), one.stdout);
  assert.ok(view[0]?.[1] === 'up' && view[0]?.at(-1)?.startsWith('reachable'), one.stdout);

  // A killed member is down in both tables.
  const kill = await fetch(`${c.url}/-/cluster/members/3/kill`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(kill.status, 200);
  const after = await runCli(['status', c.url]);
  const killed = rows(after.stdout).find((r) => r[0] === '3');
  assert.deepEqual([killed?.[1], killed?.at(-1)], ['down', 'stopped (SIGKILL)'], after.stdout);
  assert.match(after.stdout, /2\/3 members up/);
  await waitFor(
    'member 1 to see member 3 unreachable',
    async () => {
      const r = await runCli(['status', c.memberUrl(1)]);
      return rows(r.stdout).find((x) => x[0] === '3')?.[1] === 'down';
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );

  // --watch redraws until SIGINT.
  const w = spawn(process.execPath, [CLI, 'status', c.url, '--watch', '--interval', '200'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  w.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => w.once('exit', resolve));
  t.after(() => {
    w.kill('SIGKILL');
  });
  await waitFor('two redraws', () => (out.match(/^raftwire cluster at /gm) ?? []).length >= 2, {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  w.kill('SIGINT');
  assert.equal(await exited, 0);

  // Errors: one line.
  const nobody = await runCli(['status', `http://127.0.0.1:${await freeBasePort(1)}`]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /^raftwire status: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
  const usage = await runCli(['status']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^raftwire status: give exactly one URL/);
});

/**
 * `raftwire cluster` as a user runs it (a real process through the CLI): the URLs it prints answer,
 * Ctrl-C (SIGINT) leaves no member process and no open port, a second run reuses the data, a port
 * in use and a running cluster's data directory give one-line errors, and the fault controls work
 * (and are refused to other origins; the members' supervisor-only endpoints need its token).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { processAlive } from '../../src/fsutil/index.js';
import { waitFor } from '../support/wait.js';
import { ClusterProcess, clusterPorts, freeBasePort, portFree } from './cluster-process.js';

async function put(url: string, key: string, value: string): Promise<number> {
  const r = await fetch(`${url}/${key}`, { method: 'PUT', body: value, signal: AbortSignal.timeout(20_000) });
  await r.arrayBuffer();
  return r.status;
}

test('the printed URLs answer; SIGINT stops every member and frees every port; a second run has the keys', async (t) => {
  const first = await ClusterProcess.start();
  t.after(() => first.close());
  // What it printed: one client URL per member and the status page.
  for (let i = 1; i <= 3; i++) assert.match(first.stdout, new RegExp(`member ${i}\\s+${first.memberUrl(i)}`));
  assert.ok(first.stdout.includes(`status page  ${first.url}/-/`), first.stdout);
  const page = await fetch(`${first.url}/-/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>raftwire status<\/title>/);

  for (let k = 0; k < 10; k++) assert.equal(await put(first.memberUrl((k % 3) + 1), `k${k}`, `v${k}`), 204);
  const st = await first.status();
  const pids = st.members.map((m) => m.process.pid);
  assert.equal(pids.length, 3);
  for (const pid of pids) assert.ok(typeof pid === 'number' && processAlive(pid), `member pid ${pid} alive`);

  assert.equal(await first.stop('SIGINT'), 0, first.output());
  assert.match(first.stdout, /stopping 3 members/);
  assert.doesNotMatch(first.stderr, /SIGKILL/, 'no member needed SIGKILL');
  for (const pid of pids)
    assert.ok(!processAlive(pid as number), `member pid ${pid} still runs after SIGINT`);
  for (const port of clusterPorts(first.basePort, 3))
    assert.ok(await portFree(port), `port ${port} still open`);

  // Another shape on the same directory: one line naming cluster.json.
  const other3 = await ClusterProcess.spawn({ dataDir: first.dataDir, nodes: 1 });
  t.after(() => other3.close());
  assert.equal(await other3.exited, 1);
  assert.equal(other3.stderr.trim().split('\n').length, 1, other3.stderr);
  assert.match(
    other3.stderr,
    /holds a 3-member cluster on base port \d+ \(.*cluster\.json\): run with --nodes 3/,
  );

  // A lock left by a supervisor that is gone is stale: taken over, with a note.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(join(first.dataDir, 'supervisor.pid'), `${dead}\n`);
  // A second run on the same directory and ports reuses the data.
  const second = await ClusterProcess.start({ dataDir: first.dataDir, basePort: first.basePort });
  assert.match(
    second.stderr,
    new RegExp(`taking over the stale lock .*supervisor\\.pid \\(pid ${dead} is gone\\)`),
  );
  t.after(() => second.close());
  for (let k = 0; k < 10; k++) {
    const r = await fetch(`${second.memberUrl((k % 3) + 1)}/k${k}`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(r.status, 200, `k${k} after the restart`);
    assert.equal(await r.text(), `v${k}`);
  }
  // Its data directory is taken: a second supervisor on it refuses with one line naming the lock.
  const other = await ClusterProcess.spawn({ dataDir: first.dataDir, basePort: await freeBasePort(3) });
  t.after(() => other.close());
  assert.equal(await other.exited, 1);
  assert.equal(other.stderr.trim().split('\n').length, 1, other.stderr);
  assert.match(other.stderr, /^raftwire cluster: .*supervisor\.pid says raftwire cluster pid \d+ is running/);
  assert.equal(await second.stop('SIGTERM'), 0, second.output());
});

test('a port in use: one line naming it, nothing left running', async (t) => {
  const base = await freeBasePort(3);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(base + 21, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const c = await ClusterProcess.spawn({ basePort: base });
  t.after(() => c.close());
  assert.equal(await c.exited, 1);
  assert.equal(c.stderr.trim().split('\n').length, 1, c.stderr);
  assert.match(
    c.stderr,
    new RegExp(`^raftwire cluster: port in use: 127\\.0\\.0\\.1:${base + 21} \\(member 2's peer port\\)`),
  );
  for (const port of clusterPorts(base, 3).filter((p) => p !== base + 21)) assert.ok(await portFree(port));
});

test('the controls: kill, restart (catching up by snapshot), isolate and heal, transfer leadership, load; refused cross-origin', async (t) => {
  const c = await ClusterProcess.start({
    args: ['--snapshot-count', '50', '--snapshot-catch-up-entries', '10'],
  });
  t.after(() => c.close());
  const control = async (i: number, action: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${c.url}/-/cluster/members/${i}/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
      signal: AbortSignal.timeout(60_000),
    });
    return { status: r.status, text: await r.text() };
  };
  const leaderOf = async (): Promise<number | undefined> => {
    const st = await c.status();
    const l = st.members.find((m) => m.status?.role === 'leader' && m.status.isolated !== true);
    return l?.index;
  };
  const describe = async () => `\n${JSON.stringify(await c.status().catch(String))}\n${c.output()}`;

  // Another web page cannot drive the controls (CSRF); nor can a request without JSON.
  assert.equal((await control(1, 'kill', { Origin: 'http://example.com' })).status, 403);
  assert.equal(
    (
      await fetch(`${c.url}/-/cluster/members/1/kill`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      })
    ).status,
    415,
  );
  // The members' supervisor-only endpoint wants the supervisor's token.
  const direct = await fetch(`${c.memberUrl(1)}/-/supervised/isolate`, { method: 'POST', body: '{}' });
  assert.equal(direct.status, 403);

  // Transfer leadership to a follower.
  await waitFor('a leader', async () => (await leaderOf()) !== undefined, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  const old = (await leaderOf()) as number;
  const target = (old % 3) + 1;
  const moved = await control(target, 'transfer-leadership');
  assert.equal(moved.status, 200, moved.text);
  await waitFor(`member ${target} to lead`, async () => (await leaderOf()) === target, {
    timeoutMs: 30_000,
    intervalMs: 200,
    describe,
  });

  // Isolate the leader: the others elect a new one; heal: it rejoins as a follower.
  assert.equal((await control(target, 'isolate')).status, 200);
  await waitFor(
    'a new leader while the old one is isolated',
    async () => {
      const l = await leaderOf();
      return l !== undefined && l !== target;
    },
    { timeoutMs: 30_000, intervalMs: 200, describe },
  );
  const st = await c.status();
  assert.equal(st.members[target - 1]?.status?.isolated, true);
  assert.equal((await control(target, 'heal')).status, 200);
  await waitFor(
    `member ${target} back as a follower of the new leader`,
    async () => {
      const s = (await c.status()).members[target - 1]?.status;
      return s?.isolated === false && s.role === 'follower' && typeof s.leader === 'string';
    },
    { timeoutMs: 30_000, intervalMs: 200, describe },
  );

  // Kill a member: down, reported; restart: up again with the writes made meanwhile.
  const victim = ((await leaderOf()) as number) === 1 ? 2 : 1;
  const killed = await control(victim, 'kill');
  assert.equal(killed.status, 200, killed.text);
  assert.equal((await c.status()).members[victim - 1]?.process.state, 'stopped');
  assert.equal((await control(victim, 'stop')).status, 409);
  const live = [1, 2, 3].find((i) => i !== victim) as number;
  assert.equal(await put(c.memberUrl(live), 'while-down', 'yes'), 204);
  // The page's client load: 100 writes/s (and reads) over the live members, then off. Enough
  // entries for the leader to snapshot and compact past what the stopped member has.
  const load = async (rate: number) => {
    const r = await fetch(`${c.url}/-/cluster/load`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rate }),
    });
    return { status: r.status, text: await r.text() };
  };
  assert.equal((await load(-1)).status, 400);
  assert.equal((await load(100)).status, 200);
  await waitFor('150 load writes', async () => (await c.status()).load.writesOk >= 150, {
    timeoutMs: 60_000,
    intervalMs: 250,
    describe,
  });
  assert.equal((await load(0)).status, 200);
  const loaded = await c.status();
  assert.equal(loaded.load.rate, 0);
  assert.ok(loaded.load.readsOk > 0, JSON.stringify(loaded.load));
  const writes = loaded.members.reduce(
    (n, m) => n + Number((m.status?.requests as { writes?: number })?.writes ?? 0),
    0,
  );
  assert.ok(writes >= 150, `the members counted ${writes} writes`);

  const restarted = await control(victim, 'restart');
  assert.equal(restarted.status, 200, restarted.text);
  await waitFor(
    `member ${victim} to serve the write made while it was down`,
    async () => {
      const r = await fetch(`${c.memberUrl(victim)}/while-down?serializable`).catch(() => undefined);
      return r?.status === 200 && (await r.text()) === 'yes';
    },
    { timeoutMs: 60_000, intervalMs: 200, describe },
  );
  // It caught up by snapshot: the log it missed was compacted away.
  await waitFor(
    'a snapshot sent to the restarted member',
    async () =>
      (await c.status()).members.some(
        (m) => Number((m.status?.snapshotSends as { sent?: number } | undefined)?.sent ?? 0) >= 1,
      ),
    { timeoutMs: 30_000, intervalMs: 200, describe },
  );

  // A member that dies on its own is reported, shown as exited, and can be started again.
  const pid = (await c.status()).members[victim - 1]?.process.pid as number;
  process.kill(pid, 'SIGKILL');
  await waitFor(
    'the supervisor to report the exit',
    () => /member \d exited unexpectedly \(SIGKILL\)/.test(c.stderr),
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      describe,
    },
  );
  assert.match(
    c.stderr,
    new RegExp(`member ${victim} exited unexpectedly \\(SIGKILL\\); restart it from ${c.url}/-/`),
  );
  assert.equal((await c.status()).members[victim - 1]?.process.state, 'exited');
  assert.equal((await control(victim, 'restart')).status, 200);
  await waitFor(
    `member ${victim} to answer again`,
    async () => (await c.status()).members[victim - 1]?.status !== null,
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      describe,
    },
  );
  assert.equal((await control(4, 'kill')).status, 404);
  assert.equal((await control(1, 'explode')).status, 404);
});

/**
 * The status page in a real browser (headless Debian Chromium through playwright-core):
 * - served by `raftwire cluster` (a real child process): three members and one leader, the applied
 *   index rising after PUTs, the leader killed with the page's own control, a new leader and the
 *   old one down, the old one restarted from the page and caught up; a screenshot of each state in
 *   test-artifacts/status-page/; no request outside the cluster.
 * - served by a plain `raftwire node`: that member's view, a killed peer shown down, no controls,
 *   and the supervisor-only endpoints refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ClusterProcess } from '../cluster/cluster-process.js';
import { ProcessCluster } from '../kv/e2e/process-cluster.js';
import { waitFor } from '../support/wait.js';
import { launch, screenshot } from './browser.js';

interface RowState {
  member: string;
  up: boolean;
  role: string;
  state: string;
  applied: number;
}

function rowsOf(page: Page): Promise<RowState[]> {
  return page.$$eval('#members tbody tr', (trs) =>
    trs.map((tr) => {
      const d = (tr as unknown as { dataset: Record<string, string | undefined> }).dataset;
      return {
        member: d.member ?? '',
        up: d.up === 'true',
        role: d.role ?? '',
        state: d.state ?? '',
        applied: d.applied === '' || d.applied === undefined ? -1 : Number(d.applied),
      };
    }),
  );
}

/** Waits until the page's member rows satisfy `cond` (re-read every 250 ms). */
async function waitRows(page: Page, what: string, cond: (rows: RowState[]) => boolean, timeoutMs = 60_000) {
  let last: RowState[] = [];
  await waitFor(
    `the page to show ${what}`,
    async () => {
      last = await rowsOf(page);
      return cond(last);
    },
    { timeoutMs, intervalMs: 250, describe: () => `; rows: ${JSON.stringify(last)}` },
  );
  return last;
}

async function putMany(url: string, prefix: string, n: number): Promise<void> {
  for (let k = 0; k < n; k++) {
    const r = await fetch(`${url}/${prefix}${k}`, {
      method: 'PUT',
      body: `v${k}`,
      signal: AbortSignal.timeout(20_000),
    });
    await r.arrayBuffer();
    assert.equal(r.status, 204, `PUT ${prefix}${k}`);
  }
}

test('the supervisor page: members, leader, applied index, kill the leader and restart it from the page', async (t) => {
  const cluster = await ClusterProcess.start();
  t.after(() => cluster.close());
  const b = await launch();
  t.after(() => b.close());
  const { page } = b;
  await page.goto(`${cluster.url}/-/`);

  const leaders = (rows: RowState[]) => rows.filter((r) => r.up && r.role === 'leader');
  let rows = await waitRows(
    page,
    'three members up and exactly one leader',
    (r) => r.length === 3 && r.every((x) => x.up) && leaders(r).length === 1,
  );
  assert.deepEqual(
    rows.map((r) => r.member),
    ['1', '2', '3'],
  );
  assert.equal(await page.locator('body[data-supervised="true"]').count(), 1);
  // The controls exist on the supervisor's page.
  assert.ok((await page.locator('button[data-action="kill"]').count()) === 3);
  await screenshot(page, '1-three-members');

  // PUTs make every member's applied index rise.
  const before = Math.max(...rows.map((r) => r.applied));
  await putMany(cluster.memberUrl(1), 'a', 20);
  rows = await waitRows(page, 'every applied index past the 20 PUTs', (r) =>
    r.every((x) => x.up && x.applied >= before + 20),
  );
  await screenshot(page, '2-after-puts');

  // Kill the leader with the page's own control.
  const old = leaders(rows)[0]?.member as string;
  await page.click(`button[data-action="kill"][data-member="${old}"]`);
  rows = await waitRows(
    page,
    `member ${old} down and a new leader`,
    (r) =>
      r.find((x) => x.member === old)?.up === false &&
      leaders(r).length === 1 &&
      leaders(r)[0]?.member !== old,
  );
  const oldRow = rows.find((x) => x.member === old);
  assert.equal(oldRow?.role, 'down');
  assert.match(
    (await page.locator(`#members tr[data-member="${old}"]`).textContent()) ?? '',
    /stopped \(SIGKILL\)/,
  );
  await screenshot(page, '3-leader-killed');

  // Writes while it is down, then restart it from the page: it catches up.
  const live = rows.find((x) => x.up)?.member as string;
  await putMany(cluster.memberUrl(Number(live)), 'b', 20);
  await page.click(`button[data-action="restart"][data-member="${old}"]`);
  rows = await waitRows(page, `member ${old} back up and caught up`, (r) => {
    const top = Math.max(...r.filter((x) => x.member !== old).map((x) => x.applied));
    const me = r.find((x) => x.member === old);
    return me?.up === true && me.applied >= top && top >= before + 40 && leaders(r).length === 1;
  });
  assert.equal(rows.find((x) => x.member === old)?.role, 'follower');
  await screenshot(page, '4-restarted-caught-up');

  // The page's client load makes the charts move; then off again.
  await page.click('button[data-load="200"]');
  await waitFor(
    'the load to run',
    async () => {
      const rate = await page.locator('#load').getAttribute('data-rate');
      const ok = /(\d+) writes ok/.exec((await page.locator('#load-status').textContent()) ?? '');
      return rate === '200' && ok !== null && Number(ok[1]) >= 100;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  await screenshot(page, '5-client-load');
  await page.click('button[data-load="0"]');
  await waitFor('the load off', async () => (await page.locator('#load').getAttribute('data-rate')) === '0', {
    timeoutMs: 30_000,
    intervalMs: 250,
  });

  // The page asked nothing of anyone but the supervisor that served it.
  const origins = new Set(b.requests.map((u) => new URL(u).origin));
  assert.deepEqual([...origins], [cluster.url], b.requests.join('\n'));
  assert.ok(
    b.requests.some((u) => u.endsWith('/-/page/uPlot.js')),
    'uPlot came from the supervisor',
  );
  assert.ok(b.requests.filter((u) => u.endsWith('/-/status')).length >= 5, 'the page polls /-/status');
});

test("a plain member's page: its own view, a dead peer down, no controls; supervisor endpoints refused", async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  await cluster.startAll(3);
  const base = cluster.member(1).base;

  for (const headers of [{}, { Authorization: 'Bearer guess' }]) {
    const r = await fetch(`${base}/-/supervised/isolate`, { method: 'POST', headers, body: '{}' });
    assert.equal(r.status, 404, 'no supervised endpoint on a plain member');
    assert.match(await r.text(), /exists only on members started by 'raftwire cluster'/);
  }
  const missing = await fetch(`${base}/-/page/nope.js`);
  assert.equal(missing.status, 404);

  const b = await launch();
  t.after(() => b.close());
  const { page } = b;
  await page.goto(`${base}/-/`);
  await waitRows(page, "member 1's view of three members", (r) => r.length === 3 && r.every((x) => x.up));
  assert.equal(await page.locator('body[data-supervised="false"]').count(), 1);
  assert.equal(await page.locator('button').count(), 0, 'no controls on a plain member');
  assert.match((await page.locator('#scope').textContent()) ?? '', /as member 1 sees it/);
  await screenshot(page, '6-plain-member');

  await cluster.kill(3);
  await waitRows(page, 'member 3 down', (r) => r.find((x) => x.member === '3')?.up === false);
  await screenshot(page, '7-plain-member-peer-down');
  assert.equal(await page.locator('button').count(), 0);
  const origins = new Set(b.requests.map((u) => new URL(u).origin));
  assert.deepEqual([...origins], [base], b.requests.join('\n'));
});

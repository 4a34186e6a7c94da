/** The "no two leaders in a term" sampler: its verdict, its parsing, and polling a live endpoint. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LeaderSample, LeaderSampler, leaderConflicts, summarize, toSample } from './leader-sampler.js';

const sample = (member: number, term: number, leader: string | null, role: string): LeaderSample => ({
  member,
  at: 0,
  term,
  id: member.toString(16),
  leader,
  role,
});

test('one leader per term, over several terms, is no conflict', () => {
  const samples = [
    sample(1, 2, '1', 'leader'),
    sample(2, 2, '1', 'follower'),
    sample(3, 2, null, 'follower'),
    sample(2, 3, null, 'candidate'),
    sample(2, 3, '2', 'leader'),
    sample(1, 3, '2', 'follower'),
    sample(3, 4, '3', 'leader'),
  ];
  assert.deepEqual(leaderConflicts(samples), []);
  assert.deepEqual(summarize(samples, 5), {
    samples: 7,
    terms: 3,
    termsWithLeader: 3,
    members: 3,
    rounds: 5,
  });
});

test('two members claiming leadership of the same term is a conflict', () => {
  const conflicts = leaderConflicts([
    sample(1, 5, '1', 'leader'),
    sample(2, 5, '2', 'leader'),
    sample(3, 6, '3', 'leader'),
  ]);
  assert.deepEqual(conflicts, [{ term: 5, claimants: ['1', '2'], named: ['1', '2'] }]);
});

test('a self-naming member claims leadership even if its role lags; two named leaders conflict', () => {
  assert.deepEqual(leaderConflicts([sample(1, 7, '1', 'follower'), sample(2, 7, '2', 'candidate')]), [
    { term: 7, claimants: ['1', '2'], named: ['1', '2'] },
  ]);
  // Followers of term 8 naming different leaders, with no claimant sampled.
  assert.deepEqual(leaderConflicts([sample(1, 8, '2', 'follower'), sample(2, 8, '3', 'follower')]), [
    { term: 8, claimants: [], named: ['2', '3'] },
  ]);
  // The same member claiming twice (two samples) is one leader.
  assert.deepEqual(leaderConflicts([sample(1, 9, '1', 'leader'), sample(1, 9, '1', 'leader')]), []);
});

test('toSample reads /-/status fields and rejects bodies without them', () => {
  assert.deepEqual(toSample(4, 1.5, { id: 'a', term: 3, leader: 'b', role: 'follower', applied: 9 }), {
    member: 4,
    at: 1.5,
    term: 3,
    id: 'a',
    leader: 'b',
    role: 'follower',
  });
  assert.equal(toSample(1, 0, { id: 'a', term: 3, leader: null, role: 'follower' })?.leader, null);
  assert.equal(toSample(1, 0, { id: 'a', role: 'leader' }), undefined);
  assert.equal(toSample(1, 0, null), undefined);
  assert.equal(toSample(1, 0, 'x'), undefined);
});

test('the sampler polls running members only, until stopped, and reports a split brain', async (t) => {
  // Two fake members that both say they lead term 4; a third that is not running.
  const servers = await Promise.all(
    ['1', '2'].map(async (id) => {
      const s = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id, leader: id, role: 'leader', term: 4 }));
      });
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      return s;
    }),
  );
  t.after(() => {
    for (const s of servers) s.close();
  });
  const base = (i: number): string => {
    const s = servers[i];
    assert.ok(s !== undefined);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const members = new Map([
    [1, { id: 1, base: base(0), child: {} }],
    [2, { id: 2, base: base(1), child: {} }],
    [3, { id: 3, base: 'http://127.0.0.1:1', child: undefined }],
  ]);
  const sampler = new LeaderSampler({ members }, 10);
  t.after(() => sampler.stop());
  sampler.start();
  // Rounds, not a fixed time: the first fetch can be slow on a loaded machine.
  const deadline = Date.now() + 20_000;
  while (sampler.rounds < 5 && Date.now() < deadline) await sleep(20);
  await sampler.stop();
  const n = sampler.samples.length;
  assert.ok(sampler.rounds >= 5, `only ${sampler.rounds} rounds`);
  assert.ok(n >= 10, `only ${n} samples`);
  assert.ok(sampler.samples.every((s) => s.member !== 3));
  assert.deepEqual(sampler.conflicts(), [{ term: 4, claimants: ['1', '2'], named: ['1', '2'] }]);
  await sleep(50);
  assert.equal(sampler.samples.length, n, 'no samples after stop()');
});

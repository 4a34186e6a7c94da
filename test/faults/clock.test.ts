/**
 * Wall-clock jumps (libfaketime, read from a file on every call so the clock moves mid-run):
 * the leader jumps 30 days ahead and a follower 2 hours back, then both come back. raft ticks
 * from the monotonic clock, so nothing may change; the checks of every scenario hold.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runScenario } from './support/scenario.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

test('wall-clock jumps: leader +30 days, a follower -2 hours, for 3 s', async (t) => {
  // libfaketime is a declared system dependency (scripts/setup-system.sh installs faketime).
  if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} missing: apt-get install faketime`);
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-clock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rc = (id: number): string => join(dir, `clock-${id}`);
  for (const id of [1, 2, 3]) writeFileSync(rc(id), '+0\n');
  await runScenario(t, {
    name: 'clock-jump',
    env: (id) => ({
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: rc(id),
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    }),
    fault: async (c, leader) => {
      const follower = [1, 2, 3].find((id) => id !== leader) as number;
      writeFileSync(rc(leader), '+30d\n');
      writeFileSync(rc(follower), '-2h\n');
      // The jump is real: the leader's HTTP Date header (cached by node for up to 1 s) is a
      // month ahead.
      const t0 = Date.now();
      let ahead = 0;
      while (ahead < 29 * 86_400_000 && Date.now() - t0 < 5000) {
        await sleep(250);
        const r = await fetch(`${c.member(leader).base}/-/status`);
        await r.arrayBuffer();
        ahead = Date.parse(r.headers.get('date') ?? '') - Date.now();
      }
      assert.ok(ahead > 29 * 86_400_000, `leader clock ahead by ${ahead} ms`);
      await sleep(Math.max(0, 3000 - (Date.now() - t0)));
      for (const id of [1, 2, 3]) writeFileSync(rc(id), '+0\n');
    },
  });
});

/**
 * The monotonic clock leaps forward (as after a suspended VM or a stopped process resumes): raft's
 * ticks, timeouts and every timer of the member see time move 20 s at once — on a follower, then
 * on the leader. A monotonic clock never goes back, so the offsets only grow. Expired timers fire
 * once (not once per missed interval), so at most an election follows; the checks hold.
 */
test('monotonic clock leaps: a follower +20 s, then the leader +20 s', async (t) => {
  if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} missing: apt-get install faketime`);
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-clock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rc = (id: number): string => join(dir, `clock-${id}`);
  for (const id of [1, 2, 3]) writeFileSync(rc(id), '+0\n');
  const env = (id: number): Record<string, string> => ({
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: rc(id),
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '0',
  });
  // The leap is real for node: a process under the same settings reads CLOCK_MONOTONIC, moves its
  // own offset file from '+0' to '+20s', and reads it 20 s further on. Both readings in one process,
  // a file write apart: no process start-up time (seconds on a loaded machine) in the measure.
  const probeFile = join(dir, 'probe');
  writeFileSync(probeFile, '+0\n');
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const { writeFileSync } = require('node:fs');
       const a = process.hrtime.bigint();
       writeFileSync(${JSON.stringify(probeFile)}, '+20s\\n');
       const b = process.hrtime.bigint();
       console.log(String(b - a));`,
    ],
    { env: { ...process.env, ...env(0), FAKETIME_TIMESTAMP_FILE: probeFile }, encoding: 'utf8' },
  );
  const leap = Number(BigInt(out.trim())) / 1e6;
  assert.ok(leap > 19_900 && leap < 21_000, `a '+20s' member's monotonic clock leaps ${leap} ms`);
  await runScenario(t, {
    name: 'monotonic-leap',
    env,
    fault: async (_c, leader) => {
      const follower = [1, 2, 3].find((id) => id !== leader) as number;
      writeFileSync(rc(follower), '+20s\n');
      await sleep(1500);
      writeFileSync(rc(leader), '+20s\n');
      await sleep(1500);
    },
  });
});

/**
 * Power loss: each member's WAL on a layer that loses unsynced writes when the process dies
 * (support/lossy-wal.c), then SIGKILL — a follower, the leader, every member — under load. What a
 * member acknowledged it had fsynced; nothing acknowledged may be lost. The first test shows the
 * layer does lose unsynced writes, through node's own file API, and keeps synced ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCluster } from './support/fault-cluster.js';
import { powerCutEnv } from './support/power-cut.js';
import { others, runScenario } from './support/scenario.js';

// Writes 'synced;' + fdatasync, then 'unsynced' at offset 7 (with fdatasync if argv[2] is '1'; the
// file opened O_DSYNC if argv[3] is 'dsync'),
// through fs/promises (libuv's thread pool, as the WAL's JS layer) and SIGKILLs itself.
const WRITER = `
const { open } = await import('node:fs/promises');
const { constants: c } = await import('node:fs');
const [file, sync, flags] = process.argv.slice(1);
const f = await open(file, flags === 'dsync' ? c.O_WRONLY | c.O_CREAT | c.O_TRUNC | c.O_DSYNC : 'w');
await f.write(Buffer.from('synced;'), 0, 7, 0);
await f.datasync();
await f.write(Buffer.from('unsynced'), 0, 8, 7);
if (sync === '1') await f.datasync();
process.kill(process.pid, 'SIGKILL');
`;

test('the lossy layer loses unsynced writes to .wal files at SIGKILL, keeps synced ones and other files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-power-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (name: string, sync: boolean, flags = 'w'): string => {
    const file = join(dir, name);
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', WRITER, file, sync ? '1' : '0', flags],
      {
        env: { ...process.env, ...powerCutEnv() },
      },
    );
    assert.equal(r.signal, 'SIGKILL', String(r.stderr));
    return readFileSync(file, 'utf8');
  };
  assert.equal(run('0000000000000000-0000000000000000.wal', false), 'synced;');
  assert.equal(run('0000000000000001-0000000000000001.wal', true), 'synced;unsynced');
  assert.equal(run('not-a-wal.txt', false), 'synced;unsynced');
  // O_DSYNC (the WAL's default append mode): each write is durable when it returns.
  assert.equal(run('0000000000000002-0000000000000002.wal', false, 'dsync'), 'synced;unsynced');
});

/** SIGKILLs `ids` at once (their unsynced WAL writes vanish), restarts them on the same layer. */
async function powerCut(
  c: FaultCluster,
  ids: number[],
  layer: Parameters<typeof powerCutEnv>[0] = {},
): Promise<void> {
  await Promise.all(ids.map((id) => c.kill(id, 'SIGKILL')));
  await sleep(500);
  for (const id of ids) c.startMember(id, powerCutEnv(layer));
}

// In the default o_dsync mode an append is durable when its write returns, so the layer holds only
// the other writes; with --wal-sync fdatasync every append is held until its sync.
const FDATASYNC = ['--wal-sync', 'fdatasync'];
// Torn writes, and a 20 ms sync so that the kill most likely lands while a write is held.
const TORN = { tear: true, syncDelayMs: 20 };

// Writes 'synced;' + fdatasync, then 8 sectors of 'x' at offset 512 (with fdatasync if argv[2] is
// '1') and SIGKILLs itself.
const BIG_WRITER = `
const { open } = await import('node:fs/promises');
const [file, sync] = process.argv.slice(1);
const f = await open(file, 'w');
await f.write(Buffer.from('synced;'), 0, 7, 0);
await f.datasync();
await f.write(Buffer.alloc(4096, 'x'), 0, 4096, 512);
if (sync === '1') await f.datasync();
process.kill(process.pid, 'SIGKILL');
`;

test('with LOSSY_WAL_TEAR an unsynced write is torn at SIGKILL: some of its sectors reach the file, others not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-power-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (name: string, sync: boolean, seed: number): Buffer => {
    const file = join(dir, name);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', BIG_WRITER, file, sync ? '1' : '0'], {
      env: { ...process.env, ...powerCutEnv({ tear: true, seed }) },
    });
    assert.equal(r.signal, 'SIGKILL', String(r.stderr));
    return readFileSync(file);
  };
  // Sector i of the big write: 'x' (reached the file), zeros or past the end (did not).
  const sectors = (b: Buffer): string =>
    [...Array(8).keys()]
      .map((i) => {
        const s = b.subarray(512 * (i + 1), 512 * (i + 2));
        if (s.length === 512 && s.every((c) => c === 0x78)) return 'x';
        if (s.every((c) => c === 0)) return '.';
        return '?';
      })
      .join('');
  const seen = new Set<string>();
  for (let seed = 1; seed <= 4; seed++) {
    const torn = run(`${seed}.wal`, false, seed);
    assert.equal(torn.subarray(0, 7).toString(), 'synced;');
    const pattern = sectors(torn);
    assert.match(pattern, /^[x.]{8}$/, 'every sector is whole or absent');
    assert.equal(sectors(run(`${seed}.wal`, false, seed)), pattern, `seed ${seed} repeats its tear`);
    seen.add(pattern);
    // Synced, the same write is whole.
    assert.equal(sectors(run(`synced-${seed}.wal`, true, seed)), 'xxxxxxxx');
  }
  const mixed = [...seen].filter((p) => p.includes('x') && p.includes('.'));
  assert.ok(mixed.length > 0, `no torn write among ${[...seen]}`);
});

test('power cut on a follower (unsynced WAL writes lost), restart', async (t) => {
  await runScenario(t, {
    name: 'power-cut-follower',
    args: FDATASYNC,
    env: () => powerCutEnv(),
    fault: async (c, leader) => powerCut(c, [others(leader)[0] as number]),
  });
});

test('power cut on the leader, restart', async (t) => {
  await runScenario(t, {
    name: 'power-cut-leader',
    env: () => powerCutEnv(),
    fault: async (c, leader) => powerCut(c, [leader]),
  });
});

test('power cut on every member at once, restart (--wal-sync fdatasync: unsynced appends are held)', async (t) => {
  await runScenario(t, {
    name: 'power-cut-all',
    args: FDATASYNC,
    env: () => powerCutEnv(),
    fault: async (c) => powerCut(c, [1, 2, 3]),
  });
});

test('power cut on every member with torn writes (half the sectors of each unsynced write land), restart', async (t) => {
  const found = { torn: [] as number[], stale: [] as number[] };
  await runScenario(t, {
    name: 'power-cut-torn',
    args: FDATASYNC,
    env: () => powerCutEnv(TORN),
    fault: async (c) => {
      await powerCut(c, [1, 2, 3], TORN);
      // A member answers its status once it has read its WAL back; read its output then, before
      // later warnings push the restart's lines out of what is kept.
      const end = Date.now() + 20_000;
      for (const id of [1, 2, 3]) {
        while ((await c.status(id)) === undefined && Date.now() < end) await sleep(100);
        const out = c.member(id).output;
        if (out.includes('torn write at the tail')) found.torn.push(id);
        if (out.includes('bytes after the last record')) found.stale.push(id);
      }
    },
  });
  // Whether a member's tail was torn depends on what it had unsynced at the kill: reported, not
  // asserted (a record within one sector lands whole or not at all).
  t.diagnostic(
    `at restart, torn tail truncated on members: ${found.torn.join(', ') || 'none'}; ` +
      `stale bytes after the last record zeroed on: ${found.stale.join(', ') || 'none'}`,
  );
});

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
async function powerCut(c: FaultCluster, ids: number[]): Promise<void> {
  await Promise.all(ids.map((id) => c.kill(id, 'SIGKILL')));
  await sleep(500);
  for (const id of ids) c.startMember(id, powerCutEnv());
}

// In the default o_dsync mode an append is durable when its write returns, so the layer holds only
// the other writes; with --wal-sync fdatasync every append is held until its sync.
const FDATASYNC = ['--wal-sync', 'fdatasync'];

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

/**
 * The simulator's parts: the seeded generator, the simulated disk's crash semantics, the state
 * machine, and the command line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Entry, EntryType, newSnapshot } from '../../../src/raftpb/index.js';
import { SimDisk } from '../../../src/testing/sim/disk.js';
import { Prng } from '../../../src/testing/sim/prng.js';
import { KvStateMachine } from '../../../src/testing/sim/state-machine.js';

const ents = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => ({ index: lo + i, term, type: EntryType.EntryNormal }));

describe('Prng', () => {
  it('is a pure function of seed and stream', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 100 }, () => a.u32());
    assert.deepEqual(
      Array.from({ length: 100 }, () => b.u32()),
      xs,
    );
    assert.notDeepEqual(
      Array.from({ length: 100 }, () => new Prng(42, 1).u32()),
      xs,
    );
    assert.notEqual(new Prng(43).u32(), new Prng(42).u32());
  });

  it('stays in range', () => {
    const r = new Prng(7);
    for (let i = 0; i < 10_000; i++) {
      const f = r.next();
      assert.ok(f >= 0 && f < 1);
      const n = r.range(3, 5);
      assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
    }
    assert.throws(() => r.pick([]));
  });
});

describe('SimDisk', () => {
  it('keeps synced writes and a prefix of the unsynced ones across a crash', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const disk = new SimDisk();
      disk.write({ entries: ents(1, 3, 1), hs: { term: 1, vote: 1n, commit: 2 } });
      disk.sync();
      disk.write({ entries: ents(4, 5, 1), hs: { term: 1, vote: 1n, commit: 4 } });
      disk.write({ entries: ents(6, 6, 2), hs: { term: 2, vote: 2n, commit: 5 } });
      const lost = disk.crash(new Prng(seed));
      const s = disk.load();
      const last = s.lastIndex();
      // Whole records: 3 (nothing kept), 5 (the first kept) or 6 (both kept).
      assert.equal(last, [3, 5, 6][2 - lost]);
      assert.equal(s.initialState().hardState.commit, [2, 4, 5][2 - lost]);
      assert.equal(disk.pendingCount(), 0);
      assert.ok(disk.durableHas(3, 1));
      assert.equal(disk.durableHas(6, 2), lost === 0);
    }
  });

  it('a received snapshot replaces the log; a local one compacts it', () => {
    const disk = new SimDisk();
    disk.write({ entries: ents(1, 5, 1), hs: { term: 1, vote: 0n, commit: 5 } });
    disk.write({
      localSnap: { index: 4, confState: newSnapshot().metadata.confState, data: new Uint8Array([1]) },
    });
    disk.sync();
    let s = disk.load();
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.lastIndex(), 5);
    assert.ok(disk.durableHas(2, 99), 'covered by the snapshot');
    disk.write({
      snap: newSnapshot({ index: 9, term: 3 }),
      entries: [],
      hs: { term: 3, vote: 0n, commit: 9 },
    });
    disk.sync();
    s = disk.load();
    assert.equal(s.snapshot().metadata.index, 9);
    assert.equal(s.lastIndex(), 9);
    assert.equal(disk.durableHardState().commit, 9);
  });
});

describe('KvStateMachine', () => {
  it('applies each command id once and round-trips through snapshot data', () => {
    const sm = new KvStateMachine();
    assert.deepEqual(sm.apply({ id: 1, f: 'append', key: 'a', value: 'x' }), {
      id: 1,
      ok: true,
      fresh: true,
    });
    assert.deepEqual(sm.apply({ id: 1, f: 'append', key: 'a', value: 'x' }), {
      id: 1,
      ok: true,
      fresh: false,
    });
    assert.equal(sm.read('a'), 'x');
    assert.equal(sm.apply({ id: 2, f: 'cas', key: 'a', value: ['y', 'z'] }).ok, false);
    assert.equal(sm.apply({ id: 3, f: 'cas', key: 'a', value: ['x', 'z'] }).ok, true);
    assert.equal(sm.apply({ id: 4, f: 'cas', key: 'b', value: [null, 'n'] }).ok, true);
    sm.apply({ id: 5, f: 'delete', key: 'a' });
    const copy = KvStateMachine.decode(sm.encode());
    assert.equal(copy.read('a'), null);
    assert.equal(copy.read('b'), 'n');
    assert.equal(copy.apply({ id: 4, f: 'write', key: 'b', value: 'again' }).fresh, false);
  });
});

describe('npm run sim', () => {
  const cli = fileURLToPath(new URL('../../../src/testing/sim/cli.js', import.meta.url));
  it('passes a seed (exit 0) and refuses bad arguments (exit 2)', () => {
    const ok = spawnSync(process.execPath, [cli, '--seed', '5', '--steps', '150', '--nodes', '3'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /seed 5 \(classic\): ok/);
    assert.match(ok.stdout, /seed 5 \(async\): ok/);
    for (const args of [['--nodes', '9'], ['--storage', 'fast'], ['--seed', 'x'], ['--bogus']]) {
      const bad = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, /usage: npm run sim/);
    }
  });

  it('--soak runs until SIGINT, then reports and exits 0', async () => {
    const child = spawn(process.execPath, [cli, '--soak', '--steps', '50', '--nodes', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Let it run a few seeds, then stop it; kill it outright if it does not stop in time.
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(guard);
    assert.equal(code, 0, out);
    assert.match(out, /runs passed in/);
  });
});

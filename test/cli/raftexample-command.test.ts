/**
 * `raftwire node --compat raftexample`: raftexample's flags (Go's flag syntax and base-0 integers
 * included), usage errors (exit 2), and, through real processes, the strict codecs: a member whose
 * committed log holds an entry Go's gob decoder rejects, or whose snapshot holds JSON Go's decoder
 * rejects, stops with exit status 1 and a one-line fatal error naming the entry or snapshot.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { raftexampleFlags } from '../../src/cli/raftexample-command.js';
import { raftexampleBootstrap } from '../../src/kv/raftexample/index.js';
import { EntryType, newConfState, newEntry, newSnapshot } from '../../src/raftpb/index.js';
import { Snapshotter } from '../../src/snap/index.js';
import { Wal } from '../../src/wal/index.js';
import { freePorts } from '../replica/helpers.js';
import { projectRoot } from '../support/paths.js';

const MAIN = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** Runs the CLI in `cwd` (bounded: killed after 20 s); resolves with its exit and output. */
function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-rex-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('raftwire node --compat raftexample', () => {
  it("parses raftexample's flags", () => {
    assert.deepEqual(raftexampleFlags([]), {
      id: 1n,
      cluster: ['http://127.0.0.1:9021'],
      port: 9121,
      join: false,
      logLevel: 'info',
    });
    const c = 'http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3';
    assert.deepEqual(raftexampleFlags(['-id', '0x3', '-cluster', c, '-port', '12380', '-join']), {
      id: 3n,
      cluster: c.split(','),
      port: 12380,
      join: true,
      logLevel: 'info',
    });
    assert.equal(raftexampleFlags(['--help']), 'help');
    assert.throws(() => raftexampleFlags(['--id', '4', '--cluster', c]), /--id 4 has no entry in --cluster/);
    assert.throws(() => raftexampleFlags(['--id', '0']), /--id must be a positive integer/);
    assert.throws(() => raftexampleFlags(['--cluster', 'https://x:1']), /not http/);
    assert.throws(() => raftexampleFlags(['--port', '70000']), /--port must be a port/);
    assert.throws(() => raftexampleFlags(['--data-dir', 'x']), /Unknown option/);
  });

  it('refuses another mode or a bad flag with exit status 2', async (t) => {
    const dir = await scratch(t);
    const other = await run(['node', '--compat', 'etcd'], dir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--compat takes one value: raftexample/);
    const bad = await run(['node', '--compat', 'raftexample', '--id', '2'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--id 2 has no entry in --cluster/);
  });

  it('stops with exit status 1 on a committed entry Go cannot decode', async (t) => {
    const dir = await scratch(t);
    const wal = await Wal.create(join(dir, 'raftexample-1'), new Uint8Array(0));
    const { entries } = raftexampleBootstrap(1);
    // A gob value message with no type definition before it: Go's decoder rejects it.
    const bad = newEntry({
      term: 1,
      index: 2,
      type: EntryType.EntryNormal,
      data: Uint8Array.from([0x03, 0xff, 0x82, 0x00]),
    });
    await wal.save({ term: 1, vote: 0n, commit: 2 }, [...entries, bad]);
    await wal.close();
    const [peer, kv] = await freePorts(2);
    const r = await run(
      [
        'node',
        '--compat',
        'raftexample',
        '--id',
        '1',
        '--cluster',
        `http://127.0.0.1:${peer}`,
        '--port',
        String(kv),
      ],
      dir,
    );
    assert.equal(r.code, 1, r.stderr + r.stdout.slice(-2000));
    assert.match(r.stderr, /fatal: .*cannot apply the entry at index 2/);
    assert.match(r.stderr, /gob: unknown type id or corrupted data/);
  });

  it('refuses to start on a snapshot whose JSON Go cannot decode', async (t) => {
    const dir = await scratch(t);
    const wal = await Wal.create(join(dir, 'raftexample-1'), new Uint8Array(0));
    await wal.save({ term: 1, vote: 0n, commit: 1 }, raftexampleBootstrap(1).entries);
    await wal.saveSnapshot({ index: 1, term: 1 });
    await wal.close();
    const snap = newSnapshot({
      data: new TextEncoder().encode('{"/a":1}'),
      index: 1,
      term: 1,
      confState: newConfState({ voters: [1n] }),
    });
    await mkdir(join(dir, 'raftexample-1-snap'));
    await new Snapshotter(join(dir, 'raftexample-1-snap')).saveSnap(snap);
    const [peer, kv] = await freePorts(2);
    const r = await run(
      [
        'node',
        '--compat',
        'raftexample',
        '--id',
        '1',
        '--cluster',
        `http://127.0.0.1:${peer}`,
        '--port',
        String(kv),
      ],
      dir,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot restore the snapshot at index 1: raftexample snapshot JSON/);
  });
});

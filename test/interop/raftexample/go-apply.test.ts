/**
 * The gob decoder's verdict is the verdict of a real raftexample member applying the entry: an
 * entry appended to a Go raftexample member's WAL in non-canonical but valid gob (type id 66,
 * fields declared Val first) is applied by the Go member to the value raftwire decodes; an entry
 * Go rejects (a value with no type definition) makes the Go member die on replay
 * ("could not decode message"), and raftwire's state machine stops on it with the entry's index.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  decodeKvEntry,
  RaftexampleApplyError,
  RaftexampleStateMachine,
  raftexampleDirs,
} from '../../../src/kv/raftexample/index.js';
import { EntryType } from '../../../src/raftpb/index.js';
import { Wal } from '../../../src/wal/index.js';
import { fromHex, toHex } from '../../support/hex.js';
import { get, put, raftexampleBinary, startRaftexample, waitForValue } from '../storage/raftexample.js';
import { lowPort } from './go-cluster.js';
import { definition, gint, guint, message } from './gob-gen.js';

const enc = new TextEncoder();

/** Appends one EntryNormal (committed) to the WAL of a stopped single-node raftexample; returns its index. */
async function appendEntry(walDir: string, data: Uint8Array): Promise<number> {
  const w = await Wal.open(walDir, { index: 0, term: 0 });
  try {
    const { hardState, entries } = await w.readAll();
    const index = (entries.at(-1)?.index ?? 0) + 1;
    await w.save({ ...hardState, commit: index }, [
      { term: hardState.term, index, type: EntryType.EntryNormal, data },
    ]);
    return index;
  } finally {
    await w.close();
  }
}

describe('raftexample members apply what the decoder accepts, and die on what it rejects', () => {
  it('agrees with a Go member on a valid odd encoding and on a malformed entry', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'raftwire-rex-apply-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { walDir } = raftexampleDirs(dir, 1n);

    const first = await startRaftexample(dir);
    try {
      await put(first, '/foo', 'bar');
      await waitForValue(first, '/foo', 'bar');
    } finally {
      await first.stop();
    }

    // Type 66, fields declared Val then Key: delta 1 is Val, delta 2 is Key.
    const key = enc.encode('/odd');
    const val = enc.encode('accepted');
    const odd = Uint8Array.from([
      ...definition(66, 'kv', {
        kind: 'struct',
        fields: [
          ['Val', 6],
          ['Key', 6],
        ],
      }),
      ...message([...gint(66), 1, ...guint(val.length), ...val, 1, ...guint(key.length), ...key, 0]),
    ]);
    assert.deepEqual(decodeKvEntry(odd), { key, val });
    await appendEntry(walDir, odd);
    const second = await startRaftexample(dir);
    try {
      assert.equal(toHex((await get(second, '/odd')) ?? new Uint8Array(0)), toHex(val));
    } finally {
      await second.stop();
    }

    const bad = fromHex('0eff8201042f666f6f010362617200'); // a value message without its definition
    const index = await appendEntry(walDir, bad);
    const sm = new RaftexampleStateMachine();
    assert.throws(
      () => sm.apply({ index, term: 2, data: bad }),
      (e) => e instanceof RaftexampleApplyError && e.index === index,
    );

    const raftPort = await lowPort();
    const kvPort = await lowPort();
    const child = spawn(
      raftexampleBinary(),
      ['--id', '1', '--cluster', `http://127.0.0.1:${raftPort}`, '--port', String(kvPort)],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`raftexample did not die on the bad entry:\n${output}`)),
        30_000,
      );
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.notEqual(code, 0, output);
    assert.match(output, /could not decode message/);
  });
});

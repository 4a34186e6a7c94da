/**
 * The binary swap of the raftexample reference's disk layout: an operator stops a Go raftexample
 * member and starts `raftwire node --compat raftexample` with the same flags in the same working
 * directory, and later swaps back. raftwire replays the Go member's `raftexample-3` WAL (empty
 * metadata, etcd's format), serves its keys and appends to that WAL; the Go binary then replays
 * the WAL raftwire appended to and serves every key, old and new, byte for byte. Both run as
 * member 3 of a cluster whose members 1 and 2 stay Go. Members 1 and 2 are frozen while raftwire
 * starts, so it must serve every entry the Go WAL records as committed from the directory alone
 * (no leader to send it anything). The WAL raftwire leaves is read back with etcd's own `wal`
 * package before the Go binary starts on it. (The Go binary is not checked alone: raftexample
 * 3.4.23 opens its KV port only once it applied the WAL's last index, which needs a leader when
 * that entry is not committed yet.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeKvEntry, raftexampleDirs } from '../../../src/kv/raftexample/index.js';
import { EntryType } from '../../../src/raftpb/index.js';
import { fromHex } from '../../support/hex.js';
import { type GoWalRead, goReadWal } from '../storage/storage-tool.js';
import { awaitValue, put, ready, startMixed, tails } from './mixed-cluster.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** The key-value map the WAL's committed entries build (raw key bytes as latin1 strings). */
function committedValues(read: GoWalRead): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const e of read.entries) {
    if (e.index > read.hardState.commit || e.type !== EntryType.EntryNormal || e.dataHex === '') continue;
    const { key, val } = decodeKvEntry(fromHex(e.dataHex));
    out.set(Buffer.from(key).toString('latin1'), val);
  }
  return out;
}

describe('Go raftexample ↔ raftwire on one data directory', () => {
  it('raftwire replays the Go WAL and the Go binary replays raftwire’s', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'go']);
    await ready(cluster);
    const [g1, g2, g3] = cluster.members;
    assert.ok(g1 && g2 && g3);
    const phase = (name: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: enc(`/${name}-${i}${i % 2 ? '?q' : '%20'}`),
        val:
          i % 4 === 0 ? Uint8Array.from({ length: 300 }, (_, j) => (i + j * 13) % 256) : enc(`${name} ${i}`),
      }));
    const a = phase('go', 30);
    for (const [i, p] of a.entries()) await put(cluster.members[i % 3] as typeof g1, p.key, p.val);
    for (const p of a) await awaitValue(g3, p.key, p.val);
    await g3.stop();

    // Go → raftwire: the same ID, flags and working directory.
    const { walDir } = raftexampleDirs(cluster.dir, 3n);
    const goWal = await goReadWal(walDir, 0, 0);
    const committed = committedValues(goWal);
    assert.ok(committed.size >= 10, `the Go WAL records ${committed.size} committed keys`);
    g1.pause();
    g2.pause();
    t.after(() => {
      g1.resume();
      g2.resume();
    });
    const rw = cluster.spawn('raftwire', 3);
    for (const [k, v] of committed) await awaitValue(rw, Buffer.from(k, 'latin1'), v);
    assert.doesNotMatch(rw.log(), /became leader/, 'alone, it learnt nothing from a leader');
    g1.resume();
    g2.resume();
    for (const p of a) await awaitValue(rw, p.key, p.val);
    assert.match(rw.log(), /"restarting":true/, 'raftwire replayed the existing WAL');
    const b = phase('rw', 30);
    for (const [i, p] of b.entries()) await put(i % 2 ? rw : g1, p.key, p.val);
    for (const p of b) await awaitValue(rw, p.key, p.val);
    const exit = await rw.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, tails([rw]));

    // raftwire → Go.
    const rwWal = await goReadWal(walDir, 0, 0);
    assert.equal(rwWal.error, undefined, "etcd's wal reads the WAL raftwire appended to");
    assert.equal(rwWal.metadataHex, '');
    assert.ok(rwWal.entries.length > goWal.entries.length, 'raftwire appended entries');
    assert.deepEqual(
      rwWal.entries.slice(0, goWal.entries.length),
      goWal.entries,
      'the Go entries are intact',
    );
    const g3b = cluster.spawn('go', 3);
    for (const p of [...a, ...b]) await awaitValue(g3b, p.key, p.val);
    const c = phase('back', 10);
    for (const p of c) await put(g3b, p.key, p.val);
    for (const m of [g1, g2, g3b]) for (const p of c) await awaitValue(m, p.key, p.val);
    assert.doesNotMatch(g3b.log(), /panic|tocommit/, tails([g3b]));
  });
});

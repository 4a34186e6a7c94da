/**
 * Script steps 2 and 3 of the raftexample reference: Go raftexample members 1 and 2 and a
 * `raftwire node --compat raftexample` member 3 bootstrap one cluster from the same `--cluster`
 * list; 100 keys (the gob vectors' keys, raw UTF-8 among them, raw `%20` and `?q` request
 * targets, empty values, binary bodies, 300-byte values) are PUT through all three members, and every member serves every key
 * byte for byte. Then, with every member stopped, each WAL read by etcd's own `wal` package (the
 * Go storage-tool) holds identical entries at every index — bootstrap entries included — and the
 * vectors' entries are the bytes Go's gob encoder produced.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeKvEntry, raftexampleBootstrap, raftexampleDirs } from '../../../src/kv/raftexample/index.js';
import { fromHex, toHex } from '../../support/hex.js';
import { vectorsDir } from '../../support/paths.js';
import { type GoWalRead, goReadWal } from '../storage/storage-tool.js';
import { awaitValue, put, ready, startMixed, tails } from './mixed-cluster.js';

interface Vector {
  keyHex: string;
  valHex: string;
  hex: string;
}
const vectors = JSON.parse(readFileSync(join(vectorsDir, 'raftexample_gob.json'), 'utf8')) as {
  vectors: Vector[];
  binaryVectors: Vector[];
};
/** A key a request line can carry: starts with '/', no control bytes, no spaces (raw bytes past ASCII are fine). */
const sendable = (key: Uint8Array): boolean => key[0] === 0x2f && key.every((c) => c > 0x20 && c !== 0x7f);
const enc = (s: string) => new TextEncoder().encode(s);

describe('mixed raftexample cluster: Go 1 and 2 + raftwire 3', () => {
  it('serves every key byte for byte on every member, and the WALs hold identical entries', async (t) => {
    const cluster = await startMixed(t, ['go', 'go', 'raftwire']);
    await ready(cluster);
    const puts: { key: Uint8Array; val: Uint8Array; hex?: string }[] = [
      ...vectors.vectors,
      ...vectors.binaryVectors,
    ]
      .filter((v) => sendable(fromHex(v.keyHex)))
      .map((v) => ({ key: fromHex(v.keyHex), val: fromHex(v.valHex), hex: v.hex }));
    const fixed = [
      { key: enc('/a%20b'), val: enc('percent twenty') },
      { key: enc('/search?q'), val: enc('query') },
      { key: enc('/a%20b?q=1&r=%2F'), val: enc('both') },
      { key: enc('/empty'), val: new Uint8Array(0) },
      { key: enc('/empty2?q'), val: new Uint8Array(0) },
      { key: enc('/binary'), val: Uint8Array.from({ length: 256 }, (_, i) => 255 - i) },
      { key: enc('/nul'), val: Uint8Array.from([0, 0xff, 0xfe, 0x80, 0]) },
      { key: enc('/v300'), val: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256) },
      { key: enc('/v300b'), val: enc('x'.repeat(300)) },
    ];
    puts.push(...fixed);
    for (let i = puts.length; i < 99; i++) {
      const val = i % 5 === 0 ? Uint8Array.from({ length: 300 }, (_, j) => (i + j) % 256) : enc(`value ${i}`);
      puts.push({ key: enc(`/k${i}${i % 3 === 0 ? '?q' : ''}${i % 4 === 0 ? '%20x' : ''}`), val });
    }
    puts.push({ key: enc('/sentinel'), val: enc('done') });
    assert.equal(puts.length, 100);
    for (const [i, p] of puts.entries())
      await put(cluster.members[i % 3] as (typeof cluster.members)[0], p.key, p.val);
    for (const m of cluster.members) {
      await awaitValue(m, enc('/sentinel'), enc('done'));
      // Later PUTs may overwrite earlier ones with the same key: the expected value is the last.
      const expected = new Map(puts.map((p) => [Buffer.from(p.key).toString('latin1'), p.val]));
      for (const [k, v] of expected) await awaitValue(m, Buffer.from(k, 'latin1'), v, 5_000);
    }
    const exits = await Promise.all(cluster.members.map((m) => m.stop()));
    assert.deepEqual(
      exits[2],
      { code: 0, signal: null },
      `raftwire exits 0 on SIGTERM\n${tails(cluster.members)}`,
    );

    const logs: GoWalRead[] = [];
    for (const m of cluster.members) {
      const { walDir } = raftexampleDirs(cluster.dir, BigInt(m.id));
      const read = await goReadWal(walDir, 0, 0);
      assert.equal(read.error, undefined, `Go reads the WAL of ${m.kind} ${m.id}`);
      assert.equal(read.metadataHex, '', `${m.kind} ${m.id}: empty WAL metadata`);
      logs.push(read);
    }
    const bootstrap = raftexampleBootstrap(3).entries.map(
      (e) => `${e.index}/${e.term}/${e.type}/${toHex(e.data ?? new Uint8Array(0))}`,
    );
    const commit = Math.min(...logs.map((l) => l.hardState.commit));
    assert.ok(commit >= 103, `commit ${commit}`);
    const upTo = (l: GoWalRead) =>
      l.entries.filter((e) => e.index <= commit).map((e) => `${e.index}/${e.term}/${e.type}/${e.dataHex}`);
    const go1 = upTo(logs[0] as GoWalRead);
    assert.deepEqual(go1.slice(0, 3), bootstrap, 'Go member 1: bootstrap entries');
    assert.deepEqual(upTo(logs[2] as GoWalRead).slice(0, 3), bootstrap, 'raftwire: bootstrap entries');
    assert.deepEqual(upTo(logs[1] as GoWalRead), go1, 'Go 2 and Go 1: identical entries');
    assert.deepEqual(upTo(logs[2] as GoWalRead), go1, 'raftwire 3 and Go 1: identical entries');
    const data = new Set((logs[2] as GoWalRead).entries.map((e) => e.dataHex));
    for (const p of puts) {
      assert.ok(
        data.has(toHex(encodeKvEntry(p.key, p.val))),
        `raftwire's log holds ${Buffer.from(p.key).toString('latin1')}`,
      );
      if (p.hex !== undefined) assert.ok(data.has(p.hex), 'the Go vector bytes are in the log');
    }
  });
});

/**
 * What Go raftexample members really write, read back with raftwire's codecs: a 3-member Go
 * cluster takes PUTs (the vectors' keys, binary and 300-byte values, through every member), and
 * then each member's WAL, in raftexample's `raftexample-<id>` directory, holds raft's bootstrap
 * entries exactly as `raftexampleBootstrap(3)` writes them, and entry data equal to both the Go
 * vectors and `encodeKvEntry`, which `decodeKvEntry` reads back to the values every member serves.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  decodeKvEntry,
  encodeKvEntry,
  kvMapKey,
  raftexampleBootstrap,
  raftexampleDirs,
} from '../../../src/kv/raftexample/index.js';
import { EntryType } from '../../../src/raftpb/index.js';
import { Wal } from '../../../src/wal/index.js';
import { fromHex, toHex } from '../../support/hex.js';
import { vectorsDir } from '../../support/paths.js';
import { startGoCluster } from './go-cluster.js';
import { rawRequest } from './raw-http.js';

interface Vector {
  name: string;
  keyHex: string;
  valHex: string;
  hex: string;
}
const vectors = JSON.parse(readFileSync(join(vectorsDir, 'raftexample_gob.json'), 'utf8')) as {
  vectors: Vector[];
  binaryVectors: Vector[];
};

/** A key a request line can carry: starts with '/', no control bytes, no spaces. */
const sendable = (key: Uint8Array): boolean => key[0] === 0x2f && key.every((c) => c > 0x20 && c !== 0x7f);

describe('Go raftexample logs read with raftwire codecs', () => {
  it('holds the bootstrap entries and the gob bytes raftwire writes', async (t) => {
    const cluster = await startGoCluster(t, 3);
    const puts: { key: Uint8Array; val: Uint8Array; hex?: string }[] = [
      ...vectors.vectors,
      ...vectors.binaryVectors,
    ]
      .filter((v) => sendable(fromHex(v.keyHex)))
      .map((v) => ({ key: fromHex(v.keyHex), val: fromHex(v.valHex), hex: v.hex }));
    assert.ok(puts.length >= 6, `only ${puts.length} vectors usable`);
    puts.push({ key: new TextEncoder().encode('/empty'), val: new Uint8Array(0) });
    puts.push({
      key: new TextEncoder().encode('/v300'),
      val: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256),
    });
    puts.push({ key: new TextEncoder().encode('/sentinel'), val: new TextEncoder().encode('done') });
    const target = (key: Uint8Array): string => Buffer.from(key).toString('latin1');

    for (const [i, p] of puts.entries()) {
      const m = cluster.members[i % cluster.members.length];
      assert.ok(m);
      const r = await rawRequest(m.kvPort, 'PUT', target(p.key), p.val);
      assert.equal(r.status, 204, `PUT ${target(p.key)} on member ${m.id}`);
    }
    // Every member serves every value byte for byte once it has applied the sentinel.
    for (const m of cluster.members) {
      const deadline = Date.now() + 30_000;
      while ((await rawRequest(m.kvPort, 'GET', '/sentinel')).status !== 200) {
        assert.ok(Date.now() < deadline, `member ${m.id} never applied the sentinel`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const p of puts) {
        const r = await rawRequest(m.kvPort, 'GET', target(p.key));
        assert.equal(r.status, 200, `GET ${target(p.key)} on member ${m.id}`);
        assert.equal(toHex(r.body), toHex(p.val), `GET ${target(p.key)} on member ${m.id}`);
      }
    }
    await Promise.all(cluster.members.map((m) => m.stop()));

    const bootstrap = raftexampleBootstrap(3).entries.map((e) => [
      e.index,
      e.term,
      e.type,
      toHex(e.data ?? new Uint8Array(0)),
    ]);
    const wanted = new Map(puts.map((p) => [kvMapKey(p.key), p]));
    for (const m of cluster.members) {
      const { walDir, snapDir } = raftexampleDirs(cluster.dir, BigInt(m.id));
      assert.ok(existsSync(snapDir), `${snapDir} exists`);
      const wal = await Wal.openForRead(walDir, { index: 0, term: 0 });
      const { metadata, entries } = await wal.readAll().finally(() => wal.close());
      assert.equal(metadata.length, 0, 'raftexample writes no WAL metadata');
      assert.deepEqual(
        entries.slice(0, 3).map((e) => [e.index, e.term, e.type, toHex(e.data ?? new Uint8Array(0))]),
        bootstrap,
        `member ${m.id}: bootstrap entries`,
      );
      const seen = new Set<string>();
      for (const e of entries) {
        if (e.type !== EntryType.EntryNormal || (e.data?.length ?? 0) === 0) continue;
        const data = e.data as Uint8Array;
        const { key, val } = decodeKvEntry(data);
        const p = wanted.get(kvMapKey(key));
        assert.ok(p, `member ${m.id}: unexpected key ${target(key)} at index ${e.index}`);
        assert.equal(toHex(val), toHex(p.val));
        assert.equal(toHex(data), toHex(encodeKvEntry(p.key, p.val)), `member ${m.id}: entry ${e.index}`);
        if (p.hex !== undefined)
          assert.equal(toHex(data), p.hex, `member ${m.id}: entry ${e.index} vs the Go vector`);
        seen.add(kvMapKey(key));
      }
      assert.equal(seen.size, wanted.size, `member ${m.id}: every PUT is in the log`);
    }
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { newSnapshot } from '../../src/raftpb/index.js';
import { DbSourceError, dbFileName, NoDbSnapshotError, Snapshotter } from '../../src/snap/index.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-snapdb-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `d${++n}`);
  await mkdir(dir);
  return dir;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

describe('Snapshotter.saveDBFrom / dbFilePath', () => {
  it('streams a Readable into %016x.snap.db and returns the byte count', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    const parts = [Buffer.from('hello '), Buffer.alloc(300_000, 7), Buffer.from(' world')];
    const n = await s.saveDBFrom(Readable.from(parts), 0x2a);
    assert.equal(n, 300_012);
    assert.deepEqual(await readdir(dir), [dbFileName(0x2a)]);
    assert.deepEqual(await readFile(join(dir, dbFileName(0x2a))), Buffer.concat(parts));
    assert.equal(await s.dbFilePath(0x2a), join(dir, '000000000000002a.snap.db'));
  });

  it('accepts an async iterable of Uint8Array chunks of mixed sizes, including empty ones', async () => {
    const dir = await freshDir();
    const sizes = [0, 1, 100, 262_143, 262_145, 5, 1_000_000, 0, 17];
    const expected: Uint8Array[] = sizes.map((size, k) => new Uint8Array(size).fill(k + 1));
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (const c of expected) yield c;
    }
    const n = await new Snapshotter(dir).saveDBFrom(gen(), 1);
    assert.equal(
      n,
      sizes.reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(
      new Uint8Array(await readFile(join(dir, dbFileName(1)))),
      Uint8Array.from(Buffer.concat(expected)),
    );
  });

  it('streams 256 MiB with bounded memory, even when the source reuses one buffer', async () => {
    const dir = await freshDir();
    const chunk = new Uint8Array(1024 * 1024);
    const chunks = 256;
    const expected = createHash('sha256');
    let peakArrayBuffers = 0;
    const base = process.memoryUsage().arrayBuffers;
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let k = 0; k < chunks; k++) {
        // The same buffer each time, refilled: only correct if each chunk is consumed before the next.
        chunk.fill(k & 0xff);
        chunk[0] = k >> 8;
        expected.update(chunk);
        peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - base);
        yield chunk;
      }
    }
    const n = await new Snapshotter(dir).saveDBFrom(gen(), 7);
    assert.equal(n, chunks * chunk.length);
    const path = join(dir, dbFileName(7));
    assert.equal((await stat(path)).size, n);
    assert.equal(await sha256File(path), expected.digest('hex'));
    assert.ok(peakArrayBuffers < 32 * 1024 * 1024, `buffers grew by ${peakArrayBuffers} bytes`);
  });

  it('keeps an existing file for the same index and drops the new bytes, as etcd does', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    await s.saveDBFrom(Readable.from([Buffer.from('first')]), 3);
    assert.equal(await s.saveDBFrom(Readable.from([Buffer.from('second!')]), 3), 7);
    assert.equal(await readFile(join(dir, dbFileName(3)), 'utf8'), 'first');
    assert.deepEqual(await readdir(dir), [dbFileName(3)]);
  });

  it('a failing source leaves no file at all and destroys the stream', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    const src = new Readable({ read() {} });
    src.push(Buffer.alloc(1000, 1));
    setImmediate(() => src.destroy(new Error('peer went away')));
    await assert.rejects(s.saveDBFrom(src, 5), /peer went away/);
    assert.equal(src.destroyed, true);
    assert.deepEqual(await readdir(dir), []);
    await assert.rejects(s.dbFilePath(5), NoDbSnapshotError);
  });

  it('rejects a source that yields strings, with a stable code, leaving nothing', async () => {
    const dir = await freshDir();
    const src = Readable.from(['text'], { objectMode: true });
    await assert.rejects(new Snapshotter(dir).saveDBFrom(src, 5), (e: unknown) => {
      assert.ok(e instanceof DbSourceError);
      assert.equal(e.code, 'RAFTWIRE_SNAP_DB_SOURCE');
      return true;
    });
    assert.deepEqual(await readdir(dir), []);
  });

  it('dbFilePath throws NoDbSnapshotError naming the path for a missing index', async () => {
    const dir = await freshDir();
    await assert.rejects(new Snapshotter(dir).dbFilePath(0x10), (e: unknown) => {
      assert.ok(e instanceof NoDbSnapshotError);
      assert.equal(e.code, 'RAFTWIRE_SNAP_NO_DB_SNAPSHOT');
      assert.equal(e.path, join(dir, '0000000000000010.snap.db'));
      assert.equal(e.index, 16);
      return true;
    });
  });

  it('releaseSnapDBs removes only db snapshots older than the snapshot', async () => {
    const dir = await freshDir();
    for (const i of [1, 5, 9, 12]) await writeFile(join(dir, dbFileName(i)), 'x');
    await writeFile(join(dir, 'zz.snap.db'), 'not an index');
    const removed = await new Snapshotter(dir).releaseSnapDBs(newSnapshot({ index: 9, term: 1 }));
    assert.deepEqual(removed.sort(), [dbFileName(1), dbFileName(5)]);
    assert.deepEqual((await readdir(dir)).sort(), [dbFileName(9), dbFileName(12), 'zz.snap.db']);
  });
});

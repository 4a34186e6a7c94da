import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newConfState, newSnapshot, type Snapshot } from '../../src/raftpb/index.js';
import {
  encodeSnapFile,
  NoSnapshotError,
  readSnapFile,
  Snapshotter,
  snapFileName,
} from '../../src/snap/index.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-snap-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `d${++n}`);
  await rm(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  return dir;
}

function snap(term: number, index: number, body = `state@${index}`): Snapshot {
  return newSnapshot({
    data: new TextEncoder().encode(body),
    term,
    index,
    confState: { ...newConfState(), voters: [1n, 2n, 0x8000000000000001n], learners: [9n] },
  });
}

function body(s: Snapshot): string {
  return new TextDecoder().decode(s.data);
}

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}
function recordingLogger(lines: Logged[]) {
  const log =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  const logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

describe('Snapshotter.saveSnap / load', () => {
  it('saves as term-index.snap with etcd bytes and loads it back', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    const original = snap(3, 42);
    await s.saveSnap(original);
    assert.deepEqual(await readdir(dir), [snapFileName(3, 42)]);
    assert.deepEqual(await readFile(join(dir, snapFileName(3, 42))), Buffer.from(encodeSnapFile(original)));
    const loaded = await s.load();
    assert.equal(loaded.metadata.term, 3);
    assert.equal(loaded.metadata.index, 42);
    assert.deepEqual(loaded.metadata.confState.voters, [1n, 2n, 0x8000000000000001n]);
    assert.deepEqual(loaded.metadata.confState.learners, [9n]);
    assert.equal(body(loaded), 'state@42');
    assert.equal(body(await readSnapFile(join(dir, snapFileName(3, 42)))), 'state@42');
  });

  it('skips an empty snapshot (index 0) without writing anything', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    await s.saveSnap(newSnapshot({ data: new Uint8Array([1]), term: 5 }));
    assert.deepEqual(await readdir(dir), []);
    await assert.rejects(s.load(), (e: unknown) => e instanceof NoSnapshotError);
  });

  it('throws NoSnapshotError with a stable code on an empty directory', async () => {
    const dir = await freshDir();
    await assert.rejects(new Snapshotter(dir).load(), (e: unknown) => {
      assert.ok(e instanceof NoSnapshotError);
      assert.equal(e.code, 'RAFTWIRE_SNAP_NO_SNAPSHOT');
      assert.equal(e.dir, dir);
      return true;
    });
  });

  it('loads the newest: highest term first, then highest index', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    for (const [t, i] of [
      [1, 500],
      [2, 10],
      [2, 0x100],
      [1, 0x1000],
    ] as const) {
      await s.saveSnap(snap(t, i));
    }
    const loaded = await s.load();
    assert.deepEqual([loaded.metadata.term, loaded.metadata.index], [2, 0x100]);
    assert.deepEqual(await s.snapNames(), [
      snapFileName(2, 0x100),
      snapFileName(2, 10),
      snapFileName(1, 0x1000),
      snapFileName(1, 500),
    ]);
  });

  it('renames broken newer files to .broken and falls back to the newest valid one', async () => {
    const dir = await freshDir();
    const lines: Logged[] = [];
    const s = new Snapshotter(dir, { logger: recordingLogger(lines) });
    await s.saveSnap(snap(1, 10));
    await s.saveSnap(snap(1, 20));
    await s.saveSnap(snap(1, 30));
    await s.saveSnap(snap(1, 40));
    // 40: a flipped byte (crc mismatch); 30: empty file; 20: garbage framing.
    const p40 = join(dir, snapFileName(1, 40));
    const bytes = await readFile(p40);
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 0xff;
    await writeFile(p40, bytes);
    await writeFile(join(dir, snapFileName(1, 30)), '');
    await writeFile(join(dir, snapFileName(1, 20)), Buffer.from([0x0a, 0x01]));
    const loaded = await s.load();
    assert.equal(loaded.metadata.index, 10);
    assert.deepEqual((await readdir(dir)).sort(), [
      snapFileName(1, 10),
      `${snapFileName(1, 20)}.broken`,
      `${snapFileName(1, 30)}.broken`,
      `${snapFileName(1, 40)}.broken`,
    ]);
    const renamed = lines.filter((l) => l.msg === 'renamed to a broken snap file');
    assert.equal(renamed.length, 3);
    assert.ok(
      lines.some(
        (l) => l.msg === 'failed to read a snap file' && /crc mismatch/.test(String(l.fields.error)),
      ),
    );
    // Broken files are not retried: loading again gives the same answer and warns no more.
    const before = lines.length;
    assert.equal((await s.load()).metadata.index, 10);
    assert.equal(
      lines.filter((l, i) => i >= before && l.level === 'warn' && /broken snap/.test(l.msg)).length,
      0,
    );
  });

  it('throws NoSnapshotError when every file is broken', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, snapFileName(1, 1)), 'garbage');
    await assert.rejects(new Snapshotter(dir).load(), NoSnapshotError);
    assert.deepEqual(await readdir(dir), [`${snapFileName(1, 1)}.broken`]);
  });

  it('loadNewestAvailable returns the newest snapshot the WAL has a marker for', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    await s.saveSnap(snap(1, 10));
    await s.saveSnap(snap(2, 20));
    await s.saveSnap(snap(2, 30));
    const got = await s.loadNewestAvailable([
      { index: 0, term: 0 },
      { index: 10, term: 1 },
      { index: 20, term: 2 },
    ]);
    assert.equal(got.metadata.index, 20);
    // A marker with the right index but another term does not match.
    await assert.rejects(s.loadNewestAvailable([{ index: 30, term: 1 }]), NoSnapshotError);
    // Valid but unmatched files are not renamed.
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.broken')).length, 0);
  });

  it('replaces a file of the same name and leaves no temp file behind', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    await s.saveSnap(snap(4, 4, 'first'));
    await s.saveSnap(snap(4, 4, 'second'));
    assert.deepEqual(await readdir(dir), [snapFileName(4, 4)]);
    assert.equal(body(await s.load()), 'second');
  });

  it('fails clearly when the directory is missing and leaves nothing behind', async () => {
    const dir = join(await freshDir(), 'missing');
    const s = new Snapshotter(dir);
    await assert.rejects(
      s.saveSnap(snap(1, 1)),
      (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT',
    );
    await assert.rejects(s.load(), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  });

  it('removes orphaned temp files and etcd defrag leftovers, warns about strangers', async () => {
    const dir = await freshDir();
    const lines: Logged[] = [];
    const s = new Snapshotter(dir, { logger: recordingLogger(lines) });
    await s.saveSnap(snap(1, 7));
    await writeFile(join(dir, `.${snapFileName(1, 8)}.999.1.tmp`), 'half');
    await writeFile(join(dir, 'db.tmp.12345'), 'defrag');
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await writeFile(join(dir, 'db'), 'backend');
    assert.deepEqual(await s.snapNames(), [snapFileName(1, 7)]);
    assert.deepEqual((await readdir(dir)).sort(), [
      '0000000000000001-0000000000000007.snap',
      'db',
      'notes.txt',
    ]);
    const strangers = lines.filter((l) => l.msg === 'found unexpected non-snap file; skipping');
    assert.deepEqual(
      strangers.map((l) => l.fields.path),
      ['notes.txt'],
    );
  });
});

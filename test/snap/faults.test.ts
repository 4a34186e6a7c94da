/**
 * Failures while writing the snapshot directory: a full disk (a small tmpfs mounted for the test),
 * a rename that cannot happen, and the orphan cleanup running while a write is in flight. Each
 * failure is reported as the file system's own error, leaves no temp file, and leaves the snapshots
 * already there loadable.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { newConfState, newSnapshot, type Snapshot } from '../../src/raftpb/index.js';
import { dbFileName, Snapshotter, snapFileName } from '../../src/snap/index.js';

const run = promisify(execFile);

function snap(index: number, size: number): Snapshot {
  return newSnapshot({
    data: new Uint8Array(size).fill(index & 0xff),
    term: 1,
    index,
    confState: { ...newConfState(), voters: [1n] },
  });
}

const isErrno = (code: string) => (e: unknown) => (e as NodeJS.ErrnoException).code === code;

describe('a full disk (tmpfs of 512 KiB)', () => {
  let mnt: string;
  before(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'raftwire-snap-tmpfs-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt]);
  });
  after(async () => {
    await run('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('saveSnap fails with ENOSPC, removes its temp file, and the older snapshot still loads', async () => {
    const dir = join(mnt, 'snap');
    await mkdir(dir);
    const s = new Snapshotter(dir);
    await s.saveSnap(snap(10, 1000));
    await assert.rejects(s.saveSnap(snap(20, 1024 * 1024)), isErrno('ENOSPC'));
    assert.deepEqual(await readdir(dir), [snapFileName(1, 10)]);
    assert.equal((await s.load()).metadata.index, 10);
  });

  it('saveDBFrom fails with ENOSPC, leaves no file, and the space is free for the next body', async () => {
    const dir = join(mnt, 'db');
    await mkdir(dir);
    const s = new Snapshotter(dir);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 32; i++) yield new Uint8Array(64 * 1024).fill(i);
    }
    await assert.rejects(s.saveDBFrom(big(), 7), isErrno('ENOSPC'));
    assert.deepEqual(await readdir(dir), []);
    // The temp file's space is free again: a 300 KiB body now fits.
    assert.equal(await s.saveDBFrom(Readable.from([Buffer.alloc(300 * 1024, 1)]), 7), 300 * 1024);
    assert.deepEqual(await readdir(dir), [dbFileName(7)]);
  });
});

describe('other failures', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'raftwire-snap-faults-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a rename that fails (a directory in the way) leaves no temp file', async () => {
    const dir = join(root, 'rename');
    await mkdir(dir);
    await mkdir(join(dir, snapFileName(1, 5)));
    await mkdir(join(dir, snapFileName(1, 5), 'occupied'));
    await assert.rejects(new Snapshotter(dir).saveSnap(snap(5, 10)), (e: unknown) =>
      ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? ''),
    );
    assert.deepEqual(await readdir(dir), [snapFileName(1, 5)]);
  });

  it('the orphan cleanup leaves the temp file of a write in flight alone', async () => {
    const dir = join(root, 'inflight');
    await mkdir(dir);
    const s = new Snapshotter(dir);
    await s.saveSnap(snap(3, 10));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pulled = 0;
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Uint8Array.of(1, 2, 3);
      pulled++;
      await gate;
      yield Uint8Array.of(4, 5);
    }
    const saving = s.saveDBFrom(slow(), 9);
    while (pulled === 0) await new Promise((r) => setImmediate(r));
    const during = await readdir(dir);
    assert.equal(during.filter((f) => f.endsWith('.tmp')).length, 1, during.join(','));
    assert.deepEqual(await s.snapNames(), [snapFileName(1, 3)]);
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.tmp')).length, 1);
    release();
    assert.equal(await saving, 5);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, dbFileName(9)))), Uint8Array.of(1, 2, 3, 4, 5));
    assert.deepEqual((await readdir(dir)).sort(), [snapFileName(1, 3), dbFileName(9)].sort());
  });
});

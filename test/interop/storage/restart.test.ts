/**
 * etcd's restart sequence over a member directory raftwire wrote (WAL + .snap files): etcd 3.4's
 * server takes the WAL's valid snapshot markers (those the committed hard state covers), loads the
 * newest .snap among them, opens the WAL at it and reads the rest. Go doing that on raftwire's
 * files and raftwire doing the same must land on the same snapshot, hard state and entries, also
 * when the newest .snap is broken, has no marker, or is past the commit index.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Entry, EntryType, newConfState, newSnapshot } from '../../../src/raftpb/index.js';
import { Snapshotter, snapFileName } from '../../../src/snap/index.js';
import { validSnapshotEntries, Wal } from '../../../src/wal/index.js';
import {
  type GoEntry,
  type GoHardState,
  type GoSnapshot,
  goReadWal,
  storageTool,
  toGoEntry,
  toGoHardState,
  toGoSnapshot,
} from './storage-tool.js';

interface GoRestart {
  snapshot?: GoSnapshot;
  snapshotError?: string;
  error?: string;
  metadataHex: string;
  hardState: GoHardState;
  entries: GoEntry[];
}

let root: string;
let member: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-restart-'));
  member = join(root, 'member');
  await mkdir(join(member, 'snap'), { recursive: true });
  const wal = await Wal.create(join(member, 'wal'), new TextEncoder().encode('member-1'));
  const snaps = new Snapshotter(join(member, 'snap'));
  const snapAt = (index: number) =>
    newSnapshot({
      data: new TextEncoder().encode(`state machine at ${index}`),
      index,
      term: 1,
      confState: { ...newConfState(), voters: [1n, 2n, 3n] },
    });
  try {
    for (let i = 1; i <= 30; i++) {
      const e: Entry = { term: 1, index: i, type: EntryType.EntryNormal, data: new Uint8Array(50).fill(i) };
      await wal.save({ term: 1, vote: 2n, commit: Math.min(i - 1, 25) }, [e]);
      // etcd's order: the WAL marker first, then the .snap file, then release the WAL.
      if (i === 10 || i === 20 || i === 22) {
        await wal.saveSnapshot({ index: i, term: 1 });
        await snaps.saveSnap(snapAt(i));
        wal.releaseLockTo(i);
      }
      // A crash between the marker and the .snap file: a marker without a file.
      if (i === 24) await wal.saveSnapshot({ index: 24, term: 1 });
      // A marker past the final commit (25): not valid for a restart.
      if (i === 30) {
        await wal.saveSnapshot({ index: 28, term: 1 });
        await snaps.saveSnap(snapAt(28));
      }
    }
  } finally {
    await wal.close();
  }
  // A .snap with no marker at all (as if left by another run).
  await snaps.saveSnap(snapAt(23));
  // The .snap at 22 is damaged: both must skip it (and rename it .broken).
  await writeFile(join(member, 'snap', snapFileName(1, 22)), 'not a snapshot');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copyMember(): Promise<string> {
  const dst = join(root, `copy-${Math.random().toString(16).slice(2)}`);
  await cp(member, dst, { recursive: true });
  return dst;
}

describe('etcd restart sequence on a raftwire member directory', () => {
  it('Go and raftwire list the same markers: those the commit covers', async () => {
    const go = await goReadWal(join(await copyMember(), 'wal'), 0, 0);
    assert.deepEqual(await validSnapshotEntries(join(await copyMember(), 'wal')), go.snapshots);
    assert.deepEqual(go.snapshots, [
      { index: 0, term: 0 },
      { index: 10, term: 1 },
      { index: 20, term: 1 },
      { index: 22, term: 1 },
      { index: 24, term: 1 },
    ]);
  });

  it('Go and raftwire restart from the same snapshot (20) with the same log after it', async () => {
    const forGo = await copyMember();
    const go = await storageTool<GoRestart>(['restart', join(forGo, 'wal'), join(forGo, 'snap')]);
    assert.equal(go.error, undefined);
    assert.equal(go.snapshot?.index, 20);

    const forTs = await copyMember();
    const markers = await validSnapshotEntries(join(forTs, 'wal'));
    assert.deepEqual(markers, (await goReadWal(join(await copyMember(), 'wal'), 0, 0)).snapshots);
    const snap = await new Snapshotter(join(forTs, 'snap')).loadNewestAvailable(markers);
    const wal = await Wal.open(join(forTs, 'wal'), { index: snap.metadata.index, term: snap.metadata.term });
    try {
      const ts = await wal.readAll();
      assert.deepEqual(toGoSnapshot(snap), go.snapshot);
      assert.equal(Buffer.from(ts.metadata).toString('hex'), go.metadataHex);
      assert.deepEqual(toGoHardState(ts.hardState), go.hardState);
      assert.deepEqual(ts.entries.map(toGoEntry), go.entries);
      assert.deepEqual(
        ts.entries.map((e) => e.index),
        Array.from({ length: 10 }, (_, i) => 21 + i),
      );
      assert.equal(ts.hardState.commit, 25);
    } finally {
      await wal.close();
    }
    // Both quarantined the damaged file the same way.
    assert.deepEqual(
      (await readdir(join(forTs, 'snap'))).sort(),
      (await readdir(join(forGo, 'snap'))).sort(),
    );
    assert.ok((await readdir(join(forTs, 'snap'))).includes(`${snapFileName(1, 22)}.broken`));
  });
});

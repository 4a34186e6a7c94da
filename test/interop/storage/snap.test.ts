/**
 * Snapshots both ways between raftwire/snap and etcd 3.4.23's snap package (via storage-tool).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newConfState, newSnapshot, type Snapshot } from '../../../src/raftpb/index.js';
import { dbFileName, Snapshotter, snapFileName } from '../../../src/snap/index.js';
import { type GoSnapshot, goReadSnap, goWriteSnap, storageTool, toGoSnapshot } from './storage-tool.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-snap-interop-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `d${++n}`);
  await mkdir(dir);
  return dir;
}

function sample(term: number, index: number, size = 1000): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + index) & 0xff;
  return newSnapshot({
    data,
    term,
    index,
    confState: {
      ...newConfState(),
      voters: [1n, 0xfedcba9876543210n],
      learners: [3n],
      votersOutgoing: [1n, 2n],
      learnersNext: [0xffffffffffffffffn],
      autoLeave: true,
    },
  });
}

const cases: [string, Snapshot][] = [
  ['small with joint config', sample(2, 5, 10)],
  ['1 MiB body, large index', sample(9, 2 ** 40 + 3, 1024 * 1024)],
  [
    'one-byte body, plain config',
    newSnapshot({ data: new Uint8Array([0]), term: 1, index: 1, confState: newConfState() }),
  ],
];

describe('snapshots: raftwire ↔ etcd 3.4 snap', () => {
  for (const [name, snap] of cases) {
    it(`${name}: raftwire saveSnap → Go Load reads the same snapshot`, async () => {
      const dir = await freshDir();
      await new Snapshotter(dir).saveSnap(snap);
      assert.deepEqual(await goReadSnap(dir), toGoSnapshot(snap));
    });

    it(`${name}: Go SaveSnap → raftwire load, and the files are byte-identical`, async () => {
      const goDir = await freshDir();
      const tsDir = await freshDir();
      await goWriteSnap(goDir, snap);
      await new Snapshotter(tsDir).saveSnap(snap);
      const fname = snapFileName(snap.metadata.term, snap.metadata.index);
      assert.deepEqual(await readdir(goDir), [fname]);
      assert.deepEqual(await readFile(join(goDir, fname)), await readFile(join(tsDir, fname)));
      const loaded = await new Snapshotter(goDir).load();
      assert.deepEqual(toGoSnapshot(loaded), toGoSnapshot(snap));
    });
  }

  it('Go and raftwire skip the same broken files and pick the same snapshot', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    await s.saveSnap(sample(1, 10));
    await goWriteSnap(dir, sample(1, 20));
    await s.saveSnap(sample(2, 30));
    // Newest: a flipped body byte. Next: truncated.
    const p30 = join(dir, snapFileName(2, 30));
    const b30 = await readFile(p30);
    b30[b30.length - 5] = (b30.at(-5) ?? 0) ^ 0x40;
    await writeFile(p30, b30);
    const p20 = join(dir, snapFileName(1, 20));
    await truncate(p20, 40);
    const goCopy = `${dir}-go`;
    await cp(dir, goCopy, { recursive: true });
    const fromGo = (await goReadSnap(goCopy)) as GoSnapshot;
    const fromTs = await s.load();
    assert.equal(fromGo.index, 10);
    assert.deepEqual(toGoSnapshot(fromTs), fromGo);
    assert.deepEqual((await readdir(dir)).sort(), (await readdir(goCopy)).sort());
    assert.deepEqual((await readdir(dir)).sort(), [
      snapFileName(1, 10),
      `${snapFileName(1, 20)}.broken`,
      `${snapFileName(2, 30)}.broken`,
    ]);
  });

  it('LoadNewestAvailable agrees with Go for the same WAL markers', async () => {
    const dir = await freshDir();
    const s = new Snapshotter(dir);
    for (const [t, i] of [
      [1, 10],
      [2, 20],
      [2, 30],
      [3, 40],
    ] as const) {
      await s.saveSnap(sample(t, i, 50));
    }
    const markerSets = [
      [
        { index: 0, term: 0 },
        { index: 10, term: 1 },
        { index: 30, term: 2 },
      ],
      [{ index: 20, term: 2 }],
      [{ index: 40, term: 2 }],
      [],
    ];
    for (const markers of markerSets) {
      const go = await goReadSnap(dir, markers.length === 0 ? [{ index: 99, term: 9 }] : markers);
      let ts: GoSnapshot | { error: string };
      try {
        ts = toGoSnapshot(
          await s.loadNewestAvailable(markers.length === 0 ? [{ index: 99, term: 9 }] : markers),
        );
      } catch (e) {
        ts = { error: (e as Error).message };
      }
      if ('error' in go) {
        assert.equal(go.error, 'snap: no available snapshot');
        assert.ok('error' in ts, `raftwire found a snapshot Go did not, for ${JSON.stringify(markers)}`);
      } else {
        assert.deepEqual(ts, go, `markers ${JSON.stringify(markers)}`);
      }
    }
  });

  it('an empty snapshot is skipped by both', async () => {
    const goDir = await freshDir();
    const tsDir = await freshDir();
    const empty = newSnapshot({ data: new Uint8Array([1, 2]), term: 3, index: 0 });
    await goWriteSnap(goDir, empty);
    await new Snapshotter(tsDir).saveSnap(empty);
    assert.deepEqual(await readdir(goDir), []);
    assert.deepEqual(await readdir(tsDir), []);
    assert.deepEqual(await goReadSnap(tsDir), { error: 'snap: no available snapshot' });
  });

  it('.snap.db both ways: raftwire saveDBFrom → Go DBFilePath; Go SaveDBFrom → raftwire dbFilePath', async () => {
    const dir = await freshDir();
    const body = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 13) & 0xff);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < body.length; off += 100_000) yield body.subarray(off, off + 100_000);
    }
    const s = new Snapshotter(dir);
    assert.equal(await s.saveDBFrom(chunks(), 0x51), body.length);
    assert.deepEqual(await storageTool(['db-path', dir, String(0x51)]), {
      path: join(dir, dbFileName(0x51)),
    });

    const goBody = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    assert.deepEqual(await storageTool(['save-db', dir, String(0x52)], { input: goBody }), {
      bytes: goBody.length,
    });
    const p = await s.dbFilePath(0x52);
    assert.equal(p, join(dir, '0000000000000052.snap.db'));
    assert.deepEqual(new Uint8Array(await readFile(p)), goBody);
    assert.deepEqual(await storageTool(['db-path', dir, '83']), {
      error: "snap: snapshot file doesn't exist",
    });
  });
});

/**
 * WALs both ways between raftwire/wal and etcd 3.4.23's wal package (via storage-tool): what one
 * writes the other reads with identical metadata, hard state and entries; the same sequence of
 * saves gives byte-identical segment files; and each can append to a WAL the other wrote.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Entry, EntryType, type HardState, newHardState } from '../../../src/raftpb/index.js';
import { Wal, type WalContents } from '../../../src/wal/index.js';
import {
  type GoWalOp,
  type GoWalRead,
  goAppendWal,
  goReadWal,
  goWriteWal,
  toGoEntry,
  toGoHardState,
} from './storage-tool.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftwire-wal-interop-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A path for a WAL directory that does not exist yet. */
function newDir(tag: string): string {
  return join(root, `${tag}-${++n}`);
}

type Op =
  | { kind: 'save'; hardState: HardState; entries: Entry[] }
  | { kind: 'snapshot'; index: number; term: number }
  | { kind: 'release'; index: number };

interface Scenario {
  name: string;
  metadata: Uint8Array;
  segmentSizeBytes?: number;
  ops: Op[];
  /** Markers to open at (each must be in the log); {0,0} is always there. */
  markers: { index: number; term: number }[];
}

/** A small deterministic PRNG (mulberry32), so every run writes the same WALs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 131 + seed * 7) & 0xff;
  return b;
}

function entry(
  term: number,
  index: number,
  data: Uint8Array | undefined,
  type: EntryType = EntryType.EntryNormal,
): Entry {
  const e: Entry = { term, index, type };
  if (data !== undefined) e.data = data;
  return e;
}

const enc = new TextEncoder();

const scenarios: Scenario[] = [
  {
    name: 'entry kinds, 64-bit vote, nil and empty data',
    metadata: enc.encode('raftwire interop metadata'),
    ops: [
      {
        kind: 'save',
        hardState: { term: 1, vote: 0xffffffffffffffffn, commit: 0 },
        entries: [
          entry(1, 1, bytes(12, 1), EntryType.EntryConfChange),
          entry(1, 2, undefined),
          entry(1, 3, new Uint8Array(0)),
          entry(1, 4, bytes(100, 4), EntryType.EntryConfChangeV2),
        ],
      },
      { kind: 'save', hardState: { term: 2, vote: 2n, commit: 3 }, entries: [] },
      { kind: 'save', hardState: newHardState(), entries: [entry(2, 5, bytes(1000, 5))] },
      { kind: 'save', hardState: { term: 2, vote: 2n, commit: 5 }, entries: [] },
    ],
    markers: [{ index: 0, term: 0 }],
  },
  (() => {
    // Many segments: 16 KiB segments, batches of 1-10 entries of 0-3000 bytes, one 20 KB entry.
    const rnd = prng(7);
    const ops: Op[] = [];
    let index = 0;
    for (let b = 0; b < 60; b++) {
      const count = 1 + Math.floor(rnd() * 10);
      const entries: Entry[] = [];
      for (let k = 0; k < count; k++) {
        index++;
        const size = b === 30 && k === 0 ? 20_000 : Math.floor(rnd() * 3000);
        entries.push(entry(1 + Math.floor(b / 20), index, bytes(size, index)));
      }
      ops.push({
        kind: 'save',
        hardState: { term: 1 + Math.floor(b / 20), vote: 1n, commit: index - count },
        entries,
      });
    }
    return {
      name: 'segment cuts (16 KiB segments)',
      metadata: enc.encode('m'),
      segmentSizeBytes: 16 * 1024,
      ops,
      markers: [{ index: 0, term: 0 }],
    };
  })(),
  (() => {
    // Saves large enough to overflow etcd's 128 KiB page writer (it then flushes whole pages and
    // writes big records straight through), commit-only saves that etcd does not sync (they stay
    // in its buffer), and 512 KiB segments: the cut points depend on all of it.
    const rnd = prng(11);
    const ops: Op[] = [];
    let index = 0;
    let term = 1;
    for (let b = 0; b < 90; b++) {
      const kind = rnd();
      if (kind < 0.25) {
        ops.push({ kind: 'save', hardState: { term, vote: 1n, commit: index }, entries: [] });
        continue;
      }
      if (b % 30 === 29) term++;
      const count = kind < 0.5 ? 1 : 1 + Math.floor(rnd() * 30);
      const entries: Entry[] = [];
      for (let k = 0; k < count; k++) {
        index++;
        const big = rnd() < 0.08;
        const size = big ? 100_000 + Math.floor(rnd() * 250_000) : Math.floor(rnd() * 9000);
        entries.push(entry(term, index, bytes(size, index)));
      }
      ops.push({ kind: 'save', hardState: { term, vote: 1n, commit: index - count }, entries });
    }
    return {
      name: "segment cuts where etcd's page writer flushes (512 KiB segments, big saves)",
      metadata: enc.encode('pages'),
      segmentSizeBytes: 512 * 1024,
      ops,
      markers: [{ index: 0, term: 0 }],
    };
  })(),
  {
    name: 'a new leader overwrites a suffix',
    metadata: new Uint8Array(0),
    ops: [
      {
        kind: 'save',
        hardState: { term: 1, vote: 1n, commit: 0 },
        entries: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => entry(1, i, bytes(30, i))),
      },
      {
        kind: 'save',
        hardState: { term: 2, vote: 3n, commit: 5 },
        entries: [6, 7].map((i) => entry(2, i, bytes(40, i + 100))),
      },
      {
        kind: 'save',
        hardState: { term: 3, vote: 1n, commit: 6 },
        entries: [entry(3, 7, bytes(10, 77)), entry(3, 8, bytes(10, 88))],
      },
    ],
    markers: [{ index: 0, term: 0 }],
  },
  {
    // A rewrite at or below a later marker: opened at the marker, etcd ignores entries at or below
    // it, so the entries above it that the rewrite replaced (2 and 3 of term 1) come back. Both
    // implementations must agree on that, as on the full log from {0, 0}.
    name: 'a rewrite at or below a later snapshot marker',
    metadata: new Uint8Array(0),
    ops: [
      {
        kind: 'save',
        hardState: { term: 1, vote: 1n, commit: 0 },
        entries: [1, 2, 3].map((i) => entry(1, i, bytes(20, i))),
      },
      { kind: 'save', hardState: { term: 2, vote: 2n, commit: 0 }, entries: [entry(2, 1, bytes(20, 11))] },
      { kind: 'save', hardState: { term: 2, vote: 2n, commit: 1 }, entries: [] },
      { kind: 'snapshot', index: 1, term: 2 },
    ],
    markers: [
      { index: 0, term: 0 },
      { index: 1, term: 2 },
    ],
  },
  (() => {
    const ops: Op[] = [];
    for (let i = 1; i <= 40; i++) {
      ops.push({
        kind: 'save',
        hardState: { term: i <= 20 ? 1 : 2, vote: 1n, commit: i - 1 },
        entries: [entry(i <= 20 ? 1 : 2, i, bytes(700, i))],
      });
      if (i === 15) ops.push({ kind: 'snapshot', index: 10, term: 1 });
      if (i === 32) ops.push({ kind: 'snapshot', index: 30, term: 2 }, { kind: 'release', index: 30 });
    }
    return {
      name: 'snapshot markers, opening at each, released segments',
      metadata: enc.encode('snapshots'),
      segmentSizeBytes: 8 * 1024,
      ops,
      markers: [
        { index: 0, term: 0 },
        { index: 10, term: 1 },
        { index: 30, term: 2 },
      ],
    };
  })(),
];

/** etcd's ReadAll semantics: entries after the marker, later ones replacing a suffix. */
function model(s: Scenario, ops: Op[], marker: { index: number }): GoWalRead {
  let ents: Entry[] = [];
  let hs = newHardState();
  for (const op of ops) {
    if (op.kind !== 'save') continue;
    for (const e of op.entries) {
      if (e.index > marker.index) ents = [...ents.slice(0, e.index - marker.index - 1), e];
    }
    if (op.hardState.term !== 0 || op.hardState.vote !== 0n || op.hardState.commit !== 0) hs = op.hardState;
  }
  return {
    metadataHex: Buffer.from(s.metadata).toString('hex'),
    hardState: toGoHardState(hs),
    entries: ents.map(toGoEntry),
    snapshots: [],
  };
}

function tsView(c: WalContents): Omit<GoWalRead, 'snapshots'> {
  return {
    metadataHex: Buffer.from(c.metadata).toString('hex'),
    hardState: toGoHardState(c.hardState),
    entries: c.entries.map(toGoEntry),
  };
}

function goView(g: GoWalRead): Omit<GoWalRead, 'snapshots'> {
  assert.equal(g.error, undefined, `Go ReadAll failed: ${g.error}`);
  return { metadataHex: g.metadataHex, hardState: g.hardState, entries: g.entries };
}

function modelView(s: Scenario, ops: Op[], marker: { index: number }): Omit<GoWalRead, 'snapshots'> {
  const { snapshots: _unused, ...rest } = model(s, ops, marker);
  return rest;
}

function toGoOp(op: Op): GoWalOp {
  if (op.kind === 'save')
    return { kind: 'save', hardState: toGoHardState(op.hardState), entries: op.entries.map(toGoEntry) };
  return op;
}

async function tsApply(w: Wal, ops: Op[]): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'save') await w.save(op.hardState, op.entries);
    else if (op.kind === 'snapshot') await w.saveSnapshot({ index: op.index, term: op.term });
    else w.releaseLockTo(op.index);
  }
}

async function tsWrite(dir: string, s: Scenario, ops: Op[]): Promise<void> {
  const w = await Wal.create(
    dir,
    s.metadata,
    s.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: s.segmentSizeBytes },
  );
  try {
    await tsApply(w, ops);
  } finally {
    await w.close();
  }
}

async function tsRead(dir: string, marker: { index: number; term: number }): Promise<WalContents> {
  const w = await Wal.open(dir, marker);
  try {
    const c = await w.readAll();
    // Detach entry data from the read buffers before closing.
    return {
      ...c,
      metadata: c.metadata.slice(),
      entries: c.entries.map((e) => ({ ...e, data: e.data?.slice() })),
    };
  } finally {
    await w.close();
  }
}

async function goWrite(dir: string, s: Scenario, ops: Op[]): Promise<void> {
  await goWriteWal(dir, {
    metadataHex: Buffer.from(s.metadata).toString('hex'),
    ...(s.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: s.segmentSizeBytes }),
    ops: ops.map(toGoOp),
  });
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
}

describe('WAL: raftwire ↔ etcd 3.4 wal', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      it('raftwire writes, Go reads the same metadata, hard state and entries', async () => {
        const dir = newDir('ts');
        await tsWrite(dir, s, s.ops);
        for (const m of s.markers) {
          assert.deepEqual(
            goView(await goReadWal(dir, m.index, m.term)),
            modelView(s, s.ops, m),
            `marker ${m.index}`,
          );
        }
      });

      it('Go writes, raftwire reads the same metadata, hard state and entries', async () => {
        const dir = newDir('go');
        await goWrite(dir, s, s.ops);
        for (const m of s.markers) {
          assert.deepEqual(tsView(await tsRead(dir, m)), modelView(s, s.ops, m), `marker ${m.index}`);
        }
      });

      // Cut points too: raftwire models the offset etcd's page writer has flushed, on which etcd
      // decides to cut, so segments match even where they are cut.
      it('the same saves give byte-identical segments, cut at the same saves', async () => {
        const goDir = newDir('go-bytes');
        const tsDir = newDir('ts-bytes');
        await goWrite(goDir, s, s.ops);
        await tsWrite(tsDir, s, s.ops);
        const names = await segmentFiles(goDir);
        if (s.segmentSizeBytes !== undefined) assert.ok(names.length > 2, `${names.length} segments`);
        assert.deepEqual(await segmentFiles(tsDir), names);
        for (const name of names) {
          const [g, t] = [await readFile(join(goDir, name)), await readFile(join(tsDir, name))];
          assert.equal(t.length, g.length, `${name} length`);
          assert.ok(g.equals(t), `${name} differs first at byte ${g.findIndex((b, i) => b !== t[i])}`);
        }
      });

      it('each appends to a WAL the other wrote; the result reads the same in both', async () => {
        const half = Math.ceil(s.ops.length / 2);
        const [first, second] = [s.ops.slice(0, half), s.ops.slice(half)];
        const opts = s.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: s.segmentSizeBytes };

        const goThenTs = newDir('go-ts');
        await goWrite(goThenTs, s, first);
        const w = await Wal.open(goThenTs, { index: 0, term: 0 }, opts);
        try {
          await w.readAll();
          await tsApply(w, second);
        } finally {
          await w.close();
        }
        assert.deepEqual(goView(await goReadWal(goThenTs, 0, 0)), modelView(s, s.ops, { index: 0 }));

        const tsThenGo = newDir('ts-go');
        await tsWrite(tsThenGo, s, first);
        await goAppendWal(
          tsThenGo,
          { index: 0, term: 0 },
          {
            metadataHex: '',
            ...(s.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: s.segmentSizeBytes }),
            ops: second.map(toGoOp),
          },
        );
        assert.deepEqual(
          tsView(await tsRead(tsThenGo, { index: 0, term: 0 })),
          modelView(s, s.ops, { index: 0 }),
        );
      });
    });
  }

  it('Go lists the snapshot markers raftwire wrote that the hard state covers', async () => {
    const s = scenarios.find((x) => x.name.startsWith('snapshot markers')) as Scenario;
    const dir = newDir('ts-markers');
    await tsWrite(dir, s, s.ops);
    const go = await goReadWal(dir, 0, 0);
    assert.deepEqual(go.snapshots, [
      { index: 0, term: 0 },
      { index: 10, term: 1 },
      { index: 30, term: 2 },
    ]);
  });
});

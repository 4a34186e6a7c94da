/**
 * Model-based test: random runs of saves (appending, or rewriting from an index above the last
 * snapshot with a higher term, as a new leader does), snapshot markers, tiny segments (many cuts)
 * and reopens, checked against a plain in-memory model of etcd's rules after every reopen.
 *
 * The model is the log as the saves left it, cut at the marker. etcd's ReadAll (and raftwire's)
 * ignores every entry at or below the marker, so a rewrite at or below a marker does not remove
 * the entries above the marker that it replaced: they come back on a reopen at that marker (raft
 * later overwrites them; they were never committed). The model does not reproduce that quirk, so
 * it takes no snapshot above an index whose entries a rewrite at or below it replaced. The quirk
 * itself is pinned in test/wal/wal.test.ts, and Go's ReadAll agrees in the interop tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Entry, HardState } from '../../src/raftpb/index.js';
import { Wal, type WalSnapshot } from '../../src/wal/index.js';
import { tempRoot } from './helpers.js';

type Op =
  | { kind: 'append'; count: number; size: number }
  | { kind: 'rewrite'; back: number; count: number }
  | { kind: 'commit' }
  | { kind: 'snapshot' }
  | { kind: 'reopen'; atSnapshot: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      count: fc.integer({ min: 1, max: 6 }),
      size: fc.integer({ min: 0, max: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('rewrite' as const),
      back: fc.integer({ min: 0, max: 5 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), atSnapshot: fc.boolean() }) },
);

function data(index: number, term: number, size: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = (index * 3 + term * 7 + i) & 0xff;
  return d;
}

interface Model {
  log: Entry[]; // log[i] has index i + 1
  hs: HardState;
  snap: WalSnapshot;
  /** Rewrites so far: from where, and the last index they replaced. */
  rewrites: Array<{ from: number; replacedTo: number }>;
}

function check(model: Model, at: WalSnapshot, got: { hardState: HardState; entries: Entry[] }): void {
  assert.deepEqual(got.hardState, model.hs);
  const want = model.log.filter((e) => e.index > at.index);
  assert.deepEqual(
    got.entries.map((e) => [e.index, e.term, Buffer.from(e.data ?? []).toString('hex')]),
    want.map((e) => [e.index, e.term, Buffer.from(e.data ?? []).toString('hex')]),
  );
}

describe('WAL against a model', () => {
  it('matches the model over random runs with cuts and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 5, maxLength: 40 }),
        fc.integer({ min: 64, max: 1024 }),
        async (ops, segmentSizeBytes) => {
          const t = await tempRoot();
          let wal = await Wal.create(t.dir, Uint8Array.of(1), { segmentSizeBytes });
          try {
            const model: Model = {
              log: [],
              hs: { term: 0, vote: 0n, commit: 0 },
              snap: { index: 0, term: 0 },
              rewrites: [],
            };
            let term = 1;
            for (const op of ops) {
              const last = model.log.length;
              if (op.kind === 'append' || op.kind === 'rewrite') {
                let from = last + 1;
                if (op.kind === 'rewrite') {
                  term++;
                  from = Math.max(model.snap.index + 1, model.hs.commit + 1, last + 1 - op.back);
                }
                const count = op.count;
                const es: Entry[] = [];
                for (let i = from; i < from + count; i++) {
                  es.push({
                    index: i,
                    term,
                    type: 0,
                    data: data(i, term, op.kind === 'append' ? op.size : 5),
                  });
                }
                if (from <= last) model.rewrites.push({ from, replacedTo: last });
                model.log.length = from - 1;
                model.log.push(...es);
                model.hs = { term, vote: BigInt(term), commit: model.hs.commit };
                await wal.save(model.hs, es);
              } else if (op.kind === 'commit') {
                model.hs = { ...model.hs, commit: model.log.length };
                await wal.save(model.hs, []);
              } else if (op.kind === 'snapshot') {
                const index = model.hs.commit;
                const e = model.log[index - 1];
                // See the header: no marker at an index that a rewrite at or below it crossed.
                const crossed = model.rewrites.some((r) => r.from <= index && r.replacedTo > index);
                if (index > model.snap.index && e !== undefined && !crossed) {
                  model.snap = { index, term: e.term };
                  await wal.saveSnapshot(model.snap);
                }
              } else {
                await wal.close();
                const at = op.atSnapshot ? model.snap : { index: 0, term: 0 };
                wal = await Wal.open(t.dir, at, { segmentSizeBytes });
                check(model, at, await wal.readAll());
              }
            }
            await wal.close();
            wal = await Wal.open(t.dir, { index: 0, term: 0 }, { segmentSizeBytes });
            check(model, { index: 0, term: 0 }, await wal.readAll());
          } finally {
            await wal.close();
            await t.dispose();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * Model-based property test of RaftLog with asynchronous storage writes: random appends (with
 * truncation of the uncommitted suffix), writes that start (acceptUnstable) and finish later, in
 * order (storage append + stableTo), commits, applies and compactions. After every step raft's
 * view of the log must equal a plain array model, and once every write finished the storage must
 * hold exactly the model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { newLog } from '../../src/raft/log.js';
import { discardLogger } from '../../src/raft/logger.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { type Entry, entrySize, newEntry } from '../../src/raftpb/index.js';

const NO_LIMIT = Number.POSITIVE_INFINITY;

type Op =
  | { kind: 'append'; back: number; count: number }
  | { kind: 'startWrite' }
  | { kind: 'finishWrite' }
  | { kind: 'commit'; frac: number }
  | { kind: 'apply'; allowUnstable: boolean }
  | { kind: 'compact'; frac: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ kind: 'startWrite' as const }),
  fc.constant({ kind: 'finishWrite' as const }),
  fc.record({ kind: fc.constant('commit' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('apply' as const), allowUnstable: fc.boolean() }),
  fc.record({ kind: fc.constant('compact' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

test('RaftLog matches a model under appends, async writes, commits, applies and compaction', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const storage = new MemoryStorage();
      const log = newLog(storage, discardLogger);
      /** model[i - 1] is the term of entry i. */
      let model: number[] = [];
      let maxTerm = 1;
      const writes: Entry[][] = [];

      const check = () => {
        assert.equal(log.lastIndex(), model.length);
        const first = log.firstIndex();
        for (let i = first; i <= model.length; i++) assert.equal(log.term(i), model[i - 1], `term(${i})`);
        if (first <= model.length) {
          assert.deepEqual(
            log.entries(first, NO_LIMIT).map((e) => [e.index, e.term]),
            model.slice(first - 1).map((t, k) => [first + k, t]),
          );
        }
        assert.ok(
          log.applied <= log.applying && log.applying <= log.committed && log.committed <= log.lastIndex(),
        );
      };

      for (const op of ops) {
        switch (op.kind) {
          case 'append': {
            // Never below the commit index; truncating appends come from a newer term (entries
            // with the same index and term are the same entry, as in raft).
            const from = Math.max(log.committed + 1, model.length + 1 - op.back);
            if (from <= model.length) maxTerm++;
            const ents: Entry[] = [];
            for (let k = 0; k < op.count; k++) ents.push(newEntry({ index: from + k, term: maxTerm }));
            assert.equal(log.append(ents), from + op.count - 1);
            model = model.slice(0, from - 1).concat(ents.map((e) => e.term));
            break;
          }
          case 'startWrite': {
            const ents = log.nextUnstableEnts();
            log.acceptUnstable();
            assert.equal(log.hasNextUnstableEnts(), false);
            if (ents.length > 0) writes.push(ents);
            break;
          }
          case 'finishWrite': {
            const ents = writes.shift();
            if (ents === undefined) break;
            storage.append(ents);
            const last = ents[ents.length - 1] as Entry;
            log.stableTo(last.index, last.term);
            break;
          }
          case 'commit':
            log.commitTo(Math.floor(op.frac * model.length));
            break;
          case 'apply': {
            const ents = log.nextCommittedEnts(op.allowUnstable);
            assert.equal(log.hasNextCommittedEnts(op.allowUnstable), ents.length > 0);
            if (ents.length === 0) break;
            assert.equal((ents[0] as Entry).index, log.applying + 1);
            for (const e of ents) assert.equal(e.term, model[e.index - 1]);
            const last = (ents[ents.length - 1] as Entry).index;
            if (!op.allowUnstable) assert.ok(last < log.unstable.offset, 'only durable entries');
            const size = ents.reduce((n, e) => n + entrySize(e), 0);
            log.acceptApplying(last, size, op.allowUnstable);
            log.appliedTo(last, size);
            assert.equal(log.applyingEntsSize, 0);
            break;
          }
          case 'compact': {
            // Only applied entries that are durable and not about to be overwritten.
            const limit = Math.min(log.applied, log.unstable.offset - 1, storage.lastIndex());
            const lo = storage.firstIndex();
            if (limit < lo) break;
            storage.compact(lo + Math.floor(op.frac * (limit - lo)));
            break;
          }
        }
        check();
      }

      // Drain every write: storage then holds exactly the model and nothing is unstable.
      for (;;) {
        const ents = log.nextUnstableEnts();
        log.acceptUnstable();
        if (ents.length > 0) writes.push(ents);
        const w = writes.shift();
        if (w === undefined) break;
        storage.append(w);
        const last = w[w.length - 1] as Entry;
        log.stableTo(last.index, last.term);
      }
      assert.equal(log.unstable.entries.length, 0);
      assert.equal(log.unstable.offset, model.length + 1);
      const first = storage.firstIndex();
      if (first <= model.length) {
        assert.deepEqual(
          storage.entries(first, model.length + 1, NO_LIMIT).map((e) => e.term),
          model.slice(first - 1),
        );
      }
      check();
    }),
    { numRuns: 300 },
  );
});

/**
 * Property tests in the spirit of etcd's quorum/quick_test.go: the committed index agrees with a
 * naive computation, joint configs take the minimum of their halves, votes tally as counted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  INDEX_INFINITY,
  JointConfig,
  MajorityConfig,
  mapAckIndexer,
  VoteResult,
} from '../../../src/raft/quorum/index.js';
import { alternativeMajorityCommittedIndex } from './alternative.js';

/** Small ID space (as etcd's generator: up to 9 members out of 0..19) plus a few full-width IDs. */
const idArb = fc.oneof(
  { weight: 9, arbitrary: fc.bigInt({ min: 0n, max: 19n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
);
const membersArb = fc.uniqueArray(idArb, { maxLength: 9 }).map((ids) => new MajorityConfig(ids));
const ackedArb = fc
  .array(fc.tuple(idArb, fc.nat({ max: 12 })), { maxLength: 12 })
  .map((pairs) => new Map<bigint, number>(pairs));

test('majority committedIndex equals the naive computation', () => {
  fc.assert(
    fc.property(membersArb, ackedArb, (c, acked) => {
      const l = mapAckIndexer(acked);
      assert.equal(c.committedIndex(l), alternativeMajorityCommittedIndex(c, l));
    }),
    { numRuns: 20000 },
  );
});

test('joint committedIndex is the minimum of its halves, symmetric, and ∞ only when both are empty', () => {
  fc.assert(
    fc.property(membersArb, membersArb, ackedArb, (a, b, acked) => {
      const l = mapAckIndexer(acked);
      const joint = new JointConfig(a, b).committedIndex(l);
      assert.equal(joint, Math.min(a.committedIndex(l), b.committedIndex(l)));
      assert.equal(new JointConfig(b, a).committedIndex(l), joint);
      assert.equal(joint === INDEX_INFINITY, a.size === 0 && b.size === 0);
      assert.equal(new JointConfig(a, new MajorityConfig()).committedIndex(l), a.committedIndex(l));
    }),
    { numRuns: 5000 },
  );
});

test('voteResult follows the yes/no/missing counts; joint results combine as etcd does', () => {
  const votesArb = fc
    .array(fc.tuple(idArb, fc.boolean()), { maxLength: 12 })
    .map((pairs) => new Map<bigint, boolean>(pairs));
  const naive = (c: MajorityConfig, votes: Map<bigint, boolean>): VoteResult => {
    if (c.size === 0) return VoteResult.VoteWon;
    const q = Math.floor(c.size / 2) + 1;
    const yes = c.slice().filter((id) => votes.get(id) === true).length;
    const no = c.slice().filter((id) => votes.get(id) === false).length;
    if (yes >= q) return VoteResult.VoteWon;
    if (c.size - no >= q) return VoteResult.VotePending;
    return VoteResult.VoteLost;
  };
  fc.assert(
    fc.property(membersArb, membersArb, votesArb, (a, b, votes) => {
      const ra = a.voteResult(votes);
      const rb = b.voteResult(votes);
      assert.equal(ra, naive(a, votes));
      const joint = new JointConfig(a, b).voteResult(votes);
      assert.equal(new JointConfig(b, a).voteResult(votes), joint);
      if (ra === VoteResult.VoteLost || rb === VoteResult.VoteLost) assert.equal(joint, VoteResult.VoteLost);
      else if (ra === VoteResult.VoteWon && rb === VoteResult.VoteWon)
        assert.equal(joint, VoteResult.VoteWon);
      else assert.equal(joint, VoteResult.VotePending);
    }),
    { numRuns: 5000 },
  );
});

test('MajorityConfig keeps IDs sorted and distinct across mutations', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), idArb), { maxLength: 30 }), (ops) => {
      const c = new MajorityConfig();
      const model = new Set<bigint>();
      for (const [add, id] of ops) {
        if (add) {
          c.add(id);
          model.add(id);
        } else {
          assert.equal(c.delete(id), model.delete(id));
        }
        const sorted = [...model].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        assert.deepEqual(c.slice(), sorted);
        assert.equal(c.toString(), `(${sorted.join(' ')})`);
      }
    }),
  );
});

test('empty configs: committed ∞, vote won, describe placeholder', () => {
  const empty = new MajorityConfig();
  assert.equal(empty.committedIndex(mapAckIndexer(new Map())), INDEX_INFINITY);
  assert.equal(empty.voteResult(new Map()), VoteResult.VoteWon);
  assert.equal(empty.describe(mapAckIndexer(new Map())), '<empty majority quorum>');
  assert.equal(new JointConfig().toString(), '()');
  assert.equal(
    new JointConfig(new MajorityConfig([3n, 1n]), new MajorityConfig([2n])).toString(),
    '(1 3)&&(2)',
  );
  const big = (1n << 64n) - 1n;
  assert.equal(new MajorityConfig([big, 1n]).toString(), `(1 ${big})`);
});

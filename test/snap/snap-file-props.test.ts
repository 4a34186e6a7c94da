/** Properties of the .snap codec over generated snapshots and arbitrary bytes (fast-check). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '../../src/crc32c/index.js';
import { encodeSnapshot, newSnapshot, type Snapshot } from '../../src/raftpb/index.js';
import { decodeSnapFile, encodeSnapFile, encodeSnapRecord, SnapFileError } from '../../src/snap/index.js';

const id = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const ids = fc.array(id, { maxLength: 5 });
const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    data: fc.uint8Array({ minLength: 1, maxLength: 2000 }),
    index: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    term: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    voters: ids,
    learners: ids,
    votersOutgoing: ids,
    learnersNext: ids,
    autoLeave: fc.boolean(),
  })
  .map((r) =>
    newSnapshot({
      data: r.data,
      index: r.index,
      term: r.term,
      confState: {
        voters: r.voters,
        learners: r.learners,
        votersOutgoing: r.votersOutgoing,
        learnersNext: r.learnersNext,
        autoLeave: r.autoLeave,
      },
    }),
  );

describe('.snap codec properties', () => {
  it('decode(encode(s)) gives back s, and the file frames crc32c of the raftpb bytes', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const file = encodeSnapFile(s);
        const data = encodeSnapshot(s);
        assert.deepEqual(file, encodeSnapRecord(crc32c(data), data));
        const back = decodeSnapFile(file, 'p');
        assert.deepEqual(encodeSnapshot(back), data);
        assert.equal(back.metadata.index, s.metadata.index);
        assert.deepEqual(back.metadata.confState.voters, s.metadata.confState.voters);
      }),
      { numRuns: 200 },
    );
  });

  it('a flipped bit is detected, or lands where gogo ignores it (never a different snapshot)', () => {
    fc.assert(
      fc.property(snapshotArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (s, at, bit) => {
        const file = encodeSnapFile(s);
        const pos = at % file.length;
        file[pos] = (file[pos] ?? 0) ^ (1 << bit);
        let back: Snapshot;
        try {
          back = decodeSnapFile(file, 'p');
        } catch (e) {
          assert.ok(e instanceof SnapFileError, String(e));
          return;
        }
        // Only the bits of the crc varint above bit 31, which gogo's uint32 arithmetic drops.
        assert.deepEqual(encodeSnapshot(back), encodeSnapshot(s));
        assert.ok(pos >= 1 && pos <= 5, `undetected flip at byte ${pos}`);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes either decode or fail with SnapFileError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeSnapFile(bytes, 'p');
        } catch (e) {
          assert.ok(e instanceof SnapFileError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

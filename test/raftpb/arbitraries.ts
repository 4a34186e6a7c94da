/** fast-check arbitraries for every raftpb type, biased towards the edges (zero, 2^53-1, 2^64-1). */
import fc from 'fast-check';
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  ConfChangeV2,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  Snapshot,
  SnapshotMetadata,
} from '../../src/raftpb/index.js';

const U64_MAX = (1n << 64n) - 1n;

export const id: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 7n }),
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.constantFrom(U64_MAX, 0xd622127685879b3cn, 1n << 63n, BigInt(Number.MAX_SAFE_INTEGER) + 1n),
);

export const num: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 127 }),
  fc.integer({ min: 0, max: 1 << 30 }),
  fc.maxSafeNat(),
  fc.constant(Number.MAX_SAFE_INTEGER),
);

export const bytes: fc.Arbitrary<Uint8Array | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 200 }),
);

const ids = fc.array(id, { maxLength: 5 });

export const entry: fc.Arbitrary<Entry> = fc.record({
  term: num,
  index: num,
  type: fc.integer({ min: 0, max: 2 }) as fc.Arbitrary<EntryType>,
  data: bytes,
});

export const confState: fc.Arbitrary<ConfState> = fc.record({
  voters: ids,
  learners: ids,
  votersOutgoing: ids,
  learnersNext: ids,
  autoLeave: fc.boolean(),
});

export const snapshotMetadata: fc.Arbitrary<SnapshotMetadata> = fc.record({
  confState,
  index: num,
  term: num,
});

export const snapshot: fc.Arbitrary<Snapshot> = fc.record({ data: bytes, metadata: snapshotMetadata });

export const message: fc.Arbitrary<Message> = fc.record({
  type: fc.integer({ min: 0, max: 18 }) as fc.Arbitrary<MessageType>,
  to: id,
  from: id,
  term: num,
  logTerm: num,
  index: num,
  entries: fc.array(entry, { maxLength: 6 }),
  commit: num,
  snapshot: fc.option(snapshot, { nil: undefined }),
  reject: fc.boolean(),
  rejectHint: num,
  context: bytes,
});

export const hardState: fc.Arbitrary<HardState> = fc.record({ term: num, vote: id, commit: num });

const confChangeType = fc.integer({ min: 0, max: 3 }) as fc.Arbitrary<ConfChangeType>;

export const confChange: fc.Arbitrary<ConfChange> = fc.record({
  id,
  type: confChangeType,
  nodeId: id,
  context: bytes,
});

export const confChangeSingle: fc.Arbitrary<ConfChangeSingle> = fc.record({
  type: confChangeType,
  nodeId: id,
});

export const confChangeV2: fc.Arbitrary<ConfChangeV2> = fc.record({
  transition: fc.integer({ min: 0, max: 2 }) as fc.Arbitrary<ConfChangeTransition>,
  changes: fc.array(confChangeSingle, { maxLength: 4 }),
  context: bytes,
});

/** Arbitraries by type name, matching test/raftpb/codecs.ts. */
export const arbitraries: Record<string, fc.Arbitrary<unknown>> = {
  Message: message,
  Entry: entry,
  HardState: hardState,
  ConfState: confState,
  SnapshotMetadata: snapshotMetadata,
  Snapshot: snapshot,
  ConfChange: confChange,
  ConfChangeSingle: confChangeSingle,
  ConfChangeV2: confChangeV2,
};

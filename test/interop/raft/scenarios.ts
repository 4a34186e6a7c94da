/**
 * Building blocks of the mixed-cluster scenarios: seeded proposals and the final entry-by-entry
 * comparison of every member's log.
 */
import assert from 'node:assert/strict';
import { formatId } from '../../../src/raftpb/index.js';
import { toHex } from '../../support/hex.js';
import { lastApplied, logDifferences, type MixedCluster, seededRandom } from './cluster.js';

const BATCH_ENTRIES = 100;
const BATCH_BYTES = 4 << 20;

/** `n` seeded random bytes, drawn 32 bits at a time. */
function randomBytes(n: number, random: () => number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(random() * 4294967296);
  return new Uint8Array(words.buffer, 0, n);
}

/** Options of `proposeFrom`. */
export interface ProposeOptions {
  /** The leader, when some member cannot agree on it (isolated); else awaited. */
  readonly knownLeader?: bigint;
  /** Random tail size range in bytes (default 8..72). */
  readonly minBytes?: number;
  readonly maxBytes?: number;
}

/**
 * Proposes `count` payloads through member `id` in batches (each a seeded random tail prefixed by
 * the proposer, seed and sequence number, so every payload is unique), adding their hex to `into`.
 */
export async function proposeFrom(
  c: MixedCluster,
  id: bigint,
  count: number,
  seed: number,
  into: Set<string>,
  opts: ProposeOptions = {},
): Promise<void> {
  const node = c.node(id);
  const leader = opts.knownLeader ?? (await c.waitLeader());
  // A follower forwards its proposals (MsgProp): they must not meet the pipeline's 64 slots.
  if (leader !== id) await c.waitMessageStream(id, leader);
  const random = seededRandom(seed);
  const min = opts.minBytes ?? 8;
  const span = (opts.maxBytes ?? 72) - min;
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for (let j = 0; j < count; j++) {
    const tail = randomBytes(min + Math.floor(random() * span), random);
    const head = new TextEncoder().encode(`${node.kind}${formatId(node.id)}/${seed}/${j}:`);
    const data = new Uint8Array(head.length + tail.length);
    data.set(head);
    data.set(tail, head.length);
    into.add(toHex(data));
    batch.push(data);
    bytes += data.length;
    if (batch.length === BATCH_ENTRIES || bytes >= BATCH_BYTES || j === count - 1) {
      await node.propose(batch);
      batch = [];
      bytes = 0;
    }
  }
}

/**
 * Asserts the running members agree: same applied index, commit and state-machine chain value
 * (which covers the whole history, snapshots included), and every entry two members both applied
 * is identical in term, index, type and data. Returns the number of entries compared.
 */
export async function assertIdenticalLogs(c: MixedCluster): Promise<number> {
  const lead = await c.waitLeader();
  const st = await c.node(lead).status();
  await c.waitApplied(st.lastIndex);
  const all = await c.snapshotAll();
  const ref = all.find((m) => m.id === lead) ?? all[0];
  assert.ok(ref !== undefined);
  let compared = 0;
  for (const m of all) {
    const who: string = `${m.kind} ${formatId(m.id)} vs ${ref.kind} ${formatId(ref.id)}`;
    assert.equal(m.status.applied, ref.status.applied, `applied index, ${who}`);
    assert.equal(m.status.commit, ref.status.commit, `hard state commit, ${who}`);
    assert.equal(m.log.hash, ref.log.hash, `state machine chain value, ${who}`);
    // Each member's own record is contiguous up to its applied index.
    m.log.entries.forEach((e, i) => {
      assert.equal(
        e.index,
        (m.log.entries[0]?.index ?? 0) + i,
        `contiguous log of ${m.kind} ${formatId(m.id)}`,
      );
    });
    assert.equal(m.log.entries.at(-1)?.index ?? m.status.snapshotIndex, m.status.applied);
    assert.deepEqual(logDifferences(m.log.entries, ref.log.entries), [], who);
    const overlap = m.log.entries.filter((e) => e.index >= (ref.log.entries[0]?.index ?? Infinity)).length;
    compared += overlap;
  }
  return compared;
}

/**
 * Every proposed payload was applied (some leader's log showed it: `waitConverged`) and no
 * member applied one twice.
 */
export async function assertAppliedOnce(c: MixedCluster, proposed: ReadonlySet<string>): Promise<void> {
  assert.equal(c.unconfirmed(proposed), 0, 'every proposal applied');
  for (const m of await c.snapshotAll()) {
    const seen = new Set<string>();
    for (const e of m.log.entries) {
      if (!proposed.has(e.data)) continue;
      assert.ok(!seen.has(e.data), `${m.kind} ${formatId(m.id)} applied ${e.data} twice`);
      seen.add(e.data);
    }
  }
}

/** Transfers leadership from the current leader to `to` and waits until everyone follows it. */
export async function transferTo(c: MixedCluster, to: bigint): Promise<number> {
  const from = await c.waitLeader();
  const before = (await c.node(from).status()).term;
  await c.node(from).transferLeader(to);
  assert.equal(await c.waitLeader(to), to);
  const after = (await c.node(to).status()).term;
  assert.ok(after > before, `transfer ${formatId(from)} → ${formatId(to)} starts a new term`);
  return after;
}

/** Elects `id` on a cluster without a leader (campaign) and checks everyone follows it. */
export async function elect(c: MixedCluster, id: bigint): Promise<void> {
  const node = c.node(id);
  // raft refuses to campaign while committed conf changes (the bootstrap ones) are unapplied.
  const { commit } = await node.status();
  await c.waitUntil(`${formatId(id)} applied ${commit}`, () => lastApplied(node) >= commit);
  await node.campaign();
  assert.equal(await c.waitLeader(), id, `${c.node(id).kind} ${formatId(id)} won the election`);
}

/** The first running member of `kind` other than those in `not`. */
export function pick(c: MixedCluster, kind: 'go' | 'ts', ...not: bigint[]): bigint {
  const id = c.idsOf(kind).find((x) => !not.includes(x));
  assert.ok(id !== undefined, `a running ${kind} member besides ${not.map(formatId).join(',')}`);
  return id;
}

/** An 8-byte big-endian request ID, as etcd's read loop uses. */
export function readContext(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/**
 * Asks `follower` for a read index (forwarded to the leader of the other kind) and checks the
 * ReadState: its context comes back unchanged, its index is at least the commit index the follower
 * saw before asking and at most the leader's commit index after.
 */
export async function assertReadIndex(c: MixedCluster, follower: bigint, n: number): Promise<number> {
  const node = c.node(follower);
  const leader = await c.waitLeader();
  assert.notEqual(leader, follower);
  const rctx = toHex(readContext(n));
  const before = (await node.status()).commit;
  await node.readIndex(readContext(n));
  const rs = await node.events.waitFor(
    `readState ${rctx} on ${node.kind} ${formatId(follower)}`,
    (e) => e.ev === 'readState' && e.rctx === rctx,
  );
  const index = Number(rs.index);
  const leaderCommit = (await c.node(leader).status()).commit;
  assert.ok(index >= before, `read index ${index} ≥ commit ${before} seen before asking`);
  assert.ok(index <= leaderCommit, `read index ${index} ≤ leader commit ${leaderCommit}`);
  return index;
}

/**
 * PreVote: isolates `victim` (its transport drops everything), proposes through the leader while
 * it is cut off, and checks that the victim became a pre-candidate without raising its term, and
 * that once reconnected it follows the same leader in the same term and catches up.
 */
export async function assertIsolationHarmless(
  c: MixedCluster,
  victim: bigint,
  proposed: Set<string>,
  seed: number,
): Promise<void> {
  const leader = await c.waitLeader();
  assert.notEqual(leader, victim);
  const { term } = await c.node(leader).status();
  const v = c.node(victim);
  const mark = v.events.items.length;
  await v.pause();
  await v.events.waitFor(
    `${v.kind} ${formatId(victim)} losing its leader`,
    (e) => e.ev === 'leaderChanged' && e.lead === '0',
    20_000,
    mark,
  );
  await proposeFrom(c, leader, 100, seed, proposed, { knownLeader: leader });
  const cut = await v.status();
  assert.equal(cut.state, 'StatePreCandidate', `${v.kind} ${formatId(victim)} is a pre-candidate`);
  assert.equal(cut.term, term, 'a pre-candidate does not raise its term');
  await v.resume();
  assert.equal(await c.waitLeader(leader), leader);
  await c.waitConverged(proposed);
  for (const id of c.runningIds()) {
    assert.equal((await c.node(id).status()).term, term, `${formatId(id)} still in term ${term}`);
  }
}

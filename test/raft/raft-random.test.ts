/**
 * Randomized multi-node runs (in the spirit of etcd's rafttest network tests): five RawNodes with
 * PreVote and CheckQuorum, ticking, proposing, transferring leadership, forgetting leaders, losing
 * messages and suffering partitions, in both storage modes. Safety: at every step, the applied
 * entries of any two nodes agree on their common prefix (State Machine Safety), at most one leader exists per term (Election Safety), and every
 * ReadIndex answer covers all entries committed anywhere before the read was requested.
 * Liveness after healing: every node converges on the same applied log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  type ConfChangeSingle,
  type ConfChangeTransition,
  ConfChangeType,
  decodeMessage,
  describeMessage,
  encodeMessage,
  MessageType,
} from '../../src/raftpb/index.js';
import { Cluster, type Member } from './network/cluster.js';
import { seededRandom } from './network/network.js';

/** Rethrows anything but raft's "proposal dropped". */
function expectDropped(e: unknown): void {
  if (!isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED')) throw e;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** Checks Election Safety and State Machine Safety incrementally (each entry is checked once). */
class SafetyChecker {
  readonly leaders = new Map<number, bigint>();
  /** The applied log every node must agree with, as far as each has got. */
  readonly #canon: string[] = [];
  readonly #checked = new Map<bigint, number>();

  check(c: Cluster): void {
    for (const m of c.members.values()) {
      const r = m.node.raft;
      if (r.state === 2) {
        const prev = this.leaders.get(r.term);
        assert.ok(prev === undefined || prev === m.id, `two leaders in term ${r.term}: ${prev} and ${m.id}`);
        this.leaders.set(r.term, m.id);
      }
      const applied = m.applied;
      for (let k = this.#checked.get(m.id) ?? 0; k < applied.length; k++) {
        const e = applied[k]!;
        const s = `${e.term}/${e.index} ${dec(e.data)}`;
        if (k < this.#canon.length)
          assert.equal(s, this.#canon[k], `node ${m.id} applied a different entry at ${k}`);
        else this.#canon.push(s);
      }
      this.#checked.set(m.id, applied.length);
    }
  }
}

function run(async: boolean, seed: number, compact: boolean, confChanges: boolean): void {
  const rand = seededRandom(seed);
  const c = new Cluster(5, {
    async,
    config: { preVote: true, checkQuorum: true },
    // With compaction, lagging nodes catch up through snapshots carrying the applied state.
    ...(compact ? { compactEvery: 20, compactKeep: 5 } : {}),
  });
  const ids = [1n, 2n, 3n, 4n, 5n];
  let dropRate = 0;
  let partition: Set<bigint> | undefined;
  c.filter = (m) => {
    // Only etcd 3.4's message types cross the network, and they survive the wire unchanged.
    assert.ok(m.type <= MessageType.MsgPreVoteResp, `local type ${m.type} on the network`);
    assert.equal(m.responses, undefined);
    assert.equal(describeMessage(decodeMessage(encodeMessage(m))), describeMessage(m));
    if (partition !== undefined && partition.has(m.from) !== partition.has(m.to)) return false;
    return rand() >= dropRate;
  };
  const safety = new SafetyChecker();
  let forced = false;
  let reads = 0;
  const readFloor = new Map<string, number>();
  let lockUntil = -1;
  let proposed = 0;
  for (let step = 0; step < 3000; step++) {
    const x = rand();
    if (x < 0.4) {
      c.member(ids[Math.floor(rand() * ids.length)]!).node.tick();
    } else if (x < 0.6) {
      const m: Member = c.member(ids[Math.floor(rand() * ids.length)]!);
      try {
        m.node.propose(enc(`p${proposed++}`));
      } catch (e) {
        // Dropped (no leader known, or a transfer) is the one expected outcome.
        expectDropped(e);
      }
    } else if (x < 0.605) {
      // A leadership transfer asked on a random node (forwarded to the leader if it knows one).
      c.member(ids[Math.floor(rand() * ids.length)]!).node.transferLeader(
        ids[Math.floor(rand() * ids.length)]!,
      );
    } else if (x < 0.608) {
      const m = c.member(ids[Math.floor(rand() * ids.length)]!);
      m.node.reportUnreachable(ids[Math.floor(rand() * ids.length)]!);
    } else if (x < 0.61) {
      c.member(ids[Math.floor(rand() * ids.length)]!).node.forgetLeader();
    } else if (x < 0.613) {
      // A linearizable read: it must observe every entry committed anywhere before it started.
      const m = c.member(ids[Math.floor(rand() * ids.length)]!);
      const ctx = `r${reads++}`;
      let maxCommit = 0;
      for (const o of c.members.values()) maxCommit = Math.max(maxCommit, o.node.raft.raftLog.committed);
      readFloor.set(ctx, maxCommit);
      m.node.readIndex(enc(ctx));
    } else if (x < 0.615 && confChanges) {
      // Promote or demote nodes 4 and 5 (one or two changes, any transition); leave an explicit
      // joint configuration when in one.
      const lead = c.leader();
      if (lead !== undefined) {
        const r = c.member(lead).node.raft;
        const changes: ConfChangeSingle[] = [];
        const joint = r.trk.config.voters.isJoint();
        if (!joint) {
          for (const id of [4n, 5n]) {
            if (rand() < 0.6) {
              const learner = r.trk.config.learners.has(id);
              changes.push({
                type: learner ? ConfChangeType.ConfChangeAddNode : ConfChangeType.ConfChangeAddLearnerNode,
                nodeId: id,
              });
            }
          }
        }
        // Leaving a joint config takes the empty change with the Auto transition (etcd's LeaveJoint);
        // anything else would be applied as a second EnterJoint and fail.
        const transition = joint ? 0 : (Math.floor(rand() * 3) as ConfChangeTransition);
        try {
          c.member(lead).node.proposeConfChange({ transition, changes });
        } catch (e) {
          // Dropped during a transfer is the one expected outcome.
          expectDropped(e);
        }
      }
    } else if (x < 0.62 && step > lockUntil) {
      partition = rand() < 0.5 ? undefined : new Set(ids.filter(() => rand() < 0.5));
    } else if (x < 0.64) {
      dropRate = rand() < 0.5 ? 0 : rand() * 0.3;
    } else {
      // One round of work on every node, then delivery.
      for (const m of c.members.values()) {
        c.handleReady(m);
        c.processAppendThread(m);
        c.processApplyThread(m);
      }
      c.deliver();
    }
    // From halfway on, cut the first leader seen off for a while: another term must elect one.
    if (!forced && step >= 1500) {
      const lead = c.leader();
      if (lead !== undefined) {
        partition = new Set([lead]);
        dropRate = 0;
        forced = true;
        lockUntil = step + 600;
      }
    }
    safety.check(c);
    for (const rs of c.readStates.splice(0)) {
      const floor = readFloor.get(dec(rs.ctx));
      assert.ok(floor !== undefined, `unknown read ${dec(rs.ctx)}`);
      assert.ok(rs.index >= floor, `read ${dec(rs.ctx)} at ${rs.index} misses commits up to ${floor}`);
    }
  }
  // Heal and let the cluster converge.
  partition = undefined;
  dropRate = 0;
  for (let round = 0; round < 60; round++) {
    for (const id of ids) c.member(id).node.tick();
    c.stabilize();
    safety.check(c);
  }
  const lead = c.leader();
  assert.ok(lead !== undefined, 'no leader after healing');
  c.member(lead).node.propose(enc('final'));
  c.stabilize();
  const want = c.member(lead).applied.map((e) => `${e.index} ${dec(e.data)}`);
  assert.equal(want.at(-1)?.endsWith('final'), true);
  for (const id of ids) {
    assert.deepEqual(
      c.member(id).applied.map((e) => `${e.index} ${dec(e.data)}`),
      want,
      `node ${id} did not converge`,
    );
  }
  assert.ok(safety.leaders.size > 1, 'the run should have seen more than one term with a leader');
  // After healing, a read on a follower is served and covers everything committed.
  const follower = ids.find((id) => id !== lead)!;
  let lastServed = false;
  let maxCommit = 0;
  for (const o of c.members.values()) maxCommit = Math.max(maxCommit, o.node.raft.raftLog.committed);
  readFloor.set('last', maxCommit);
  c.member(follower).node.readIndex(enc('last'));
  c.stabilize();
  // Reads still pending from the run may complete now too.
  for (const rs of c.readStates.splice(0)) {
    assert.ok(rs.index >= (readFloor.get(dec(rs.ctx)) ?? Number.POSITIVE_INFINITY));
    if (dec(rs.ctx) === 'last') lastServed = true;
  }
  assert.ok(lastServed, 'the final read was not served');
}

describe('randomized five-node runs', () => {
  for (const async of [false, true]) {
    for (const [compact, confChanges] of [
      [false, false],
      [true, false],
      [true, true],
    ] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const name = `${async ? 'async' : 'classic'} storage${compact ? ', compacting' : ''}${confChanges ? ', promoting and demoting' : ''}, seed ${seed}`;
        it(name, () => run(async, seed, compact, confChanges));
      }
    }
  }
});

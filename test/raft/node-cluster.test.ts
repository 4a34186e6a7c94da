/**
 * Three Nodes over an in-memory network (etcd's rafttest/node_test.go, with an injected timer
 * instead of wall-clock ticks): a leader is elected, proposals made on any node commit
 * everywhere in the same order, and a stopped node restarted from its storage catches up.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IntervalTimer } from '../../src/raft/node.js';
import { Node } from '../../src/raft/node.js';
import type { Ready } from '../../src/raft/rawnode.js';
import { StateType } from '../../src/raft/status.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import {
  decodeConfChange,
  EntryType,
  isEmptyHardState,
  isEmptySnap,
  type Message,
} from '../../src/raftpb/index.js';

class FakeTimer implements IntervalTimer {
  readonly callbacks = new Map<number, () => void>();
  #next = 1;
  setInterval(callback: () => void): unknown {
    const h = this.#next++;
    this.callbacks.set(h, callback);
    return h;
  }
  clearInterval(handle: unknown): void {
    this.callbacks.delete(handle as number);
  }
  fire(): void {
    for (const cb of [...this.callbacks.values()]) cb();
  }
}

/** Lets every queued microtask and delivery run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array(0));

interface Member {
  id: bigint;
  storage: MemoryStorage;
  node: Node;
  applied: string[];
  appliedIndex: number;
}

class Cluster {
  readonly timer = new FakeTimer();
  readonly members = new Map<bigint, Member>();
  /** Messages dropped because their target was stopped. */
  lost = 0;

  start(ids: bigint[]): void {
    for (const id of ids) {
      const storage = new MemoryStorage();
      const m: Member = { id, storage, node: undefined as unknown as Node, applied: [], appliedIndex: 0 };
      m.node = Node.start(
        this.options(m),
        ids.map((p) => ({ id: p })),
      );
      this.members.set(id, m);
    }
  }

  /** Restarts a stopped member from its storage; its state machine restarts empty (applied 0). */
  restart(id: bigint): void {
    const old = this.members.get(id) as Member;
    const m: Member = {
      id,
      storage: old.storage,
      node: undefined as unknown as Node,
      applied: [],
      appliedIndex: 0,
    };
    m.node = Node.restart(this.options(m));
    this.members.set(id, m);
  }

  private options(m: Member) {
    return {
      config: {
        id: m.id,
        electionTick: 10,
        heartbeatTick: 1,
        storage: m.storage,
        maxSizePerMsg: 1 << 20,
        maxInflightMsgs: 256,
      },
      timer: this.timer,
      tickMs: 10,
      onReady: (rd: Ready) => this.handle(m, rd),
    };
  }

  private handle(m: Member, rd: Ready): void {
    if (!isEmptyHardState(rd.hardState)) m.storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    this.send(rd.messages);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryConfChange)
        m.node.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)));
      else if (e.data !== undefined && e.data.length > 0) m.applied.push(dec(e.data));
      m.appliedIndex = e.index;
    }
  }

  private send(msgs: readonly Message[]): void {
    for (const msg of msgs) {
      queueMicrotask(() => {
        const to = this.members.get(msg.to);
        if (to === undefined || to.node.stopped) this.lost++;
        else to.node.step(msg);
      });
    }
  }

  leader(): Member | undefined {
    for (const m of this.members.values()) {
      if (!m.node.stopped && m.node.status().softState.raftState === StateType.StateLeader) return m;
    }
    return undefined;
  }

  /** Ticks everyone and lets the messages flow until `pred` holds (at most `maxTicks` ticks). */
  async until(pred: () => boolean, maxTicks = 500): Promise<void> {
    await flush();
    for (let i = 0; i < maxTicks && !pred(); i++) {
      this.timer.fire();
      await flush();
    }
    assert.ok(pred(), 'condition not reached');
  }

  stopAll(): void {
    for (const m of this.members.values()) m.node.stop();
  }
}

describe('Node cluster over an in-memory network', () => {
  test('elects a leader and commits proposals from every node in one order everywhere', async () => {
    const c = new Cluster();
    c.start([1n, 2n, 3n]);
    await c.until(() => c.leader() !== undefined);
    const proposals: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const m = c.members.get(BigInt((i % 3) + 1)) as Member;
      proposals.push(m.node.propose(enc(`p${i}`)));
    }
    await Promise.all(proposals);
    await c.until(() => [...c.members.values()].every((m) => m.applied.length === 60));
    const [a, b, d] = [...c.members.values()].map((m) => m.applied);
    assert.deepEqual(b, a);
    assert.deepEqual(d, a);
    assert.deepEqual([...(a ?? [])].sort(), Array.from({ length: 60 }, (_, i) => `p${i}`).sort());
    c.stopAll();
    assert.equal(c.timer.callbacks.size, 0);
  });

  test('a stopped follower restarted from its storage catches up', async () => {
    const c = new Cluster();
    c.start([1n, 2n, 3n]);
    await c.until(() => c.leader() !== undefined);
    const leader = c.leader() as Member;
    const follower = [...c.members.values()].find((m) => m !== leader) as Member;
    for (let i = 0; i < 10; i++) await leader.node.propose(enc(`a${i}`));
    await c.until(() => follower.applied.length === 10);
    follower.node.stop();
    for (let i = 0; i < 10; i++) await leader.node.propose(enc(`b${i}`));
    await c.until(() => leader.applied.length === 20);
    assert.equal(follower.applied.length, 10);
    c.restart(follower.id);
    const restarted = c.members.get(follower.id) as Member;
    await c.until(() => restarted.applied.length === 20);
    assert.deepEqual(restarted.applied, leader.applied);
    assert.ok(c.lost > 0, 'messages to the stopped node were lost');
    c.stopAll();
    assert.equal(c.timer.callbacks.size, 0);
  });
});

/**
 * Behaviour of the asynchronous Node driver (etcd's node_test.go, rewritten for promises and an
 * injected timer: no sleeps, no polling).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRaftwireError, RaftwireError } from '../../src/errors/index.js';
import type { Config } from '../../src/raft/config.js';
import { DefaultLogger } from '../../src/raft/logger.js';
import { type IntervalTimer, Node } from '../../src/raft/node.js';
import { type Ready, SnapshotStatus } from '../../src/raft/rawnode.js';
import { StateType } from '../../src/raft/status.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { ProgressStateType } from '../../src/raft/tracker/state.js';
import { isLocalMsg } from '../../src/raft/util.js';
import {
  ConfChangeType,
  decodeConfChange,
  type Entry,
  EntryType,
  isEmptyHardState,
  isEmptySnap,
  LOCAL_APPEND_THREAD,
  type Message,
  MessageType,
  NONE,
  newConfState,
  newEntry,
  newHardState,
  newMessage,
  newSnapshot,
} from '../../src/raftpb/index.js';

/** A timer whose interval fires only when the test says so. */
class FakeTimer implements IntervalTimer {
  callbacks = new Map<number, () => void>();
  cleared: number[] = [];
  #next = 1;
  setInterval(callback: () => void, _ms: number): unknown {
    const h = this.#next++;
    this.callbacks.set(h, callback);
    return h;
  }
  clearInterval(handle: unknown): void {
    this.cleared.push(handle as number);
    this.callbacks.delete(handle as number);
  }
  fire(times = 1): void {
    for (let i = 0; i < times; i++) for (const cb of [...this.callbacks.values()]) cb();
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array(0));

/**
 * Lets the Node's pending Ready hand-out run: it is a `setImmediate` queued before this one
 * (immediates run in order), then the microtasks it queued (a resolved `next()`, an advance).
 */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A one-shot event a test awaits (Node 20 has no Promise.withResolvers). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function config(storage: MemoryStorage, fields: Partial<Config> = {}): Config {
  return {
    id: 1n,
    electionTick: 10,
    heartbeatTick: 1,
    storage,
    maxSizePerMsg: 2 ** 30,
    maxInflightMsgs: 256,
    ...fields,
  };
}

/** A classic-mode application loop over the Ready iterator, run step by step by the test. */
class App {
  readonly applied: Entry[] = [];
  readonly readys: Ready[] = [];
  readonly sent: Message[] = [];
  readonly it: AsyncIterableIterator<Ready>;
  constructor(
    readonly node: Node,
    readonly storage: MemoryStorage,
  ) {
    this.it = node.ready();
  }

  /** Handles one Ready (persist, send, apply, advance). */
  async handleOne(): Promise<Ready> {
    const r = await this.it.next();
    assert.equal(r.done, false);
    const rd = r.value as Ready;
    this.readys.push(rd);
    if (!isEmptyHardState(rd.hardState)) this.storage.setHardState(rd.hardState);
    if (rd.snapshot !== undefined && !isEmptySnap(rd.snapshot)) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    this.sent.push(...rd.messages);
    for (const e of rd.committedEntries) {
      this.applied.push(e);
      if (e.type === EntryType.EntryConfChange)
        this.node.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)));
    }
    this.node.advance();
    return rd;
  }

  /** Handles Readys until raft has nothing more to hand out. */
  async drain(): Promise<void> {
    await settle();
    while (this.node.rawNode.hasReady()) {
      await this.handleOne();
      await settle();
    }
  }
}

/** A single-voter node started with peer 1, driven by an App. */
function singleNode(fields: Partial<Config> = {}, timer = new FakeTimer()) {
  const storage = new MemoryStorage();
  const node = Node.start({ config: config(storage, fields), timer, tickMs: 100 }, [{ id: 1n }]);
  return { storage, node, timer, app: new App(node, storage) };
}

/** A MemoryStorage whose `snapshot()` and `term()` fail on demand, as a broken disk would. */
class FailingStorage extends MemoryStorage {
  snapshotError: unknown = undefined;
  termError: unknown = undefined;
  override snapshot() {
    if (this.snapshotError !== undefined) throw this.snapshotError;
    return super.snapshot();
  }
  override term(i: number): number {
    if (this.termError !== undefined) throw this.termError;
    return super.term(i);
  }
}

/** Checks everything a user of a Node stopped by `fatal` can observe. */
async function assertSurfaced(
  node: Node,
  fatal: unknown,
  reported: unknown[],
  streamNext: Promise<IteratorResult<Ready>>,
): Promise<void> {
  assert.equal(node.stopped, true);
  assert.equal(node.error, fatal);
  assert.deepEqual(reported, [fatal], 'onError got the error once');
  await assert.rejects(streamNext, (e) => e === fatal);
  await assert.rejects(
    node.propose(enc('late')),
    (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STOPPED') && (e as Error).cause === fatal,
  );
  assert.throws(
    () => node.step(newMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 9 })),
    (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STOPPED') && (e as Error).cause === fatal,
  );
}

describe('Node', () => {
  test('start: the first Ready carries the bootstrap conf change, committed', async () => {
    const { node, app } = singleNode();
    const rd = await app.handleOne();
    assert.deepEqual(rd.hardState, newHardState({ term: 1, commit: 1 }));
    assert.equal(rd.entries.length, 1);
    assert.equal(rd.entries[0]?.type, EntryType.EntryConfChange);
    assert.equal(rd.committedEntries.length, 1);
    assert.equal(rd.mustSync, true);
    const cc = decodeConfChange(rd.committedEntries[0]?.data ?? new Uint8Array(0));
    assert.equal(cc.type, ConfChangeType.ConfChangeAddNode);
    assert.equal(cc.nodeId, 1n);
    node.stop();
  });

  test('propose waits for a leader, then settles once raft accepted it', async () => {
    const { node, app } = singleNode();
    await app.drain();
    let resolved = false;
    const p = node.propose(enc('somedata')).then(() => {
      resolved = true;
    });
    await settle();
    assert.equal(resolved, false, 'no leader yet: the proposal waits');
    await node.campaign();
    await app.drain();
    await p;
    assert.equal(resolved, true);
    await app.drain();
    const data = app.applied.filter((e) => e.type === EntryType.EntryNormal && (e.data?.length ?? 0) > 0);
    assert.deepEqual(
      data.map((e) => dec(e.data)),
      ['somedata'],
    );
    assert.equal(node.status().softState.raftState, StateType.StateLeader);
    node.stop();
  });

  test('proposals waiting for a leader keep their order', async () => {
    const { node, app } = singleNode();
    await app.drain();
    const ps = ['a', 'b', 'c'].map((s) => node.propose(enc(s)));
    await node.campaign();
    await app.drain();
    await Promise.all(ps);
    await app.drain();
    const data = app.applied.filter((e) => (e.data?.length ?? 0) > 0 && e.type === EntryType.EntryNormal);
    assert.deepEqual(
      data.map((e) => dec(e.data)),
      ['a', 'b', 'c'],
    );
    node.stop();
  });

  test('a dropped proposal rejects with RAFTWIRE_RAFT_PROPOSAL_DROPPED', async () => {
    const storage = new MemoryStorage();
    const node = Node.start({ config: config(storage, { disableProposalForwarding: true }) }, [
      { id: 1n },
      { id: 2n },
      { id: 3n },
    ]);
    // A heartbeat from leader 2 makes 1 a follower that knows its leader.
    node.step(newMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 1 }));
    assert.equal(node.status().softState.lead, 2n);
    await assert.rejects(node.propose(enc('x')), (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED'));
    node.stop();
  });

  test('an abort signal withdraws a proposal waiting for a leader', async () => {
    const { node } = singleNode();
    const ac = new AbortController();
    const p = node.propose(enc('x'), { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await assert.rejects(p, /gave up/);
    await assert.rejects(node.propose(enc('y'), { signal: ac.signal }), /gave up/);
    node.stop();
  });

  test('the waiting queue is bounded: extra proposals drop, are counted, and logged rate-limited', async () => {
    const lines: string[] = [];
    let now = 0;
    const storage = new MemoryStorage();
    const node = Node.start(
      {
        config: config(storage, { logger: new DefaultLogger((l) => lines.push(l)) }),
        maxPendingProposals: 2,
        dropLogIntervalMs: 1000,
        clock: () => now,
      },
      [{ id: 1n }],
    );
    const waiting = [node.propose(enc('1')), node.propose(enc('2'))];
    const dropped = (e: unknown) => isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED');
    await assert.rejects(node.propose(enc('3')), dropped);
    await assert.rejects(node.propose(enc('4')), dropped);
    assert.equal(node.droppedProposals, 2);
    assert.equal(lines.filter((l) => l.includes('dropped')).length, 1);
    now = 1000;
    await assert.rejects(node.propose(enc('5')), dropped);
    const dropLines = lines.filter((l) => l.includes('dropped'));
    assert.equal(dropLines.length, 2);
    assert.match(dropLines[1] ?? '', /^WARN raft\.node: 1 dropped 2 proposal\(s\).*3 in total/);
    node.stop();
    for (const p of waiting) await assert.rejects(p, (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STOPPED'));
  });

  test('ticks come from the injected timer: an election timeout makes a single voter leader', async () => {
    const { node, app, timer } = singleNode();
    await app.drain();
    const before = node.rawNode.raft.electionElapsed;
    timer.fire();
    assert.equal(node.rawNode.raft.electionElapsed, before + 1);
    timer.fire(2 * 10);
    await app.drain();
    assert.equal(node.status().softState.raftState, StateType.StateLeader);
    node.stop();
  });

  test('step ignores local message types and responses from unknown peers', async () => {
    const { node, app } = singleNode();
    await app.drain();
    const local = Object.values(MessageType).filter((t) => isLocalMsg(t));
    assert.ok(local.includes(MessageType.MsgHup));
    for (const type of local) node.step(newMessage({ type, from: 2n, to: 1n, term: 0 }));
    // Nothing happened: MsgHup from the network did not start an election.
    assert.equal(node.status().softState.raftState, StateType.StateFollower);
    assert.equal(node.status().hardState.term, 1);
    // A response from a node without Progress is dropped silently.
    node.step(newMessage({ type: MessageType.MsgAppResp, from: 7n, to: 1n, term: 1 }));
    await settle();
    assert.equal(node.rawNode.hasReady(), false);
    node.stop();
  });

  test('stop clears the timer, ends the Ready stream and fails later calls', async () => {
    const { node, timer, app } = singleNode();
    await app.drain();
    const nextReady = app.it.next();
    const pending = node.propose(enc('never'));
    node.stop();
    assert.equal(timer.callbacks.size, 0);
    assert.equal(timer.cleared.length, 1);
    assert.deepEqual(await nextReady, { done: true, value: undefined });
    await assert.rejects(pending, (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STOPPED'));
    await assert.rejects(node.propose(enc('late')), (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_STOPPED'));
    assert.throws(() => node.step(newMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n })), {
      code: 'RAFTWIRE_RAFT_STOPPED',
    });
    node.stop();
  });

  test('restart: committed entries from storage come out once, and nothing after advance', async () => {
    const storage = new MemoryStorage();
    const ents = [newEntry({ term: 1, index: 1 }), newEntry({ term: 1, index: 2, data: enc('foo') })];
    storage.setHardState(newHardState({ term: 1, commit: 1 }));
    storage.append(ents);
    const node = Node.restart({ config: config(storage) });
    const app = new App(node, storage);
    const rd = await app.handleOne();
    assert.ok(isEmptyHardState(rd.hardState));
    assert.deepEqual(rd.committedEntries, ents.slice(0, 1));
    assert.equal(rd.mustSync, false);
    await settle();
    assert.equal(node.rawNode.hasReady(), false);
    node.stop();
  });

  test('readIndex on a single-voter leader returns a ReadState with the request context', async () => {
    const { node, app } = singleNode();
    await app.drain();
    await node.campaign();
    await app.drain();
    await node.readIndex(enc('ctx1'));
    await app.drain();
    const rs = app.readys.flatMap((r) => r.readStates);
    assert.equal(rs.length, 1);
    assert.equal(dec(rs[0]?.requestCtx), 'ctx1');
    assert.equal(rs[0]?.index, node.rawNode.raft.raftLog.committed);
    node.stop();
  });

  test('advance gates the next Ready: nothing new is handed out before it', async () => {
    const { node, app, storage } = singleNode();
    await app.drain();
    await node.campaign();
    await app.drain();
    await node.propose(enc('x'));
    const r1 = await app.it.next();
    assert.equal((r1.value as Ready).entries.length, 1);
    storage.append((r1.value as Ready).entries);
    let second: IteratorResult<Ready> | undefined;
    const p2 = app.it.next().then((r) => {
      second = r;
    });
    await node.propose(enc('y'));
    await settle();
    assert.equal(second, undefined, 'no Ready before advance');
    node.advance();
    await p2;
    assert.equal((second as IteratorResult<Ready> | undefined)?.done, false);
    node.stop();
  });

  test('committed entries are paginated by maxCommittedSizePerReady', async () => {
    const { node, app } = singleNode({ maxCommittedSizePerReady: 2048 });
    await app.drain();
    await node.campaign();
    await app.drain();
    const blob = enc('a'.repeat(1000));
    for (let i = 0; i < 3; i++) await node.propose(blob);
    const first = await app.handleOne();
    assert.equal(first.entries.length, 3);
    const sizes: number[] = [];
    await settle();
    while (node.rawNode.hasReady()) {
      const rd = await app.handleOne();
      if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
      await settle();
    }
    assert.deepEqual(sizes, [2, 1]);
    node.stop();
  });

  test('conf changes: proposed, committed, applied; duplicates are harmless; learners', async () => {
    const { node, app } = singleNode();
    await app.drain();
    await node.campaign();
    await app.drain();
    const cc = (type: number, nodeId: bigint) => ({ id: 0n, type: type as ConfChangeType, nodeId });
    // Adding an existing voter again is harmless; a learner does not change the quorum; the new
    // voter comes last so every change still commits with node 1 alone.
    for (const [type, id] of [
      [ConfChangeType.ConfChangeAddNode, 1n],
      [ConfChangeType.ConfChangeAddNode, 1n],
      [ConfChangeType.ConfChangeAddLearnerNode, 3n],
      [ConfChangeType.ConfChangeAddNode, 2n],
    ] as const) {
      await node.proposeConfChange(cc(type, id));
      await app.drain();
    }
    const ccs = app.applied
      .filter((e) => e.type === EntryType.EntryConfChange)
      .map((e) => decodeConfChange(e.data ?? new Uint8Array(0)));
    // The bootstrap entry plus the four proposals.
    assert.deepEqual(
      ccs.map((c) => [c.type, c.nodeId]),
      [
        [ConfChangeType.ConfChangeAddNode, 1n],
        [ConfChangeType.ConfChangeAddNode, 1n],
        [ConfChangeType.ConfChangeAddNode, 1n],
        [ConfChangeType.ConfChangeAddLearnerNode, 3n],
        [ConfChangeType.ConfChangeAddNode, 2n],
      ],
    );
    const cs = node.rawNode.raft.trk.confState();
    assert.deepEqual(cs.voters, [1n, 2n]);
    assert.deepEqual(cs.learners, [3n]);
    node.stop();
  });

  test('restart from a snapshot: only entries after it are applied', async () => {
    const storage = new MemoryStorage();
    storage.applySnapshot(newSnapshot({ index: 2, term: 1, confState: newConfState({ voters: [1n, 2n] }) }));
    const ents = [newEntry({ term: 1, index: 3, data: enc('foo') })];
    storage.setHardState(newHardState({ term: 1, commit: 3 }));
    storage.append(ents);
    const node = Node.restart({ config: config(storage) });
    const app = new App(node, storage);
    const rd = await app.handleOne();
    assert.ok(isEmptyHardState(rd.hardState));
    assert.deepEqual(rd.committedEntries, ents);
    await settle();
    assert.equal(node.rawNode.hasReady(), false);
    node.stop();
  });

  test('transferLeadership and reports reach raft; forgetLeader leaves a follower leaderless', async () => {
    const storage = new MemoryStorage();
    const node = Node.start({ config: config(storage) }, [{ id: 1n }, { id: 2n }, { id: 3n }]);
    node.step(newMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 1 }));
    assert.equal(node.status().softState.lead, 2n);
    await node.forgetLeader();
    assert.equal(node.status().softState.lead, 0n);
    node.reportUnreachable(2n);
    node.reportSnapshot(2n, SnapshotStatus.SnapshotFailure);
    // A follower forwards the transfer request to the leader it knows (none now: dropped).
    node.transferLeadership(3n);
    assert.equal(node.status().softState.raftState, StateType.StateFollower);
    node.stop();
    node.reportUnreachable(2n);
    assert.throws(() => node.transferLeadership(3n), { code: 'RAFTWIRE_RAFT_STOPPED' });
  });

  test('async storage writes: outstanding apply bytes are bounded until applies are acknowledged', async () => {
    const storage = new MemoryStorage();
    const node = Node.start(
      { config: config(storage, { asyncStorageWrites: true, maxCommittedSizePerReady: 2048 }) },
      [{ id: 1n }],
    );
    const it = node.ready();
    const heldApplyResps: Message[] = [];
    const applyBatches: string[][] = [];
    /** Handles Readys: appends are made durable at once, applies are recorded and held. */
    const rounds = async (holdApplies: boolean) => {
      for (;;) {
        await settle();
        if (!node.rawNode.hasReady()) return;
        const rd = (await it.next()).value as Ready;
        for (const m of rd.messages) {
          if (m.type === MessageType.MsgStorageAppend) {
            if (m.term !== 0)
              storage.setHardState(newHardState({ term: m.term, vote: m.vote ?? 0n, commit: m.commit }));
            storage.append(m.entries);
            for (const r of m.responses ?? []) node.step(r);
          } else if (m.type === MessageType.MsgStorageApply) {
            applyBatches.push(
              m.entries.filter((e) => e.type === EntryType.EntryNormal).map((e) => dec(e.data)),
            );
            for (const e of m.entries) {
              if (e.type === EntryType.EntryConfChange)
                node.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)));
            }
            if (holdApplies) heldApplyResps.push(...(m.responses ?? []));
            else for (const r of m.responses ?? []) node.step(r);
          }
        }
      }
    };
    await rounds(false);
    await node.campaign();
    await rounds(false);
    applyBatches.length = 0;
    const blob = 'a'.repeat(1024);
    for (let i = 0; i < 3; i++) {
      await node.propose(enc(blob));
      await rounds(true);
    }
    // Two entries of ~1 KiB reach the 2048-byte bound: the third waits for an acknowledgement.
    assert.deepEqual(applyBatches, [[blob], [blob]]);
    node.step(heldApplyResps.shift() as Message);
    await rounds(true);
    assert.deepEqual(applyBatches, [[blob], [blob], [blob]]);
    for (const r of heldApplyResps) node.step(r);
    await rounds(false);
    assert.equal(node.rawNode.raft.raftLog.applied, node.rawNode.raft.raftLog.committed);
    node.stop();
  });

  test('onReady callback mode advances by itself once the callback settles', async () => {
    const storage = new MemoryStorage();
    const applied: string[] = [];
    const timer = new FakeTimer();
    const confApplied = signal();
    const cbApplied = signal();
    let node: Node | undefined;
    node = Node.start(
      {
        config: config(storage),
        timer,
        tickMs: 10,
        onReady: async (rd) => {
          if (!isEmptyHardState(rd.hardState)) storage.setHardState(rd.hardState);
          storage.append(rd.entries);
          await Promise.resolve();
          for (const e of rd.committedEntries) {
            if (e.type === EntryType.EntryConfChange) {
              node?.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)));
              confApplied.resolve();
            } else if ((e.data?.length ?? 0) > 0) {
              applied.push(dec(e.data));
              cbApplied.resolve();
            }
          }
        },
      },
      [{ id: 1n }],
    );
    assert.throws(() => node?.ready(), { code: 'RAFTWIRE_RAFT_USAGE' });
    const p = node.propose(enc('cb'));
    // The bootstrap conf change must be applied (first Ready) and advanced (the Node does it once
    // the callback settled: settle) before the node may campaign.
    await confApplied.promise;
    await settle();
    timer.fire(20);
    await p;
    await cbApplied.promise;
    assert.deepEqual(applied, ['cb']);
    node.stop();
  });

  test('a rejecting onReady callback stops the node and reports the error', async () => {
    const storage = new MemoryStorage();
    const errors: unknown[] = [];
    const reported = signal();
    const node = Node.start(
      {
        config: config(storage),
        onReady: async () => {
          throw new Error('disk full');
        },
        onError: (e) => {
          errors.push(e);
          reported.resolve();
        },
      },
      [{ id: 1n }],
    );
    await reported.promise;
    assert.equal(node.stopped, true);
    assert.equal((errors[0] as Error).message, 'disk full');
  });

  test('async storage writes: local append/apply messages drive commits without advance', async () => {
    const storage = new MemoryStorage();
    const node = Node.start({ config: config(storage, { asyncStorageWrites: true }) }, [{ id: 1n }]);
    const it = node.ready();
    const applied: string[] = [];
    assert.throws(() => node.advance(), { code: 'RAFTWIRE_RAFT_USAGE' });
    /** Handles Readys, doing the local append/apply work inline, until there is none. */
    const rounds = async () => {
      for (;;) {
        await settle();
        if (!node.rawNode.hasReady()) return;
        const { value: rd } = (await it.next()) as IteratorResult<Ready>;
        for (const m of (rd as Ready).messages) {
          if (m.type === MessageType.MsgStorageAppend) {
            assert.equal(m.to, LOCAL_APPEND_THREAD);
            if (m.term !== 0)
              storage.setHardState(newHardState({ term: m.term, vote: m.vote ?? 0n, commit: m.commit }));
            storage.append(m.entries);
          } else if (m.type === MessageType.MsgStorageApply) {
            for (const e of m.entries) {
              if (e.type === EntryType.EntryConfChange) {
                node.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)));
              } else if ((e.data?.length ?? 0) > 0) applied.push(dec(e.data));
            }
          }
          for (const r of m.responses ?? []) node.step(r);
        }
      }
    };
    await rounds();
    const p = node.propose(enc('async'));
    await node.campaign();
    await rounds();
    await p;
    await rounds();
    assert.deepEqual(applied, ['async']);
    assert.equal(storage.lastIndex(), 3);
    node.stop();
  });

  test('the proposals of one turn are stepped as one MsgProp: one MsgApp to the follower; an aborted one is left out', async () => {
    // A leader of {1, 2} with follower 2 in replicate state (it acknowledged the leader's log).
    const storage = new MemoryStorage();
    storage.applySnapshot(newSnapshot({ index: 5, term: 1, confState: newConfState({ voters: [1n, 2n] }) }));
    storage.setHardState(newHardState({ term: 1, commit: 5 }));
    const node = Node.restart({ config: config(storage), timer: new FakeTimer(), tickMs: 100 });
    const app = new App(node, storage);
    await node.campaign();
    await app.drain();
    node.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term: 2 }));
    await app.drain();
    assert.equal(node.status().softState.raftState, StateType.StateLeader);
    const last = storage.lastIndex();
    node.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 2, index: last }));
    await app.drain();
    assert.equal(node.status().progress.get(2n)?.state, ProgressStateType.StateReplicate);
    app.sent.length = 0;
    const withdrawn = new AbortController();
    const proposals = [
      node.propose(enc('a')),
      node.propose(enc('b')),
      node.propose(enc('withdrawn'), { signal: withdrawn.signal }),
      node.propose(enc('c')),
    ];
    withdrawn.abort(new Error('client gone'));
    const outcomes = await Promise.allSettled(proposals);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(((outcomes[2] as PromiseRejectedResult).reason as Error).message, 'client gone');
    await app.drain();
    const apps = app.sent.filter((m) => m.type === MessageType.MsgApp && m.to === 2n && m.entries.length > 0);
    assert.deepEqual(
      apps.map((m) => m.entries.map((e) => dec(e.data))),
      [['a', 'b', 'c']],
      'one MsgApp carries the three proposals of the turn, in call order',
    );
    assert.equal(storage.lastIndex(), last + 3);
    node.stop();
  });

  test('a proposal made with a leader known is dropped, not left waiting, if the leader is lost before its turn ends', async () => {
    const storage = new MemoryStorage();
    storage.applySnapshot(newSnapshot({ index: 5, term: 1, confState: newConfState({ voters: [1n, 2n] }) }));
    storage.setHardState(newHardState({ term: 1, commit: 5 }));
    const node = Node.restart({ config: config(storage), timer: new FakeTimer(), tickMs: 100 });
    const app = new App(node, storage);
    await node.campaign();
    await app.drain();
    node.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term: 2 }));
    await app.drain();
    assert.equal(node.lead, 1n);
    const last = storage.lastIndex();
    const p = node.propose(enc('late'));
    // In the same turn member 2 campaigns at a higher term with a longer log: 1 steps down.
    node.step(
      newMessage({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 3, index: last + 10, logTerm: 2 }),
    );
    assert.equal(node.lead, NONE);
    await assert.rejects(p, { code: 'RAFTWIRE_RAFT_PROPOSAL_DROPPED' });
    await app.drain();
    assert.equal(storage.lastIndex(), last, 'nothing entered the log');
    node.stop();
  });

  test('a storage failure while stepping stops the node and reaches its user (never swallowed)', async () => {
    // A leader of {1, 2} whose Storage fails with a raftwire error of another area when raft needs
    // the snapshot for a lagging follower: raft makes it fatal, and the Node surfaces it.
    const storage = new FailingStorage();
    storage.applySnapshot(newSnapshot({ index: 5, term: 1, confState: newConfState({ voters: [1n, 2n] }) }));
    storage.setHardState(newHardState({ term: 1, commit: 5 }));
    const reported: unknown[] = [];
    const timer = new FakeTimer();
    const node = Node.restart({
      config: config(storage),
      timer,
      tickMs: 100,
      onError: (e) => reported.push(e),
    });
    const app = new App(node, storage);
    await node.campaign();
    await app.drain();
    node.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term: 2 }));
    await app.drain();
    assert.equal(node.status().softState.raftState, StateType.StateLeader);
    const streamNext = app.it.next();
    const diskError = new RaftwireError('RAFTWIRE_WAL_FAILED', 'wal: refusing writes after an fsync failure');
    storage.snapshotError = diskError;
    // Follower 2 has nothing: raft must send it the snapshot, and reading it fails.
    let thrown: unknown;
    assert.throws(
      () =>
        node.step(
          newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 2, index: 5, reject: true }),
        ),
      (e) => {
        thrown = e;
        return isRaftwireError(e, 'RAFTWIRE_RAFT_FATAL') && (e as Error).cause === diskError;
      },
    );
    await assertSurfaced(node, thrown, reported, streamNext);
    assert.equal(timer.callbacks.size, 0, 'the tick timer is cleared');
  });

  test('a fatal error on a timer tick stops the node without throwing into the timer', async () => {
    const storage = new FailingStorage();
    const reported: unknown[] = [];
    const timer = new FakeTimer();
    const node = Node.start(
      { config: config(storage), timer, tickMs: 100, onError: (e) => reported.push(e) },
      [{ id: 1n }, { id: 2n }],
    );
    const app = new App(node, storage);
    await app.drain();
    const streamNext = app.it.next();
    const diskError = new Error('EIO: i/o error, read');
    storage.termError = diskError;
    // The election timeout makes the node campaign: its MsgVote carries the last term, read from Storage.
    assert.doesNotThrow(() => timer.fire(3 * 10));
    const fatal = node.error;
    assert.ok(isRaftwireError(fatal, 'RAFTWIRE_RAFT_FATAL'));
    assert.equal((fatal as Error).cause, diskError);
    await assertSurfaced(node, fatal, reported, streamNext);
  });

  test('a fatal error ends the Ready stream with the error once, then done', async () => {
    const storage = new FailingStorage();
    const timer = new FakeTimer();
    const node = Node.start({ config: config(storage), timer, tickMs: 100 }, [{ id: 1n }, { id: 2n }]);
    const app = new App(node, storage);
    await app.drain();
    storage.termError = new Error('EIO');
    timer.fire(3 * 10);
    assert.equal(node.stopped, true);
    await assert.rejects(app.it.next(), (e) => e === node.error);
    assert.deepEqual(await app.it.next(), { done: true, value: undefined });
  });

  test('misuse throws RAFTWIRE_RAFT_USAGE or RAFTWIRE_RAFT_CONFIG and leaves the node running', async () => {
    const storage = new MemoryStorage();
    assert.throws(() => Node.start({ config: config(storage), tickMs: 0 }, [{ id: 1n }]), {
      code: 'RAFTWIRE_RAFT_CONFIG',
    });
    assert.throws(() => Node.start({ config: config(storage) }, []), { code: 'RAFTWIRE_RAFT_BOOTSTRAP' });
    const node = Node.start({ config: config(storage) }, [{ id: 1n }]);
    const it = node.ready();
    assert.throws(() => node.ready(), { code: 'RAFTWIRE_RAFT_USAGE' });
    const first = it.next();
    await assert.rejects(it.next(), { code: 'RAFTWIRE_RAFT_USAGE' });
    assert.equal(node.stopped, false);
    assert.equal((await first).done, false);
    node.stop();
    assert.equal(node.error, undefined);
  });
});

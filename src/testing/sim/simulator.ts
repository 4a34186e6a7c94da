/**
 * The deterministic cluster simulator: N RawNodes in one event loop under a seeded scheduler that
 * owns time (one step = one tick), message delivery, disks and the nemesis. Raft's safety
 * properties are checked after every step; the first violation ends the run with the seed, the
 * step and the last events. The same options always replay the same run (see `traceHash`).
 */
import { createHash } from 'node:crypto';
import { isRaftwireError, RaftwireError } from '../../errors/index.js';
import { ReadOnlyOption, StateType } from '../../raft/index.js';
import { VoteResult } from '../../raft/quorum/quorum.js';
import {
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  type Entry,
  type Message,
  MessageType,
  messageTypeName,
  newSnapshot,
  type Snapshot,
} from '../../raftpb/index.js';
import { type PendingOp, SimClients, type SimHistoryOp } from './history.js';
import { type HostContext, type HostOptions, SimMember } from './host.js';
import { type InFlight, SimNetwork } from './network.js';
import { Prng } from './prng.js';
import { type ApplyResult, encodeCommand } from './state-machine.js';

/** The storage contract the members follow. */
export type StorageMode = 'classic' | 'async';

/** What to simulate. */
export interface SimOptions {
  seed: number;
  storage: StorageMode;
  /** Steps (ticks) to run; default 400. */
  steps?: number;
  /** Members, 3 to 7; default 5. */
  nodes?: number;
  /** Events kept for the failure report; default 60. */
  traceSize?: number;
  /**
   * Leader churn (the leader cut off and healed every few ticks, fresh leaders cut off before
   * their first entry leaves): on, off, or (default) chosen by the seed.
   */
  churn?: boolean | undefined;
  /** Raft's CheckQuorum: on, off, or (default) chosen by the seed. */
  checkQuorum?: boolean | undefined;
}

/** A violated property. */
export interface SimFailure {
  property: string;
  detail: string;
  step: number;
  /** The last events before the failure, oldest first. */
  trace: string[];
}

/** The outcome of one run. */
export interface SimResult {
  seed: number;
  storage: StorageMode;
  nodes: number;
  steps: number;
  failure?: SimFailure | undefined;
  /** sha256 of every traced event: equal for equal options. */
  traceHash: string;
  history: SimHistoryOp[];
  stats: Record<string, number>;
  /** The last traced events (oldest first). */
  lastEvents: string[];
}

/** A safety property failed (internal to a run; reported as SimFailure). */
class SimViolation extends RaftwireError {
  readonly property: string;
  readonly detail: string;
  constructor(property: string, detail: string) {
    super('RAFTWIRE_SIM_VIOLATION', `${property}: ${detail}`);
    this.property = property;
    this.detail = detail;
  }
}

const KEYS = ['a', 'b', 'c'];

function fnv(data: Uint8Array | undefined): number {
  let h = 0x811c9dc5;
  if (data !== undefined) for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h;
}

/** Per-seed flow limits: apply pages, the uncommitted-entries quota, inflight bytes. */
function sizeLimits(r: Prng): {
  maxCommittedSizePerReady: number;
  maxUncommittedEntriesSize: number;
  maxInflightBytes: number;
} {
  return {
    maxCommittedSizePerReady: r.pick([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 300, 2048]),
    maxUncommittedEntriesSize: r.pick([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 400, 4096]),
    maxInflightBytes: r.pick([0, 0, 500, 8192]),
  };
}

/** One simulation run; create, then call run(). */
export class Simulation implements HostContext {
  readonly opts: Required<SimOptions>;
  readonly rng: Prng;
  now = 0;
  readonly members = new Map<bigint, SimMember>();
  readonly ids: bigint[];
  readonly net: SimNetwork;
  readonly clients = new SimClients(4);
  readonly stats: Record<string, number> = {
    delivered: 0,
    dropped: 0,
    crashes: 0,
    restarts: 0,
    leaders: 0,
    confChanges: 0,
    snapshots: 0,
    transfers: 0,
    partitions: 0,
  };
  #events = new Map<number, Array<() => void>>();
  readonly #trace: string[] = [];
  readonly #hash = createHash('sha256');
  /** Term → the leader elected in it. */
  readonly #leaders = new Map<number, bigint>();
  /** Committed entries' terms by index (0: not known). */
  readonly #committed: number[] = [];
  /**
   * By index: a term by which the entry was known committed (the observer's term, an upper bound
   * of the term it was committed in); leaders of later terms must hold it.
   */
  readonly #committedBy: number[] = [];
  /** Applied entries by index: "term|type|hash". */
  readonly #applied: string[] = [];
  /** Every (index/term) ever written: "prevTerm|type|hash". */
  readonly #written = new Map<string, string>();
  /** Index → the id of the acknowledged write applied there. */
  readonly #acked = new Map<number, number>();
  /** Per member: committed index checked so far. */
  readonly #checkedCommit = new Map<bigint, number>();
  maxCommit = 0;
  readonly #hostOpts: HostOptions;
  #intensity: number;
  /** Leader churn: the leader is cut off and healed every few ticks. */
  #churn: boolean;

  constructor(options: SimOptions) {
    const nodes = options.nodes ?? 5;
    if (!Number.isInteger(nodes) || nodes < 3 || nodes > 7)
      throw new RaftwireError('RAFTWIRE_SIM_CONFIG', 'nodes must be 3 to 7');
    this.opts = { steps: 400, nodes, traceSize: 60, churn: undefined, checkQuorum: undefined, ...options };
    this.rng = new Prng(options.seed, options.storage === 'async' ? 1 : 0);
    this.net = new SimNetwork(this.rng);
    const r = this.rng;
    const seededCheckQuorum = r.chance(0.7);
    const checkQuorum = options.checkQuorum ?? seededCheckQuorum;
    this.#hostOpts = {
      async: options.storage === 'async',
      config: {
        electionTick: 10,
        heartbeatTick: r.range(1, 2),
        maxSizePerMsg: r.pick([1, 256, 4096, Number.POSITIVE_INFINITY]),
        maxInflightMsgs: r.pick([1, 2, 16, 256]),
        checkQuorum,
        preVote: r.chance(0.6),
        readOnlyOption: ReadOnlyOption.ReadOnlySafe,
        stepDownOnRemoval: r.chance(0.5),
        // Size limits come from a stream of their own, so adding them kept every earlier seed's run.
        ...sizeLimits(new Prng(options.seed, 7)),
      },
      snapshotEvery: r.pick([8, 20, 60]),
      compactKeep: r.pick([0, 2, 10]),
    };
    const cfg = this.#hostOpts.config;
    // raft requires the inflight byte budget to hold one full message.
    if ((cfg.maxInflightBytes ?? 0) < (cfg.maxSizePerMsg ?? 0)) cfg.maxInflightBytes = 0;
    this.#intensity = r.pick([0.5, 1, 2]);
    const churn = r.chance(0.35);
    this.#churn = options.churn ?? churn;
    this.ids = Array.from({ length: nodes }, (_, i) => BigInt(i + 1));
    const voters = this.ids.slice(0, Math.max(3, r.range(3, nodes)));
    const initial: Snapshot = newSnapshot({
      index: 1,
      term: 1,
      confState: { voters, learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    });
    for (const id of this.ids) {
      this.members.set(
        id,
        new SimMember(id, this, this.#hostOpts, voters.includes(id) ? initial : undefined),
      );
    }
    this.trace(
      `seed=${options.seed} storage=${options.storage} nodes=${nodes} voters=[${voters}] ${JSON.stringify(this.#hostOpts.config)} snapEvery=${this.#hostOpts.snapshotEvery} keep=${this.#hostOpts.compactKeep} intensity=${this.#intensity} churn=${this.#churn}`,
    );
  }

  // HostContext ------------------------------------------------------------------------------

  schedule(delay: number, fn: () => void): void {
    const at = this.now + Math.max(1, delay);
    let b = this.#events.get(at);
    if (b === undefined) {
      b = [];
      this.#events.set(at, b);
    }
    b.push(fn);
  }

  send(m: Message): void {
    const from = this.members.get(m.from);
    this.net.send(m, this.now, from?.incarnation ?? 0);
  }

  trace(line: string): void {
    const l = `[${this.now}] ${line}`;
    this.#hash.update(l);
    this.#hash.update('\n');
    if (this.#trace.length >= this.opts.traceSize) this.#trace.shift();
    this.#trace.push(l);
  }

  fail(property: string, detail: string): never {
    throw new SimViolation(property, detail);
  }

  onEntries(id: bigint, ents: readonly Entry[], prevTerm: number): void {
    let prev = prevTerm;
    for (const e of ents) {
      const k = `${e.index}/${e.term}`;
      const v = `${prev}|${e.type}|${fnv(e.data)}`;
      const seen = this.#written.get(k);
      if (seen === undefined) this.#written.set(k, v);
      else if (seen !== v && !(prev === 0 || seen.startsWith('0|'))) {
        this.fail('log matching', `${id} has entry ${k} as ${v}, another log had it as ${seen}`);
      } else if (seen.slice(seen.indexOf('|')) !== v.slice(v.indexOf('|'))) {
        this.fail('log matching', `${id} has entry ${k} with different contents (${v} vs ${seen})`);
      }
      prev = e.term;
    }
  }

  onApply(id: bigint, e: Entry, result: ApplyResult | undefined): void {
    const v = `${e.term}|${e.type}|${fnv(e.data)}`;
    const canon = this.#applied[e.index];
    if (canon === undefined) this.#applied[e.index] = v;
    else if (canon !== v) {
      const acked = this.#acked.get(e.index);
      if (acked !== undefined) {
        this.fail(
          'no acknowledged write lost',
          `${id} applies ${v} at ${e.index} where write op ${acked} was acknowledged`,
        );
      }
      this.fail(
        'applied prefixes identical',
        `${id} applies ${v} at ${e.index}, another member applied ${canon}`,
      );
    }
    if (result === undefined) return;
    const op = this.clients.pending.get(result.id);
    if (op === undefined || op.node !== id || !result.fresh) return;
    const m = this.members.get(id)!;
    if (m.incarnation !== op.incarnation) return;
    this.#acked.set(e.index, op.id);
    this.trace(`client op ${op.id} ${op.f} ${op.key} ${result.ok ? 'ok' : 'fail'} at ${e.index} via ${id}`);
    this.clients.complete(op, result.ok ? 'ok' : 'fail');
  }

  onSnapshot(_id: bigint, _snap: Snapshot): void {
    this.stats.snapshots!++;
  }

  onReadState(id: bigint, index: number, ctx: Uint8Array): void {
    const key = new TextDecoder().decode(ctx);
    const op = this.clients.reads.get(key);
    if (op === undefined || op.node !== id || op.readIndex !== undefined) return;
    this.trace(`client op ${op.id} read ${op.key} read index ${index} (floor ${op.floor}) via ${id}`);
    if (index < op.floor) {
      this.fail(
        'linearizable ReadIndex',
        `read op ${op.id} via ${id} got read index ${index}, below the commit index ${op.floor} reached before it was issued`,
      );
    }
    op.readIndex = index;
  }

  // The run ----------------------------------------------------------------------------------

  /** Runs every step, then returns the outcome (never throws for a violation). */
  run(): SimResult {
    let failure: SimFailure | undefined;
    try {
      for (this.now = 1; this.now <= this.opts.steps; this.now++) this.#step();
      this.#finish();
    } catch (e) {
      const property = e instanceof SimViolation ? e.property : 'no exception';
      const detail = e instanceof SimViolation ? e.detail : `${(e as Error).stack ?? String(e)}`;
      this.trace(`FAIL ${property}: ${detail}`);
      failure = { property, detail, step: this.now, trace: [...this.#trace] };
    }
    return {
      seed: this.opts.seed,
      storage: this.opts.storage,
      nodes: this.opts.nodes,
      steps: this.opts.steps,
      failure,
      traceHash: this.#hash.digest('hex'),
      history: this.clients.history,
      stats: { ...this.stats, ...this.clients.counts },
      lastEvents: [...this.#trace],
    };
  }

  #alive(): SimMember[] {
    const out: SimMember[] = [];
    for (const m of this.members.values()) if (m.alive) out.push(m);
    return out;
  }

  #leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.#alive()) {
      const r = m.node.raft;
      if (r.state === StateType.StateLeader && (best === undefined || r.term > best.node.raft.term)) best = m;
    }
    return best;
  }

  #step(): void {
    this.#nemesis();
    this.#client();
    for (const m of this.#alive()) {
      if (this.rng.chance(0.97)) m.node.tick();
      m.pump();
    }
    const work: Array<() => void> = this.#events.get(this.now) ?? [];
    this.#events.delete(this.now);
    for (const f of this.net.due(this.now)) work.push(() => this.#deliver(f));
    for (let i = work.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = work[i]!;
      work[i] = work[j]!;
      work[j] = t;
    }
    for (const w of work) w();
    this.#completeReads();
    this.#check();
  }

  #deliver(f: InFlight): void {
    const to = this.members.get(f.to);
    const m = SimNetwork.decode(f);
    const from = this.members.get(f.from);
    const isSnap = m.type === MessageType.MsgSnap;
    if (to === undefined || !to.alive || this.net.lost(f)) {
      this.stats.dropped!++;
      if (isSnap && from?.alive && from.incarnation === f.fromIncarnation) {
        from.node.reportSnapshot(f.to, 2);
        from.pump();
      }
      return;
    }
    this.stats.delivered!++;
    this.trace(
      `${f.from}→${f.to} ${messageTypeName(m.type)} t${m.term} lt${m.logTerm} i${m.index} c${m.commit} n${m.entries.length}${m.reject ? ' reject' : ''}`,
    );
    try {
      to.node.step(m);
    } catch (e) {
      // The two outcomes a transport expects: a forwarded proposal the leader dropped, and a
      // response from a member that is no longer in the configuration.
      if (
        !isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED') &&
        !isRaftwireError(e, 'RAFTWIRE_RAFT_STEP_PEER_NOT_FOUND')
      ) {
        throw e;
      }
    }
    to.pump();
    if (isSnap && from?.alive && from.incarnation === f.fromIncarnation) {
      from.node.reportSnapshot(f.to, 1);
      from.pump();
    }
  }

  // Nemesis ----------------------------------------------------------------------------------

  #p(base: number): boolean {
    return this.rng.chance(base * this.#intensity);
  }

  #nemesis(): void {
    const r = this.rng;
    if (this.#p(0.012)) this.#partition();
    if (this.#churn && r.chance(0.06)) this.#partition(r.chance(0.5) ? 'isolate-leader' : 'heal');
    if (this.#p(0.01)) {
      this.net.faults = {
        dropRate: r.pick([0, 0, 0.05, 0.2]),
        dupRate: r.pick([0, 0.05, 0.2]),
        maxDelay: r.pick([1, 2, 3, 6]),
      };
      this.trace(`network faults ${JSON.stringify(this.net.faults)}`);
    }
    const alive = this.#alive();
    if (alive.length > 1 && this.#p(0.008)) {
      const m = r.pick(alive);
      for (const op of [...this.clients.pending.values()]) {
        if (op.node === m.id) this.#unknown(op, 'member crashed');
      }
      m.crash();
      this.stats.crashes!++;
    }
    for (const m of this.members.values()) {
      if (!m.alive && r.chance(0.06)) {
        m.restart();
        this.#checkedCommit.set(m.id, 0);
        this.stats.restarts!++;
      }
    }
    if (this.#p(0.006)) this.#confChange();
    if (this.#p(0.004)) {
      const lead = this.#leader();
      if (lead !== undefined) {
        const to = r.pick(this.ids);
        this.trace(`transfer leadership ${lead.id} → ${to}`);
        lead.node.transferLeader(to);
        lead.pump();
        this.stats.transfers!++;
      }
    }
    if (alive.length > 0 && this.#p(0.004)) r.pick(alive).snapshotNow();
    if (this.#p(0.004)) {
      // Crash whoever leads: the moments around a leader change are where commit rules matter.
      const lead = this.#leader();
      if (lead !== undefined && alive.length > 1) {
        for (const op of [...this.clients.pending.values()]) {
          if (op.node === lead.id) this.#unknown(op, 'member crashed');
        }
        lead.crash();
        this.stats.crashes!++;
      }
    }
    if (alive.length > 0 && this.#p(0.006)) {
      const m = r.pick(alive);
      this.trace(`${m.id} campaigns`);
      m.node.campaign();
      m.pump();
    }
  }

  #partition(forced?: string): void {
    const r = this.rng;
    const net = this.net;
    net.cut.clear();
    const kind =
      forced ?? r.pick(['heal', 'heal', 'halves', 'one-way', 'bridge', 'isolate-leader', 'isolate-leader']);
    const cutBoth = (a: bigint, b: bigint) => {
      net.cut.add(`${a}>${b}`);
      net.cut.add(`${b}>${a}`);
    };
    const shuffled = [...this.ids];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const k = r.range(1, Math.floor(this.ids.length / 2));
    const left = shuffled.slice(0, k);
    const right = shuffled.slice(k);
    switch (kind) {
      case 'heal':
        break;
      case 'halves':
        for (const a of left) for (const b of right) cutBoth(a, b);
        break;
      case 'one-way':
        for (let i = 0; i < 3; i++) {
          const a = r.pick(this.ids);
          const b = r.pick(this.ids);
          if (a !== b) net.cut.add(`${a}>${b}`);
        }
        break;
      case 'bridge': {
        // Two halves that only the bridge member sees both of.
        const bridge = right[0]!;
        for (const a of left) for (const b of right) if (b !== bridge) cutBoth(a, b);
        break;
      }
      case 'isolate-leader': {
        const lead = this.#leader();
        if (lead !== undefined) for (const b of this.ids) if (b !== lead.id) cutBoth(lead.id, b);
        break;
      }
    }
    this.stats.partitions!++;
    this.trace(`partition ${kind}: cut ${[...net.cut].join(' ') || 'nothing'}`);
  }

  #confChange(): void {
    const r = this.rng;
    const lead = this.#leader();
    if (lead === undefined) return;
    const raft = lead.node.raft;
    const cfg = raft.trk.config;
    const voters = [...cfg.voters.incoming];
    const learners = [...cfg.learners];
    const members = new Set([...voters, ...learners]);
    const others = this.ids.filter((id) => !members.has(id));
    let cc: Parameters<SimMember['node']['proposeConfChange']>[0];
    if (cfg.voters.isJoint()) {
      cc = { transition: ConfChangeTransition.ConfChangeTransitionAuto, changes: [] };
    } else {
      const one = (): ConfChangeSingle | undefined => {
        const choice = r.int(5);
        if (choice === 0 && others.length > 0)
          return { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: r.pick(others) };
        if (choice === 1 && learners.length > 0)
          return { type: ConfChangeType.ConfChangeAddNode, nodeId: r.pick(learners) };
        if (choice === 2 && voters.length > 2)
          return { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: r.pick(voters) };
        if (choice === 3 && voters.length > 2)
          return { type: ConfChangeType.ConfChangeRemoveNode, nodeId: r.pick([...voters, ...learners]) };
        if (choice === 4 && others.length > 0)
          return { type: ConfChangeType.ConfChangeAddNode, nodeId: r.pick(others) };
        return undefined;
      };
      const a = one();
      if (a === undefined) return;
      const style = r.int(3);
      if (style === 0) {
        cc = { id: BigInt(r.u32()), type: a.type, nodeId: a.nodeId, context: undefined };
      } else {
        const changes = [a];
        const b = style === 2 ? one() : undefined;
        if (b !== undefined && b.nodeId !== a.nodeId) changes.push(b);
        cc = { transition: r.pick([0, 1, 2]) as ConfChangeTransition, changes };
      }
    }
    this.trace(
      `propose conf change via ${lead.id}: ${JSON.stringify(cc, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`,
    );
    this.stats.confChanges!++;
    try {
      lead.node.proposeConfChange(cc);
    } catch (e) {
      if (!isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED')) throw e;
    }
    lead.pump();
  }

  // Clients ----------------------------------------------------------------------------------

  #client(): void {
    const r = this.rng;
    for (const op of [...this.clients.pending.values()]) {
      if (op.deadline <= this.now) this.#unknown(op, 'timed out');
    }
    const alive = this.#alive();
    if (alive.length === 0) return;
    for (const slot of this.clients.idle()) {
      if (!r.chance(0.25)) continue;
      // Clients favour members that believe they lead (stale leaders included).
      const leaders = alive.filter((a) => a.node.raft.state === StateType.StateLeader);
      const m = leaders.length > 0 && r.chance(0.6) ? r.pick(leaders) : r.pick(alive);
      const key = r.pick(KEYS);
      const kind = r.int(100);
      const base = {
        node: m.id,
        incarnation: m.incarnation,
        deadline: this.now + 50,
        floor: this.maxCommit,
        key,
      };
      if (kind < 35) {
        const op = this.clients.invoke(slot, { ...base, f: 'read' });
        this.trace(`client op ${op.id} read ${key} via ${m.id}`);
        m.node.readIndex(new TextEncoder().encode(op.ctx));
        m.pump();
        continue;
      }
      let f: PendingOp['f'];
      let value: unknown;
      // Every value is a string, so appends are well defined on any key.
      if (kind < 60) {
        f = 'write';
        value = `${r.int(20)}`;
      } else if (kind < 80) {
        f = 'cas';
        value = [r.chance(0.3) ? null : `${r.int(20)}`, `${r.int(20)}`];
      } else if (kind < 95) {
        f = 'append';
        value = `${r.int(10)}`;
      } else {
        f = 'delete';
      }
      const op = this.clients.invoke(slot, { ...base, f, value });
      this.trace(`client op ${op.id} ${f} ${key} ${JSON.stringify(value ?? null)} via ${m.id}`);
      try {
        m.node.propose(encodeCommand({ id: op.id, f: f as 'write', key, value }));
      } catch (e) {
        if (!isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED')) throw e;
        // Refused locally: it never entered any log.
        // (A failed cas means "the compare failed" in the history, so a dropped one is unknown.)
        this.trace(`client op ${op.id} dropped by ${m.id}`);
        this.clients.complete(op, f === 'cas' ? 'info' : 'fail');
      }
      m.pump();
    }
  }

  /** The outcome is not known: an unfinished write may still take effect; a read just failed. */
  #unknown(op: PendingOp, why: string): void {
    this.trace(`client op ${op.id} ${op.f} ${why}`);
    this.clients.complete(op, op.f === 'read' ? 'fail' : 'info');
  }

  #completeReads(): void {
    for (const op of [...this.clients.reads.values()]) {
      if (op.readIndex === undefined) continue;
      const m = this.members.get(op.node)!;
      if (!m.alive || m.incarnation !== op.incarnation || m.appliedIndex < op.readIndex) continue;
      const value = m.sm.read(op.key);
      this.trace(`client op ${op.id} read ${op.key} = ${JSON.stringify(value)} at applied ${m.appliedIndex}`);
      this.clients.complete(op, 'ok', value);
    }
  }

  // Invariants -------------------------------------------------------------------------------

  #check(): void {
    for (const m of this.#alive()) {
      const raft = m.node.raft;
      const log = raft.raftLog;
      if (raft.state === StateType.StateLeader) {
        const prev = this.#leaders.get(raft.term);
        if (prev === undefined) {
          this.#leaders.set(raft.term, m.id);
          this.stats.leaders!++;
          this.trace(`${m.id} is leader of term ${raft.term}`);
          this.#checkCompleteness(m, 1);
          if (this.#churn && this.rng.chance(0.3)) {
            // Cut a fresh leader off before its first entry leaves: logs diverge by term.
            for (const b of this.ids) {
              if (b !== m.id) this.net.cut.add(`${m.id}>${b}`).add(`${b}>${m.id}`);
            }
            this.trace(`isolate the new leader ${m.id}`);
          }
        } else if (prev !== m.id) {
          this.fail('at most one leader per term', `${prev} and ${m.id} both lead term ${raft.term}`);
        }
      }
      // Committed entries never change.
      const c = log.committed;
      let from = this.#checkedCommit.get(m.id) ?? 0;
      if (from < log.firstIndex() - 1) from = log.firstIndex() - 1;
      for (let i = from + 1; i <= c; i++) {
        const t = log.termOrZero(i);
        if (t === 0) continue;
        const canon = this.#committed[i];
        if (canon === undefined || canon === 0) {
          this.#committed[i] = t;
          this.#committedBy[i] = raft.term;
          for (const o of this.#alive()) {
            if (o.node.raft.state === StateType.StateLeader && o.node.raft.term > raft.term)
              this.#checkCompleteness(o, i);
          }
        } else if (canon !== t) {
          const acked = this.#acked.get(i);
          this.fail(
            acked !== undefined ? 'no acknowledged write lost' : 'committed entries never change',
            `${m.id} has committed ${t}/${i}, but ${canon}/${i} was committed before${acked !== undefined ? ` (acknowledged write op ${acked})` : ''}`,
          );
        }
      }
      this.#checkedCommit.set(m.id, Math.max(from, c));
      if (c > this.maxCommit) this.maxCommit = c;
      if (raft.state === StateType.StateLeader) this.#checkDurableQuorum(m);
    }
  }

  /**
   * Leader completeness: a leader's log holds every entry committed in an earlier term, from `lo`
   * on. (An entry of term 3 may be committed in term 5: a leader of term 4 need not hold it.)
   */
  #checkCompleteness(m: SimMember, lo: number): void {
    const raft = m.node.raft;
    const log = raft.raftLog;
    const start = Math.max(lo, log.firstIndex());
    for (let i = start; i < this.#committed.length; i++) {
      const ct = this.#committed[i];
      if (ct === undefined || ct === 0 || this.#committedBy[i]! >= raft.term) continue;
      const lt = i > log.lastIndex() ? 0 : log.termOrZero(i);
      if (lt !== ct) {
        this.fail(
          'leader completeness',
          `${m.id}, leader of term ${raft.term}, has ${lt}/${i} but ${ct}/${i} was committed`,
        );
      }
    }
  }

  /** The leader's commit index is durable on enough voters that no quorum lacks it. */
  #checkDurableQuorum(m: SimMember): void {
    const raft = m.node.raft;
    const c = raft.raftLog.committed;
    const t = raft.raftLog.termOrZero(c);
    if (t === 0) return;
    const votes = new Map<bigint, boolean>();
    const lacking: bigint[] = [];
    for (const id of raft.trk.config.voters.ids()) {
      const has = this.members.get(id)?.disk.durableHas(c, t) ?? false;
      votes.set(id, !has);
      if (!has) lacking.push(id);
    }
    if (lacking.length > 0 && raft.trk.config.voters.voteResult(votes) === VoteResult.VoteWon) {
      this.fail(
        'committed index never lost by a quorum',
        `${m.id} (leader, term ${raft.term}) committed ${t}/${c}, but voters [${lacking}] do not have it on disk and form a quorum of ${raft.trk.config.voters.toString()}`,
      );
    }
  }

  #finish(): void {
    for (const op of [...this.clients.pending.values()]) this.#unknown(op, 'still pending at the end');
    // Acknowledged writes are in the applied log at the index they were acknowledged at.
    for (const [index, id] of this.#acked) {
      const v = this.#applied[index];
      if (v === undefined) this.fail('no acknowledged write lost', `write op ${id} at ${index} vanished`);
    }
  }
}

/** Runs one simulation. */
export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

/** A failure as readable text: seed, step, property, the last events. */
export function formatFailure(r: SimResult): string {
  const f = r.failure;
  if (f === undefined) return `seed ${r.seed} (${r.storage}): ok`;
  return [
    `SIMULATION FAILED: seed ${r.seed}, storage ${r.storage}, nodes ${r.nodes}, step ${f.step}`,
    `property: ${f.property}`,
    `detail: ${f.detail}`,
    `replay: npm run sim -- --seed ${r.seed} --storage ${r.storage} --nodes ${r.nodes} --steps ${r.steps}`,
    'last events:',
    ...f.trace.map((l) => `  ${l}`),
  ].join('\n');
}

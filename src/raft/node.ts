/**
 * Node: an asynchronous driver around RawNode for applications (the role of etcd raft's
 * goroutine-based `Node`, node.go). JavaScript is single-threaded, so there is no loop thread:
 * every call acts on the RawNode at once, and a coalesced `setImmediate` hands out the next Ready
 * when the application is ready for it: everything stepped or proposed in one event-loop turn
 * (a burst of client requests, a batch of peer messages) lands in one Ready, so one WAL save and
 * one MsgApp per peer carry it. (A microtask handed out a Ready per proposal under load. bench/kv,
 * this change alone against the microtask, interleaved, load 20 on 2 cores: C=64 ops/s 718→1384
 * and 1608→2145, cpu µs/op 948→552 and 532→346; C=16 ops/s 1387→1086 and 1410→1758, cpu µs/op
 * 659→774 and 632→486.)
 *
 * - Ticks come from an injected interval timer (cleared by `stop()`); `tick()` ticks by hand.
 * - Readys are delivered either through the async iterator `ready()` (the application calls
 *   `advance()` after handling each one, as with etcd's Node) or through the `onReady` callback
 *   option (advanced automatically once the callback settles). In async-storage-writes mode
 *   `advance()` is never called: the application steps the local storage responses back in.
 * - `propose()` / `proposeConfChange()` wait while no leader is known (as etcd's Node does) and
 *   then settle when raft accepted the proposal, or reject with the step error
 *   (`RAFTWIRE_RAFT_PROPOSAL_DROPPED`). The `propose()` calls made in one event-loop turn while a
 *   leader is known are stepped together, in call order, as ONE MsgProp when the turn's Ready is
 *   prepared: one append and one MsgApp per follower (or one forwarded MsgProp) instead of one
 *   per proposal, and so one MsgAppResp back. (Stepped one by one, the kv bench's leader sent ~37
 *   MsgApps per Ready at C=64, most of one entry or none; batched, 4 — one with the entries and
 *   one with the new commit index, per follower.) A proposal aborted before its turn ends is not
 *   stepped; if the leader is lost before the turn ends, the turn's proposals are dropped
 *   (`RAFTWIRE_RAFT_PROPOSAL_DROPPED`, nothing entered the log). Conf changes are stepped alone, after the batch before them. The waiting queue is
 *   bounded: beyond `maxPendingProposals` a proposal is dropped at once, counted, and logged at
 *   most once per `dropLogIntervalMs`.
 * - `stop()` clears the timer and the pending hand-out, rejects every waiting proposal with
 *   `RAFTWIRE_RAFT_STOPPED` and ends the Ready stream; later calls reject/throw the same error.
 * - Errors are never swallowed. `step()` ignores only raft's documented refusals
 *   (`RAFTWIRE_RAFT_STEP_LOCAL_MSG`, `…_STEP_PEER_NOT_FOUND`, `…_PROPOSAL_DROPPED`, logged at debug
 *   level), as etcd's Node does. Any other error out of the RawNode (a `RAFTWIRE_RAFT_FATAL` broken
 *   invariant, a failing Storage, an invalid committed conf change) or out of the onReady callback
 *   is fatal: the Node stops, logs it at error level, hands it to `onError`, rejects every waiting
 *   proposal and the Ready stream's pending `next()` with it, keeps it in `node.error`, and every
 *   later call throws `NodeStoppedError` with it as `cause`. A call that hit it rethrows it.
 */
import { isRaftwireError } from '../errors/index.js';
import type { Message } from '../raftpb/index.js';
import { type ConfChange, type ConfChangeV2, type ConfState, NONE } from '../raftpb/index.js';
import type { Config } from './config.js';
import {
  BootstrapError,
  NodeStoppedError,
  ProposalDroppedError,
  RaftConfigError,
  RaftErrorCode,
  RaftUsageError,
} from './errors.js';
import { discardLogger, type RaftLogger } from './logger.js';
import { type Peer, RawNode, type Ready, type SnapshotStatus } from './rawnode.js';
import type { Status } from './status.js';

export { NodeStoppedError };

/** The errors `step()` ignores, as etcd's Node does: raft refused the message, nothing broke. */
const STEP_REFUSALS: readonly string[] = [
  RaftErrorCode.STEP_LOCAL_MSG,
  RaftErrorCode.STEP_PEER_NOT_FOUND,
  RaftErrorCode.PROPOSAL_DROPPED,
];

/** The interval timer the Node ticks on (setInterval/clearInterval by default). */
export interface IntervalTimer {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The monotonic clock used to rate-limit the drop log line (milliseconds). */
export type Clock = () => number;

/** Options of Node.start / Node.restart. */
export interface NodeOptions {
  /** The raft configuration (its logger, if any, also receives the Node's lines). */
  config: Config;
  /** Milliseconds between ticks; when absent no timer runs and the application calls `tick()`. */
  tickMs?: number;
  /** The timer to tick on (global setInterval/clearInterval by default). */
  timer?: IntervalTimer;
  /** Clock for the rate-limited log lines (performance.now by default). */
  clock?: Clock;
  /**
   * Receives every Ready instead of the `ready()` iterator. In classic mode the Node calls
   * `advance()` once the returned promise (if any) resolves; a rejection stops the Node.
   */
  onReady?: (rd: Ready) => void | Promise<void>;
  /**
   * Called once with the error that stopped the Node: an onReady rejection, a fatal raft error
   * (`RAFTWIRE_RAFT_FATAL`) or any other error out of the RawNode. Without it the error still
   * reaches the logger (error level), waiting proposals, the Ready stream and `node.error`.
   */
  onError?: (err: unknown) => void;
  /** Proposals allowed to wait for a leader; more are dropped at once (default 4096). */
  maxPendingProposals?: number;
  /** Minimum milliseconds between two "dropped proposals" log lines (default 1000). */
  dropLogIntervalMs?: number;
}

/** Options of one proposal. */
export interface ProposeOptions {
  /** Gives up waiting for a leader; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface PendingProposal {
  data: Uint8Array | undefined;
  cc: ConfChange | ConfChangeV2 | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** The consumer waiting in the Ready stream's `next()`. */
interface ReadyWaiter {
  resolve: (r: IteratorResult<Ready>) => void;
  reject: (e: unknown) => void;
}

const DEFAULT_MAX_PENDING = 4096;
/** A turn's batch is stepped early once it holds this many proposals (bounds one MsgProp). */
const MAX_BATCH = 1024;
const DEFAULT_DROP_LOG_INTERVAL_MS = 1000;

/**
 * An asynchronous raft node for applications (etcd's Node). Guarantees: a proposal's promise
 * settles exactly once (accepted by raft, refused, aborted, or the Node stopped); a Ready is handed
 * out only after the previous one was advanced (classic mode); an error never disappears — what
 * stops the Node is reported as the module comment says; `stop()` leaves no timer or waiter behind.
 */
export class Node {
  /**
   * The driven RawNode, for reading its state (status, tests). Calling ready/advance/step on it
   * directly bypasses the Node and is not supported.
   */
  readonly rawNode: RawNode;
  readonly #logger: RaftLogger;
  readonly #async: boolean;
  readonly #timer: IntervalTimer;
  readonly #clock: Clock;
  readonly #onReady: ((rd: Ready) => void | Promise<void>) | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #maxPending: number;
  readonly #dropLogIntervalMs: number;
  #tickHandle: unknown = undefined;
  #stopped = false;
  /** The error that stopped the Node, if one did. */
  #error: unknown = undefined;
  /** True once the Ready stream reported #error (it then ends like after a plain stop). */
  #errorSeenByStream = false;
  /** The pending `setImmediate` hand-out (cleared by stop so nothing keeps the process alive). */
  #scheduled: NodeJS.Immediate | undefined = undefined;
  /** The Ready handed out and not yet advanced (classic mode). */
  #outstanding: Ready | undefined = undefined;
  /** True while the onReady callback runs. */
  #inCallback = false;
  #pending: PendingProposal[] = [];
  /** This turn's proposals (a leader was known, none waiting): stepped as one MsgProp by #pump. */
  #batch: PendingProposal[] = [];
  #waiter: ReadyWaiter | undefined = undefined;
  #iterating = false;
  #lead: bigint = NONE;
  #dropped = 0;
  #lastDropLog = Number.NEGATIVE_INFINITY;
  #droppedSinceLog = 0;

  private constructor(rawNode: RawNode, opts: NodeOptions) {
    this.rawNode = rawNode;
    this.#logger = opts.config.logger ?? discardLogger;
    this.#async = opts.config.asyncStorageWrites === true;
    this.#timer = opts.timer ?? {
      setInterval: (cb, ms) => setInterval(cb, ms),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
    this.#clock = opts.clock ?? (() => performance.now());
    this.#onReady = opts.onReady;
    this.#onError = opts.onError;
    this.#maxPending = opts.maxPendingProposals ?? DEFAULT_MAX_PENDING;
    this.#dropLogIntervalMs = opts.dropLogIntervalMs ?? DEFAULT_DROP_LOG_INTERVAL_MS;
    if (opts.tickMs !== undefined) {
      if (!(opts.tickMs > 0)) throw new RaftConfigError(`tickMs must be positive (got ${opts.tickMs})`);
      this.#tickHandle = this.#timer.setInterval(() => this.#timerTick(), opts.tickMs);
    }
    this.#schedule();
  }

  /**
   * Starts a new node whose log begins with one ConfChangeAddNode per peer (etcd's StartNode).
   * Peers must not be empty (`RAFTWIRE_RAFT_BOOTSTRAP`); use `restart` for a node with existing
   * state. An invalid Config throws `RAFTWIRE_RAFT_CONFIG`.
   */
  static start(opts: NodeOptions, peers: readonly Peer[]): Node {
    if (peers.length === 0) throw new BootstrapError('no peers given; use Node.restart instead');
    const rn = new RawNode(opts.config);
    rn.bootstrap(peers);
    return new Node(rn, opts);
  }

  /** Starts a node from the state in its Storage (etcd's RestartNode). */
  static restart(opts: NodeOptions): Node {
    return new Node(new RawNode(opts.config), opts);
  }

  /** Proposals dropped because too many were waiting for a leader. */
  get droppedProposals(): number {
    return this.#dropped;
  }

  /**
   * The leader raft knows now (NONE when none). The Ready stream reports a change one hand-out
   * later: decide by this whether a proposal can wait for a leader (and so needs a signal).
   */
  get lead(): bigint {
    return this.rawNode.raft.lead;
  }

  /** True once stopped (by `stop()` or by an error). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The error that stopped the Node, or undefined while running or after a plain `stop()`. */
  get error(): unknown {
    return this.#error;
  }

  /** Advances the logical clock by one tick; a fatal error stops the Node and is rethrown. */
  tick(): void {
    if (this.#stopped) return;
    this.#guard(() => this.rawNode.tick());
  }

  /** The timer's tick: a fatal error stops the Node and is reported there, not thrown into the timer. */
  #timerTick(): void {
    try {
      this.tick();
    } catch {
      // Already surfaced by #guard (logger, onError, proposals, Ready stream, node.error).
    }
  }

  /** Starts an election (MsgHup). */
  async campaign(): Promise<void> {
    this.#checkStopped();
    this.#guard(() => this.rawNode.campaign());
  }

  /**
   * Proposes `data`. Waits while no leader is known; settles when raft accepted it, or rejects
   * (ProposalDroppedError, NodeStoppedError, or the abort reason).
   */
  propose(data: Uint8Array, opts: ProposeOptions = {}): Promise<void> {
    return this.#enqueue(data, undefined, opts.signal);
  }

  /** Proposes a configuration change; same waiting and settling as `propose`. */
  proposeConfChange(cc: ConfChange | ConfChangeV2, opts: ProposeOptions = {}): Promise<void> {
    return this.#enqueue(undefined, cc, opts.signal);
  }

  /**
   * Steps a message from the network. Local message types from outside, responses from unknown
   * peers and dropped forwarded proposals are ignored (logged at debug level), as etcd's Node
   * ignores them. Any other error is fatal: the Node stops and the error is rethrown.
   */
  step(m: Message): void {
    this.#checkStopped();
    this.#guard(() => {
      try {
        this.rawNode.step(m);
      } catch (e) {
        if (isRaftwireError(e) && STEP_REFUSALS.includes(e.code)) {
          this.#logger.debug(
            `raft.node: ${this.rawNode.raft.id.toString(16)} ignored a message: ${e.message}`,
          );
          return;
        }
        throw e;
      }
    });
  }

  /** Applies a committed configuration change; returns the new ConfState to keep in snapshots. */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    this.#checkStopped();
    let cs: ConfState | undefined;
    this.#guard(() => {
      cs = this.rawNode.applyConfChange(cc);
    });
    return cs as ConfState;
  }

  /** Requests a read index; the ReadState arrives in a later Ready with `rctx`. */
  async readIndex(rctx: Uint8Array): Promise<void> {
    this.#checkStopped();
    this.#guard(() => this.rawNode.readIndex(rctx));
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeadership(transferee: bigint): void {
    this.#checkStopped();
    this.#guard(() => this.rawNode.transferLeader(transferee));
  }

  /** Forgets the current leader (a follower stays leaderless in its term). */
  async forgetLeader(): Promise<void> {
    this.#checkStopped();
    this.#guard(() => this.rawNode.forgetLeader());
  }

  /** Reports that the last send to `id` failed. */
  reportUnreachable(id: bigint): void {
    if (this.#stopped) return;
    this.#guard(() => this.rawNode.reportUnreachable(id));
  }

  /** Reports the outcome of a snapshot sent to `id`. */
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    if (this.#stopped) return;
    this.#guard(() => this.rawNode.reportSnapshot(id, status));
  }

  /** The current status (allocates). */
  status(): Status {
    return this.rawNode.status();
  }

  /**
   * Tells the Node the last Ready was handled (classic mode): HardState/Entries/Snapshot are
   * durable and the committed entries applied or being applied.
   */
  advance(): void {
    if (this.#stopped) return;
    if (this.#async) throw new RaftUsageError('advance must not be called with asyncStorageWrites');
    const rd = this.#outstanding;
    if (rd === undefined) return;
    this.#outstanding = undefined;
    this.#guard(() => this.rawNode.advance(rd));
  }

  /**
   * The Ready stream. Each Ready is produced when the previous one was advanced (classic mode)
   * or taken (async mode). Ends when `stop()` is called; when an error stops the Node, the
   * pending (or next) `next()` rejects with it once, then the stream ends. Only one consumer;
   * not with `onReady` (both throw `RAFTWIRE_RAFT_USAGE`).
   */
  ready(): AsyncIterableIterator<Ready> {
    if (this.#onReady !== undefined)
      throw new RaftUsageError('ready() is not available with the onReady option');
    if (this.#iterating) throw new RaftUsageError('ready() already has a consumer');
    this.#iterating = true;
    const self = this;
    const it: AsyncIterableIterator<Ready> = {
      next(): Promise<IteratorResult<Ready>> {
        if (self.#stopped) {
          if (self.#error !== undefined && !self.#errorSeenByStream) {
            self.#errorSeenByStream = true;
            return Promise.reject(self.#error);
          }
          return Promise.resolve({ done: true, value: undefined });
        }
        if (self.#waiter !== undefined)
          return Promise.reject(new RaftUsageError('concurrent next() on the Ready stream'));
        return new Promise((resolve, reject) => {
          self.#waiter = { resolve, reject };
          self.#schedule();
        });
      },
      return(): Promise<IteratorResult<Ready>> {
        self.#iterating = false;
        const w = self.#waiter;
        self.#waiter = undefined;
        w?.resolve({ done: true, value: undefined });
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Stops the Node: clears the timer, rejects waiting proposals, ends the Ready stream. */
  stop(): void {
    this.#stopWith(undefined);
  }

  /** Stops the Node; with `err`, surfaces it everywhere the user may be listening (never silently). */
  #stopWith(err: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#error = err;
    if (this.#tickHandle !== undefined) {
      this.#timer.clearInterval(this.#tickHandle);
      this.#tickHandle = undefined;
    }
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    if (err !== undefined) {
      this.#logger.error(
        `raft.node: ${this.rawNode.raft.id.toString(16)} stopped by an error: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const pending = [...this.#batch, ...this.#pending];
    this.#batch = [];
    this.#pending = [];
    for (const p of pending) this.#settle(p, err ?? new NodeStoppedError());
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w !== undefined) {
      if (err === undefined) w.resolve({ done: true, value: undefined });
      else {
        this.#errorSeenByStream = true;
        w.reject(err);
      }
    }
    if (err !== undefined) this.#onError?.(err);
  }

  #checkStopped(): void {
    if (this.#stopped) throw this.#stoppedError();
  }

  #stoppedError(): NodeStoppedError {
    return new NodeStoppedError(this.#error === undefined ? undefined : { cause: this.#error });
  }

  /**
   * Runs `f` on the RawNode. Whatever it throws is fatal (raft refusals are handled by the callers
   * that expect them): the Node stops with it, and it is rethrown to the caller.
   */
  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#stopWith(e);
      throw e;
    }
    this.#schedule();
  }

  #enqueue(
    data: Uint8Array | undefined,
    cc: ConfChange | ConfChangeV2 | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#stoppedError());
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const p: PendingProposal = { data, cc, resolve, reject, signal, onAbort: undefined };
      if (this.rawNode.raft.lead !== NONE && this.#pending.length === 0) {
        if (cc !== undefined) {
          this.#flushBatch();
          if (!this.#stopped) this.#propose(p);
          else this.#settle(p, this.#stoppedError());
          return;
        }
        this.#batch.push(p);
        if (this.#batch.length >= MAX_BATCH) this.#flushBatch();
        this.#schedule();
        return;
      }
      if (this.#pending.length >= this.#maxPending) {
        this.#drop();
        reject(new ProposalDroppedError());
        return;
      }
      this.#watchAbort(p);
      this.#pending.push(p);
      this.#schedule();
    });
  }

  /** A proposal waiting for a leader leaves the queue when its signal aborts. */
  #watchAbort(p: PendingProposal): void {
    const signal = p.signal;
    if (signal === undefined) return;
    p.onAbort = () => {
      const i = this.#pending.indexOf(p);
      if (i >= 0) this.#pending.splice(i, 1);
      p.reject(signal.reason);
    };
    signal.addEventListener('abort', p.onAbort, { once: true });
  }

  /**
   * Steps this turn's proposals as one MsgProp and settles them with the outcome; if the leader
   * was lost meanwhile they are dropped (PROPOSAL_DROPPED).
   */
  #flushBatch(): void {
    if (this.#batch.length === 0) return;
    let batch = this.#batch;
    this.#batch = [];
    if (this.rawNode.raft.lead === NONE) {
      // The leader was lost within the turn: dropped, as raft drops a proposal without a leader.
      // (Not queued to wait: the caller, who saw a leader, may have given no signal to withdraw it.)
      for (const p of batch) this.#settle(p, new ProposalDroppedError());
      return;
    }
    if (batch.some((p) => p.signal?.aborted === true)) {
      for (const p of batch) if (p.signal?.aborted === true) p.reject(p.signal.reason);
      batch = batch.filter((p) => p.signal?.aborted !== true);
      if (batch.length === 0) return;
    }
    let err: unknown;
    try {
      if (batch.length === 1) this.rawNode.propose((batch[0] as PendingProposal).data as Uint8Array);
      else this.rawNode.proposeMany(batch.map((p) => p.data as Uint8Array));
    } catch (e) {
      if (!isRaftwireError(e, RaftErrorCode.PROPOSAL_DROPPED)) {
        // Anything but a refusal is fatal: the proposals and the Node fail with it.
        for (const p of batch) this.#settle(p, e);
        this.#stopWith(e);
        return;
      }
      err = e;
    }
    for (const p of batch) this.#settle(p, err);
  }

  #drop(): void {
    this.#dropped++;
    this.#droppedSinceLog++;
    const now = this.#clock();
    if (now - this.#lastDropLog >= this.#dropLogIntervalMs) {
      this.#logger.warning(
        `raft.node: ${this.rawNode.raft.id.toString(16)} dropped ${this.#droppedSinceLog} proposal(s) waiting for a leader (queue full, ${this.#dropped} in total)`,
      );
      this.#lastDropLog = now;
      this.#droppedSinceLog = 0;
    }
  }

  #settle(p: PendingProposal, err: unknown): void {
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    if (err === undefined) p.resolve();
    else p.reject(err);
  }

  /** Steps one proposal into raft and settles its promise with the outcome. */
  #propose(p: PendingProposal): void {
    let err: unknown;
    try {
      if (p.data !== undefined) this.rawNode.propose(p.data);
      else this.rawNode.proposeConfChange(p.cc as ConfChange | ConfChangeV2);
    } catch (e) {
      if (!isRaftwireError(e, RaftErrorCode.PROPOSAL_DROPPED)) {
        // Anything but a refusal is fatal: the proposal and the Node fail with it.
        this.#settle(p, e);
        this.#stopWith(e);
        return;
      }
      err = e;
    }
    this.#settle(p, err);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled !== undefined || this.#stopped) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      this.#pump();
    });
  }

  /** Tracks the leader, releases waiting proposals, and hands out the next Ready if wanted. */
  #pump(): void {
    if (this.#stopped) return;
    const r = this.rawNode.raft;
    if (this.#lead !== r.lead) {
      const id = r.id.toString(16);
      if (r.lead !== NONE) {
        if (this.#lead === NONE) {
          this.#logger.info(`raft.node: ${id} elected leader ${r.lead.toString(16)} at term ${r.term}`);
        } else {
          this.#logger.info(
            `raft.node: ${id} changed leader from ${this.#lead.toString(16)} to ${r.lead.toString(16)} at term ${r.term}`,
          );
        }
      } else {
        this.#logger.info(`raft.node: ${id} lost leader ${this.#lead.toString(16)} at term ${r.term}`);
      }
      this.#lead = r.lead;
    }
    this.#flushBatch();
    while (this.#pending.length > 0 && r.lead !== NONE && !this.#stopped) {
      this.#propose(this.#pending.shift() as PendingProposal);
    }
    if (this.#stopped) return;
    if (this.#outstanding !== undefined || this.#inCallback) return;
    const wants = this.#onReady !== undefined || this.#waiter !== undefined;
    if (!wants || !this.rawNode.hasReady()) return;
    let rd: Ready;
    try {
      rd = this.rawNode.ready();
    } catch (e) {
      this.#stopWith(e);
      return;
    }
    if (!this.#async) this.#outstanding = rd;
    if (this.#onReady !== undefined) {
      this.#deliverToCallback(rd);
    } else {
      const w = this.#waiter as ReadyWaiter;
      this.#waiter = undefined;
      w.resolve({ done: false, value: rd });
    }
  }

  #deliverToCallback(rd: Ready): void {
    const cb = this.#onReady as (rd: Ready) => void | Promise<void>;
    this.#inCallback = true;
    const done = () => {
      this.#inCallback = false;
      if (this.#stopped) return;
      if (this.#async) {
        this.#schedule();
        return;
      }
      try {
        this.advance();
      } catch {
        // advance() stopped the Node with the error and surfaced it; nobody here to rethrow to.
      }
    };
    const fail = (e: unknown) => {
      this.#inCallback = false;
      this.#stopWith(e);
    };
    let res: void | Promise<void>;
    try {
      res = cb(rd);
    } catch (e) {
      fail(e);
      return;
    }
    if (res !== undefined && typeof (res as Promise<void>).then === 'function') {
      (res as Promise<void>).then(done, fail);
    } else {
      done();
    }
  }
}

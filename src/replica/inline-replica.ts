/**
 * InlineReplica: a member that runs exactly as etcd's contrib/raftexample does (raft.go's
 * raftNode), for state machines that must share a log with Go raftexample members. Unlike
 * `Replica` it adds nothing to the log or the wire: entry data is the state machine's own bytes
 * (no envelope), the snapshot image travels inside raft's Snapshot (`.snap` file, WAL, and an
 * inline MsgSnap over the pipeline's `POST /raft`), membership is ConfChange V1 with a raw peer
 * URL as context, the WAL has no metadata, and the Ready loop is raftexample's classic one (save
 * to the WAL, apply a received snapshot, append, send, apply committed entries, maybe snapshot,
 * advance). See docs/replica.md#inlinereplica-raftexamples-member.
 *
 * Where raftexample 3.4.23 is wrong it does the right thing: a proposal resolves only once an
 * entry with its bytes was applied here; a restart with a snapshot serves; joining restarts an
 * empty node instead of panicking; a snapshot whose configuration lacks the receiver is replaced
 * by a fresh one (or reported failed) instead of being sent to be rejected forever;
 * ReportUnreachable / ReportSnapshot reach raft.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { type Logger, noopLogger } from '../logger/index.js';
import { MemoryStorage, Node, type Ready, raftLoggerFrom, SnapshotStatus } from '../raft/index.js';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  decodeConfChange,
  type Entry,
  EntryType,
  encodeConfChange,
  formatId,
  isEmptyHardState,
  isEmptySnap,
  type Message,
  MessageType,
  type Snapshot,
} from '../raftpb/index.js';
import { NoSnapshotError, Snapshotter } from '../snap/index.js';
import { Transport } from '../transport/index.js';
import { validSnapshotEntries, Wal, walExists } from '../wal/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { DEFAULT_CLUSTER_ID } from './options.js';
import { listenForPeers } from './peer-listener.js';
import { type Pending, trackRequest } from './pending.js';
import type { AppliedEntry, MemberSpec } from './types.js';

/** The state machine of an InlineReplica: its snapshot is one buffer carried inside raft's Snapshot. */
export interface InlineStateMachine {
  /**
   * Applies a committed, non-empty EntryNormal (in order, once per index since the last restore).
   * A throw is fatal: the member stops (it never skips an entry).
   */
  apply(entry: AppliedEntry): void;
  /** The whole state, at the last applied index. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's data. A throw is fatal. */
  restore(data: Uint8Array): void | Promise<void>;
}

/** Raft settings of an InlineReplica (raftexample's are the defaults). */
export interface InlineRaftSettings {
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxUncommittedEntriesSize: number;
  checkQuorum: boolean;
  preVote: boolean;
}

/** raftexample 3.4.23's raft settings. */
export const RAFTEXAMPLE_RAFT_SETTINGS: InlineRaftSettings = {
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxUncommittedEntriesSize: 1 << 30,
  checkQuorum: false,
  preVote: false,
};

/** Options of InlineReplica.start. */
export interface InlineReplicaOptions {
  /** This member's raft ID. */
  id: bigint;
  /** Sent as X-Etcd-Cluster-ID (default 0x1000, raftexample's). */
  clusterId?: bigint;
  /**
   * The initial members (raftexample's `--cluster`, member i at position i−1). An initial member
   * bootstraps with one context-less AddNode per member; every other member is a transport peer.
   */
  peers: readonly MemberSpec[];
  /** Start with an empty log and no bootstrap (the member was added with a ConfChange first). */
  join?: boolean;
  /** The WAL directory (raftexample: `raftexample-<id>`). */
  walDir: string;
  /** The snapshot directory (raftexample: `raftexample-<id>-snap`). */
  snapDir: string;
  stateMachine: InlineStateMachine;
  /** Where the peer server binds; default this member's entry in `peers` (raftexample's rule). */
  listenPeerUrl?: string;
  /** Raft settings (default raftexample's). */
  raft?: Partial<InlineRaftSettings>;
  /** A snapshot once applied − last snapshot index exceeds this (default 10 000). */
  snapshotCount?: number;
  /** Entries kept in storage behind a snapshot (default 10 000). */
  snapshotCatchUpEntries?: number;
  /** WAL segment size (default etcd's 64 000 000). */
  walSegmentSizeBytes?: number;
  /** Deadline of propose/proposeConfChange calls made without a signal (default 7000 ms). */
  requestTimeoutMs?: number;
  logger?: Logger;
  registry?: Registry;
}

/** Events of an InlineReplica. */
export interface InlineReplicaEvents {
  leader: [{ leader: bigint | undefined; term: number }];
  applied: [{ index: number }];
  'snapshot-saved': [{ index: number }];
  'snapshot-installed': [{ index: number }];
  /** This member applied its own removal and shut down (raftexample exits 0 then). */
  removed: [];
  fatal: [Error];
}

interface Waiter {
  p: Pending<void>;
}

type State = 'running' | 'closing' | 'failed' | 'removed';

const latin1 = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.length).toString('latin1');

/** One raftexample-style member. */
export class InlineReplica extends EventEmitter<InlineReplicaEvents> {
  readonly id: bigint;
  readonly clusterId: bigint;
  readonly peerAddress = { host: '', port: 0 };
  readonly #o: InlineReplicaOptions;
  readonly #logger: Logger;
  readonly #sm: InlineStateMachine;
  readonly #storage = new MemoryStorage();
  readonly #snapshotter: Snapshotter;
  readonly #snapshotCount: number;
  readonly #catchUp: number;
  readonly #timeoutMs: number;
  readonly #electionMs: number;
  /** Peers of removed members, dropped when their timer fires. */
  readonly #removals = new Map<bigint, NodeJS.Timeout>();
  /** Proposals waiting for an applied entry with their bytes, by those bytes. */
  readonly #waiting = new Map<string, Waiter[]>();
  #wal!: Wal;
  #transport!: Transport;
  #server: Server | undefined;
  #node: Node | undefined;
  #state: State = 'running';
  #fatal: ReplicaError | undefined;
  #shutdown: Promise<void> | undefined;
  #confState: ConfState = {
    voters: [],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  #applied = 0;
  #snapshotIndex = 0;
  #lead = 0n;
  #term = 0;

  private constructor(o: InlineReplicaOptions) {
    super();
    this.#o = o;
    this.id = o.id;
    this.clusterId = o.clusterId ?? DEFAULT_CLUSTER_ID;
    this.#logger = (o.logger ?? noopLogger).child({ 'local-member-id': formatId(o.id) });
    this.#sm = o.stateMachine;
    this.#snapshotter = new Snapshotter(o.snapDir, { logger: this.#logger });
    this.#snapshotCount = o.snapshotCount ?? 10_000;
    this.#catchUp = o.snapshotCatchUpEntries ?? 10_000;
    const tick = o.raft?.tickMs ?? RAFTEXAMPLE_RAFT_SETTINGS.tickMs;
    const election = o.raft?.electionTicks ?? RAFTEXAMPLE_RAFT_SETTINGS.electionTicks;
    this.#timeoutMs = o.requestTimeoutMs ?? 5000 + 2 * tick * election;
    this.#electionMs = tick * election;
  }

  /**
   * Replays the WAL and snapshot directories (raftexample's replayWAL; creating them when the
   * WAL is missing), restores the state machine, listens for peers on this member's URL and
   * starts raft. Rejects with a ReplicaError (INVALID_OPTIONS, CORRUPT_DATA_DIR, STATE_MACHINE,
   * LISTEN) or a WAL error (e.g. the directory is locked by another process).
   */
  static async start(o: InlineReplicaOptions): Promise<InlineReplica> {
    if (o.id <= 0n || o.id > 0xffffffffffffffffn)
      throw new ReplicaError(ReplicaErrorCode.InvalidOptions, 'id must be a non-zero uint64');
    const r = new InlineReplica(o);
    try {
      await r.#run();
    } catch (e) {
      await r.#stopAll();
      throw e;
    }
    return r;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const restarting = await this.#replay();
    const own = o.peers.find((m) => m.id === this.id);
    if (!restarting && o.join !== true && own === undefined) {
      throw new ReplicaError(
        ReplicaErrorCode.InvalidOptions,
        `member ${formatId(this.id)} is not among the initial members; bootstrap needs it (or join)`,
      );
    }
    this.#transport = new Transport({
      id: this.id,
      clusterId: this.clusterId,
      // Not this.#logger: the transport binds 'local-member-id' itself.
      logger: o.logger ?? noopLogger,
      ...(o.registry !== undefined ? { metrics: o.registry } : {}),
      raft: {
        process: (m) => {
          try {
            if (this.#state === 'running') this.#node?.step(m);
            return Promise.resolve();
          } catch (e) {
            return Promise.reject(e);
          }
        },
        // raftexample never marks an ID removed (its peers answer 404, not 410).
        isIdRemoved: () => false,
        reportUnreachable: (id) => {
          if (this.#state === 'running') this.#node?.reportUnreachable(id);
        },
        reportSnapshot: (id, status) => {
          if (this.#state === 'running') this.#node?.reportSnapshot(id, status);
        },
      },
    });
    this.#transport.start();
    for (const m of o.peers)
      if (m.id !== this.id && m.peerUrls.length > 0) this.#transport.addPeer(m.id, m.peerUrls);
    this.#server = await listenForPeers(this.#transport, o.listenPeerUrl ?? own?.peerUrls[0], this.#logger);
    const a = this.#server.address() as AddressInfo;
    this.peerAddress.host = a.address;
    this.peerAddress.port = a.port;
    const s = { ...RAFTEXAMPLE_RAFT_SETTINGS, ...o.raft };
    const nodeOptions = {
      config: {
        id: this.id,
        electionTick: s.electionTicks,
        heartbeatTick: s.heartbeatTicks,
        storage: this.#storage,
        applied: this.#applied,
        maxSizePerMsg: s.maxSizePerMsg,
        maxInflightMsgs: s.maxInflightMsgs,
        maxUncommittedEntriesSize: s.maxUncommittedEntriesSize,
        checkQuorum: s.checkQuorum,
        preVote: s.preVote,
        logger: raftLoggerFrom(this.#logger, { component: 'raft' }),
      },
      tickMs: s.tickMs,
      onReady: (rd: Ready) => this.#onReady(rd),
      onError: (err: unknown) => this.#fail(err),
    };
    if (restarting || o.join === true) this.#node = Node.restart(nodeOptions);
    else
      this.#node = Node.start(
        nodeOptions,
        o.peers.map((m) => ({ id: m.id })),
      );
    this.#logger.info(
      {
        restarting,
        join: o.join === true,
        'snapshot-index': this.#snapshotIndex,
        'last-index': this.#storage.lastIndex(),
        'peer-address': `${a.address}:${a.port}`,
      },
      'raftexample member started',
    );
  }

  /** raftexample's replayWAL. Returns true when the WAL held state. */
  async #replay(): Promise<boolean> {
    const o = this.#o;
    const walOptions = {
      logger: this.#logger,
      ...(o.walSegmentSizeBytes !== undefined ? { segmentSizeBytes: o.walSegmentSizeBytes } : {}),
    };
    await mkdir(o.snapDir, { recursive: true });
    if (!(await walExists(o.walDir))) {
      this.#wal = await Wal.create(o.walDir, new Uint8Array(0), walOptions);
      return false;
    }
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await this.#snapshotter.loadNewestAvailable(await validSnapshotEntries(o.walDir));
    } catch (e) {
      if (!(e instanceof NoSnapshotError)) throw corrupt(o.walDir, e);
    }
    const marker = { index: snapshot?.metadata.index ?? 0, term: snapshot?.metadata.term ?? 0 };
    this.#wal = await Wal.open(o.walDir, marker, walOptions);
    let contents: Awaited<ReturnType<Wal['readAll']>>;
    try {
      contents = await this.#wal.readAll();
    } catch (e) {
      throw corrupt(o.walDir, e);
    }
    if (snapshot !== undefined) {
      await this.#restore(snapshot.data ?? new Uint8Array(0), snapshot.metadata.index);
      this.#storage.applySnapshot(snapshot);
      this.#confState = snapshot.metadata.confState;
      this.#applied = snapshot.metadata.index;
      this.#snapshotIndex = snapshot.metadata.index;
    }
    if (!isEmptyHardState(contents.hardState)) this.#storage.setHardState(contents.hardState);
    this.#storage.append(contents.entries);
    return snapshot !== undefined || contents.entries.length > 0 || !isEmptyHardState(contents.hardState);
  }

  async #restore(data: Uint8Array, index: number): Promise<void> {
    try {
      await this.#sm.restore(data);
    } catch (e) {
      throw new ReplicaError(
        ReplicaErrorCode.StateMachine,
        `cannot restore the snapshot at index ${index}: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  // ---------------------------------------------------------------- the Ready loop (serveChannels)

  async #onReady(rd: Ready): Promise<void> {
    if (this.#state !== 'running') return;
    if (rd.softState !== undefined && rd.softState.lead !== this.#lead) {
      this.#lead = rd.softState.lead;
      this.#term = this.#node?.rawNode.basicStatus().hardState.term ?? 0;
      this.emit('leader', { leader: this.#lead === 0n ? undefined : this.#lead, term: this.#term });
    }
    const snap = rd.snapshot !== undefined && !isEmptySnap(rd.snapshot) ? rd.snapshot : undefined;
    if (snap !== undefined) {
      // raftexample's saveSnap: the WAL marker first, then the .snap file.
      await this.#wal.saveSnapshot({ index: snap.metadata.index, term: snap.metadata.term });
      await this.#snapshotter.saveSnap(snap);
    }
    await this.#wal.save(rd.hardState, rd.entries);
    if (this.#state !== 'running') return;
    if (snap !== undefined) {
      this.#wal.releaseLockTo(snap.metadata.index);
      this.#storage.applySnapshot(snap);
      await this.#restore(snap.data ?? new Uint8Array(0), snap.metadata.index);
      this.#confState = snap.metadata.confState;
      this.#applied = snap.metadata.index;
      this.#snapshotIndex = snap.metadata.index;
      this.#logger.info({ index: snap.metadata.index, bytes: snap.data?.length ?? 0 }, 'installed snapshot');
      this.emit('snapshot-installed', { index: snap.metadata.index });
    }
    this.#storage.append(rd.entries);
    this.#send(rd.messages);
    if (rd.committedEntries.length > 0) {
      this.#applyEntries(rd.committedEntries);
      if (this.#state !== 'running') return;
      this.emit('applied', { index: this.#applied });
    }
    await this.#maybeSnapshot();
  }

  #send(messages: readonly Message[]): void {
    const out: Message[] = [];
    for (const m of messages) {
      if (m.type !== MessageType.MsgSnap) {
        out.push(m);
        continue;
      }
      // The MsgSnap carries the snapshot data inline (raftexample's transport has no snapshotter,
      // so etcd's peer sends it over the pipeline's POST /raft). A snapshot whose configuration
      // lacks the receiver would be rejected, and a Go leader would retry it forever; a fresh one
      // is taken (on the next Ready) or the send reported failed so raft retries.
      const cs = m.snapshot?.metadata.confState;
      const names = cs !== undefined && [...cs.voters, ...cs.learners, ...cs.votersOutgoing].includes(m.to);
      if (!names) {
        this.#logger.info({ to: formatId(m.to) }, 'snapshot lacks the receiver; taking a fresh one');
        this.#forceSnapshot = true;
        this.#node?.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
        continue;
      }
      out.push(m);
    }
    if (out.length > 0) this.#transport.send(out);
  }

  #forceSnapshot = false;

  /** raftexample's publishEntries: normal entries to the state machine, conf changes to raft. */
  #applyEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = (entries[0] as Entry).index;
    if (first > this.#applied + 1) {
      throw new ReplicaError(
        ReplicaErrorCode.CorruptDataDir,
        `first index of committed entry[${first}] should <= appliedIndex[${this.#applied}]+1`,
      );
    }
    for (const e of entries) {
      if (e.index <= this.#applied) continue;
      const data = e.data ?? new Uint8Array(0);
      if (e.type === EntryType.EntryNormal) {
        if (data.length > 0) {
          try {
            this.#sm.apply({ index: e.index, term: e.term, data });
          } catch (err) {
            throw new ReplicaError(
              ReplicaErrorCode.StateMachine,
              `cannot apply the entry at index ${e.index}: ${err instanceof Error ? err.message : String(err)}`,
              { cause: err },
            );
          }
          this.#settle(data);
        }
      } else if (e.type === EntryType.EntryConfChange) {
        let cc: ConfChange;
        try {
          cc = decodeConfChange(data);
        } catch (err) {
          throw new ReplicaError(
            ReplicaErrorCode.CorruptDataDir,
            `the conf change at index ${e.index} does not decode: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
        this.#confState = (this.#node as Node).applyConfChange(cc);
        const ctx = cc.context ?? new Uint8Array(0);
        const removing = this.#removals.get(cc.nodeId);
        if (removing !== undefined && cc.type === ConfChangeType.ConfChangeAddNode) {
          clearTimeout(removing);
          this.#removals.delete(cc.nodeId);
        }
        if (cc.type === ConfChangeType.ConfChangeAddNode && ctx.length > 0 && cc.nodeId !== this.id) {
          const url = Buffer.from(ctx).toString('utf8');
          try {
            this.#transport.addPeer(cc.nodeId, [url]);
          } catch (err) {
            this.#logger.warn(
              { id: formatId(cc.nodeId), url, error: String(err) },
              'cannot add the peer of a conf change',
            );
          }
        } else if (cc.type === ConfChangeType.ConfChangeRemoveNode) {
          if (cc.nodeId === this.id) {
            this.#applied = e.index;
            this.#settle(data);
            this.#logger.info({ index: e.index }, "I've been removed from the cluster! Shutting down.");
            this.#removed();
            return;
          }
          this.#removePeerLater(cc.nodeId);
        }
        this.#settle(data);
      }
      // raftexample never proposes EntryConfChangeV2 and ignores one: so does this member.
      this.#applied = e.index;
    }
  }

  /**
   * Drops the transport peer of a removed member one election timeout later, not at once as
   * raftexample does: the leader's last MsgApp, which tells the member its removal is committed,
   * is still queued for it, and dropping the peer now would lose it (the member would never learn
   * it was removed).
   */
  #removePeerLater(id: bigint): void {
    const old = this.#removals.get(id);
    if (old !== undefined) clearTimeout(old);
    const timer = setTimeout(() => {
      this.#removals.delete(id);
      if (this.#state !== 'running') return;
      try {
        this.#transport.removePeer(id);
      } catch (err) {
        this.#logger.warn({ id: formatId(id), error: String(err) }, 'cannot remove the peer');
      }
    }, this.#electionMs);
    this.#removals.set(id, timer);
  }

  #settle(data: Uint8Array): void {
    if (this.#waiting.size === 0) return;
    const key = latin1(data);
    const ws = this.#waiting.get(key);
    if (ws === undefined) return;
    const w = ws.shift() as Waiter;
    if (ws.length === 0) this.#waiting.delete(key);
    w.p.resolve();
  }

  /** raftexample's maybeTriggerSnapshot (plus a forced one for a receiver a snapshot lacks). */
  async #maybeSnapshot(): Promise<void> {
    const due = this.#applied - this.#snapshotIndex > this.#snapshotCount;
    const forced = this.#forceSnapshot && this.#applied > this.#snapshotIndex;
    this.#forceSnapshot = false;
    if (!due && !forced) return;
    const index = this.#applied;
    let data: Uint8Array;
    try {
      data = this.#sm.snapshot();
    } catch (e) {
      throw new ReplicaError(
        ReplicaErrorCode.StateMachine,
        `state machine snapshot failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    const snap = this.#storage.createSnapshot(index, this.#confState, data);
    await this.#wal.saveSnapshot({ index, term: snap.metadata.term });
    await this.#snapshotter.saveSnap(snap);
    this.#wal.releaseLockTo(index);
    if (index > this.#catchUp) {
      const compactTo = index - this.#catchUp;
      if (compactTo > this.#storage.firstIndex()) this.#storage.compact(compactTo);
    }
    this.#snapshotIndex = index;
    this.#logger.info({ index, bytes: data.length }, 'saved snapshot');
    this.emit('snapshot-saved', { index });
  }

  // ---------------------------------------------------------------- requests

  #refusal(): ReplicaError | undefined {
    if (this.#state === 'running') return undefined;
    if (this.#fatal !== undefined)
      return new ReplicaError(ReplicaErrorCode.Stopped, `replica stopped: ${this.#fatal.message}`, {
        cause: this.#fatal,
      });
    if (this.#state === 'removed')
      return new ReplicaError(ReplicaErrorCode.MemberRemoved, 'this member was removed from the cluster');
    return new ReplicaError(ReplicaErrorCode.Closed, 'replica closed');
  }

  #await(data: Uint8Array, signal: AbortSignal | undefined, step: (sig: () => AbortSignal) => Promise<void>) {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const key = latin1(data);
    const waiter = {} as Waiter;
    const list = this.#waiting.get(key);
    if (list === undefined) this.#waiting.set(key, [waiter]);
    else list.push(waiter);
    const forget = () => {
      const ws = this.#waiting.get(key);
      const i = ws?.indexOf(waiter) ?? -1;
      if (ws !== undefined && i >= 0) {
        ws.splice(i, 1);
        if (ws.length === 0) this.#waiting.delete(key);
      }
    };
    waiter.p = trackRequest<void>(this.#timeoutMs, signal, forget, step, () => this.#refusal());
    return waiter.p.promise;
  }

  /**
   * Proposes `data` as an EntryNormal, exactly these bytes. Resolves once an entry holding these
   * bytes was committed and applied here (raftexample answers before commit; this waits). Rejects
   * with OUTCOME_UNKNOWN (timeout or abort after it was proposed), PROPOSAL_DROPPED, CLOSED,
   * STOPPED, MEMBER_REMOVED.
   */
  propose(data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const copy = new Uint8Array(data);
    return this.#await(copy, options.signal, (sig) => (this.#node as Node).propose(copy, { signal: sig() }));
  }

  /** Proposes a ConfChange V1 as given (ID, context and all); resolves once applied here, as propose. */
  proposeConfChange(cc: ConfChange, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#await(encodeConfChange(cc), options.signal, (sig) =>
      (this.#node as Node).proposeConfChange(cc, { signal: sig() }),
    );
  }

  /** The error that stopped this member, if one did (the `fatal` event may have fired already). */
  get failure(): Error | undefined {
    return this.#fatal;
  }

  /** True once this member applied its own removal (the `removed` event may have fired already). */
  get removed(): boolean {
    return this.#state === 'removed';
  }

  /** What the member knows: leader, term, applied and snapshot indexes, the configuration. */
  status(): {
    leader: bigint | undefined;
    term: number;
    applied: number;
    snapshotIndex: number;
    voters: bigint[];
  } {
    return {
      leader: this.#lead === 0n ? undefined : this.#lead,
      term: this.#term,
      applied: this.#applied,
      snapshotIndex: this.#snapshotIndex,
      voters: [...this.#confState.voters],
    };
  }

  // ---------------------------------------------------------------- shutdown

  /** Stops raft, the transport and the peer server, and closes the WAL. Idempotent. */
  close(): Promise<void> {
    if (this.#shutdown === undefined) {
      this.#state = 'closing';
      this.#shutdown = this.#stopAll();
    }
    return this.#shutdown;
  }

  /** Resolves once a shutdown that happened (close, fatal error or own removal) completed. */
  closed(): Promise<void> {
    return this.#shutdown ?? this.close();
  }

  #removed(): void {
    if (this.#state !== 'running') return;
    this.#state = 'removed';
    this.#shutdown = this.#stopAll();
    this.emit('removed');
  }

  #fail(cause: unknown): void {
    if (this.#state !== 'running') return;
    this.#state = 'failed';
    const err =
      cause instanceof ReplicaError
        ? cause
        : new ReplicaError(
            ReplicaErrorCode.Stopped,
            `replica stopped: ${cause instanceof Error ? cause.message : String(cause)}`,
            { cause },
          );
    this.#fatal = err;
    this.#logger.error({ error: err.message, code: err.code }, 'replica stopped on a fatal error');
    this.#shutdown = this.#stopAll();
    this.emit('fatal', err);
  }

  async #stopAll(): Promise<void> {
    const err = this.#refusal() ?? new ReplicaError(ReplicaErrorCode.Closed, 'replica closed');
    const ws = [...this.#waiting.values()].flat();
    this.#waiting.clear();
    for (const w of ws) w.p.reject(err);
    for (const timer of this.#removals.values()) clearTimeout(timer);
    this.#removals.clear();
    this.#node?.stop();
    this.#server?.closeAllConnections();
    if (this.#transport !== undefined) await this.#transport.stop();
    const server = this.#server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    server?.closeAllConnections();
    await this.#wal?.close().catch(() => {});
    this.#logger.info({ reason: err.code }, 'replica closed');
  }
}

function corrupt(dir: string, e: unknown): ReplicaError {
  return new ReplicaError(
    ReplicaErrorCode.CorruptDataDir,
    `${dir}: cannot replay the WAL: ${e instanceof Error ? e.message : String(e)}`,
    { cause: e },
  );
}

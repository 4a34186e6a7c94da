/**
 * Replica: one member of a replicated state machine. It owns the raft Node (asynchronous storage
 * writes, PreVote, CheckQuorum), the WAL and snapshots in its data directory, the Transport and
 * its peer server, and the apply loop (etcd's raftNode + the parts of etcdserver that apply,
 * snapshot and change membership; raftexample's serveChannels).
 *
 * Ready handling (async storage writes): messages to peers go out at once; each MsgStorageAppend
 * is written to the WAL (saves are issued back to back, so the WAL groups them into one write +
 * sync) and, once durable, appended to the MemoryStorage and its responses delivered, in order;
 * each MsgStorageApply is applied in order on a second chain. Raft hands out only committed
 * entries that are durable here, so a proposal resolves only when its entry is committed (on a
 * quorum), durable and applied on this member.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isRaftwireError } from '../errors/index.js';
import { type Logger, noopLogger } from '../logger/index.js';
import {
  type MemoryStorage,
  Node,
  type Ready,
  raftLoggerFrom,
  SnapshotStatus,
  StateType,
} from '../raft/index.js';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  formatId,
  type HardState,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  MessageType,
  type Snapshot,
} from '../raftpb/index.js';
import type { Snapshotter } from '../snap/index.js';
import { createPeerServer, Transport } from '../transport/index.js';
import type { Wal } from '../wal/index.js';
import { ApplyLoop } from './apply-loop.js';
import { openDataDir, REMOVED_MARKER, removedError } from './data-dir.js';
import { type Session, wrap } from './envelope.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { decodeContext, encodeContext, type Membership } from './membership.js';
import { type GiveUp, Pending } from './pending.js';
import { ReadBarriers } from './read-barrier.js';
import { installSnapshot, takeSnapshot } from './snapshots.js';
import type {
  MemberStatus,
  PeerLinkStatus,
  ProgressStatus,
  ReplicaEvents,
  ReplicaOptions,
  ReplicaStatus,
  StateMachine,
} from './types.js';

/** Options of one request. */
export interface RequestOptions {
  /** Gives up waiting; see each method for the error. */
  signal?: AbortSignal;
}

const DEFAULT_CLUSTER_ID = 0x1000n;
const EMPTY_HS: HardState = { term: 0, vote: 0n, commit: 0 };
const ROLES = ['follower', 'candidate', 'leader', 'pre-candidate'] as const;
const PROGRESS_STATES = ['probe', 'replicate', 'snapshot'] as const;
/** A learner is promoted once its match reaches this share of the leader's last index (etcd's 90%). */
const LEARNER_READY_PERCENT = 0.9;

type State = 'running' | 'closing' | 'failed';

interface Internals<R> {
  options: ReplicaOptions<R>;
  logger: Logger;
  wal: Wal;
  snapshotter: Snapshotter;
  storage: MemoryStorage;
  applied: Membership;
  known: Membership;
  snapshot: Snapshot | undefined;
}

/** One member of a replicated state machine. See docs/replica.md. */
export class Replica<R> extends EventEmitter<ReplicaEvents> {
  /** This member's ID. */
  readonly id: bigint;
  /** The cluster ID. */
  readonly clusterId: bigint;
  /** The peer server's bound address (useful with port 0). */
  readonly peerAddress: { host: string; port: number } = { host: '', port: 0 };

  readonly #logger: Logger;
  readonly #sm: StateMachine<R>;
  readonly #wal: Wal;
  readonly #snapshotter: Snapshotter;
  readonly #storage: MemoryStorage;
  readonly #session: Session;
  readonly #timeoutMs: number;
  readonly #snapshotCount: number;
  readonly #catchUp: number;
  readonly #members: Membership;
  /** IDs refused on the peer port (removed as applied, or as found committed in the WAL at start). */
  readonly #removedKnown: Set<bigint>;
  readonly #apply: ApplyLoop<R>;
  readonly #reads: ReadBarriers;
  readonly #confWaits = new Map<bigint, Pending<void>>();
  readonly #transfers = new Set<{ to: bigint; p: Pending<void> }>();
  #transport!: Transport;
  #server!: Server;
  #node!: Node;
  #state: State = 'running';
  #shutdown: Promise<void> | undefined;
  #fatal: ReplicaError | undefined;
  #confState: ConfState;
  #snapshotIndex: number;
  #seq = 0;
  #lead = 0n;
  #leaderSince: string | null = null;
  #appendChain: Promise<void> = Promise.resolve();
  #applyChain: Promise<void> = Promise.resolve();
  #snapshotsPending = 0;
  #promoteTimer: NodeJS.Timeout | undefined;
  #promoting: bigint | undefined;

  private constructor(x: Internals<R>) {
    super();
    const o = x.options;
    this.id = o.id;
    this.clusterId = o.clusterId ?? DEFAULT_CLUSTER_ID;
    this.#logger = x.logger;
    this.#sm = o.stateMachine;
    this.#wal = x.wal;
    this.#snapshotter = x.snapshotter;
    this.#storage = x.storage;
    const rnd = randomBytes(8);
    this.#session = { hi: rnd.readUInt32BE(0), lo: rnd.readUInt32BE(4) };
    this.#timeoutMs = o.requestTimeoutMs ?? 5000 + 2 * (o.tickMs ?? 100) * (o.electionTicks ?? 10);
    this.#snapshotCount = o.snapshotCount ?? 10_000;
    this.#catchUp = o.snapshotCatchUpEntries ?? 5000;
    this.#members = x.applied;
    this.#removedKnown = new Set(x.known.removed);
    this.#snapshotIndex = x.snapshot?.metadata.index ?? 0;
    this.#confState = x.snapshot?.metadata.confState ?? {
      voters: [],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    this.#apply = new ApplyLoop(
      this.#sm,
      this.#session,
      (e) => this.#applyConfChange(e),
      this.#snapshotIndex,
    );
    this.#reads = new ReadBarriers(
      this.#session,
      (ctx) => {
        if (this.#state === 'running') void this.#node.readIndex(ctx).catch(() => {});
      },
      () => this.#apply.applied,
    );
  }

  /**
   * Opens the data directory (bootstrapping an empty one from `initialCluster`, or joining with
   * `join`), restores the state machine from the newest snapshot, replays the WAL, listens for
   * peers and runs. Rejects with a ReplicaError: INVALID_OPTIONS, FOREIGN_DATA_DIR,
   * CORRUPT_DATA_DIR, MEMBER_REMOVED, STATE_MACHINE (restore threw), LISTEN (the peer port).
   */
  static async start<R>(options: ReplicaOptions<R>): Promise<Replica<R>> {
    const clusterId = options.clusterId ?? DEFAULT_CLUSTER_ID;
    validate(options);
    const logger = (options.logger ?? noopLogger).child({ 'local-member-id': formatId(options.id) });
    const dir = await openDataDir({
      dataDir: options.dataDir,
      id: options.id,
      clusterId,
      stateMachine: options.stateMachine as StateMachine<unknown>,
      logger,
    });
    if (
      !dir.restarting &&
      options.join !== true &&
      !options.initialCluster.some((m) => m.id === options.id)
    ) {
      await dir.wal.close();
      throw new ReplicaError(
        ReplicaErrorCode.InvalidOptions,
        `member ${formatId(options.id)} is not in initialCluster; bootstrap needs it (or join: true)`,
      );
    }
    const r = new Replica<R>({ options, logger, ...dir });
    try {
      await r.#run(options, dir.restarting);
    } catch (e) {
      await r.#stopAll();
      throw e;
    }
    logger.info(
      {
        restarting: dir.restarting,
        'snapshot-index': r.#snapshotIndex,
        'last-index': dir.storage.lastIndex(),
        'peer-address': `${r.peerAddress.host}:${r.peerAddress.port}`,
      },
      'replica started',
    );
    return r;
  }

  async #run(options: ReplicaOptions<R>, restarting: boolean): Promise<void> {
    const self = options.initialCluster.find((m) => m.id === this.id);
    const ownUrls = self?.peerUrls ?? this.#members.urls.get(this.id) ?? [];
    this.#transport = new Transport({
      id: this.id,
      clusterId: this.clusterId,
      ...(ownUrls.length > 0 ? { urls: ownUrls } : {}),
      logger: this.#logger,
      ...(options.peerTls !== undefined ? { tls: options.peerTls } : {}),
      snapshotter: this.#snapshotter,
      ...(options.registry !== undefined ? { metrics: options.registry } : {}),
      raft: {
        process: (m) => {
          if (this.#state === 'running') this.#node.step(m);
          return Promise.resolve();
        },
        isIdRemoved: (id) => this.#removedKnown.has(id),
        reportUnreachable: (id) => {
          if (this.#state === 'running') this.#node.reportUnreachable(id);
        },
        reportSnapshot: (id, status) => {
          if (this.#state === 'running') this.#node.reportSnapshot(id, status);
        },
      },
    });
    this.#transport.on('error', (err) => {
      if (isRaftwireError(err, 'RAFTWIRE_TRANSPORT_MEMBER_REMOVED')) {
        const e = removedError(this.id);
        (e as { cause?: unknown }).cause = err;
        this.#fail(e);
      }
    });
    await this.#transport.start();
    const peers = new Map<bigint, string[]>();
    for (const m of options.initialCluster) peers.set(m.id, m.peerUrls);
    for (const [id, urls] of this.#members.urls) if (urls.length > 0) peers.set(id, urls);
    for (const id of this.#removedKnown) peers.delete(id);
    for (const [id, urls] of peers) if (id !== this.id && urls.length > 0) this.#transport.addPeer(id, urls);
    await this.#listen(options.listenPeerUrl ?? ownUrls[0]);
    const config = {
      id: this.id,
      electionTick: options.electionTicks ?? 10,
      heartbeatTick: options.heartbeatTicks ?? 1,
      storage: this.#storage,
      applied: this.#snapshotIndex,
      asyncStorageWrites: true,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
      maxUncommittedEntriesSize: 1 << 30,
      checkQuorum: true,
      preVote: true,
      logger: raftLoggerFrom(this.#logger, { component: 'raft' }),
    };
    const nodeOptions = {
      config,
      tickMs: options.tickMs ?? 100,
      onReady: (rd: Ready) => this.#onReady(rd),
      onError: (err: unknown) => this.#fail(err),
    };
    if (restarting || options.join === true) {
      this.#node = Node.restart(nodeOptions);
    } else {
      const bootstrap = options.initialCluster.map((m) => ({ id: m.id, context: encodeContext(m.peerUrls) }));
      this.#node = Node.start(nodeOptions, bootstrap);
    }
    const promoteMs = Math.max(50, ((options.tickMs ?? 100) * (options.electionTicks ?? 10)) / 2);
    this.#promoteTimer = setInterval(() => this.#maybePromoteLearner(), promoteMs);
  }

  async #listen(url: string | undefined): Promise<void> {
    if (url === undefined) {
      throw new ReplicaError(
        ReplicaErrorCode.InvalidOptions,
        'no peer URL to listen on (listenPeerUrl or own peerUrls)',
      );
    }
    let host: string;
    let port: number;
    try {
      const u = new URL(url);
      host = u.hostname.replace(/^\[|\]$/g, '');
      port = Number(u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : u.port);
    } catch (e) {
      throw new ReplicaError(ReplicaErrorCode.InvalidOptions, `bad peer listen URL ${JSON.stringify(url)}`, {
        cause: e,
      });
    }
    const server = createPeerServer(this.#transport, { logger: this.#logger });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) =>
        reject(
          new ReplicaError(ReplicaErrorCode.Listen, `cannot listen for peers on ${url}: ${e.message}`, {
            cause: e,
          }),
        );
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    this.peerAddress.host = a.address;
    this.peerAddress.port = a.port;
  }

  // ---------------------------------------------------------------- Ready handling

  #onReady(rd: Ready): void {
    if (this.#state !== 'running') return;
    if (rd.softState !== undefined && rd.softState.lead !== this.#lead) {
      this.#lead = rd.softState.lead;
      this.#leaderSince = this.#lead === 0n ? null : new Date().toISOString();
      const term = this.#node.rawNode.raft.term;
      this.emit('leader', { leader: this.#lead === 0n ? undefined : this.#lead, term });
      for (const t of this.#transfers) {
        if (t.to === this.#lead) {
          this.#transfers.delete(t);
          t.p.resolve();
        }
      }
    }
    for (const rs of rd.readStates) this.#reads.onReadState(rs);
    const out: Message[] = [];
    for (const m of rd.messages) {
      if (m.to === LOCAL_APPEND_THREAD) this.#enqueueAppend(m);
      else if (m.to === LOCAL_APPLY_THREAD) this.#enqueueApply(m);
      else if (m.type === MessageType.MsgSnap) void this.#sendSnapshot(m);
      else out.push(m);
    }
    if (out.length > 0) this.#transport.send(out);
  }

  #deliver(responses: readonly Message[] | undefined): void {
    if (responses === undefined || this.#state !== 'running') return;
    for (const r of responses) {
      if (r.to === this.id) this.#node.step(r);
      else this.#transport.send([r]);
    }
  }

  #enqueueAppend(m: Message): void {
    const hs: HardState =
      m.term !== 0 || m.commit !== 0 || (m.vote ?? 0n) !== 0n
        ? { term: m.term, vote: m.vote ?? 0n, commit: m.commit }
        : EMPTY_HS;
    const entries = m.entries;
    const snap = m.snapshot;
    // Saves are issued at once (the WAL groups them) unless a snapshot install is queued ahead.
    let saved: Promise<void> | undefined;
    if (snap === undefined && this.#snapshotsPending === 0) {
      saved = this.#wal.save(hs, entries);
      saved.catch(() => {});
    } else if (snap !== undefined) {
      this.#snapshotsPending++;
    }
    this.#appendChain = this.#appendChain
      .then(async () => {
        if (this.#state !== 'running') return;
        if (snap !== undefined) {
          await this.#applyChain;
          if (this.#state !== 'running') return;
          await this.#installSnapshot(snap);
          this.#snapshotsPending--;
        }
        await (saved ?? this.#wal.save(hs, entries));
        if (this.#state !== 'running') return;
        if (hs !== EMPTY_HS) this.#storage.setHardState(hs);
        if (entries.length > 0) this.#storage.append(entries);
        this.#deliver(m.responses);
      })
      .catch((e) => this.#fail(e));
  }

  #enqueueApply(m: Message): void {
    this.#applyChain = this.#applyChain
      .then(async () => {
        if (this.#state !== 'running') return;
        await this.#apply.apply(m.entries, () => this.#state === 'running');
        if (this.#state !== 'running') return;
        this.#deliver(m.responses);
        this.#afterApply();
        if (this.#apply.applied - this.#snapshotIndex >= this.#snapshotCount) await this.#takeSnapshot();
      })
      .catch((e) => this.#fail(e));
  }

  #afterApply(): void {
    const applied = this.#apply.applied;
    this.#reads.onApplied(applied);
    this.emit('applied', { index: applied });
  }

  // ---------------------------------------------------------------- snapshots

  async #takeSnapshot(): Promise<void> {
    const index = await takeSnapshot({
      sm: this.#sm,
      storage: this.#storage,
      wal: this.#wal,
      snapshotter: this.#snapshotter,
      index: this.#apply.applied,
      confState: this.#confState,
      membership: this.#members,
      catchUp: this.#catchUp,
    });
    this.#snapshotIndex = index;
    this.#logger.info({ index }, 'saved snapshot');
    this.emit('snapshot-saved', { index });
  }

  async #installSnapshot(snap: Snapshot): Promise<void> {
    const membership = await installSnapshot({
      sm: this.#sm,
      storage: this.#storage,
      wal: this.#wal,
      snapshotter: this.#snapshotter,
      snapshot: snap,
    });
    const index = snap.metadata.index;
    this.#confState = snap.metadata.confState;
    // The transport follows the snapshot's membership.
    for (const id of membership.removed) {
      this.#members.remove(id);
      this.#removedKnown.add(id);
      if (id !== this.id) this.#transport.removePeer(id);
    }
    for (const [id, urls] of membership.urls) {
      this.#members.add(id, urls);
      if (id !== this.id && urls.length > 0) this.#transport.addPeer(id, urls);
    }
    for (const id of [...this.#members.urls.keys()])
      if (!membership.urls.has(id)) this.#members.urls.delete(id);
    this.#apply.applied = index;
    this.#snapshotIndex = index;
    this.#logger.info({ index }, 'installed snapshot');
    this.emit('snapshot-installed', { index });
    this.emit('members', { members: this.#memberList() });
    this.#afterApply();
    if (this.#removedKnown.has(this.id)) this.#fail(removedError(this.id));
  }

  async #sendSnapshot(m: Message): Promise<void> {
    const index = m.snapshot?.metadata.index ?? 0;
    let path: string;
    let size: number;
    try {
      path = await this.#snapshotter.dbFilePath(index);
      size = (await stat(path)).size;
    } catch (e) {
      this.#logger.warn({ index, error: String(e) }, 'no database file for the snapshot to send');
      if (this.#state === 'running') this.#node.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
      return;
    }
    if (this.#state !== 'running') return;
    await this.#transport.sendSnapshot({ message: m, body: createReadStream(path), dbSize: size });
  }

  // ---------------------------------------------------------------- membership

  #applyConfChange(e: Entry): void {
    const data = e.data ?? new Uint8Array(0);
    let cc: ConfChange;
    if (e.type === EntryType.EntryConfChange) {
      cc = decodeConfChange(data);
    } else {
      // raftwire proposes V1 only; a V2 entry (another tool) is applied to raft as is.
      this.#confState = this.#node.applyConfChange(decodeConfChangeV2(data));
      return;
    }
    const waiter = this.#confWaits.get(cc.id);
    if (waiter !== undefined) this.#confWaits.delete(cc.id);
    if (this.#promoting !== undefined && cc.nodeId === this.#promoting) this.#promoting = undefined;
    const adds =
      cc.type === ConfChangeType.ConfChangeAddNode || cc.type === ConfChangeType.ConfChangeAddLearnerNode;
    if (adds && this.#members.removed.has(cc.nodeId)) {
      // etcd's ErrIDRemoved at apply: the change becomes a no-op on every member alike.
      this.#confState = this.#node.applyConfChange({ ...cc, nodeId: 0n });
      waiter?.reject(removedError(cc.nodeId));
      return;
    }
    this.#confState = this.#node.applyConfChange(cc);
    const id = cc.nodeId;
    if (adds) {
      const urls = decodeContext(cc.context);
      this.#members.add(id, urls);
      const known = this.#members.urls.get(id) ?? [];
      if (id !== this.id && known.length > 0) this.#transport.addPeer(id, known);
    } else if (cc.type === ConfChangeType.ConfChangeRemoveNode) {
      this.#members.remove(id);
      this.#removedKnown.add(id);
      if (id !== this.id) this.#transport.removePeer(id);
    }
    this.#logger.info(
      { type: cc.type, 'member-id': formatId(id), index: e.index },
      'applied membership change',
    );
    this.emit('members', { members: this.#memberList() });
    waiter?.resolve();
    if (cc.type === ConfChangeType.ConfChangeRemoveNode && id === this.id) {
      queueMicrotask(() => this.#fail(removedError(this.id)));
    }
  }

  #memberList(): MemberStatus[] {
    const learners = new Set(this.#confState.learners);
    const ids = new Set([...this.#confState.voters, ...this.#confState.learners]);
    return [...ids]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((id) => ({
        id,
        peerUrls: [...(this.#members.urls.get(id) ?? [])],
        role: learners.has(id) ? ('learner' as const) : ('voter' as const),
      }));
  }

  #confChangePending(): boolean {
    if (this.#confWaits.size > 0 || this.#promoting !== undefined) return true;
    if (this.#confState.votersOutgoing.length > 0) return true;
    const r = this.#node.rawNode.raft;
    return r.state === StateType.StateLeader && r.pendingConfIndex > this.#apply.applied;
  }

  #proposeConfChange(
    type: ConfChangeType,
    id: bigint,
    urls: string[] | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const closed = this.#refusal();
    if (closed !== undefined) return Promise.reject(closed);
    if (this.#confChangePending()) {
      return Promise.reject(
        new ReplicaError(
          ReplicaErrorCode.ConfChangePending,
          'a membership change is in progress; one change at a time',
        ),
      );
    }
    const ccId = (BigInt(this.#session.hi) << 32n) | BigInt(++this.#seq >>> 0);
    const cc: ConfChange = {
      id: ccId,
      type,
      nodeId: id,
      context: urls === undefined ? undefined : encodeContext(urls),
    };
    const p: Pending<void> = this.#track(
      signal,
      () => this.#confWaits.delete(ccId),
      (stepSignal) => this.#node.proposeConfChange(cc, { signal: stepSignal }),
    );
    this.#confWaits.set(ccId, p);
    return p.promise;
  }

  #maybePromoteLearner(): void {
    if (this.#state !== 'running') return;
    const r = this.#node.rawNode.raft;
    if (r.state !== StateType.StateLeader || this.#confState.learners.length === 0) return;
    if (this.#confChangePending()) return;
    const last = r.raftLog.lastIndex();
    for (const id of this.#confState.learners) {
      const pr = r.trk.progress.get(id);
      if (pr === undefined || pr.state !== 1 || pr.match < last * LEARNER_READY_PERCENT) continue;
      this.#promoting = id;
      this.#logger.info(
        { 'member-id': formatId(id), match: pr.match, 'leader-last': last },
        'promoting learner',
      );
      const ccId = (BigInt(this.#session.hi) << 32n) | BigInt(++this.#seq >>> 0);
      const cc: ConfChange = {
        id: ccId,
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: id,
        context: undefined,
      };
      const timer = setTimeout(() => {
        if (this.#promoting === id) this.#promoting = undefined;
      }, this.#timeoutMs);
      this.#node.proposeConfChange(cc).then(
        () => {},
        () => {
          clearTimeout(timer);
          if (this.#promoting === id) this.#promoting = undefined;
        },
      );
      this.once('members', () => clearTimeout(timer));
      return;
    }
  }

  // ---------------------------------------------------------------- requests

  /** The error a new request gets when the replica is not running, else undefined. */
  #refusal(): ReplicaError | undefined {
    if (this.#state === 'running') return undefined;
    if (this.#fatal !== undefined) {
      return new ReplicaError(ReplicaErrorCode.Stopped, `replica stopped: ${this.#fatal.message}`, {
        cause: this.#fatal,
      });
    }
    return new ReplicaError(ReplicaErrorCode.Closed, 'replica closed');
  }

  /**
   * Tracks a request that is stepped into raft by `step`. On deadline/abort: if raft never took
   * it, PROPOSAL_DROPPED; otherwise OUTCOME_UNKNOWN. A raft refusal rejects at once.
   */
  #track<T>(
    signal: AbortSignal | undefined,
    forget: () => void,
    step: (stepSignal: AbortSignal) => Promise<void>,
  ): Pending<T> {
    const ctl = new AbortController();
    let stepped: Promise<boolean> = Promise.resolve(false);
    const p = new Pending<T>(this.#timeoutMs, signal, (why: GiveUp) => {
      forget();
      ctl.abort(new Error(why));
      void stepped.then((took) => {
        const what = why === 'timeout' ? `timed out after ${this.#timeoutMs} ms` : 'aborted';
        p.reject(
          took
            ? new ReplicaError(
                ReplicaErrorCode.OutcomeUnknown,
                `request ${what} after it was proposed; it may or may not be applied`,
              )
            : new ReplicaError(
                ReplicaErrorCode.ProposalDropped,
                `request ${what} before it was proposed (no leader); nothing was applied`,
              ),
        );
      });
    });
    stepped = step(ctl.signal).then(
      () => true,
      (e) => {
        if (ctl.signal.aborted && e === ctl.signal.reason) return false;
        forget();
        if (isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED')) {
          p.reject(
            new ReplicaError(ReplicaErrorCode.ProposalDropped, `raft dropped the proposal: ${e.message}`, {
              cause: e,
            }),
          );
        } else {
          p.reject(this.#refusal() ?? e);
        }
        return false;
      },
    );
    return p;
  }

  /**
   * Proposes `data` and resolves with `apply()`'s result for its entry once it is committed on a
   * quorum and applied on this member (a follower forwards it to the leader). Rejects with a
   * ReplicaError: OUTCOME_UNKNOWN (aborted or timed out after it may have been proposed),
   * PROPOSAL_DROPPED (refused by raft or given up before proposing: nothing applied), CLOSED,
   * STOPPED. The bytes are copied once (into the envelope); the caller may reuse its buffer.
   */
  propose(data: Uint8Array, options: RequestOptions = {}): Promise<R> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const seq = ++this.#seq;
    const env = wrap(this.#session, seq, data);
    const p = this.#track<R>(
      options.signal,
      () => this.#apply.proposals.delete(seq),
      (s) => this.#node.propose(env, { signal: s }),
    );
    this.#apply.proposals.set(seq, p);
    return p.promise;
  }

  /**
   * ReadIndex: resolves with the read index once this member (leader or follower) has applied
   * everything committed before the call — a read of local state afterwards is linearizable.
   * Rejects with UNAVAILABLE (no answer in time: no leader or no quorum; or aborted), CLOSED,
   * STOPPED.
   */
  readBarrier(options: RequestOptions = {}): Promise<number> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const p: Pending<number> = new Pending<number>(this.#timeoutMs, options.signal, (why) =>
      p.reject(
        new ReplicaError(
          ReplicaErrorCode.Unavailable,
          why === 'timeout'
            ? `no read index within ${this.#timeoutMs} ms (no leader or no quorum)`
            : 'read barrier aborted',
        ),
      ),
    );
    this.#reads.add(p);
    return p.promise;
  }

  /**
   * Adds a member as a learner; it is promoted to voter automatically once caught up (on the
   * leader, 90% of the leader's log). Resolves once the change is applied here. Rejects with
   * MEMBER_REMOVED (the ID was removed before), MEMBER_EXISTS, CONF_CHANGE_PENDING,
   * INVALID_OPTIONS (no URLs), and as `propose`.
   */
  addMember(id: bigint, peerUrls: string[], options: RequestOptions = {}): Promise<void> {
    if (this.#members.removed.has(id) || this.#removedKnown.has(id)) return Promise.reject(removedError(id));
    if (this.#memberList().some((m) => m.id === id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberExists, `member ${formatId(id)} already exists`),
      );
    }
    if (id === 0n || peerUrls.length === 0) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.InvalidOptions, 'a member needs a non-zero ID and peer URLs'),
      );
    }
    return this.#proposeConfChange(ConfChangeType.ConfChangeAddLearnerNode, id, peerUrls, options.signal);
  }

  /** Promotes a learner to voter. Rejects with MEMBER_NOT_FOUND (not a learner) and as addMember. */
  promote(id: bigint, options: RequestOptions = {}): Promise<void> {
    if (!this.#confState.learners.includes(id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberNotFound, `member ${formatId(id)} is not a learner`),
      );
    }
    return this.#proposeConfChange(ConfChangeType.ConfChangeAddNode, id, undefined, options.signal);
  }

  /** Removes a member for good (its ID can never rejoin). Rejects with MEMBER_NOT_FOUND and as addMember. */
  removeMember(id: bigint, options: RequestOptions = {}): Promise<void> {
    if (!this.#memberList().some((m) => m.id === id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberNotFound, `member ${formatId(id)} is not in the cluster`),
      );
    }
    return this.#proposeConfChange(ConfChangeType.ConfChangeRemoveNode, id, undefined, options.signal);
  }

  /**
   * Moves leadership to voter `to` (from any member: a follower forwards the request to the
   * leader). Resolves once this member sees `to` as leader. Rejects with MEMBER_NOT_FOUND,
   * LEADER_TRANSFER_FAILED (not done in time, or aborted), CLOSED, STOPPED.
   */
  transferLeadership(to: bigint, options: RequestOptions = {}): Promise<void> {
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.reject(refused);
    if (!this.#confState.voters.includes(to)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberNotFound, `member ${formatId(to)} is not a voter`),
      );
    }
    if (this.#lead === to) return Promise.resolve();
    const t = { to, p: undefined as unknown as Pending<void> };
    t.p = new Pending<void>(this.#timeoutMs, options.signal, (why) => {
      this.#transfers.delete(t);
      t.p.reject(
        new ReplicaError(
          ReplicaErrorCode.LeaderTransferFailed,
          `leadership did not move to ${formatId(to)} (${why === 'timeout' ? `${this.#timeoutMs} ms` : 'aborted'})`,
        ),
      );
    });
    this.#transfers.add(t);
    this.#node.transferLeadership(to);
    return t.p.promise;
  }

  /** The member's current state: raft's, the applied membership, leader-only progress, peer links. */
  status(): ReplicaStatus {
    const r = this.#node?.rawNode.raft;
    const progress: ProgressStatus[] = [];
    if (r !== undefined && r.state === StateType.StateLeader && this.#state === 'running') {
      r.trk.visit((id, pr) => {
        progress.push({
          id,
          match: pr.match,
          next: pr.next,
          state: PROGRESS_STATES[pr.state] ?? 'probe',
          inflight: pr.inflights.count(),
          recentActive: pr.recentActive,
        });
      });
    }
    const peers: PeerLinkStatus[] = [];
    if (this.#state === 'running') {
      for (const m of this.#memberList()) {
        if (m.id === this.id) continue;
        const s = this.#transport.peerStatus(m.id);
        if (s === undefined) continue;
        peers.push({
          id: m.id,
          active: s.active,
          activeSince: s.activeSince?.toISOString() ?? null,
          streams: s.streams,
          rttMs: s.rttMs ?? null,
          dropped: s.dropped,
        });
      }
    }
    let role: ReplicaStatus['role'] = ROLES[r?.state ?? 0] ?? 'follower';
    if (role === 'follower' && this.#confState.learners.includes(this.id)) role = 'learner';
    const lead = r?.lead ?? 0n;
    return {
      id: this.id,
      clusterId: this.clusterId,
      leader: lead === 0n ? undefined : lead,
      leaderSince: lead === 0n ? null : this.#leaderSince,
      role,
      term: r?.term ?? 0,
      commit: r?.raftLog.committed ?? 0,
      applied: this.#apply.applied,
      snapshotIndex: this.#snapshotIndex,
      members: this.#memberList(),
      progress,
      peers,
    };
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Rejects in-flight requests with CLOSED, stops raft, waits for the WAL writes and the apply in
   * progress, stops the transport and the peer server, and closes the WAL. Idempotent; after a
   * fatal error it resolves once the shutdown that error started is done.
   */
  close(): Promise<void> {
    if (this.#shutdown === undefined) {
      this.#state = 'closing';
      this.#shutdown = this.#stopAll();
    }
    return this.#shutdown;
  }

  #fail(cause: unknown): void {
    if (this.#state !== 'running') return;
    this.#state = 'failed';
    const err =
      cause instanceof ReplicaError && cause.code !== ReplicaErrorCode.Closed
        ? cause
        : new ReplicaError(
            ReplicaErrorCode.Stopped,
            `replica stopped: ${cause instanceof Error ? cause.message : String(cause)}`,
            {
              cause,
            },
          );
    this.#fatal = err;
    this.#logger.error({ error: err.message, code: err.code }, 'replica stopped on a fatal error');
    const removed = err.code === ReplicaErrorCode.MemberRemoved;
    this.#shutdown = (async () => {
      if (removed)
        await writeFile(join(this.#snapshotter.dir, '..', REMOVED_MARKER), `${formatId(this.id)}\n`).catch(
          () => {},
        );
      await this.#stopAll();
    })();
    this.emit('fatal', err);
  }

  async #stopAll(): Promise<void> {
    const err = this.#refusal() ?? new ReplicaError(ReplicaErrorCode.Closed, 'replica closed');
    if (this.#promoteTimer !== undefined) clearInterval(this.#promoteTimer);
    this.#promoteTimer = undefined;
    this.#apply.rejectAll(err);
    for (const p of this.#confWaits.values()) p.reject(err);
    this.#confWaits.clear();
    for (const t of this.#transfers) t.p.reject(err);
    this.#transfers.clear();
    this.#reads.close(err);
    this.#node?.stop();
    await this.#appendChain;
    await this.#applyChain;
    this.#server?.closeAllConnections();
    await this.#transport?.stop();
    if (this.#server?.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server?.closeAllConnections();
    await this.#wal.close();
    this.#logger.info({}, 'replica closed');
  }
}

function validate<R>(o: ReplicaOptions<R>): void {
  const bad = (msg: string) => new ReplicaError(ReplicaErrorCode.InvalidOptions, msg);
  if (typeof o.id !== 'bigint' || o.id <= 0n || o.id > 0xffffffffffffffffn)
    throw bad('id must be a non-zero uint64 bigint');
  if (typeof o.dataDir !== 'string' || o.dataDir === '') throw bad('dataDir is required');
  if (o.stateMachine === undefined) throw bad('stateMachine is required');
  for (const [name, v] of [
    ['snapshotCount', o.snapshotCount],
    ['tickMs', o.tickMs],
    ['electionTicks', o.electionTicks],
    ['heartbeatTicks', o.heartbeatTicks],
    ['requestTimeoutMs', o.requestTimeoutMs],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw bad(`${name} must be a positive integer`);
  }
  if (
    o.snapshotCatchUpEntries !== undefined &&
    !(Number.isInteger(o.snapshotCatchUpEntries) && o.snapshotCatchUpEntries >= 0)
  ) {
    throw bad('snapshotCatchUpEntries must be a non-negative integer');
  }
}

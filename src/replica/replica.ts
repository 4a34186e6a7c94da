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
import { FAILPOINTS_ON, failpoint } from '../failpoint/index.js';
import { type Logger, noopLogger } from '../logger/index.js';
import { type MemoryStorage, Node, type Ready, SnapshotStatus } from '../raft/index.js';
import {
  ConfChangeType,
  type ConfState,
  confStatesEquivalent,
  formatId,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  MessageType,
  type Snapshot,
} from '../raftpb/index.js';
import type { Snapshotter } from '../snap/index.js';
import { Transport } from '../transport/index.js';
import type { Wal } from '../wal/index.js';
import { AppendThread } from './append-thread.js';
import { ApplyLoop } from './apply-loop.js';
import { openDataDir, REMOVED_MARKER, removedError } from './data-dir.js';
import { type Session, wrap } from './envelope.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { encodeContext, type Membership, memberList } from './membership.js';
import { MembershipChanges } from './membership-changes.js';
import { DEFAULT_CLUSTER_ID, raftConfig, validate } from './options.js';
import { listenForPeers } from './peer-listener.js';
import { Pending, trackRequest } from './pending.js';
import { ReadBarriers } from './read-barrier.js';
import { installSnapshot, takeSnapshot } from './snapshots.js';
import { buildStatus } from './status.js';
import type { ReplicaEvents, ReplicaOptions, ReplicaStatus, StateMachine } from './types.js';

/** Options of one request. */
export interface RequestOptions {
  /** Gives up waiting; see each method for the error. */
  signal?: AbortSignal;
}

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
  readonly #changes: MembershipChanges;
  readonly #transfers = new Set<{ to: bigint; p: Pending<void> }>();
  #transport!: Transport;
  #server!: Server;
  #node!: Node;
  #state: State = 'running';
  #shutdown: Promise<void> | undefined;
  #fatal: ReplicaError | undefined;
  #confState: ConfState;
  #snapshotIndex: number;
  readonly #snapshotSends = { inFlight: 0, sent: 0, failed: 0 };
  #seq = 0;
  #lead = 0n;
  #leaderSince: string | null = null;
  readonly #append: AppendThread;
  #applyChain: Promise<void> = Promise.resolve();
  #promoteTimer: NodeJS.Timeout | undefined;

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
    this.#append = new AppendThread(
      {
        wal: x.wal,
        storage: x.storage,
        running: () => this.#state === 'running',
        applyIdle: () => this.#applyChain,
        installSnapshot: (snap) => this.#installSnapshot(snap),
        deliver: (responses) => this.#deliver(responses),
        fail: (e) => this.#fail(e),
      },
      x.storage.initialState().hardState,
    );
    this.#removedKnown = new Set(x.known.removed);
    this.#snapshotIndex = x.snapshot?.metadata.index ?? 0;
    this.#confState = x.snapshot?.metadata.confState ?? {
      voters: [],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    this.#apply = new ApplyLoop(this.#sm, this.#session, (e) => this.#changes.apply(e), this.#snapshotIndex);
    const self = this;
    this.#changes = new MembershipChanges({
      id: this.id,
      logger: this.#logger,
      timeoutMs: this.#timeoutMs,
      members: this.#members,
      removedKnown: this.#removedKnown,
      node: () => this.#node,
      transport: () => this.#transport,
      get confState() {
        return self.#confState;
      },
      set confState(cs) {
        self.#confState = cs;
      },
      applied: () => this.#apply.applied,
      refusal: () => this.#refusal(),
      nextId: () => (BigInt(this.#session.hi) << 32n) | BigInt(++this.#seq >>> 0),
      changed: () => this.emit('members', { members: memberList(this.#confState, this.#members) }),
      removedSelf: () => this.#fail(removedError(this.id)),
    });
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
      ...(options.walSegmentSizeBytes !== undefined
        ? { walSegmentSizeBytes: options.walSegmentSizeBytes }
        : {}),
      ...(options.walSync !== undefined ? { walSync: options.walSync } : {}),
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
      await r.#run(options, dir.restarting, dir.known);
    } catch (e) {
      await (r.#shutdown ?? r.#stopAll());
      throw e;
    }
    // A fatal error while starting (a peer refusing a removed member with 410 Gone as soon as the
    // transport dials, a failed first write) had no listener for its `fatal` event yet: reject with
    // it, never resolve with a replica that already stopped.
    if (r.#fatal !== undefined) {
      await r.#shutdown;
      throw r.#fatal;
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

  async #run(options: ReplicaOptions<R>, restarting: boolean, known: Membership): Promise<void> {
    const self = options.initialCluster.find((m) => m.id === this.id);
    const ownUrls = self?.peerUrls ?? known.urls.get(this.id) ?? [];
    this.#transport = new Transport({
      id: this.id,
      clusterId: this.clusterId,
      ...(ownUrls.length > 0 ? { urls: ownUrls } : {}),
      // Not this.#logger: the transport binds 'local-member-id' itself.
      logger: options.logger ?? noopLogger,
      ...(options.peerTls !== undefined ? { tls: options.peerTls } : {}),
      snapshotter: this.#snapshotter,
      ...(options.registry !== undefined ? { metrics: options.registry } : {}),
      raft: {
        process: (m) => {
          try {
            if (this.#state === 'running') this.#node.step(m);
            return Promise.resolve();
          } catch (e) {
            // A raft invariant broke: the Node stopped and reported it through onError.
            return Promise.reject(e);
          }
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
    this.#transport.start();
    const peers = new Map<bigint, string[]>();
    for (const m of options.initialCluster) peers.set(m.id, m.peerUrls);
    for (const [id, urls] of known.urls) if (urls.length > 0) peers.set(id, urls);
    for (const id of this.#removedKnown) peers.delete(id);
    for (const [id, urls] of peers) if (id !== this.id && urls.length > 0) this.#transport.addPeer(id, urls);
    this.#server = await listenForPeers(this.#transport, options.listenPeerUrl ?? ownUrls[0], this.#logger);
    const a = this.#server.address() as AddressInfo;
    this.peerAddress.host = a.address;
    this.peerAddress.port = a.port;
    const config = raftConfig(options, this.#storage, this.#snapshotIndex, this.#logger);
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
    this.#promoteTimer = setInterval(() => {
      if (this.#state === 'running') this.#changes.maybePromote();
    }, promoteMs);
  }

  // ---------------------------------------------------------------- Ready handling

  #onReady(rd: Ready): void {
    if (this.#state !== 'running') return;
    if (rd.softState !== undefined && rd.softState.lead !== this.#lead) {
      this.#lead = rd.softState.lead;
      this.#leaderSince = this.#lead === 0n ? null : new Date().toISOString();
      const term = this.#node.rawNode.basicStatus().hardState.term;
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
      if (m.to === LOCAL_APPEND_THREAD) this.#append.enqueue(m);
      else if (m.to === LOCAL_APPLY_THREAD) this.#enqueueApply(m);
      else if (m.type === MessageType.MsgSnap) this.#enqueueSnapshotSend(m);
      else out.push(m);
    }
    if (out.length > 0) {
      if (FAILPOINTS_ON)
        failpoint(this.#lead === this.id ? 'raftBeforeLeaderSend' : 'raftBeforeFollowerSend');
      this.#transport.send(out);
    }
  }

  #deliver(responses: readonly Message[] | undefined): void {
    if (responses === undefined || this.#state !== 'running') return;
    for (const r of responses) {
      if (r.to === this.id) this.#node.step(r);
      else this.#transport.send([r]);
    }
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
    // The WAL's marker must not be above its last commit index, or a restart skips the snapshot.
    await this.#append.flushHardState();
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
    this.emit('members', { members: memberList(this.#confState, this.#members) });
    this.#afterApply();
    if (this.#removedKnown.has(this.id)) this.#fail(removedError(this.id));
  }

  /**
   * Raft wants to send a snapshot: as etcd's merged snapshot, it must carry the current
   * configuration (a member added after the last snapshot would refuse one that does not name
   * it), so a fresh snapshot is taken first when the configuration changed since the last one.
   * Runs on the apply chain, between applies.
   */
  #enqueueSnapshotSend(m: Message): void {
    this.#applyChain = this.#applyChain
      .then(async () => {
        if (this.#state !== 'running') return;
        let snap = this.#storage.snapshot();
        if (
          !confStatesEquivalent(snap.metadata.confState, this.#confState) &&
          this.#apply.applied > this.#snapshotIndex
        ) {
          await this.#takeSnapshot();
          snap = this.#storage.snapshot();
        }
        void this.#sendSnapshot({ ...m, snapshot: snap });
      })
      .catch((e) => this.#fail(e));
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
    const sends = this.#snapshotSends;
    sends.inFlight++;
    try {
      await this.#transport.sendSnapshot({ message: m, body: createReadStream(path), dbSize: size });
      sends.sent++;
    } catch (e) {
      sends.failed++;
      // A transfer that started was already reported to raft; one refused before it started
      // (not a peer any more, transport stopping) was not. raft ignores a second report.
      this.#logger.warn({ to: formatId(m.to), index, error: String(e) }, 'snapshot send failed');
      if (this.#state === 'running') this.#node.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
    } finally {
      sends.inFlight--;
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
    const p = trackRequest<R>(
      this.#timeoutMs,
      options.signal,
      () => this.#apply.proposals.delete(seq),
      // With a leader known to raft the Node steps it this turn (or drops it if the leader is lost
      // meanwhile): no signal (and no AbortController) needed. Asked of raft, not of #lead, which
      // the next Ready updates: with a stale #lead a proposal waited for a leader unwithdrawable,
      // and its request hung past its deadline (test/replica/errors, 'abort after proposing').
      (sig) => this.#node.propose(env, this.#node.lead !== 0n ? {} : { signal: sig() }),
      () => this.#refusal(),
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
    if (memberList(this.#confState, this.#members).some((m) => m.id === id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberExists, `member ${formatId(id)} already exists`),
      );
    }
    if (id === 0n || peerUrls.length === 0) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.InvalidOptions, 'a member needs a non-zero ID and peer URLs'),
      );
    }
    return this.#changes.propose(ConfChangeType.ConfChangeAddLearnerNode, id, peerUrls, options.signal);
  }

  /** Promotes a learner to voter. Rejects with MEMBER_NOT_FOUND (not a learner) and as addMember. */
  promote(id: bigint, options: RequestOptions = {}): Promise<void> {
    if (!this.#confState.learners.includes(id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberNotFound, `member ${formatId(id)} is not a learner`),
      );
    }
    return this.#changes.propose(ConfChangeType.ConfChangeAddNode, id, undefined, options.signal);
  }

  /** Removes a member for good (its ID can never rejoin). Rejects with MEMBER_NOT_FOUND and as addMember. */
  removeMember(id: bigint, options: RequestOptions = {}): Promise<void> {
    if (!memberList(this.#confState, this.#members).some((m) => m.id === id)) {
      return Promise.reject(
        new ReplicaError(ReplicaErrorCode.MemberNotFound, `member ${formatId(id)} is not in the cluster`),
      );
    }
    return this.#changes.propose(ConfChangeType.ConfChangeRemoveNode, id, undefined, options.signal);
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

  /**
   * Fault drill: cuts this member off from its peers (the transport's etcd-style pause: outgoing
   * messages dropped silently, incoming stream messages ignored) until `heal`. Nothing is closed;
   * `status().isolated` says it. What `raftwire cluster`'s isolate control runs. No-op when closed.
   */
  isolate(): void {
    if (this.#state === 'running') this.#transport.pause();
  }

  /** Undoes `isolate`. */
  heal(): void {
    this.#transport?.resume();
  }

  /** The member's current state: raft's, the applied membership, leader-only progress, peer links. */
  status(): ReplicaStatus {
    const running = this.#state === 'running';
    return buildStatus({
      id: this.id,
      clusterId: this.clusterId,
      raft: this.#node?.status(),
      confState: this.#confState,
      members: memberList(this.#confState, this.#members),
      peerStatus: (id) => (running ? this.#transport.peerStatus().find((p) => p.id === id) : undefined),
      leaderSince: this.#leaderSince,
      applied: this.#apply.applied,
      snapshotIndex: this.#snapshotIndex,
      running,
      isolated: this.#transport?.paused ?? false,
      snapshotSends: this.#snapshotSends,
    });
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Rejects in-flight requests with CLOSED, stops raft, waits for the WAL writes and the apply in
   * progress, stops the transport and the peer server, and closes the WAL. Idempotent; after a
   * fatal error it resolves once the shutdown that error started is done.
   */
  /**
   * The fatal error this replica stopped on, or undefined while it runs (or after a plain close).
   * The `fatal` event fires once; a caller that subscribes late checks this instead.
   */
  get failure(): ReplicaError | undefined {
    return this.#fatal;
  }

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
    this.#changes.close(err);
    for (const t of this.#transfers) t.p.reject(err);
    this.#transfers.clear();
    this.#reads.close(err);
    this.#node?.stop();
    // Each wait of a shutdown at debug level: a close that takes long says what it waits for.
    const log = this.#logger;
    log.debug({}, 'closing: waiting for queued WAL writes');
    await this.#append.idle();
    log.debug({}, 'closing: waiting for queued applies');
    await this.#applyChain;
    this.#server?.closeAllConnections();
    log.debug({}, 'closing: stopping the transport');
    await this.#transport?.stop();
    log.debug({}, 'closing: closing the peer listener');
    if (this.#server?.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server?.closeAllConnections();
    log.debug({}, 'closing: syncing and closing the WAL');
    if (this.#state === 'closing') await this.#append.flushHardState().catch(() => {});
    await this.#wal.close();
    log.info({}, 'replica closed');
  }
}

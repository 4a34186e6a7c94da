/**
 * A raftwire member in this test process: raftwire's `Node` (classic Ready/Advance loop, ticking
 * on a timer) + `Transport` on its own loopback HTTP server + `MemoryStorage`, with the same
 * commands, events, state machine and snapshot policy as the Go raft-node harness.
 *
 * Durability: the member's `TsDisk` (its MemoryStorage, which holds the HardState, the snapshot and
 * the log) is kept by the test, outside the member. A killed member restarts as a new TsRaftNode
 * on the same port and the same TsDisk, as a process restarting from its WAL would; every Ready is
 * written to it before messages go out, so it behaves like a WAL fsynced on every Ready.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MemoryStorage,
  Node,
  ReadOnlyOption,
  type Ready,
  type SnapshotStatus,
} from '../../../src/raft/index.js';
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
  type ConfState,
  decodeConfChange,
  decodeConfChangeV2,
  type Entry,
  EntryType,
  formatId,
  type HardState,
  isEmptyHardState,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  type Message,
  NONE,
  type Snapshot,
} from '../../../src/raftpb/index.js';
import { pauseTransport, resumeTransport } from '../../../src/transport/fault-injection.js';
import { Transport } from '../../../src/transport/index.js';
import { toHex } from '../../support/hex.js';
import type {
  ClusterNode,
  ConfChangeKind,
  ConfChangeTransitionKind,
  ConfChangeV2Item,
  MemberLog,
  MemberStatus,
  StartOptions,
} from './cluster-node.js';
import { NodeEvents } from './node-events.js';
import { ChainStateMachine } from './state-machine.js';

const CLUSTER_ID = 0x1000n;
const CONF_CHANGE_TYPES = {
  add: ConfChangeType.ConfChangeAddNode,
  addLearner: ConfChangeType.ConfChangeAddLearnerNode,
  remove: ConfChangeType.ConfChangeRemoveNode,
} as const;
const TRANSITIONS = {
  auto: ConfChangeTransition.ConfChangeTransitionAuto,
  implicit: ConfChangeTransition.ConfChangeTransitionJointImplicit,
  explicit: ConfChangeTransition.ConfChangeTransitionJointExplicit,
} as const;
const PROPOSE_TIMEOUT_MS = 10_000;

const openServers = new Set<Server>();

/** Where a member's server sends requests: the transport's handler once started. */
interface Route {
  handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/** Peer servers of raftwire members still open (listening or holding connections). */
export function openTsServers(): number {
  return openServers.size;
}

/** What survives a TS member's restart: its storage. */
export interface TsDisk {
  readonly storage: MemoryStorage;
}

/** A fresh, empty disk. */
export function newTsDisk(): TsDisk {
  return { storage: new MemoryStorage() };
}

/**
 * Reports a stream a peer opens to this member's server ({ev: 'stream', open: true}, then false
 * when it ends): the stream this member writes its messages to that peer on (as the Go harness).
 */
function watchStream(events: NodeEvents, req: IncomingMessage, res: ServerResponse): void {
  const parts = (req.url ?? '').split('?')[0]?.split('/') ?? [];
  if (req.method !== 'GET' || parts.length !== 5 || parts[1] !== 'raft' || parts[2] !== 'stream') return;
  const base = { ev: 'stream', type: parts[3], peer: parts[4] };
  events.push({ ...base, open: true });
  res.once('close', () => events.push({ ...base, open: false }));
}

/** One raftwire member. */
export class TsRaftNode implements ClusterNode {
  readonly kind = 'ts' as const;
  readonly url: string;
  private node: Node | undefined;
  private transport: Transport | undefined;
  private readonly sm = new ChainStateMachine();
  private confState: ConfState = {
    voters: [],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  private snapshotIndex = 0;
  private snapCount = 0;
  private asyncStorageWrites = false;
  private catchUp = 0;
  private lead = NONE;
  private readonly removed = new Set<bigint>();
  /** Members a conf change removed that may still be outgoing voters of a joint configuration. */
  private readonly leaving = new Set<bigint>();
  private stopped = false;

  private constructor(
    readonly id: bigint,
    readonly disk: TsDisk,
    private readonly server: Server,
    private readonly route: Route,
    private readonly random: () => number,
    readonly events: NodeEvents,
  ) {
    const port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    this.events.push({ ev: 'listening', url: this.url });
  }

  /**
   * Binds the member's peer port (`port`, default ephemeral). `random` seeds its election
   * timeouts. Requests before `start` are answered 404 (a Go peer retries).
   */
  static async listen(id: bigint, disk: TsDisk, random: () => number, port = 0): Promise<TsRaftNode> {
    const route: Route = { handler: undefined };
    const events = new NodeEvents();
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 }, (req, res) => {
      watchStream(events, req, res);
      if (route.handler !== undefined) route.handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    openServers.add(server);
    server.once('close', () => openServers.delete(server));
    return new TsRaftNode(id, disk, server, route, random, events);
  }

  async start(opts: StartOptions): Promise<void> {
    const storage = this.disk.storage;
    this.snapCount = opts.snapCount ?? 0;
    this.catchUp = opts.catchUp ?? 0;
    this.asyncStorageWrites = opts.asyncStorageWrites ?? false;
    const snap = storage.snapshot();
    this.sm.restore(snap.metadata.index, snap.data);
    this.snapshotIndex = snap.metadata.index;
    this.confState = snap.metadata.confState;
    const restarting = storage.lastIndex() > 0 || snap.metadata.index > 0;
    const config = {
      id: this.id,
      electionTick: opts.electionTick ?? 10,
      heartbeatTick: 1,
      storage,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedEntriesSize: 1 << 30,
      checkQuorum: true,
      preVote: opts.preVote ?? false,
      asyncStorageWrites: this.asyncStorageWrites,
      readOnlyOption:
        opts.leaseReads === true ? ReadOnlyOption.ReadOnlyLeaseBased : ReadOnlyOption.ReadOnlySafe,
      random: this.random,
    };
    const nodeOpts = {
      config,
      tickMs: opts.tickMs ?? 20,
      onReady: (rd: Ready) => this.handleReady(rd),
      onError: (err: unknown) => this.events.push({ ev: 'fatal', error: String(err) }),
    };
    const transport = new Transport({
      id: this.id,
      clusterId: CLUSTER_ID,
      urls: [this.url],
      probeIntervalMs: 0,
      raft: {
        process: (m: Message) => {
          try {
            if (!this.stopped) this.node?.step(m);
            return Promise.resolve();
          } catch (e) {
            return Promise.reject(e);
          }
        },
        isIdRemoved: (id) => this.removed.has(id),
        reportUnreachable: (id) => this.node?.reportUnreachable(id),
        reportSnapshot: (id, status) => this.node?.reportSnapshot(id, status as SnapshotStatus),
      },
    });
    transport.on('error', (err) => this.events.push({ ev: 'fatal', error: err.message }));
    transport.start();
    this.transport = transport;
    for (const p of opts.peers) if (p.id !== this.id) transport.addPeer(p.id, [p.url]);
    this.route.handler = transport.handler();
    // The transport exists before the Node: the first Ready may come in the next microtask.
    const node =
      restarting || opts.join === true
        ? Node.restart(nodeOpts)
        : Node.start(
            nodeOpts,
            opts.peers.map((p) => ({ id: p.id })),
          );
    this.node = node;
    this.events.push({
      ev: 'ready',
      restarted: restarting,
      snapshotIndex: this.snapshotIndex,
      lastIndex: storage.lastIndex(),
    });
    // The state machine starts at the stored snapshot.
    if (this.snapshotIndex > 0) this.events.push({ ev: 'applied', index: this.snapshotIndex });
  }

  private handleReady(rd: Ready): void {
    if (this.stopped) return;
    const node = this.node as Node;
    if (rd.softState !== undefined && rd.softState.lead !== this.lead) {
      this.lead = rd.softState.lead;
      this.events.push({ ev: 'leaderChanged', lead: this.lead.toString(16), term: node.rawNode.raft.term });
    }
    for (const rs of rd.readStates) {
      this.events.push({ ev: 'readState', index: rs.index, rctx: toHex(rs.requestCtx) });
    }
    if (this.asyncStorageWrites) {
      this.handleAsync(rd.messages);
      return;
    }
    const hs = rd.hardState;
    this.persist(rd.snapshot, isEmptyHardState(hs) ? undefined : hs, rd.entries);
    (this.transport as Transport).send(rd.messages);
    if (rd.committedEntries.length > 0 || rd.snapshot !== undefined) this.applyEntries(rd.committedEntries);
  }

  /**
   * Asynchronous storage writes: peers' messages go out at once; MsgStorageAppend is persisted,
   * then its responses are sent (to peers) or stepped back (to this node); MsgStorageApply is
   * applied, then its response stepped back. In order, per local target.
   */
  private handleAsync(messages: readonly Message[]): void {
    const node = this.node as Node;
    const transport = this.transport as Transport;
    for (const m of messages) {
      if (m.to === LOCAL_APPEND_THREAD) {
        const hs = m.term !== 0 || m.commit !== 0 || (m.vote ?? NONE) !== NONE;
        this.persist(
          m.snapshot,
          hs ? { term: m.term, vote: m.vote ?? NONE, commit: m.commit } : undefined,
          m.entries,
        );
        if (m.snapshot !== undefined) this.applyEntries([]);
      } else if (m.to === LOCAL_APPLY_THREAD) {
        this.applyEntries(m.entries);
      } else {
        transport.send([m]);
        continue;
      }
      for (const r of m.responses ?? []) {
        if (r.to === this.id) node.step(r);
        else transport.send([r]);
      }
    }
  }

  /** Writes a snapshot, hard state and entries to the member's storage (its "WAL"). */
  private persist(snapshot: Snapshot | undefined, hs: HardState | undefined, entries: Entry[]): void {
    const storage = this.disk.storage;
    if (snapshot !== undefined) {
      storage.applySnapshot(snapshot);
      const md = snapshot.metadata;
      this.sm.restore(md.index, snapshot.data);
      this.snapshotIndex = md.index;
      this.confState = md.confState;
      this.events.push({ ev: 'snapshotApplied', index: md.index });
    }
    if (hs !== undefined) storage.setHardState(hs);
    storage.append(entries);
  }

  /** Applies committed entries (skipping those a snapshot covers), reports, maybe snapshots. */
  private applyEntries(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.sm.appliedIndex) continue;
      this.sm.apply(e);
      if (e.type === EntryType.EntryConfChange) {
        this.applyConfChange(decodeConfChange(e.data ?? new Uint8Array(0)), e.index);
      } else if (e.type === EntryType.EntryConfChangeV2) {
        this.applyConfChangeV2(decodeConfChangeV2(e.data ?? new Uint8Array(0)), e.index);
      }
    }
    this.events.push({ ev: 'applied', index: this.sm.appliedIndex });
    if (this.snapCount > 0 && this.sm.appliedIndex - this.snapshotIndex >= this.snapCount) {
      this.snapshot(this.catchUp);
    }
  }

  private applyConfChange(cc: ConfChange, index: number): void {
    this.confState = (this.node as Node).applyConfChange(cc);
    const url = cc.context === undefined ? '' : Buffer.from(cc.context).toString();
    this.applyPeerChange(cc.type, cc.nodeId, url);
    this.dropLeft(index);
  }

  /** A V2 change: the URLs of added members are in its context, a JSON object {id in hex: url}. */
  private applyConfChangeV2(cc: ConfChangeV2, index: number): void {
    this.confState = (this.node as Node).applyConfChange(cc);
    const urls =
      cc.context === undefined || cc.context.length === 0
        ? {}
        : (JSON.parse(Buffer.from(cc.context).toString()) as Record<string, string>);
    for (const ch of cc.changes) this.applyPeerChange(ch.type, ch.nodeId, urls[formatId(ch.nodeId)] ?? '');
    this.dropLeft(index);
  }

  /** Adds a new member to the transport, or marks a removed one as leaving. */
  private applyPeerChange(type: ConfChangeType, nodeId: bigint, url: string): void {
    if (type === ConfChangeType.ConfChangeAddNode || type === ConfChangeType.ConfChangeAddLearnerNode) {
      this.leaving.delete(nodeId);
      if (nodeId !== this.id && url !== '') (this.transport as Transport).addPeer(nodeId, [url]);
    } else if (type === ConfChangeType.ConfChangeRemoveNode) {
      this.leaving.add(nodeId);
    }
  }

  /**
   * Forgets the leaving members no configuration holds any more: a removed member stays an
   * outgoing voter until the joint configuration is left, and must hear the leader till then.
   */
  private dropLeft(index: number): void {
    const cs = this.confState;
    for (const id of this.leaving) {
      if ([cs.voters, cs.learners, cs.votersOutgoing, cs.learnersNext].some((l) => l.includes(id))) continue;
      this.leaving.delete(id);
      this.removed.add(id);
      if (id === this.id) this.events.push({ ev: 'removed', index });
      else (this.transport as Transport).removePeer(id);
    }
  }

  private snapshot(keep: number): number {
    const storage = this.disk.storage;
    const applied = this.sm.appliedIndex;
    if (applied <= this.snapshotIndex) return this.snapshotIndex;
    storage.createSnapshot(applied, this.confState, new Uint8Array(this.sm.hash));
    const compactIndex = applied > keep ? applied - keep : 1;
    if (compactIndex >= storage.firstIndex()) storage.compact(compactIndex);
    this.snapshotIndex = applied;
    return applied;
  }

  private running(): Node {
    if (this.node === undefined || this.stopped)
      throw new Error(`ts member ${this.id.toString(16)} is not running`);
    return this.node;
  }

  async propose(data: readonly Uint8Array[]): Promise<void> {
    const node = this.running();
    const signal = AbortSignal.timeout(PROPOSE_TIMEOUT_MS);
    for (const d of data) await node.propose(d, { signal });
  }

  async proposeConfChange(type: ConfChangeKind, nodeId: bigint, context = ''): Promise<void> {
    const cc: ConfChange = {
      id: 0n,
      type: CONF_CHANGE_TYPES[type],
      nodeId,
      context: context === '' ? undefined : new Uint8Array(Buffer.from(context)),
    };
    await this.running().proposeConfChange(cc, { signal: AbortSignal.timeout(PROPOSE_TIMEOUT_MS) });
  }

  async proposeConfChangeV2(
    changes: readonly ConfChangeV2Item[],
    transition: ConfChangeTransitionKind,
  ): Promise<void> {
    const urls: Record<string, string> = {};
    for (const c of changes) if (c.url !== undefined) urls[formatId(c.nodeId)] = c.url;
    const cc: ConfChangeV2 = {
      transition: TRANSITIONS[transition],
      changes: changes.map((c) => ({ type: CONF_CHANGE_TYPES[c.type], nodeId: c.nodeId })),
      context: Object.keys(urls).length === 0 ? undefined : new Uint8Array(Buffer.from(JSON.stringify(urls))),
    };
    await this.running().proposeConfChange(cc, { signal: AbortSignal.timeout(PROPOSE_TIMEOUT_MS) });
  }

  async transferLeader(transferee: bigint): Promise<void> {
    this.running().transferLeadership(transferee);
  }

  async readIndex(rctx: Uint8Array): Promise<void> {
    await this.running().readIndex(rctx);
  }

  async pause(): Promise<void> {
    this.running();
    if (this.transport !== undefined) pauseTransport(this.transport);
  }

  async resume(): Promise<void> {
    this.running();
    if (this.transport !== undefined) resumeTransport(this.transport);
  }

  async campaign(): Promise<void> {
    await this.running().campaign();
  }

  async status(): Promise<MemberStatus> {
    const node = this.running();
    const st = node.status();
    const storage = this.disk.storage;
    return {
      lead: st.softState.lead,
      term: st.hardState.term,
      commit: st.hardState.commit,
      applied: this.sm.appliedIndex,
      snapshotIndex: this.snapshotIndex,
      firstIndex: storage.firstIndex(),
      lastIndex: storage.lastIndex(),
      hash: this.sm.hash.toString('hex'),
      state:
        ['StateFollower', 'StateCandidate', 'StateLeader', 'StatePreCandidate'][st.softState.raftState] ??
        '?',
      voters: [...this.confState.voters],
      learners: [...this.confState.learners],
      votersOutgoing: [...this.confState.votersOutgoing],
      autoLeave: this.confState.autoLeave,
    };
  }

  async log(from = 0): Promise<MemberLog> {
    return {
      entries: this.sm.applied.filter((e) => e.index >= from),
      applied: this.sm.appliedIndex,
      hash: this.sm.hash.toString('hex'),
    };
  }

  async compact(keep: number): Promise<number> {
    this.running();
    return this.snapshot(keep);
  }

  /** Stops raft, the transport and the server (every socket closed); the disk is kept. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.node?.stop();
    // Cut every inbound connection before the transport says goodbye on its own.
    this.server.closeAllConnections();
    await this.transport?.stop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.events.push({ ev: 'exit' });
  }

  /** In-process there is no harder stop than `stop`: connections are cut, the disk survives. */
  kill(): Promise<void> {
    return this.stop();
  }
}

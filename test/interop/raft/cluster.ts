/**
 * A mixed cluster of Go (etcd 3.4 raft + rafthttp, one process each) and raftwire members on
 * loopback. Owns every member's durable state (a temp dir per Go member, a TsDisk per TS member),
 * restarts members on their old address, waits on members' events, and at the end compares every
 * member's log entry for entry. `close()` kills every process and closes every socket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatId } from '../../../src/raftpb/index.js';
import { waitFor } from '../../support/wait.js';
import type {
  ClusterNode,
  ConfChangeTransitionKind,
  MemberLog,
  MemberSpec,
  MemberStatus,
  NodeKind,
  StartOptions,
} from './cluster-node.js';
import { GoRaftNode } from './go-raft-node.js';
import type { LoggedEntry } from './state-machine.js';
import { newTsDisk, type TsDisk, TsRaftNode } from './ts-raft-node.js';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Settings shared by every member (raft-core §5.3: same cluster-wide settings). */
export type ClusterSettings = Omit<StartOptions, 'peers' | 'join'>;

interface Member {
  readonly id: bigint;
  readonly kind: NodeKind;
  /** Go: data directory. */
  readonly dir?: string;
  /** TS: the storage that survives restarts. */
  readonly disk?: TsDisk;
  node: ClusterNode;
  running: boolean;
}

const DEFAULT_WAIT_MS = 20_000;

/** A running mixed cluster. */
export class MixedCluster {
  private readonly members = new Map<bigint, Member>();
  private readonly random: () => number;
  /** Payloads (hex) some leader was seen to apply. */
  private readonly confirmed = new Set<string>();
  /** The leader's term when `waitConverged` last returned, or when `waitLeader` first saw one. */
  private convergedTerm = 0;
  /** Current membership as handed to new members' transports. */
  private peers: MemberSpec[] = [];

  private constructor(
    private readonly root: string,
    readonly settings: ClusterSettings,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /**
   * Starts members 1..n of the given kinds as one bootstrapped cluster (no leader yet). The caller
   * must `close()` it (t.after).
   */
  static async start(
    kinds: readonly NodeKind[],
    settings: ClusterSettings,
    seed: number,
  ): Promise<MixedCluster> {
    const root = await mkdtemp(join(tmpdir(), 'raftwire-mixed-'));
    const c = new MixedCluster(root, settings, seed);
    try {
      for (let i = 0; i < kinds.length; i++) await c.create(BigInt(i + 1), kinds[i] as NodeKind);
      c.peers = [...c.members.values()].map((m) => ({ id: m.id, url: m.node.url }));
      await Promise.all([...c.members.values()].map((m) => m.node.start({ ...settings, peers: c.peers })));
      for (const m of c.members.values()) m.running = true;
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  private async create(id: bigint, kind: NodeKind): Promise<Member> {
    let m: Member;
    if (kind === 'go') {
      const dir = join(this.root, `go-${formatId(id)}`);
      m = { id, kind, dir, node: await GoRaftNode.spawn(id, dir), running: false };
    } else {
      const disk = newTsDisk();
      const seed = Math.floor(this.random() * 2 ** 32);
      m = { id, kind, disk, node: await TsRaftNode.listen(id, disk, seededRandom(seed)), running: false };
    }
    this.members.set(id, m);
    return m;
  }

  /** The member `id` (its current incarnation). */
  node(id: bigint): ClusterNode {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${formatId(id)}`);
    return m.node;
  }

  /** IDs of running members. */
  runningIds(): bigint[] {
    return [...this.members.values()].filter((m) => m.running).map((m) => m.id);
  }

  /** IDs of running members of one kind. */
  idsOf(kind: NodeKind): bigint[] {
    return this.runningIds().filter((id) => this.members.get(id)?.kind === kind);
  }

  /** Kills a member (SIGKILL for Go); its durable state is kept. */
  async kill(id: bigint): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined) return;
    m.running = false;
    await m.node.kill();
  }

  /** Graceful stop of a member; its durable state is kept. */
  async stop(id: bigint): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined) return;
    m.running = false;
    await m.node.stop();
  }

  /** Restarts a stopped member on its old address from its durable state. */
  async restart(id: bigint): Promise<ClusterNode> {
    const m = this.members.get(id);
    if (m === undefined || m.running) throw new Error(`member ${formatId(id)} is not stopped`);
    const url = new URL(m.node.url);
    if (m.kind === 'go') {
      m.node = await GoRaftNode.spawn(id, m.dir as string, url.host);
    } else {
      const seed = Math.floor(this.random() * 2 ** 32);
      m.node = await TsRaftNode.listen(id, m.disk as TsDisk, seededRandom(seed), Number(url.port));
    }
    await m.node.start({ ...this.settings, peers: this.peers });
    m.running = true;
    return m.node;
  }

  /**
   * Creates a new member `id` of `kind`, proposes its addition (V1 AddNode, or AddLearnerNode when
   * `learner`, with its URL as context) through `via`, and starts it as a joiner once every
   * member applied the change and `beforeStart` resolved.
   */
  async addMember(
    id: bigint,
    kind: NodeKind,
    via: bigint,
    learner = false,
    beforeStart: () => Promise<void> = async () => undefined,
  ): Promise<ClusterNode> {
    const m = await this.create(id, kind);
    const proposer = this.node(via);
    await proposer.proposeConfChange(learner ? 'addLearner' : 'add', id, m.node.url);
    // Applied everywhere before anything else happens: the leader refuses a second conf change
    // while one is pending (it becomes an empty entry).
    const others = this.runningIds();
    await this.waitUntil(`member ${formatId(id)} added on every member`, async () => {
      const sts = await Promise.all(others.map((x) => this.node(x).status()));
      return sts.every((s) => (learner ? s.learners : s.voters).includes(id));
    });
    await beforeStart();
    this.peers = [...this.peers, { id, url: m.node.url }];
    await m.node.start({ ...this.settings, peers: this.peers, join: true });
    m.running = true;
    return m.node;
  }

  /** Promotes learner `id` to voter (V1 AddNode) through `via`; waits until every member applied it. */
  async promote(id: bigint, via: bigint): Promise<void> {
    await this.node(via).proposeConfChange('add', id, this.node(id).url);
    const all = this.runningIds();
    await this.waitUntil(`learner ${formatId(id)} promoted on every member`, async () => {
      const sts = await Promise.all(all.map((x) => this.node(x).status()));
      return sts.every((s) => s.voters.includes(id) && !s.learners.includes(id));
    });
  }

  /**
   * One ConfChangeV2 through `via`: adds new voters of the given kinds and removes `remove`, with
   * `transition`. Waits until every running member applied the change (entered the joint
   * configuration, or with 'auto' possibly already left it), then starts the new members as
   * joiners. Removed members keep running (they may still be outgoing voters): `leaveJoint` or
   * the automatic leave ends that, and `dropRemoved` stops them.
   */
  async changeMembersV2(
    via: bigint,
    add: readonly { id: bigint; kind: NodeKind }[],
    remove: readonly bigint[],
    transition: ConfChangeTransitionKind,
  ): Promise<void> {
    const created = [];
    for (const a of add) created.push(await this.create(a.id, a.kind));
    await this.node(via).proposeConfChangeV2(
      [
        ...created.map((m) => ({ type: 'add' as const, nodeId: m.id, url: m.node.url })),
        ...remove.map((id) => ({ type: 'remove' as const, nodeId: id })),
      ],
      transition,
    );
    const others = this.runningIds();
    await this.waitUntil('the V2 change applied on every member', async () => {
      const sts = await Promise.all(others.map((x) => this.node(x).status()));
      return sts.every(
        (s) => add.every((a) => s.voters.includes(a.id)) && remove.every((id) => !s.voters.includes(id)),
      );
    });
    // The new members replay the change, removing the old ones from their transports: they start
    // knowing them (dropRemoved forgets them).
    this.peers = [...this.peers, ...created.map((m) => ({ id: m.id, url: m.node.url }))];
    for (const m of created) {
      await m.node.start({ ...this.settings, peers: this.peers, join: true });
      m.running = true;
    }
  }

  /** Proposes an empty ConfChangeV2 through `via` (leave the joint configuration). */
  async leaveJoint(via: bigint): Promise<void> {
    await this.node(via).proposeConfChangeV2([], 'auto');
  }

  /**
   * Waits until every running member except `except` is out of any joint configuration and all of
   * them have the same voters. Not "no outgoing voters" alone: a member that just joined has no
   * configuration at all (and then the bootstrap one) until it has caught up, and passes that.
   */
  async waitJointLeft(except: readonly bigint[] = []): Promise<void> {
    const ids = this.runningIds().filter((x) => !except.includes(x));
    await this.waitUntil('every member left the joint configuration, with the same voters', async () => {
      const sts = await Promise.all(ids.map((x) => this.node(x).status()));
      const voters = (s: (typeof sts)[number]) => [...s.voters].sort().join(',');
      const first = sts[0];
      return (
        first !== undefined &&
        first.voters.length > 0 &&
        sts.every((s) => s.votersOutgoing.length === 0 && voters(s) === voters(first))
      );
    });
  }

  /** Stops removed members and forgets them. */
  async dropRemoved(ids: readonly bigint[]): Promise<void> {
    for (const id of ids) {
      await this.stop(id);
      this.members.delete(id);
    }
    this.peers = this.peers.filter((p) => !ids.includes(p.id));
  }

  /** Proposes removing `id` through `via` and waits until every other running member applied it. */
  async removeMember(id: bigint, via: bigint): Promise<void> {
    await this.node(via).proposeConfChange('remove', id);
    const others = this.runningIds().filter((x) => x !== id);
    await this.waitUntil(`member ${formatId(id)} removed`, async () => {
      const sts = await Promise.all(others.map((x) => this.node(x).status()));
      return sts.every((s) => !s.voters.includes(id));
    });
    this.peers = this.peers.filter((p) => p.id !== id);
    await this.stop(id);
    this.members.delete(id);
  }

  /**
   * Resolves once `cond` holds; re-checked whenever a running member reports an event, and at the
   * start. Rejects after `timeoutMs` with `what`.
   */
  waitUntil(
    what: string | (() => string),
    cond: () => boolean | Promise<boolean>,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<void> {
    const nodes = this.runningIds().map((id) => this.node(id));
    return waitFor(what, cond, {
      timeoutMs,
      on: nodes.map((n) => (wake: () => void) => n.events.listen(wake)),
      describe: async () => `\n${await this.describe()}`,
    });
  }

  /** Waits until every running member follows the same leader (optionally `expected`). */
  async waitLeader(expected?: bigint, timeoutMs = DEFAULT_WAIT_MS): Promise<bigint> {
    let lead = 0n;
    await this.waitUntil(
      expected === undefined ? 'a leader' : `leader ${formatId(expected)}`,
      () => {
        const running = this.runningIds();
        const leads = running.map((id) => lastLead(this.node(id)));
        lead = leads[0] ?? 0n;
        return (
          running.includes(lead) &&
          leads.every((l) => l === lead) &&
          (expected === undefined || lead === expected)
        );
      },
      timeoutMs,
    );
    // The first leader seen is the baseline for waitConverged's "the term moved".
    if (this.convergedTerm === 0)
      this.convergedTerm = Number(this.node(lead).events.last('leaderChanged')?.term ?? 0);
    return lead;
  }

  /**
   * Waits until `to` has opened its message stream to `from` (so `from` writes to `to` on a stream,
   * not on the 64-slot pipeline, which drops bursts as etcd does).
   */
  waitMessageStream(from: bigint, to: bigint, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitUntil(
      `message stream ${formatId(from)} → ${formatId(to)}`,
      () => streamOpen(this.node(from), to, 'message'),
      timeoutMs,
    );
  }

  /** Waits until every running member applied at least `index`. */
  waitApplied(index: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitUntil(
      `every member applied ${index}`,
      () => this.runningIds().every((id) => lastApplied(this.node(id)) >= index),
      timeoutMs,
    );
  }

  /**
   * Waits until the leader applied every payload in `mustContain` (proposed from anywhere; hex)
   * and every running member applied everything in the leader's log.
   *
   * raft does not promise that a proposal survives a change of leader: one forwarded to, or
   * appended only by, a leader that then lost its term is dropped or overwritten without a word.
   * So when payloads are still missing at the timeout, the leader's term moved since the previous
   * call, and the cluster has settled (every member applied the leader's whole, committed log, and
   * no log holds the payload), they are proposed again through the current leader, once. Without a
   * change of leader a missing payload fails the wait as before.
   */
  async waitConverged(
    mustContain: ReadonlySet<string> = new Set(),
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<void> {
    const termBefore = this.convergedTerm;
    const lead = await this.waitLeader(undefined, timeoutMs);
    // Payloads confirmed by an earlier call may sit behind a snapshot by now: check only new ones.
    let pending = [...mustContain].filter((d) => !this.confirmed.has(d));
    const waitApplied = (leader: ClusterNode) => {
      let checkedAt = -1;
      return this.waitUntil(
        () => `leader ${formatId(leader.id)} applying every proposal (${pending.length} missing)`,
        async () => {
          const applied = lastApplied(leader);
          if (applied === checkedAt) return false;
          checkedAt = applied;
          const seen = new Set((await leader.log()).entries.map((e) => e.data));
          pending = pending.filter((d) => !seen.has(d));
          return pending.length === 0;
        },
        timeoutMs,
      );
    };
    if (pending.length > 0) {
      try {
        await waitApplied(this.node(lead));
      } catch (err) {
        const now = this.node(await this.waitLeader(undefined, timeoutMs));
        if (!(await this.lostToLeaderChange(now, pending, termBefore))) throw err;
        console.warn(
          `waitConverged: ${pending.length} payload(s) lost to a change of leader (term ${termBefore} → ${(await now.status()).term}); proposed again through ${formatId(now.id)}`,
        );
        await now.propose(pending.map((d) => Buffer.from(d, 'hex')));
        await waitApplied(now);
      }
      for (const d of mustContain) this.confirmed.add(d);
    }
    const st = await this.node(await this.waitLeader(undefined, timeoutMs)).status();
    await this.waitApplied(st.lastIndex, timeoutMs);
    this.convergedTerm = st.term;
  }

  /**
   * True when `pending` was lost to a change of leader: the term moved past `termBefore`, the
   * leader's log is committed and applied by every running member, and no member's log holds any
   * of the payloads.
   */
  private async lostToLeaderChange(
    leader: ClusterNode,
    pending: readonly string[],
    termBefore: number,
  ): Promise<boolean> {
    const st = await leader.status();
    if (st.term <= termBefore || st.commit !== st.lastIndex) return false;
    for (const id of this.runningIds()) {
      const n = this.node(id);
      if (lastApplied(n) < st.lastIndex) return false;
      const data = new Set((await n.log()).entries.map((e) => e.data));
      if (pending.some((d) => data.has(d))) return false;
    }
    return true;
  }

  /** How many of `payloads` no `waitConverged` has seen applied yet. */
  unconfirmed(payloads: ReadonlySet<string>): number {
    let n = 0;
    for (const d of payloads) if (!this.confirmed.has(d)) n++;
    return n;
  }

  /** Status, log and kind of every running member. */
  async snapshotAll(): Promise<Array<{ id: bigint; kind: NodeKind; status: MemberStatus; log: MemberLog }>> {
    return Promise.all(
      this.runningIds().map(async (id) => {
        const n = this.node(id);
        const [status, log] = await Promise.all([n.status(), n.log()]);
        return { id, kind: n.kind, status, log };
      }),
    );
  }

  private async describe(): Promise<string> {
    const lines = await Promise.all(
      this.runningIds().map(async (id) => {
        const n = this.node(id);
        const st = await Promise.race([
          n
            .status()
            .then(
              (s) =>
                `lead=${formatId(s.lead)} term=${s.term} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} ${s.state}`,
            ),
          new Promise<string>((r) => setTimeout(() => r('(no status)'), 2000).unref()),
        ]).catch((e: unknown) => String(e));
        // Leader history (lead@term): a change during a wait explains dropped forwarded proposals.
        const leads = n.events.items
          .filter((e) => e.ev === 'leaderChanged')
          .map((e) => `${String(e.lead)}@${String(e.term)}`)
          .join(' ');
        return `  ${n.kind} ${formatId(id)}: ${st} leaders[${leads}] applied=${lastApplied(n)}${n.events.describe()}`;
      }),
    );
    return lines.join('\n');
  }

  /** Stops every member and removes the data directories. */
  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.node.kill().catch(() => undefined)));
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The leader a member last reported (0 when none yet). */
export function lastLead(n: ClusterNode): bigint {
  const e = n.events.last('leaderChanged');
  return e === undefined ? 0n : BigInt(`0x${String(e.lead)}`);
}

/**
 * True when `peer` currently holds a stream of `type` open to member `n`'s server. Counted, not
 * taken from the last event: a redialed stream opens before the replaced one's handler returns.
 */
export function streamOpen(n: ClusterNode, peer: bigint, type: 'message' | 'msgapp'): boolean {
  const hex = formatId(peer);
  let open = 0;
  for (const e of n.events.items) {
    if (e.ev === 'stream' && e.peer === hex && e.type === type) open += e.open === true ? 1 : -1;
  }
  return open > 0;
}

/** The last applied index a member reported (0 when none yet). */
export function lastApplied(n: ClusterNode): number {
  const e = n.events.last('applied');
  return e === undefined ? 0 : Number(e.index);
}

/** Entries in `a` and `b` at the same index that differ, as text (empty when none). */
export function logDifferences(a: readonly LoggedEntry[], b: readonly LoggedEntry[]): string[] {
  const byIndex = new Map(b.map((e) => [e.index, e]));
  const out: string[] = [];
  for (const e of a) {
    const o = byIndex.get(e.index);
    if (o === undefined) continue;
    if (o.term !== e.term || o.type !== e.type || o.data !== e.data) {
      out.push(`index ${e.index}: ${e.term}/${e.type}/${e.data} vs ${o.term}/${o.type}/${o.data}`);
    }
  }
  return out;
}

/**
 * A ProcessCluster whose peer traffic goes through one FaultProxy per member: the --cluster URLs
 * name the proxies, each member binds its real peer port with --listen-peer, so every connection
 * to member j passes proxy j, and the proxy tells the dialing member by its X-Server-From header.
 * A message from i to j travels either in a POST that i sends to j (proxy j, source i, up) or in
 * a stream response that i writes to j's GET (proxy i, source j, down); `cut(i, j)` blackholes both.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy, identifyRaftPeer, type LinkFault } from '../../../src/testing/fault-proxy.js';
import { ProcessCluster } from '../../kv/e2e/process-cluster.js';
import { tortureRandom } from './torture.js';

const hex = (id: number): string => id.toString(16);

/** Status fields the convergence check compares. */
export interface Converged {
  applied: number;
  stateHash: string;
}

export class FaultCluster extends ProcessCluster {
  readonly proxies = new Map<number, FaultProxy>();

  /** Defines members 1..n and starts their proxies. */
  async setup(n: number): Promise<void> {
    await this.define(n);
    // The members' ports were probed free but are not bound yet: a proxy on port 0 could be
    // given one of them, so such a proxy is replaced.
    const taken = new Set([...this.members.values()].flatMap((m) => [m.peerPort, m.clientPort]));
    for (const m of this.members.values()) {
      if (this.proxies.has(m.id)) continue;
      for (;;) {
        const p = await FaultProxy.start({
          target: { host: '127.0.0.1', port: m.peerPort },
          identify: identifyRaftPeer,
          random: tortureRandom(),
        });
        if (!taken.has(p.port)) {
          this.proxies.set(m.id, p);
          break;
        }
        await p.close();
      }
    }
  }

  override clusterFlag(): string {
    return [...this.members.values()]
      .map((m) => `http://127.0.0.1:${this.proxies.get(m.id)?.port ?? m.peerPort}`)
      .join(',');
  }

  /** Starts member `id` behind its proxy, with extra environment (e.g. RAFTWIRE_FAILPOINTS). */
  startMember(id: number, env?: Record<string, string>): void {
    const m = this.member(id);
    this.start(id, { args: ['--listen-peer', `http://127.0.0.1:${m.peerPort}`], ...(env ? { env } : {}) });
  }

  /** Starts every member and waits for a leader; returns its ID. */
  async startAllMembers(env?: (id: number) => Record<string, string> | undefined): Promise<number> {
    for (const id of this.members.keys()) this.startMember(id, env?.(id));
    return this.waitLeader();
  }

  proxy(id: number): FaultProxy {
    const p = this.proxies.get(id);
    if (p === undefined) throw new Error(`no proxy for member ${id}`);
    return p;
  }

  /** Applies `fault` to every raft message from `from` to `to` (one way). */
  link(from: number, to: number, fault: LinkFault): void {
    this.proxy(to).setFault('up', fault, hex(from));
    this.proxy(from).setFault('down', fault, hex(to));
  }

  /** Blackholes every message from `from` to `to`. */
  cut(from: number, to: number): void {
    this.link(from, to, { kind: 'blackhole' });
  }

  /** Cuts `id` off from every other member, both ways. */
  isolate(id: number): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.cut(id, other);
      this.cut(other, id);
    }
  }

  /** Every proxy back to pass (connections that lost bytes are reset). */
  heal(): void {
    for (const p of this.proxies.values()) p.heal();
  }

  /** Waits until members `ids` agree on a leader other than `not`; returns it. */
  async waitLeaderAmong(ids: number[], not?: number, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = await Promise.all(ids.map(async (id) => (await this.status(id))?.leader));
      const first = leaders[0];
      if (
        typeof first === 'string' &&
        leaders.every((l) => l === first) &&
        Number.parseInt(first, 16) !== not
      )
        return Number.parseInt(first, 16);
      if (Date.now() > deadline)
        throw new Error(`no common leader among ${ids} in ${timeoutMs} ms: ${leaders}`);
      await sleep(100);
    }
  }

  /** Client base URLs of the members that run and are not stopped. */
  liveBases(except: ReadonlySet<number> = new Set()): string[] {
    return [...this.members.values()]
      .filter((m) => m.child !== undefined && !except.has(m.id))
      .map((m) => m.base);
  }

  /**
   * Waits until every running member reports the same applied index and state hash (and no
   * member is behind the others); returns them.
   */
  async converge(timeoutMs = 20_000): Promise<Converged> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      const running = [...this.members.values()].filter((m) => m.child !== undefined);
      const ss = await Promise.all(
        running.map(async (m) => {
          try {
            const r = await fetch(`${m.base}/-/status?hash`, { signal: AbortSignal.timeout(2000) });
            return (await r.json()) as { applied: number; commit: number; stateHash: string };
          } catch {
            return undefined;
          }
        }),
      );
      last = ss;
      const first = ss[0];
      if (
        first !== undefined &&
        ss.every(
          (s) =>
            s !== undefined &&
            s.applied === first.applied &&
            s.stateHash === first.stateHash &&
            s.commit === s.applied,
        )
      )
        return { applied: first.applied, stateHash: first.stateHash };
      if (Date.now() > deadline)
        throw new Error(
          `members did not converge in ${timeoutMs} ms: ${JSON.stringify(last)}\n${this.logs()}`,
        );
      await sleep(200);
    }
  }

  override async close(): Promise<void> {
    await super.close();
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}

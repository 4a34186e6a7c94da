/**
 * A FaultCluster whose members each run in their own network namespace (see netns.ts), started as
 * `ip netns exec <ns> node dist/src/cli/main.js node ...` (ip execs, so the child's pid is the
 * node process and SIGKILL/SIGSTOP reach it). Member `i` listens on `<subnet>.i`, peer port 2380,
 * client port 2379.
 *
 * Faults are nftables rules in one `inet raftwire` table per namespace, on the output hook, that
 * match only the addresses of the other members: every packet between members can be dropped, while
 * the test process (the bridge address) always reaches every client port, so the workload records
 * timeouts as unknown outcomes. A bandwidth limit is a tc tbf qdisc on a member's eth0 (all it
 * sends). `heal()` deletes the table in every namespace and every qdisc.
 */
import { join } from 'node:path';
import type { Member } from '../../kv/e2e/process-cluster.js';
import { FaultCluster } from './fault-cluster.js';
import { NetnsNetwork, requireNetAdmin, sweepStale } from './netns.js';

const PEER_PORT = 2380;
const CLIENT_PORT = 2379;

export class NetnsCluster extends FaultCluster {
  readonly net = new NetnsNetwork();
  /** Per member: addresses its packets must not reach. */
  readonly #drop = new Map<number, Set<number>>();
  /** Per member: percentage of its packets to other members dropped at random. */
  readonly #loss = new Map<number, number>();
  /** Members whose eth0 has a tbf rate limit. */
  readonly #limited = new Set<number>();
  /** What the stale sweep at setup removed. */
  swept: string[] = [];

  /** Creates the network and defines members 1..n in it (no proxies). */
  override async setup(n: number): Promise<void> {
    requireNetAdmin();
    this.swept = sweepStale();
    this.net.create(n);
    for (let id = 1; id <= n; id++) {
      this.members.set(id, {
        id,
        peerPort: PEER_PORT,
        clientPort: CLIENT_PORT,
        dataDir: join(this.dir, `member-${id}`),
        base: `http://${this.net.address(id)}:${CLIENT_PORT}`,
        child: undefined,
        output: '',
        head: '',
        exited: undefined,
      });
    }
  }

  override clusterFlag(): string {
    return [...this.members.keys()].map((id) => `http://${this.net.address(id)}:${PEER_PORT}`).join(',');
  }

  protected override command(m: Member, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.net.ns(m.id), process.execPath, ...args]];
  }

  override startMember(id: number, env?: Record<string, string>): void {
    // The later --listen-client wins over ProcessCluster's loopback one.
    this.start(id, {
      args: ['--listen-client', `http://${this.net.address(id)}:${CLIENT_PORT}`],
      ...(env ? { env } : {}),
    });
  }

  override link(): void {
    throw new Error('NetnsCluster faults links with nftables: use cut, isolate, partition, loss');
  }

  /** Drops every packet from `from` to `to` (one way: `from`'s output only). */
  override cut(from: number, to: number): void {
    this.#dropSet(from).add(to);
    this.#apply(from);
  }

  /** Cuts `id` off from every other member, both ways. */
  override isolate(id: number): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.cut(id, other);
      this.cut(other, id);
    }
  }

  /** Members in different groups cannot reach each other (both ways). */
  partition(groups: number[][]): void {
    for (const g of groups)
      for (const h of groups) {
        if (g === h) continue;
        for (const a of g) for (const b of h) this.cut(a, b);
      }
  }

  /** Drops `pct` % of the packets `id` sends to other members, at random. */
  loss(id: number, pct: number): void {
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`loss ${pct}: expected 0..100`);
    this.#loss.set(id, pct);
    this.#apply(id);
  }

  /**
   * Limits everything member `id` sends (to peers and to clients) to `kbit` kbit/s: a token bucket
   * (tc tbf) as root qdisc of its eth0, packets over a 400 ms backlog dropped.
   */
  rateLimit(id: number, kbit: number): void {
    this.net.tc(id, [
      'qdisc',
      'replace',
      'dev',
      'eth0',
      'root',
      'tbf',
      'rate',
      `${kbit}kbit`,
      'burst',
      '16kb',
      'latency',
      '400ms',
    ]);
    this.#limited.add(id);
  }

  /** `tc -s qdisc show dev eth0` in member `id`'s namespace (the tbf's counters). */
  qdisc(id: number): string {
    return this.net.tc(id, ['-s', 'qdisc', 'show', 'dev', 'eth0']);
  }

  /** Deletes the fault table in every namespace and every rate limit. */
  override heal(): void {
    this.#drop.clear();
    this.#loss.clear();
    for (const id of this.members.keys()) this.#apply(id);
    for (const id of this.#limited) this.net.tc(id, ['qdisc', 'del', 'dev', 'eth0', 'root']);
    this.#limited.clear();
  }

  /** The rules now in member `id`'s namespace (`nft list ruleset`). */
  ruleset(id: number): string {
    return this.net.nft(id, 'list ruleset');
  }

  /** Packets member `id`'s fault rules dropped so far (their counters). */
  dropped(id: number): number {
    return [...this.ruleset(id).matchAll(/counter packets (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  }

  #dropSet(id: number): Set<number> {
    let s = this.#drop.get(id);
    if (s === undefined) {
      s = new Set();
      this.#drop.set(id, s);
    }
    return s;
  }

  /** Replaces member `id`'s table with its current faults, atomically. */
  #apply(id: number): void {
    const rules: string[] = [];
    const drop = [...(this.#drop.get(id) ?? [])];
    if (drop.length > 0)
      rules.push(`ip daddr { ${drop.map((d) => this.net.address(d)).join(', ')} } counter drop`);
    const pct = this.#loss.get(id) ?? 0;
    const others = [...this.members.keys()].filter((o) => o !== id).map((o) => this.net.address(o));
    if (pct > 0 && others.length > 0)
      rules.push(`ip daddr { ${others.join(', ')} } numgen random mod 100 < ${pct} counter drop`);
    let script = 'table inet raftwire\ndelete table inet raftwire\n';
    if (rules.length > 0)
      script += `table inet raftwire {\n chain out {\n  type filter hook output priority 0; policy accept;\n${rules.map((r) => `  ${r}\n`).join('')} }\n}\n`;
    this.net.nft(id, script);
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.net.destroy();
    }
  }
}

/**
 * "No two leaders in a term": polls every running member's `/-/status` about every 50 ms for a
 * whole scenario and records what each member says about the term it is in (its own leadership
 * claim and the leader it knows). `leaderConflicts` is the verdict: a term in which two different
 * members claimed leadership, or members named two different leaders, is a safety violation.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** One member's answer at one moment. */
export interface LeaderSample {
  /** The member asked (its test-side number). */
  member: number;
  /** performance.now() when the answer arrived. */
  at: number;
  term: number;
  /** The member's own ID as it reports it (lowercase hex). */
  id: string;
  /** The leader it knows in `term` (lowercase hex), null when none. */
  leader: string | null;
  role: string;
}

/** A term with more than one leader. */
export interface LeaderConflict {
  term: number;
  /** Members (hex IDs) that said they were the leader of `term`. */
  claimants: string[];
  /** Leaders (hex IDs) any member named for `term`. */
  named: string[];
}

/** A member claims leadership of its term if its role is leader or it names itself the leader. */
export const claimsLeadership = (s: LeaderSample): boolean => s.role === 'leader' || s.leader === s.id;

/** The terms in which two different members claimed leadership or were named leader. */
export function leaderConflicts(samples: readonly LeaderSample[]): LeaderConflict[] {
  const byTerm = new Map<number, { claimants: Set<string>; named: Set<string> }>();
  for (const s of samples) {
    let e = byTerm.get(s.term);
    if (e === undefined) {
      e = { claimants: new Set(), named: new Set() };
      byTerm.set(s.term, e);
    }
    if (claimsLeadership(s)) e.claimants.add(s.id);
    if (s.leader !== null) e.named.add(s.leader);
  }
  const out: LeaderConflict[] = [];
  for (const [term, e] of [...byTerm].sort((a, b) => a[0] - b[0])) {
    if (e.claimants.size > 1 || e.named.size > 1)
      out.push({ term, claimants: [...e.claimants].sort(), named: [...e.named].sort() });
  }
  return out;
}

/** Counts of what a sampler saw. */
export interface SamplerSummary {
  samples: number;
  /** Distinct terms seen. */
  terms: number;
  /** Distinct terms in which some member claimed leadership. */
  termsWithLeader: number;
  /** Distinct members that answered. */
  members: number;
  rounds: number;
}

export function summarize(samples: readonly LeaderSample[], rounds = 0): SamplerSummary {
  return {
    samples: samples.length,
    terms: new Set(samples.map((s) => s.term)).size,
    termsWithLeader: new Set(samples.filter(claimsLeadership).map((s) => s.term)).size,
    members: new Set(samples.map((s) => s.member)).size,
    rounds,
  };
}

/** Parses one `/-/status` body into a sample; undefined when it lacks the fields. */
export function toSample(member: number, at: number, body: unknown): LeaderSample | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.term !== 'number' || typeof b.id !== 'string' || typeof b.role !== 'string') return undefined;
  const leader = typeof b.leader === 'string' ? b.leader : null;
  return { member, at, term: b.term, id: b.id, leader, role: b.role };
}

/** What the sampler polls: members with a client base URL, running while `child` is set. */
export interface SampledCluster {
  readonly members: ReadonlyMap<number, { id: number; base: string; child: unknown }>;
}

/** Polls the running members of a cluster until `stop()`. */
export class LeaderSampler {
  readonly samples: LeaderSample[] = [];
  rounds = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #cluster: SampledCluster;
  readonly #intervalMs: number;

  constructor(cluster: SampledCluster, intervalMs = 50) {
    this.#cluster = cluster;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops polling; resolves once the round in progress finished. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  conflicts(): LeaderConflict[] {
    return leaderConflicts(this.samples);
  }

  summary(): SamplerSummary {
    return summarize(this.samples, this.rounds);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const running = [...this.#cluster.members.values()].filter((m) => m.child !== undefined);
      await Promise.all(
        running.map(async (m) => {
          try {
            const r = await fetch(`${m.base}/-/status`, { signal: AbortSignal.timeout(1000) });
            const s = toSample(m.id, performance.now(), await r.json());
            if (s !== undefined) this.samples.push(s);
          } catch {
            // down, starting or too slow: no sample this round
          }
        }),
      );
      this.rounds++;
      if (this.#running) await sleep(this.#intervalMs);
    }
  }
}

/** Majority quorums: a set of voter IDs deciding by simple majority (etcd's `quorum.MajorityConfig`). */
import { type AckedIndexer, INDEX_INFINITY, VoteResult } from './quorum.js';

const compareIds = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A set of voter IDs that uses majority quorums to make decisions. Iteration (and every printed
 * form) is in ascending ID order, as etcd sorts wherever order is observable.
 */
export class MajorityConfig implements Iterable<bigint> {
  readonly #ids = new Set<bigint>();
  /** Sorted view of `#ids`, rebuilt lazily after a mutation. */
  #sorted: bigint[] | undefined = [];
  /** Scratch space for committedIndex, reused across calls (the hot path allocates nothing). */
  #scratch: number[] = [];

  constructor(ids?: Iterable<bigint>) {
    if (ids !== undefined) for (const id of ids) this.add(id);
  }

  /** Number of voters. */
  get size(): number {
    return this.#ids.size;
  }

  /** True when `id` is a voter. */
  has(id: bigint): boolean {
    return this.#ids.has(id);
  }

  /** Adds a voter (no-op when present). */
  add(id: bigint): this {
    if (!this.#ids.has(id)) {
      this.#ids.add(id);
      this.#sorted = undefined;
    }
    return this;
  }

  /** Removes a voter; returns whether it was present. */
  delete(id: bigint): boolean {
    const had = this.#ids.delete(id);
    if (had) this.#sorted = undefined;
    return had;
  }

  /** The voters in ascending order; a shared read-only view, do not mutate. */
  ids(): readonly bigint[] {
    if (this.#sorted === undefined) this.#sorted = [...this.#ids].sort(compareIds);
    return this.#sorted;
  }

  /** The voters as a new sorted array (etcd's `Slice`). */
  slice(): bigint[] {
    return [...this.ids()];
  }

  [Symbol.iterator](): Iterator<bigint> {
    return this.ids()[Symbol.iterator]();
  }

  /** An independent copy. */
  clone(): MajorityConfig {
    return new MajorityConfig(this.ids());
  }

  /** `(1 2 3)`, sorted. */
  toString(): string {
    return `(${this.ids().join(' ')})`;
  }

  /**
   * A multi-line chart of the voters' acked indexes (etcd's `Describe`): the i-th smallest distinct
   * index gets a bar of length i, `?` marks a voter that has not reported.
   */
  describe(l: AckedIndexer): string {
    const n = this.size;
    if (n === 0) return '<empty majority quorum>';
    const info = this.ids().map((id) => {
      const idx = l.ackedIndex(id);
      return { id, idx: idx ?? 0, ok: idx !== undefined, bar: 0 };
    });
    const byIndex = [...info].sort((a, b) => a.idx - b.idx || compareIds(a.id, b.id));
    for (let i = 1; i < byIndex.length; i++) {
      if (byIndex[i - 1]!.idx < byIndex[i]!.idx) byIndex[i]!.bar = i;
    }
    let out = `${' '.repeat(n)}    idx\n`;
    for (const t of info) {
      out += t.ok ? `${'x'.repeat(t.bar)}>${' '.repeat(n - t.bar)}` : `?${' '.repeat(n)}`;
      out += ` ${String(t.idx).padStart(5)}    (id=${t.id})\n`;
    }
    return out;
  }

  /**
   * The largest index acknowledged by a majority: sort the voters' acked indexes (missing = 0)
   * and take the one `n/2+1` from the top. An empty config yields {@link INDEX_INFINITY}.
   */
  committedIndex(l: AckedIndexer): number {
    const ids = this.ids();
    const n = ids.length;
    if (n === 0) return INDEX_INFINITY;
    const srt = this.#scratch;
    srt.length = n;
    for (let i = 0; i < n; i++) srt[i] = l.ackedIndex(ids[i]!) ?? 0;
    // Insertion sort: n is a handful of voters, and it sorts in place without a comparator closure.
    for (let i = 1; i < n; i++) {
      const v = srt[i]!;
      let j = i - 1;
      while (j >= 0 && srt[j]! > v) {
        srt[j + 1] = srt[j]!;
        j--;
      }
      srt[j + 1] = v;
    }
    return srt[n - ((n >> 1) + 1)]!;
  }

  /**
   * Tallies `votes` (voter ID → granted) over this config: Won once a majority said yes, Pending
   * while the missing votes could still make one, Lost otherwise. An empty config wins.
   */
  voteResult(votes: ReadonlyMap<bigint, boolean>): VoteResult {
    const ids = this.ids();
    const n = ids.length;
    if (n === 0) return VoteResult.VoteWon;
    let yes = 0;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const v = votes.get(ids[i]!);
      if (v === undefined) missing++;
      else if (v) yes++;
    }
    const q = (n >> 1) + 1;
    if (yes >= q) return VoteResult.VoteWon;
    if (yes + missing >= q) return VoteResult.VotePending;
    return VoteResult.VoteLost;
  }
}

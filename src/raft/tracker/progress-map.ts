/** The leader's Progress per peer, iterated in ascending ID order (etcd's `tracker.ProgressMap`). */
import type { Progress } from './progress.js';

const compareIds = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Peer ID → {@link Progress}. Unlike a JS `Map`, every iteration (and `toString`) is in ascending
 * ID order, as etcd sorts wherever order is observable. The sorted ID list is cached and rebuilt
 * only after a peer is added or removed.
 */
export class ProgressMap implements Iterable<[bigint, Progress]> {
  readonly #map = new Map<bigint, Progress>();
  #sorted: bigint[] | undefined = [];

  constructor(entries?: Iterable<readonly [bigint, Progress]>) {
    if (entries !== undefined) for (const [id, pr] of entries) this.set(id, pr);
  }

  /** Number of tracked peers. */
  get size(): number {
    return this.#map.size;
  }

  /** The Progress of `id`, or undefined. */
  get(id: bigint): Progress | undefined {
    return this.#map.get(id);
  }

  /** True when `id` is tracked. */
  has(id: bigint): boolean {
    return this.#map.has(id);
  }

  /** Tracks (or replaces) the Progress of `id`. */
  set(id: bigint, pr: Progress): this {
    if (!this.#map.has(id)) this.#sorted = undefined;
    this.#map.set(id, pr);
    return this;
  }

  /** Stops tracking `id`; returns whether it was tracked. */
  delete(id: bigint): boolean {
    const had = this.#map.delete(id);
    if (had) this.#sorted = undefined;
    return had;
  }

  /**
   * The tracked IDs in ascending order. The returned array is never mutated afterwards (a
   * change builds a new one), so it is safe to iterate while the map changes.
   */
  ids(): readonly bigint[] {
    if (this.#sorted === undefined) this.#sorted = [...this.#map.keys()].sort(compareIds);
    return this.#sorted;
  }

  /** `[id, progress]` pairs in ascending ID order. */
  *[Symbol.iterator](): Iterator<[bigint, Progress]> {
    for (const id of this.ids()) {
      const pr = this.#map.get(id);
      if (pr !== undefined) yield [id, pr];
    }
  }

  /** The Progress values in ascending ID order. */
  *values(): IterableIterator<Progress> {
    for (const [, pr] of this) yield pr;
  }

  /** One line per peer, sorted: `1: StateProbe match=0 next=1\n`. */
  toString(): string {
    let s = '';
    for (const [id, pr] of this) s += `${id}: ${pr}\n`;
    return s;
  }
}

/** The leader's sliding window of MsgApps in flight to one follower (etcd's `tracker.Inflights`). */
import { RaftFatalError } from '../errors.js';

/**
 * A ring buffer of the last entry index of each MsgApp in flight, with the payload bytes each
 * carried. Full when it holds `size` messages or, with `maxBytes` > 0, at least `maxBytes` bytes.
 * The buffer grows on demand (doubling, up to `size`) so idle peers cost little; `add` and
 * `freeLE` allocate nothing once grown.
 */
export class Inflights {
  /** Slot of the oldest inflight message. */
  #start = 0;
  /** Number of inflight messages. */
  #count = 0;
  /** Sum of the inflight messages' payload bytes. */
  #bytes = 0;
  /** Maximum number of inflight messages. */
  readonly #size: number;
  /** Maximum inflight bytes; 0 = no byte limit. */
  readonly #maxBytes: number;
  /** Last entry index of each inflight message (ring). */
  #index: Float64Array;
  /** Payload bytes of each inflight message (ring, parallel to `#index`). */
  #sizes: Float64Array;

  /** A window of up to `size` messages and (when `maxBytes` > 0) up to `maxBytes` bytes. */
  constructor(size: number, maxBytes = 0) {
    this.#size = size;
    this.#maxBytes = maxBytes;
    this.#index = new Float64Array(0);
    this.#sizes = new Float64Array(0);
  }

  /** An independent copy. */
  clone(): Inflights {
    const c = new Inflights(this.#size, this.#maxBytes);
    c.#start = this.#start;
    c.#count = this.#count;
    c.#bytes = this.#bytes;
    c.#index = this.#index.slice();
    c.#sizes = this.#sizes.slice();
    return c;
  }

  /**
   * Records a MsgApp whose last entry is `index`, carrying `bytes` of payload. Indexes must be
   * added in increasing order; adding to a full window is a fatal error (check {@link full} first).
   */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RaftFatalError('cannot add into a Full inflights');
    let next = this.#start + this.#count;
    if (next >= this.#size) next -= this.#size;
    if (next >= this.#index.length) this.#grow();
    this.#index[next] = index;
    this.#sizes[next] = bytes;
    this.#count++;
    this.#bytes += bytes;
  }

  #grow(): void {
    let n = this.#index.length * 2;
    if (n === 0) n = 1;
    else if (n > this.#size) n = this.#size;
    const index = new Float64Array(n);
    const sizes = new Float64Array(n);
    index.set(this.#index);
    sizes.set(this.#sizes);
    this.#index = index;
    this.#sizes = sizes;
  }

  /** Frees every inflight message whose last index is ≤ `to`. */
  freeLE(to: number): void {
    if (this.#count === 0 || to < this.#index[this.#start]!) return;
    let idx = this.#start;
    let i = 0;
    let bytes = 0;
    for (; i < this.#count; i++) {
      if (to < this.#index[idx]!) break;
      bytes += this.#sizes[idx]!;
      if (++idx >= this.#size) idx -= this.#size;
    }
    this.#count -= i;
    this.#bytes -= bytes;
    // An empty window restarts at slot 0 so the buffer does not grow needlessly.
    this.#start = this.#count === 0 ? 0 : idx;
  }

  /** Frees the oldest inflight message (no-op when empty). */
  freeFirstOne(): void {
    if (this.#count > 0) this.freeLE(this.#index[this.#start]!);
  }

  /** True when no further message may be sent: the count or the byte limit is reached. */
  full(): boolean {
    return this.#count === this.#size || (this.#maxBytes !== 0 && this.#bytes >= this.#maxBytes);
  }

  /** Number of inflight messages. */
  count(): number {
    return this.#count;
  }

  /** Sum of the inflight messages' payload bytes. */
  bytes(): number {
    return this.#bytes;
  }

  /** The message-count limit. */
  get size(): number {
    return this.#size;
  }

  /** The byte limit (0 = none). */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Frees everything. */
  reset(): void {
    this.#count = 0;
    this.#start = 0;
    this.#bytes = 0;
  }

  /**
   * The internal ring, for tests that check the layout as etcd's do: the slot of the oldest
   * message, and each allocated slot's index and bytes (freed slots keep their stale values).
   */
  debugState(): { start: number; count: number; bytes: number; slots: Array<[number, number]> } {
    const slots: Array<[number, number]> = [];
    for (let i = 0; i < this.#index.length; i++) slots.push([this.#index[i]!, this.#sizes[i]!]);
    return { start: this.#start, count: this.#count, bytes: this.#bytes, slots };
  }
}

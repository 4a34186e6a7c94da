/**
 * raftexample's key-value state machine, in the shape of the replica contract's
 * `StateMachine<void>` (src/replica): committed `EntryNormal` data is raftexample's gob
 * `kv{Key, Val}`, the snapshot image is Go's `json.Marshal(map[string]string)`.
 */
import { RaftexampleApplyError } from './errors.js';
import { decodeKvEntry } from './gob-decode.js';
import { decodeSnapshotJson, encodeSnapshotJson, type KvMap, kvMapKey } from './snapshot-json.js';

/** A committed entry as the replica host hands it over (the contract's `AppliedEntry`). */
export interface RaftexampleAppliedEntry {
  index: number;
  term: number;
  data: Uint8Array;
}

/**
 * The key-value map of a raftexample member. `apply` never skips: an entry Go's gob decoder
 * rejects throws {@link RaftexampleApplyError} naming its index (every Go member dies on that
 * entry too; carrying on would make this member diverge), and the host must stop.
 */
export class RaftexampleStateMachine {
  private map: KvMap = new Map();

  /** Applies one committed, non-empty `EntryNormal` (the host skips empty ones and conf changes). */
  apply(entry: RaftexampleAppliedEntry): void {
    let kv: { key: Uint8Array; val: Uint8Array };
    try {
      kv = decodeKvEntry(entry.data);
    } catch (e) {
      throw new RaftexampleApplyError(entry.index, e as Error);
    }
    this.map.set(kvMapKey(kv.key), kv.val);
  }

  /** The value of `key` as applied here, or undefined (raftexample's `Lookup`). */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(kvMapKey(key));
  }

  /** Number of keys. */
  get size(): number {
    return this.map.size;
  }

  /** The snapshot image, byte-identical to a Go member's for the same map (`{}` when empty). */
  snapshot(): Uint8Array {
    return encodeSnapshotJson(this.map);
  }

  /**
   * Replaces the whole map with a snapshot image (Go's JSON, strictly parsed: anything Go's
   * `json.Unmarshal` rejects throws and leaves the map unchanged). `null` gives an empty map; a
   * Go member would get a nil map there and panic on its next write.
   */
  async restore(image: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const c of image) {
      chunks.push(c);
      size += c.length;
    }
    const data =
      chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks, size));
    this.map = decodeSnapshotJson(data).map;
  }
}

/**
 * The key-value state machine: keys (byte strings, held as latin1 strings) → value bytes and the
 * revision (the raft index of the entry that last wrote the key). Deterministic: the result of an
 * entry depends only on the state and the entry.
 */
import { createHash } from 'node:crypto';
import { type Condition, decodeOperation } from './entry-codec.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotRecord } from './snapshot-codec.js';

/** A stored value. */
export interface KvValue {
  /** The value bytes. */
  value: Uint8Array;
  /** The raft index of the entry that last wrote the key. */
  revision: number;
}

/** The result of applying one entry. */
export type KvApplyResult =
  /** Applied at `revision` (the entry's index). `existed`: the key existed before (deletes). */
  | { ok: true; revision: number; existed: boolean }
  /** The precondition failed; nothing changed. `current`: the key's revision, undefined when absent. */
  | { ok: false; revision: number; current: number | undefined };

/** One row of a listing. */
export interface KvListing {
  keys: Array<{ key: string; revision: number; size: number }>;
  /** The last key returned when more keys follow (pass as `after`), else undefined. */
  next: string | undefined;
}

function holds(condition: Condition, current: KvValue | undefined): boolean {
  switch (condition.kind) {
    case 'none':
      return true;
    case 'absent':
      return current === undefined;
    case 'exists':
      return current !== undefined;
    case 'revision':
      return current !== undefined && current.revision === condition.revision;
  }
}

/** The in-memory key-value state machine (implements raftwire/replica's StateMachine<KvApplyResult>). */
export class KvStateMachine {
  private data = new Map<string, KvValue>();
  private sorted: string[] | undefined;
  private applied = 0;

  /** The index of the last entry applied (or of the restored image). */
  get appliedIndex(): number {
    return this.applied;
  }

  /** The number of keys. */
  get size(): number {
    return this.data.size;
  }

  /** Applies one committed entry. Throws KvError RAFTWIRE_KV_ENTRY_DECODE on a malformed entry. */
  apply(entry: { index: number; term: number; data: Uint8Array }): KvApplyResult {
    const op = decodeOperation(entry.data);
    this.applied = entry.index;
    const current = this.data.get(op.key);
    if (!holds(op.condition, current))
      return { ok: false, revision: entry.index, current: current?.revision };
    if (op.op === 'put') {
      if (current === undefined) this.sorted = undefined;
      this.data.set(op.key, { value: Buffer.from(op.value), revision: entry.index });
      return { ok: true, revision: entry.index, existed: current !== undefined };
    }
    if (current !== undefined) {
      this.data.delete(op.key);
      this.sorted = undefined;
    }
    return { ok: true, revision: entry.index, existed: current !== undefined };
  }

  /**
   * A SHA-256 (hex) of the whole state: every key in byte order with its revision and value (etcd's
   * HashKV, for comparing replicas). O(keys); called on demand only.
   */
  hash(): string {
    const h = createHash('sha256');
    const n = Buffer.alloc(8);
    for (const key of this.sortedKeys()) {
      const v = this.data.get(key) as KvValue;
      const k = Buffer.from(key, 'latin1');
      n.writeUInt32BE(k.length, 0);
      n.writeUInt32BE(v.value.length, 4);
      h.update(n);
      h.update(k);
      h.update(String(v.revision));
      h.update(v.value);
    }
    return h.digest('hex');
  }

  /** The value of `key` (a latin1 string), or undefined. */
  get(key: string): KvValue | undefined {
    return this.data.get(key);
  }

  private sortedKeys(): string[] {
    if (this.sorted === undefined) this.sorted = [...this.data.keys()].sort();
    return this.sorted;
  }

  /** Keys starting with `prefix`, after `after` (exclusive), at most `limit`, in byte order. */
  list(prefix: string, after: string | undefined, limit: number): KvListing {
    const keys = this.sortedKeys();
    const from = after !== undefined && after > prefix ? after : prefix;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid] as string;
      if (k < from || (k === from && after !== undefined && from === after)) lo = mid + 1;
      else hi = mid;
    }
    const out: KvListing['keys'] = [];
    let i = lo;
    for (; i < keys.length && out.length < limit; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) break;
      const v = this.data.get(key) as KvValue;
      out.push({ key, revision: v.revision, size: v.value.length });
    }
    const more = i < keys.length && (keys[i] as string).startsWith(prefix);
    return { keys: out, next: more && out.length > 0 ? out[out.length - 1]?.key : undefined };
  }

  /** A consistent image at the last applied index, streamed in chunks. */
  snapshot(): AsyncIterable<Uint8Array> {
    const records: SnapshotRecord[] = [];
    for (const key of this.sortedKeys()) {
      const v = this.data.get(key) as KvValue;
      records.push({ key, value: v.value, revision: v.revision });
    }
    return encodeSnapshot(this.applied, records);
  }

  /** Replaces the whole state with an image (nothing changes when the image is bad). */
  async restore(image: AsyncIterable<Uint8Array>): Promise<void> {
    const decoded = await decodeSnapshot(image);
    const data = new Map<string, KvValue>();
    for (const r of decoded.records) data.set(r.key, { value: r.value, revision: r.revision });
    this.data = data;
    this.sorted = undefined;
    this.applied = decoded.appliedIndex;
  }
}

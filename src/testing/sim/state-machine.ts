/**
 * The simulated application: a small key-value register store. Commands carry a unique id and
 * are applied at most once (a duplicated forwarded proposal is a no-op, as with client sessions,
 * Raft thesis §6.3); the state and the applied ids travel in snapshots.
 */

/** A client command, as proposed through raft. */
export interface Command {
  /** Unique operation id. */
  id: number;
  f: 'write' | 'cas' | 'append' | 'delete';
  key: string;
  /** write: the value; cas: [expected, new]; append: the suffix. */
  value?: unknown;
}

/** The outcome of applying one command. */
export interface ApplyResult {
  id: number;
  /** False only for a cas whose compare failed. */
  ok: boolean;
  /** False when the id was applied before (the command did nothing). */
  fresh: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command as an entry payload. */
export function encodeCommand(c: Command): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

/** Decodes an entry payload (undefined for an empty entry). */
export function decodeCommand(data: Uint8Array | undefined): Command | undefined {
  if (data === undefined || data.length === 0) return undefined;
  return JSON.parse(dec.decode(data)) as Command;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The register store of one member. */
export class KvStateMachine {
  #data = new Map<string, unknown>();
  #seen = new Set<number>();

  /** Applies `c` and says what happened. */
  apply(c: Command): ApplyResult {
    if (this.#seen.has(c.id)) return { id: c.id, ok: true, fresh: false };
    this.#seen.add(c.id);
    switch (c.f) {
      case 'write':
        this.#data.set(c.key, c.value);
        return { id: c.id, ok: true, fresh: true };
      case 'delete':
        this.#data.delete(c.key);
        return { id: c.id, ok: true, fresh: true };
      case 'append': {
        const cur = this.#data.get(c.key);
        this.#data.set(c.key, `${typeof cur === 'string' ? cur : ''}${String(c.value)}`);
        return { id: c.id, ok: true, fresh: true };
      }
      case 'cas': {
        const [expected, next] = c.value as [unknown, unknown];
        if (!sameJSON(this.#data.get(c.key), expected)) return { id: c.id, ok: false, fresh: true };
        this.#data.set(c.key, next);
        return { id: c.id, ok: true, fresh: true };
      }
    }
  }

  /** The value of `key` (null when absent). */
  read(key: string): unknown {
    return this.#data.has(key) ? this.#data.get(key) : null;
  }

  /** The state as snapshot data. */
  encode(): Uint8Array {
    const keys = [...this.#data.keys()].sort();
    return enc.encode(
      JSON.stringify({
        d: keys.map((k) => [k, this.#data.get(k)]),
        s: [...this.#seen].sort((a, b) => a - b),
      }),
    );
  }

  /** A state machine restored from snapshot data (empty data: the initial state). */
  static decode(data: Uint8Array | undefined): KvStateMachine {
    const sm = new KvStateMachine();
    if (data === undefined || data.length === 0) return sm;
    const o = JSON.parse(dec.decode(data)) as { d: Array<[string, unknown]>; s: number[] };
    for (const [k, v] of o.d) sm.#data.set(k, v);
    for (const id of o.s) sm.#seen.add(id);
    return sm;
  }
}

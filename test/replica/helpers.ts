/**
 * Test support for raftwire/replica: an in-memory state machine that records every apply, free
 * loopback ports, and a cluster of replicas in this process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Replica, type ReplicaOptions, type StateMachine } from '../../src/replica/index.js';
import { freePorts } from '../support/ports.js';

/** Applied entries by index; `counts` says how often each index was applied to this state. */
export class MemoryStateMachine implements StateMachine<number> {
  values = new Map<number, string>();
  counts = new Map<number, number>();
  lastApplied = 0;
  restores = 0;
  failAt: number | undefined;

  apply(e: { index: number; term: number; data: Uint8Array }): number {
    if (this.failAt !== undefined && e.index >= this.failAt) throw new Error(`boom at ${e.index}`);
    if (e.index <= this.lastApplied)
      throw new Error(`entry ${e.index} applied out of order (last ${this.lastApplied})`);
    this.values.set(e.index, Buffer.from(e.data).toString());
    this.counts.set(e.index, (this.counts.get(e.index) ?? 0) + 1);
    this.lastApplied = e.index;
    return e.index;
  }

  snapshot(): Uint8Array {
    return Buffer.from(
      JSON.stringify({ values: [...this.values], counts: [...this.counts], lastApplied: this.lastApplied }),
    );
  }

  async restore(image: AsyncIterable<Uint8Array>): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of image) chunks.push(Buffer.from(c));
    const o = JSON.parse(Buffer.concat(chunks).toString()) as {
      values: [number, string][];
      counts: [number, number][];
      lastApplied: number;
    };
    this.values = new Map(o.values);
    this.counts = new Map(o.counts);
    this.lastApplied = o.lastApplied;
    this.restores++;
  }

  /** The applied user values in index order. */
  list(): string[] {
    return [...this.values.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }
}

/** `n` loopback ports that were free a moment ago. */
export { freePorts };

/** A temporary directory removed by `cleanup`. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `raftwire-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Fast raft timing for tests. */
export const FAST = {
  tickMs: 20,
  electionTicks: 10,
  heartbeatTicks: 1,
  requestTimeoutMs: 10_000,
  walSegmentSizeBytes: 1 << 20,
} as const;

/** A cluster of replicas in this process, each with its own dir and state machine. */
export class TestCluster {
  readonly replicas = new Map<bigint, Replica<number>>();
  readonly machines = new Map<bigint, MemoryStateMachine>();
  readonly dirs = new Map<bigint, string>();
  readonly urls = new Map<bigint, string>();

  constructor(
    readonly root: string,
    readonly extra: Partial<ReplicaOptions<number>> = {},
  ) {}

  spec(ids: bigint[]) {
    return ids.map((id) => ({ id, peerUrls: [this.urls.get(id) as string] }));
  }

  /** Starts member `id` (fresh state machine) with `initial` as the initial cluster. */
  async start(
    id: bigint,
    initial: bigint[],
    more: Partial<ReplicaOptions<number>> = {},
  ): Promise<Replica<number>> {
    const missing = [id, ...initial].filter((m) => !this.urls.has(m));
    const ports = await freePorts(missing.length);
    // Set after the await, and only where no concurrent start set one first.
    missing.forEach((m, i) => {
      if (!this.urls.has(m)) this.urls.set(m, `http://127.0.0.1:${ports[i]}`);
    });
    const dir = this.dirs.get(id) ?? join(this.root, `m${id}`);
    this.dirs.set(id, dir);
    const sm = new MemoryStateMachine();
    const r = await Replica.start<number>({
      id,
      dataDir: dir,
      initialCluster: this.spec(initial),
      stateMachine: sm,
      ...FAST,
      ...this.extra,
      ...more,
    });
    this.replicas.set(id, r);
    this.machines.set(id, sm);
    return r;
  }

  /** Closes member `id` (its dir is kept). */
  async stop(id: bigint): Promise<void> {
    const r = this.replicas.get(id);
    this.replicas.delete(id);
    await r?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.replicas.keys()].map((id) => this.stop(id)));
  }

  /** Resolves with the leader's ID once every running member agrees on one (bounded). */
  async leader(timeoutMs = 20_000): Promise<bigint> {
    return waitFor(
      () => {
        const ls = [...this.replicas.values()].map((r) => r.status().leader);
        const l = ls[0];
        return l !== undefined && ls.every((x) => x === l) && this.replicas.has(l) ? l : undefined;
      },
      timeoutMs,
      'a leader all members agree on',
    );
  }
}

/** Polls `f` (test code only) every 10 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(f: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

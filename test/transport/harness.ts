/**
 * Test harness: real transports on real loopback servers (port 0), a recording Raft, and helpers
 * to wait for conditions. Every node's close() stops its transport and server.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { Registry } from 'prom-client';
import type { LogFields, Logger } from '../../src/logger/index.js';
import type { Message } from '../../src/raftpb/index.js';
import {
  type Raft,
  type SnapshotStatus,
  Transport,
  type TransportOptions,
} from '../../src/transport/index.js';
import { createPeerServer } from '../../src/transport/peer-server.js';
import { waitFor } from '../support/wait.js';

/**
 * Everything a test opened and has not closed yet: closed after the file's tests even when an
 * assertion failed midway, so a failing test never leaves a transport redialing forever.
 */
const open = new Set<() => Promise<void>>();

/** Registers `close` to run after the file's tests unless it ran before; returns the once-only closer. */
export function track(close: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => {
    open.delete(once);
    done ??= close();
    return done;
  };
  open.add(once);
  return once;
}

after(async () => {
  for (const close of [...open]) await close().catch(() => {});
});

/** A Raft that records everything the transport tells it. */
export class RecordingRaft implements Raft {
  readonly messages: Message[] = [];
  readonly unreachable: bigint[] = [];
  readonly snapshots: Array<[bigint, SnapshotStatus]> = [];
  readonly removed = new Set<bigint>();
  /** When set, process() runs this (e.g. to block or reject). */
  onProcess: ((m: Message) => Promise<void>) | undefined;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  process(m: Message): Promise<void> {
    if (this.onProcess !== undefined) {
      return this.onProcess(m).then(() => this.record(m));
    }
    this.record(m);
    return Promise.resolve();
  }
  private record(m: Message): void {
    this.messages.push(m);
    this.waiters = this.waiters.filter((w) => {
      if (this.messages.length >= w.n) w.resolve();
      return this.messages.length < w.n;
    });
  }
  isIdRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }
  reportUnreachable(id: bigint): void {
    this.unreachable.push(id);
  }
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    this.snapshots.push([id, status]);
  }
  /** Resolves once `n` messages were processed in total. */
  waitForMessages(n: number, timeoutMs = 5_000): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.waiters.push({ n, resolve })),
      timeoutMs,
      `${n} messages (got ${this.messages.length})`,
    );
  }
}

/** A Logger that keeps every line, for asserting on log output. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; msg: string; fields: LogFields }> = [];
  private readonly bindings: LogFields;
  private readonly sink: MemoryLogger['lines'];
  constructor(bindings: LogFields = {}, sink?: MemoryLogger['lines']) {
    this.bindings = bindings;
    this.sink = sink ?? this.lines;
    if (sink !== undefined) this.lines = sink;
  }
  private add(level: string, fields: LogFields, msg: string) {
    this.sink.push({ level, msg, fields: { ...this.bindings, ...fields } });
  }
  debug(f: LogFields, m: string) {
    this.add('debug', f, m);
  }
  info(f: LogFields, m: string) {
    this.add('info', f, m);
  }
  warn(f: LogFields, m: string) {
    this.add('warn', f, m);
  }
  error(f: LogFields, m: string) {
    this.add('error', f, m);
  }
  child(b: LogFields): Logger {
    return new MemoryLogger({ ...this.bindings, ...b }, this.sink);
  }
  has(msg: string | RegExp): boolean {
    return this.lines.some((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TestNode {
  id: bigint;
  tr: Transport;
  raft: RecordingRaft;
  server: Server;
  url: string;
  logger: MemoryLogger;
  registry: Registry;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 with createPeerServer, then starts the transport. */
export async function startNode(id: bigint, extra: Partial<TransportOptions> = {}): Promise<TestNode> {
  const raft = new RecordingRaft();
  const logger = new MemoryLogger();
  const registry = new Registry();
  const tr = new Transport({
    id,
    clusterId: 0x1000n,
    raft,
    logger,
    metrics: registry,
    probeIntervalMs: 0,
    ...extra,
  });
  tr.start();
  const server = createPeerServer(tr, { logger });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const scheme = extra.tls?.cert !== undefined ? 'https' : 'http';
  return {
    id,
    tr,
    raft,
    server,
    url: `${scheme}://127.0.0.1:${port}`,
    logger,
    registry,
    close: track(async () => {
      await tr.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  };
}

/** Two nodes that know each other; resolves once all four streams are attached. */
export async function startPair(
  extraA: Partial<TransportOptions> = {},
  extraB: Partial<TransportOptions> = {},
): Promise<[TestNode, TestNode]> {
  const a = await startNode(1n, extraA);
  const b = await startNode(2n, extraB);
  a.tr.addPeer(2n, [b.url]);
  b.tr.addPeer(1n, [a.url]);
  await waitFor('streams up', () => streamsUp(a, b));
  return [a, b];
}

/** Both nodes see both stream writers of the other attached (from established log lines). */
export function streamsUp(a: TestNode, b: TestNode): boolean {
  const count = (n: TestNode) =>
    n.logger.lines.filter(
      (l) =>
        l.msg === 'established TCP streaming connection with remote peer' && 'stream-writer-type' in l.fields,
    ).length;
  return count(a) >= 2 && count(b) >= 2;
}

/** A plain HTTP server standing in for a peer; `handle` answers every request. */
export async function fakePeer(
  handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: track(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  };
}

/** The value of a counter/gauge series in a registry (0 when absent). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const v = (await m.get()).values.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? 0;
}

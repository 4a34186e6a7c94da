/**
 * A TCP fault proxy (etcd's pkg/proxy, in-process): listens on a port and forwards every
 * connection to a target, applying a fault per direction — `up` is client → target, `down` is
 * target → client — and optionally per source (a connection's source is what `identify` makes of
 * its first bytes, e.g. the X-Server-From header of a raft peer request). Faults:
 *
 * - `pass`: forward.
 * - `blackhole`: accept and discard the bytes, keeping the connection up. TCP cannot lose bytes in
 *   the middle of a stream, so a connection that lost bytes is reset when its fault is lifted (as
 *   if TCP had given up retransmitting).
 * - `reset`: reset matching connections now and every new one (RST toward the client, the
 *   connection to the target closed).
 * - `latency`: hold each chunk `ms` ± uniform `jitterMs`, preserving order.
 * - `drop`: with `probability` per chunk, close the connection (the nearest a byte stream gets to
 *   packet loss).
 * - `bandwidth`: pace the direction at `bytesPerSecond`.
 *
 * Test machinery: not exported from raftwire/testing's door; import it by path.
 */
import { createServer, type Server, Socket } from 'node:net';

/** A fault on one direction of the proxied connections. */
export type LinkFault =
  | { kind: 'pass' }
  | { kind: 'blackhole' }
  | { kind: 'reset' }
  | { kind: 'latency'; ms: number; jitterMs?: number }
  | { kind: 'drop'; probability: number }
  | { kind: 'bandwidth'; bytesPerSecond: number };

/** `up`: client → target; `down`: target → client. */
export type Direction = 'up' | 'down';

/** Options of FaultProxy.start. */
export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Listen here (default 127.0.0.1, port 0 = any free one). */
  host?: string;
  port?: number;
  /** Names the source of a connection from its first bytes (client → target). */
  identify?: (head: Buffer) => string | undefined;
  /** Random source for jitter and drops (default Math.random). */
  random?: () => number;
}

/** The X-Server-From header of a raft peer request (lowercase hex), if the head carries it. */
export function identifyRaftPeer(head: Buffer): string | undefined {
  const m = /\r\nx-server-from:[ \t]*([0-9a-fA-F]{1,16})\r\n/i.exec(head.toString('latin1'));
  return m?.[1]?.toLowerCase();
}

/** Bytes queued per direction before the reading side is paused. */
const HIGH_WATER = 4 << 20;
const PASS: LinkFault = { kind: 'pass' };

interface Pump {
  dir: Direction;
  from: Socket;
  to: Socket;
  /** performance.now() when the last queued chunk is (to be) written. */
  lastAt: number;
  queued: number;
  queue: Queued[];
  timer: NodeJS.Timeout | undefined;
}

interface Queued {
  at: number;
  chunk: Buffer;
}

interface Conn {
  client: Socket;
  server: Socket;
  source: string | undefined;
  identified: boolean;
  pumps: Record<Direction, Pump>;
  /** Directions that discarded bytes (reset when their fault is lifted). */
  damaged: Set<Direction>;
  closed: boolean;
}

/** Counters of a proxy. */
export interface FaultProxyStats {
  accepted: number;
  bytesUp: number;
  bytesDown: number;
  discarded: number;
  resets: number;
  drops: number;
}

/** One proxy in front of one target port. */
export class FaultProxy {
  readonly #server: Server;
  readonly #opts: FaultProxyOptions;
  readonly #conns = new Set<Conn>();
  /** Faults by `${dir}` (default) or `${dir}:${source}`. */
  readonly #faults = new Map<string, LinkFault>();
  readonly #random: () => number;
  readonly stats: FaultProxyStats = {
    accepted: 0,
    bytesUp: 0,
    bytesDown: 0,
    discarded: 0,
    resets: 0,
    drops: 0,
  };
  port = 0;

  private constructor(opts: FaultProxyOptions) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.#server = createServer({ noDelay: true }, (c) => this.#accept(c));
  }

  /** Starts a proxy; resolves once it listens (see `port`). */
  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const p = new FaultProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject);
      p.#server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    p.port = (p.#server.address() as { port: number }).port;
    return p;
  }

  /**
   * Sets the fault of `dir` ('both' = up and down) for connections from `source` (undefined: the
   * default for every source without its own). `pass` for a source removes its own rule.
   */
  setFault(dir: Direction | 'both', fault: LinkFault, source?: string): void {
    for (const d of dir === 'both' ? (['up', 'down'] as const) : [dir]) {
      const key = source === undefined ? d : `${d}:${source}`;
      if (fault.kind === 'pass' && source !== undefined) this.#faults.delete(key);
      else this.#faults.set(key, fault);
    }
    for (const c of [...this.#conns]) this.#review(c);
  }

  /** Every direction of every source back to pass. */
  heal(): void {
    this.#faults.clear();
    for (const c of [...this.#conns]) this.#review(c);
  }

  /** The fault that applies to `dir` of connections from `source`. */
  faultFor(dir: Direction, source: string | undefined): LinkFault {
    return (
      (source !== undefined ? this.#faults.get(`${dir}:${source}`) : undefined) ??
      this.#faults.get(dir) ??
      PASS
    );
  }

  /** Open proxied connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Resets every open connection (keeps the faults). */
  resetAll(): void {
    for (const c of [...this.#conns]) this.#reset(c);
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const c of [...this.#conns]) this.#reset(c);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.stats.accepted++;
    const server = new Socket();
    const mk = (dir: Direction, from: Socket, to: Socket): Pump => ({
      dir,
      from,
      to,
      lastAt: 0,
      queued: 0,
      queue: [],
      timer: undefined,
    });
    const c: Conn = {
      client,
      server,
      source: undefined,
      identified: this.#opts.identify === undefined,
      pumps: { up: mk('up', client, server), down: mk('down', server, client) },
      damaged: new Set(),
      closed: false,
    };
    this.#conns.add(c);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const onEnd = (other: Socket, pump: Pump) => () => {
      // Half-close after what is queued in that direction went out.
      const finish = () => {
        if (!other.destroyed) other.end();
      };
      if (pump.queue.length === 0) finish();
      else pump.to.once('pump-drained', finish);
    };
    client.on('end', onEnd(server, c.pumps.up));
    server.on('end', onEnd(client, c.pumps.down));
    const onClose = () => this.#destroy(c);
    client.on('close', onClose);
    server.on('close', onClose);
    client.on('error', () => this.#destroy(c));
    server.on('error', () => this.#destroy(c));
    client.on('data', (chunk: Buffer) => {
      if (!c.identified) {
        c.identified = true;
        c.source = this.#opts.identify?.(chunk);
      }
      this.stats.bytesUp += chunk.length;
      this.#chunk(c, c.pumps.up, chunk);
    });
    server.on('data', (chunk: Buffer) => {
      this.stats.bytesDown += chunk.length;
      this.#chunk(c, c.pumps.down, chunk);
    });
    // Nothing is read from the client until the target accepted.
    client.pause();
    server.connect(this.#opts.target.port, this.#opts.target.host, () => {
      if (!c.closed) client.resume();
    });
    if (this.faultFor('up', undefined).kind === 'reset' && this.#opts.identify === undefined) this.#reset(c);
  }

  /** Applies fault changes to an open connection. */
  #review(c: Conn): void {
    if (c.closed) return;
    for (const dir of ['up', 'down'] as const) {
      const f = this.faultFor(dir, c.source);
      if (f.kind === 'reset' && c.identified) {
        this.#reset(c);
        return;
      }
      if (f.kind !== 'blackhole' && c.damaged.has(dir)) {
        this.#reset(c);
        return;
      }
    }
  }

  #chunk(c: Conn, p: Pump, chunk: Buffer): void {
    if (c.closed) return;
    const f = this.faultFor(p.dir, c.source);
    switch (f.kind) {
      case 'reset':
        this.#reset(c);
        return;
      case 'blackhole':
        this.stats.discarded += chunk.length;
        c.damaged.add(p.dir);
        return;
      case 'drop':
        if (this.#random() < f.probability) {
          this.stats.drops++;
          this.#destroy(c);
          return;
        }
        this.#deliver(c, p, chunk, 0, 0);
        return;
      case 'latency':
        this.#deliver(c, p, chunk, f.ms + (f.jitterMs ?? 0) * (2 * this.#random() - 1), 0);
        return;
      case 'bandwidth':
        this.#deliver(c, p, chunk, 0, (chunk.length / f.bytesPerSecond) * 1000);
        return;
      default:
        this.#deliver(c, p, chunk, 0, 0);
    }
  }

  /** Writes `chunk` after `delay` ms (never before earlier chunks), plus `cost` ms of pacing. */
  #deliver(c: Conn, p: Pump, chunk: Buffer, delay: number, cost: number): void {
    const now = performance.now();
    const at = Math.max(now + Math.max(0, delay), p.lastAt) + cost;
    p.lastAt = at;
    if (at <= now && p.queue.length === 0) {
      if (!p.to.write(chunk)) {
        p.from.pause();
        p.to.once('drain', () => {
          if (!c.closed) p.from.resume();
        });
      }
      return;
    }
    p.queue.push({ at, chunk });
    p.queued += chunk.length;
    if (p.queued > HIGH_WATER) p.from.pause();
    if (p.timer === undefined) this.#schedule(c, p);
  }

  /** One timer per direction, for the head of its FIFO queue: order is kept. */
  #schedule(c: Conn, p: Pump): void {
    const head = p.queue[0];
    if (head === undefined) return;
    p.timer = setTimeout(
      () => {
        p.timer = undefined;
        if (c.closed) return;
        const now = performance.now();
        while (p.queue.length > 0 && (p.queue[0] as Queued).at <= now + 1) {
          const q = p.queue.shift() as Queued;
          p.queued -= q.chunk.length;
          p.to.write(q.chunk);
        }
        if (p.queued <= HIGH_WATER / 2 && p.from.isPaused()) p.from.resume();
        if (p.queue.length === 0) p.to.emit('pump-drained');
        else this.#schedule(c, p);
      },
      Math.max(0, head.at - performance.now()),
    );
  }

  #reset(c: Conn): void {
    if (c.closed) return;
    this.stats.resets++;
    c.closed = true;
    this.#clear(c);
    // RST toward the client (only on a fully open socket: Node 20's resetAndDestroy on a
    // half-closed one was seen to spin the event loop); the target side is closed.
    if (c.client.readyState === 'open' && !c.client.destroyed) c.client.resetAndDestroy();
    else c.client.destroy();
    c.server.destroy();
  }

  #destroy(c: Conn): void {
    if (!c.closed) {
      c.closed = true;
      c.client.destroy();
      c.server.destroy();
    }
    this.#clear(c);
  }

  #clear(c: Conn): void {
    this.#conns.delete(c);
    for (const p of [c.pumps.up, c.pumps.down]) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.timer = undefined;
      p.queue.length = 0;
    }
  }
}

/**
 * A workload over the kv HTTP API and its Jepsen-style history: `clients` concurrent clients, each
 * with one operation outstanding, on a small key space so operations conflict. Operations: a
 * linearizable read (GET), a write (PUT of a globally unique value), a delete, and a
 * compare-and-swap (GET, then PUT with `If-Match: "<rev>"` — or `If-None-Match: *` when the key was
 * absent — recorded as `cas [seen, new]`; values are unique, so "same revision" is "same value").
 * Outcomes: 2xx (and 404 of a delete or read) are `ok`, 412 is a failed cas, a 503 saying the
 * write was NOT applied and a refused connection are `fail` for writes and deletes (a cas refused
 * that way is `info`: to the checker a failed cas is one that compared), everything else
 * (timeouts, resets, 503 outcome UNKNOWN, 5xx) is `info`: unknown, never a failure.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { HistoryFn, HistoryOp } from '../../../src/testing/index.js';
import { tortureRandom } from './torture.js';

/** What one HTTP exchange came to. */
interface Answer {
  status: number;
  text: string;
  etag: string | undefined;
  error: NodeJS.ErrnoException | undefined;
}

function exchange(
  base: string,
  method: string,
  path: string,
  timeoutMs: number,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Answer): void => {
      if (!done) {
        done = true;
        resolve(a);
      }
    };
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: false,
        timeout: timeoutMs,
        headers:
          body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          finish({
            status: res.statusCode ?? 0,
            text: Buffer.concat(parts).toString(),
            etag: res.headers.etag,
            error: undefined,
          }),
        );
        res.on('error', (e) => finish({ status: 0, text: '', etag: undefined, error: e }));
      },
    );
    req.on('timeout', () => {
      const e = new Error(`no answer in ${timeoutMs} ms`) as NodeJS.ErrnoException;
      e.code = 'ETIMEDOUT_CLIENT';
      req.destroy(e);
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, text: '', etag: undefined, error: e }));
    req.end(body);
  });
}

/** Options of a Workload. */
export interface WorkloadOptions {
  /** Base URLs of the members to send to (asked before every operation). */
  targets: () => string[];
  clients?: number;
  keys?: number;
  /** Client-side time limit of one request (default 4000 ms). */
  timeoutMs?: number;
  /** Weights of read, write, cas, delete (default 4, 3, 2, 1). */
  mix?: [number, number, number, number];
  /** Pause between one client's operations (default 5 ms). */
  thinkMs?: number;
  /** Random source of the choices (member, key, operation; default a stream of the torture seed). */
  random?: () => number;
}

/** Tallies of a workload. */
export interface WorkloadCounts {
  ok: number;
  fail: number;
  info: number;
  okWrites: number;
  okReads: number;
}

/** Runs clients until stop(); records every operation. */
export class Workload {
  readonly history: HistoryOp[] = [];
  readonly counts: WorkloadCounts = { ok: 0, fail: 0, info: 0, okWrites: 0, okReads: 0 };
  /** performance.now() of every ok write (to measure when service came back). */
  readonly okWriteTimes: number[] = [];
  readonly #o: Required<WorkloadOptions>;
  #running = false;
  #loops: Promise<void>[] = [];
  #nextValue = 0;
  #t0 = performance.now();

  constructor(options: WorkloadOptions) {
    this.#o = {
      clients: 6,
      keys: 4,
      timeoutMs: 4000,
      mix: [4, 3, 2, 1],
      thinkMs: 5,
      random: tortureRandom(),
      ...options,
    };
  }

  /** Starts the clients (processes 0..clients-1). */
  start(): void {
    this.#running = true;
    this.#t0 = performance.now();
    for (let p = 0; p < this.#o.clients; p++) this.#loops.push(this.#loop(p));
  }

  /** Stops issuing and waits for every outstanding operation. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  #record(process: number, type: HistoryOp['type'], f: HistoryFn, key: string, value?: unknown): void {
    const ev: HistoryOp = { process, type, f, key, time: Math.round(performance.now() - this.#t0) };
    if (value !== undefined) ev.value = value;
    this.history.push(ev);
    if (type !== 'invoke') {
      this.counts[type]++;
      if (type === 'ok' && f !== 'read') {
        this.counts.okWrites++;
        this.okWriteTimes.push(performance.now());
      }
      if (type === 'ok' && f === 'read') this.counts.okReads++;
    }
  }

  #pickTarget(): string | undefined {
    const ts = this.#o.targets();
    return ts.length === 0 ? undefined : ts[Math.floor(this.#o.random() * ts.length)];
  }

  async #loop(p: number): Promise<void> {
    const [r, w, c, d] = this.#o.mix;
    const total = r + w + c + d;
    while (this.#running) {
      const base = this.#pickTarget();
      if (base === undefined) {
        await new Promise((res) => setTimeout(res, 50));
        continue;
      }
      const key = `k${Math.floor(this.#o.random() * this.#o.keys)}`;
      const x = this.#o.random() * total;
      if (x < r) await this.read(p, base, key);
      else if (x < r + w) await this.write(p, base, key);
      else if (x < r + w + c) await this.cas(p, base, key);
      else await this.delete(p, base, key);
      // After an error, back off a little (a down cluster refuses connections at once).
      const last = this.history[this.history.length - 1];
      const pause = last !== undefined && last.type !== 'ok' ? 50 : this.#o.thinkMs;
      if (pause > 0) await new Promise((res) => setTimeout(res, pause));
    }
  }

  /** A linearizable read, recorded; returns what was read (null: absent) and its ETag. */
  async read(
    p: number,
    base: string,
    key: string,
  ): Promise<{ value: string | null; etag?: string } | undefined> {
    this.#record(p, 'invoke', 'read', key);
    const a = await exchange(base, 'GET', `/${key}`, this.#o.timeoutMs);
    if (a.status === 200 && a.etag !== undefined) {
      this.#record(p, 'ok', 'read', key, a.text);
      return { value: a.text, etag: a.etag };
    }
    if (a.status === 404) {
      this.#record(p, 'ok', 'read', key, null);
      return { value: null };
    }
    this.#record(p, a.error === undefined || a.error.code === 'ECONNREFUSED' ? 'fail' : 'info', 'read', key);
    return undefined;
  }

  /** The completion type of a write-like answer. */
  #writeOutcome(a: Answer, okStatuses: number[]): 'ok' | 'fail' | 'info' {
    if (okStatuses.includes(a.status)) return 'ok';
    if (a.error !== undefined) return a.error.code === 'ECONNREFUSED' ? 'fail' : 'info';
    if (a.status === 412) return 'fail';
    if (a.status === 503 && /NOT applied/.test(a.text)) return 'fail';
    return 'info';
  }

  /** A write of a fresh unique value, recorded; returns the value and the outcome. */
  async write(
    p: number,
    base: string,
    key: string,
  ): Promise<{ value: string; outcome: 'ok' | 'fail' | 'info' }> {
    const value = `v${++this.#nextValue}`;
    this.#record(p, 'invoke', 'write', key, value);
    const a = await exchange(base, 'PUT', `/${key}`, this.#o.timeoutMs, value);
    const outcome = this.#writeOutcome(a, [204]);
    this.#record(p, outcome, 'write', key, value);
    return { value, outcome };
  }

  async delete(p: number, base: string, key: string): Promise<void> {
    this.#record(p, 'invoke', 'delete', key);
    const a = await exchange(base, 'DELETE', `/${key}`, this.#o.timeoutMs);
    this.#record(p, this.#writeOutcome(a, [204, 404]), 'delete', key);
  }

  async cas(p: number, base: string, key: string): Promise<void> {
    const seen = await this.read(p, base, key);
    if (seen === undefined || !this.#running) return;
    const value = `v${++this.#nextValue}`;
    const headers: Record<string, string> =
      seen.etag === undefined ? { 'If-None-Match': '*' } : { 'If-Match': seen.etag };
    this.#record(p, 'invoke', 'cas', key, [seen.value, value]);
    const a = await exchange(base, 'PUT', `/${key}`, this.#o.timeoutMs, value, headers);
    // A failed cas means "compared and saw another value" to the checker: only a 412 is that. A
    // cas refused before it was applied (503 NOT applied, connection refused) did not compare at
    // all; it is recorded as unknown (sound: it never took effect, which `info` allows).
    const outcome = this.#writeOutcome(a, [204]);
    this.#record(p, outcome === 'fail' && a.status !== 412 ? 'info' : outcome, 'cas', key, [
      seen.value,
      value,
    ]);
  }

  /** After the run: a linearizable read of every key on every target, recorded (process 1000+). */
  async finalReads(targets: string[]): Promise<void> {
    let p = 1000;
    for (const base of targets) {
      for (let k = 0; k < this.#o.keys; k++) {
        const got = await this.read(p, base, `k${k}`);
        if (got === undefined) throw new Error(`final read of k${k} on ${base} failed`);
      }
      p++;
    }
  }

  /** Writes the history as JSON lines (readable by `raftwire check-history`). */
  save(path: string): void {
    writeFileSync(path, `${this.history.map((e) => JSON.stringify(e)).join('\n')}\n`);
  }
}

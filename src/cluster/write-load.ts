/**
 * A small client load the supervisor can run against its members (the status page's "load"
 * buttons), so the throughput and latency charts, replication progress and snapshot catch-ups have
 * something to show: every 100 ms, rate/10 PUTs of `load/<n mod 1000>` (a bounded key set) and as
 * many linearizable GETs, spread over the running members, at most 64 requests in flight (the rest
 * of a tick is skipped and counted).
 */

const TICK_MS = 100;
const MAX_IN_FLIGHT = 64;
const KEYS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
/** Highest accepted rate (writes per second; as many reads). */
export const MAX_LOAD_RATE = 2000;

/** What the load did since it was first started. */
export interface WriteLoadStatus {
  /** Writes per second asked for; 0 when off. */
  rate: number;
  writesOk: number;
  writesFailed: number;
  readsOk: number;
  readsFailed: number;
  /** Requests not sent because MAX_IN_FLIGHT were outstanding. */
  skipped: number;
  inFlight: number;
}

/** The generator. */
export class WriteLoad {
  private readonly targets: () => string[];
  private timer: NodeJS.Timeout | undefined;
  private carry = 0;
  private seq = 0;
  private readonly abort = new Set<AbortController>();
  private readonly s: WriteLoadStatus = {
    rate: 0,
    writesOk: 0,
    writesFailed: 0,
    readsOk: 0,
    readsFailed: 0,
    skipped: 0,
    inFlight: 0,
  };

  /** `targets` returns the client URLs to spread requests over (the running members). */
  constructor(targets: () => string[]) {
    this.targets = targets;
  }

  status(): WriteLoadStatus {
    return { ...this.s };
  }

  /** Sets the rate (writes/s, 0 stops); throws RangeError outside 0..MAX_LOAD_RATE. */
  setRate(rate: number): void {
    if (!Number.isInteger(rate) || rate < 0 || rate > MAX_LOAD_RATE) {
      throw new RangeError(`rate must be an integer from 0 to ${MAX_LOAD_RATE}`);
    }
    this.s.rate = rate;
    if (rate === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.carry = 0;
      return;
    }
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  /** Stops and aborts the requests in flight. */
  stop(): void {
    this.setRate(0);
    for (const ac of this.abort) ac.abort();
  }

  private tick(): void {
    const targets = this.targets();
    if (targets.length === 0) return;
    this.carry += (this.s.rate * TICK_MS) / 1000;
    const n = Math.floor(this.carry);
    this.carry -= n;
    for (let i = 0; i < n; i++) {
      const seq = this.seq++;
      const key = `load/${seq % KEYS}`;
      const pick = () => targets[Math.floor(Math.random() * targets.length)] as string;
      this.send(`${pick()}/${key}`, 'PUT', String(seq), 'writes');
      this.send(`${pick()}/${key}`, 'GET', undefined, 'reads');
    }
  }

  private send(url: string, method: string, body: string | undefined, kind: 'writes' | 'reads'): void {
    if (this.s.inFlight >= MAX_IN_FLIGHT) {
      this.s.skipped++;
      return;
    }
    this.s.inFlight++;
    const ac = new AbortController();
    this.abort.add(ac);
    const signal = AbortSignal.any([ac.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
    fetch(url, { method, signal, ...(body === undefined ? {} : { body }) })
      .then(async (r) => {
        await r.arrayBuffer();
        const ok = r.status < 300 || (kind === 'reads' && r.status === 404);
        if (kind === 'writes') ok ? this.s.writesOk++ : this.s.writesFailed++;
        else ok ? this.s.readsOk++ : this.s.readsFailed++;
      })
      .catch(() => {
        if (kind === 'writes') this.s.writesFailed++;
        else this.s.readsFailed++;
      })
      .finally(() => {
        this.s.inFlight--;
        this.abort.delete(ac);
      });
  }
}

/**
 * bench/transport/dial-limiter: what the stream redial limiter (src/transport/rate-limiter.ts, etcd's
 * rate.NewLimiter(every 100 ms, burst 1)) costs and how it behaves, the figures docs/transport.md
 * records to justify it being hand-written:
 *
 *   npm run build && node dist/bench/transport/dial-limiter.js
 *
 * 1. CPU per granted wait when no wait is needed (the limiter's whole cost on the dial path);
 * 2. pacing: the gaps between 20 back-to-back waits at the default 100 ms interval;
 * 3. how fast an abort (Transport.stop) releases a pending wait, leaving no timer behind.
 */
import { DialLimiter } from '../../src/transport/rate-limiter.js';
import { fix } from './report.js';

const N = 1_000_000;

async function immediateCost(): Promise<number> {
  const l = new DialLimiter(0);
  const signal = new AbortController().signal;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await l.wait(signal);
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / N; // ns per wait
}

async function pacing(): Promise<number[]> {
  const l = new DialLimiter(100);
  const signal = new AbortController().signal;
  const gaps: number[] = [];
  let last = performance.now();
  await l.wait(signal);
  for (let i = 0; i < 20; i++) {
    await l.wait(signal);
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }
  return gaps.slice(1);
}

async function abortLatency(): Promise<number> {
  const l = new DialLimiter(60_000);
  const ac = new AbortController();
  await l.wait(ac.signal);
  const pending = l.wait(ac.signal);
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 0);
  await pending;
  return performance.now() - t0;
}

const ns = await immediateCost();
const gaps = await pacing();
const abortMs = await abortLatency();
const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
console.log(`immediate grant: ${fix(ns, 0)} ns CPU per wait (${N} waits)`);
console.log(
  `pacing at 100 ms: mean gap ${fix(mean, 1)} ms, min ${fix(Math.min(...gaps), 1)} ms, max ${fix(Math.max(...gaps), 1)} ms`,
);
console.log(
  `abort of a pending 60 s wait released it after ${fix(abortMs, 2)} ms; the process then exits at once`,
);

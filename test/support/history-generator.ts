/**
 * Histories from a real sequential execution, for the checker's tests and bench: processes invoke
 * operations on registers, each takes effect at one moment between its invoke and its completion
 * (randomly interleaved with the others), and completes ok, fail (did not take effect) or info
 * (took effect at some moment, possibly long after the completion was recorded, or never; some
 * never complete at all). Such a history is linearizable by construction. Anomaly planters turn
 * one into a history that provably is not.
 */
import { isDeepStrictEqual } from 'node:util';
import type { HistoryFn, HistoryOp } from '../../src/testing/index.js';

/** A seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  seed: number;
  /** Processes running at once (a process whose op never completes is replaced by a new one). */
  processes: number;
  /** Operations to invoke in total. */
  operations: number;
  /** Register keys to spread the operations over ('x', 'k1', …: read, write, delete, cas). */
  keys: number;
  /** Log keys besides ('log0', …: read and append); default 1 when `fns` has append, else 0. */
  logKeys?: number;
  /** Which operations to issue (default: all five). */
  fns?: readonly HistoryFn[];
  /** Chance that a write/delete/append/cas/read completes `info` (default 0.05). */
  infoRate?: number;
  /** Chance that a write/delete/append/read completes `fail` without taking effect (default 0.05). */
  failRate?: number;
  /** Values written are objects (checked as JSON values; reads return them with keys reordered). */
  objectValues?: boolean;
  /** Values written are drawn from this many small integers instead of being unique. */
  valueDomain?: number;
}

interface Pending {
  process: number;
  f: HistoryFn;
  key: string;
  value: unknown;
  /** What the completion will say. */
  plan: 'ok' | 'fail' | 'info' | 'never';
  /** info: whether it takes effect at all. */
  takesEffect: boolean;
  applied: boolean;
  result: unknown;
}

function reorder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorder);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reorder((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Generates a linearizable history. */
export function generateHistory(o: GenerateOptions): HistoryOp[] {
  const rand = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const fns = o.fns ?? ['read', 'write', 'delete', 'cas', 'append'];
  const infoRate = o.infoRate ?? 0.05;
  const failRate = o.failRate ?? 0.05;
  const registerFns = fns.filter((f) => f !== 'append');
  const logFns = fns.filter((f) => f === 'read' || f === 'append');
  const logKeyCount = o.logKeys ?? (fns.includes('append') ? 1 : 0);
  const keys = [
    ...Array.from({ length: registerFns.length > 0 ? o.keys : 0 }, (_, i) => (i === 0 ? 'x' : `k${i}`)),
    ...Array.from({ length: logKeyCount }, (_, i) => `log${i}`),
  ];
  const state = new Map<string, unknown>();
  const written = new Map<string, unknown[]>();
  const events: HistoryOp[] = [];
  let counter = 0;
  const nextValue = (): unknown => {
    counter++;
    const n = o.valueDomain !== undefined ? Math.floor(rand() * o.valueDomain) : counter;
    return o.objectValues === true ? { n, tag: `v${n}`, nested: { a: n % 3, b: [n] } } : n;
  };
  let nextProcess = o.processes;
  const running: (Pending | undefined)[] = new Array(o.processes).fill(undefined);
  const processOf: number[] = Array.from({ length: o.processes }, (_, i) => i);
  /** info operations that take effect after their completion was recorded. */
  const ghosts: Pending[] = [];
  let invoked = 0;

  const apply = (p: Pending) => {
    p.applied = true;
    const current = state.has(p.key) ? state.get(p.key) : null;
    switch (p.f) {
      case 'read':
        p.result = reorder(current);
        break;
      case 'write':
        state.set(p.key, p.value);
        break;
      case 'delete':
        state.set(p.key, null);
        break;
      case 'append':
        if (current === null || typeof current === 'string')
          state.set(p.key, (current ?? '') + (p.value as string));
        else p.result = 'not-a-string';
        break;
      case 'cas': {
        const [expected, next] = p.value as [unknown, unknown];
        if (isDeepStrictEqual(current, expected)) state.set(p.key, next);
        else p.result = 'compare-failed';
        break;
      }
    }
  };

  const invoke = (slot: number) => {
    const process = processOf[slot]!;
    const key = pick(keys);
    const f = pick(key.startsWith('log') ? logFns : registerFns);
    let value: unknown;
    if (f === 'write') value = nextValue();
    if (f === 'append') value = `${++counter},`;
    if (f === 'cas') {
      const seen = written.get(key) ?? [];
      const current = state.has(key) ? state.get(key) : null;
      const expected = rand() < 0.6 || seen.length === 0 ? current : pick(seen);
      value = [reorder(expected), nextValue()];
    }
    if (f === 'write' || f === 'cas') {
      const list = written.get(key) ?? [];
      list.push(f === 'write' ? value : (value as unknown[])[1]);
      if (list.length > 8) list.shift();
      written.set(key, list);
    }
    const r = rand();
    let plan: Pending['plan'] = 'ok';
    if (r < infoRate) plan = rand() < 0.2 ? 'never' : 'info';
    else if (r < infoRate + failRate && f !== 'cas') plan = 'fail';
    const p: Pending = {
      process,
      f,
      key,
      value,
      plan,
      takesEffect: plan === 'ok' || rand() < 0.5,
      applied: false,
      result: undefined,
    };
    if (plan === 'fail') p.takesEffect = false;
    const e: HistoryOp = { process, type: 'invoke', f, key };
    if (value !== undefined) e.value = value;
    events.push(e);
    running[slot] = p;
    invoked++;
  };

  const complete = (slot: number, p: Pending) => {
    running[slot] = undefined;
    if (p.plan === 'never') {
      // The process crashed: it never completes; a new process takes its slot.
      processOf[slot] = nextProcess++;
      if (p.takesEffect && !p.applied) ghosts.push(p);
      return;
    }
    let type: HistoryOp['type'] = p.plan;
    if (p.f === 'cas' && p.plan === 'ok' && p.result === 'compare-failed') type = 'fail';
    if (p.f === 'append' && p.plan === 'ok' && p.result === 'not-a-string') type = 'fail';
    const e: HistoryOp = { process: p.process, type, f: p.f, key: p.key };
    if (p.f === 'read' && type === 'ok') e.value = p.result;
    else if (p.value !== undefined) e.value = p.value;
    events.push(e);
    if (type === 'info' && p.takesEffect && !p.applied) ghosts.push(p);
  };

  for (;;) {
    const busy = running.some((p) => p !== undefined);
    if (invoked >= o.operations && !busy) break;
    if (ghosts.length > 0 && rand() < 0.05) {
      const i = Math.floor(rand() * ghosts.length);
      apply(ghosts[i]!);
      ghosts.splice(i, 1);
      continue;
    }
    const slot = Math.floor(rand() * o.processes);
    const p = running[slot];
    if (p === undefined) {
      if (invoked < o.operations) invoke(slot);
    } else if (p.takesEffect && !p.applied && (p.plan === 'ok' || rand() < 0.5)) {
      apply(p);
    } else complete(slot, p);
  }
  return events;
}

/** Inserts a read (by a new process) that returns a value nobody wrote: never linearizable. */
export function plantReadOfUnwrittenValue(events: HistoryOp[], seed: number): HistoryOp[] {
  const rand = prng(seed);
  const at = Math.floor(rand() * (events.length + 1));
  const process = 1_000_000;
  const out = [...events];
  out.splice(
    at,
    0,
    { process, type: 'invoke', f: 'read', key: 'x' },
    {
      process,
      type: 'ok',
      f: 'read',
      key: 'x',
      value: 'never-written',
    },
  );
  return out;
}

/**
 * Inserts, after an ok write w2 completed, a read (by a new process) of the value of an ok write
 * w1 that completed before w2 was invoked. With unique written values that read is stale: never
 * linearizable. Returns undefined when the history has no such pair.
 */
export function plantStaleRead(events: HistoryOp[], seed: number): HistoryOp[] | undefined {
  const rand = prng(seed);
  interface Done {
    key: string;
    value: unknown;
    invoke: number;
    complete: number;
  }
  const open = new Map<number, number>();
  const writes: Done[] = [];
  events.forEach((e, i) => {
    if (e.type === 'invoke') open.set(e.process, i);
    else {
      const start = open.get(e.process)!;
      open.delete(e.process);
      if (e.f === 'write' && e.type === 'ok') {
        writes.push({ key: e.key ?? '', value: events[start]!.value, invoke: start, complete: i });
      }
    }
  });
  const pairs: [Done, Done][] = [];
  for (const w2 of writes) {
    for (const w1 of writes) {
      if (w1.key === w2.key && w1.complete < w2.invoke) pairs.push([w1, w2]);
    }
    if (pairs.length > 200) break;
  }
  if (pairs.length === 0) return undefined;
  const [w1, w2] = pairs[Math.floor(rand() * pairs.length)]!;
  const at = w2.complete + 1 + Math.floor(rand() * (events.length - w2.complete));
  const process = 1_000_001;
  const out = [...events];
  out.splice(
    at,
    0,
    { process, type: 'invoke', f: 'read', key: w1.key },
    {
      process,
      type: 'ok',
      f: 'read',
      key: w1.key,
      value: reorder(w1.value),
    },
  );
  return out;
}

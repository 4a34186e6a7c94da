/** Small helpers of the transport benchmark: machine load, medians and table formatting. */
import { readFileSync } from 'node:fs';

/** Busy and total CPU ticks of the whole machine (/proc/stat, USER_HZ = 100). */
export interface MachineTicks {
  readonly busy: number;
  readonly total: number;
}

export function machineTicks(): MachineTicks {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Cores the machine spent busy between two readings over `wallS` seconds. */
export function busyCores(a: MachineTicks, b: MachineTicks, wallS: number): number {
  return (b.busy - a.busy) / 100 / wallS;
}

/** The element at the median of `xs` by `key` (the upper median for even lengths). */
export function medianBy<T>(xs: readonly T[], key: (x: T) => number): T | undefined {
  const sorted = xs.slice().sort((p, q) => key(p) - key(q));
  return sorted[Math.floor(sorted.length / 2)];
}

/** Formats rows as a Markdown table with right-aligned numeric columns. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]): string =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmt(head), sep, ...rows.map(fmt)].join('\n');
}

/** Thousands-separated integer. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** Fixed decimals. */
export const fix = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '–');

/** Operations in a checker report, and their rendering as a text timeline. */
import type { HistoryFn, Operation } from './history.js';

/** One operation of a reported window. */
export interface WindowOp {
  process: number;
  f: HistoryFn;
  key: string;
  /** `info`: unknown outcome (also an invoke that never completed). */
  outcome: 'ok' | 'fail' | 'info';
  /** The invoke's argument: the value written, `[expected, new]` for cas, the string appended. */
  value?: unknown;
  /** What an ok read returned (`null` for absent). */
  result?: unknown;
  /** 1-based line (or position) of the invoke and of the completion (absent: none). */
  invokeLine: number;
  completeLine?: number;
  invokeTime?: number;
  completeTime?: number;
}

/** The report form of a paired operation. */
export function toWindowOp(op: Operation): WindowOp {
  const w: WindowOp = {
    process: op.process,
    f: op.f,
    key: op.key,
    outcome: op.outcome,
    invokeLine: op.invokeLine,
  };
  if (op.input !== undefined) w.value = op.input;
  if (op.f === 'read' && op.outcome === 'ok') w.result = op.output;
  if (op.completeLine !== undefined) w.completeLine = op.completeLine;
  if (op.invokeTime !== undefined) w.invokeTime = op.invokeTime;
  if (op.completeTime !== undefined) w.completeTime = op.completeTime;
  return w;
}

function json(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function keyName(key: string): string {
  return /^[\w.:/-]+$/.test(key) ? key : JSON.stringify(key);
}

/** `write x 1`, `read x → 2`, `cas x 1 → 2 failed`, `append x "ab" ?` (? = unknown outcome). */
export function describeOp(op: WindowOp): string {
  const k = keyName(op.key);
  let text: string;
  switch (op.f) {
    case 'read':
      text = op.outcome === 'ok' ? `read ${k} → ${json(op.result)}` : `read ${k}`;
      break;
    case 'delete':
      text = `delete ${k}`;
      break;
    case 'cas': {
      const [expected, next] = Array.isArray(op.value) ? op.value : [undefined, undefined];
      text = `cas ${k} ${json(expected)} → ${json(next)}`;
      break;
    }
    default:
      text = `${op.f} ${k} ${json(op.value)}`;
  }
  if (op.outcome === 'fail') text += ' failed';
  if (op.outcome === 'info') text += ' ?';
  return text;
}

/**
 * A readable timeline of operations: one row per process, one bar `|-- label --|` per operation
 * spanning its invoke and its completion (an open end `--…` when it never completed), columns in
 * real-time order; then one line per operation with its input line numbers.
 */
export function formatTimeline(window: readonly WindowOp[]): string {
  if (window.length === 0) return '(no operations)\n';
  const ops = [...window].sort((a, b) => a.invokeLine - b.invokeLine);
  // Every invoke and completion is an event; events get x positions in line order, far enough
  // apart that each bar holds its label.
  interface Event {
    line: number;
    op: number;
    end: boolean;
  }
  const events: Event[] = [];
  ops.forEach((op, i) => {
    events.push({ line: op.invokeLine, op: i, end: false });
    if (op.completeLine !== undefined) events.push({ line: op.completeLine, op: i, end: true });
  });
  events.sort((a, b) => a.line - b.line || (a.end ? 1 : 0) - (b.end ? 1 : 0));
  const labels = ops.map(describeOp);
  const start = new Array<number>(ops.length).fill(0);
  const end = new Array<number>(ops.length).fill(-1);
  let x = 0;
  for (const e of events) {
    if (e.end) {
      x = Math.max(x, start[e.op]! + labels[e.op]!.length + 5);
      end[e.op] = x;
    } else start[e.op] = x;
    x += 1;
  }
  const processes = [...new Set(ops.map((o) => o.process))].sort((a, b) => a - b);
  const names = processes.map((p) => `p${p}`);
  const width = Math.max(...names.map((n) => n.length));
  const rows: string[] = [];
  processes.forEach((p, row) => {
    let line = '';
    ops.forEach((op, i) => {
      if (op.process !== p) return;
      const s = start[i]!;
      line = line.padEnd(s, ' ');
      if (end[i]! < 0) line += `|- ${labels[i]} -…`;
      else {
        const inner = end[i]! - s - 1;
        const text = ` ${labels[i]} `;
        const left = Math.floor((inner - text.length) / 2);
        line += `|${'-'.repeat(left)}${text}${'-'.repeat(inner - text.length - left)}|`;
      }
    });
    rows.push(`${names[row]!.padEnd(width)}  ${line.trimEnd()}`);
  });
  const legend = ops
    .map((op, i) => ({ op, label: labels[i]! }))
    .map(({ op, label }) => {
      const lines =
        op.completeLine === undefined ? `${op.invokeLine}–` : `${op.invokeLine}–${op.completeLine}`;
      return `  lines ${lines}: p${op.process} ${label}`;
    });
  return `${rows.join('\n')}\n\n${legend.join('\n')}\n`;
}

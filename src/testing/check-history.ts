/** checkHistory: is a Jepsen-style register history linearizable? One search per key. */
import { compileKey } from './compile.js';
import { type HistoryOp, type Operation, pairOperations } from './history.js';
import { searchLinearization } from './linearize.js';
import { StateTable } from './register-model.js';
import { formatTimeline, toWindowOp, type WindowOp } from './timeline.js';
import { minimalWindow } from './window.js';

/** Options of checkHistory. */
export interface CheckOptions {
  /** Give up with `undecided` after this long, in milliseconds. Default 60 000. */
  timeoutMs?: number;
}

/** The verdict of checkHistory. */
export type CheckResult =
  /** Every key's operations can be ordered. */
  | { outcome: 'linearizable'; keys: number; operations: number }
  /**
   * `key`'s operations cannot be ordered; `window` is a small set of them that cannot be ordered
   * even if every other operation on the key took effect at any time after its invoke, or never;
   * `timeline` draws it.
   */
  | { outcome: 'not-linearizable'; key: string; window: WindowOp[]; explanation: string; timeline: string }
  /** The search ran out of time (`reason` says where). */
  | { outcome: 'undecided'; reason: string };

/** The default of CheckOptions.timeoutMs. */
export const DEFAULT_CHECK_TIMEOUT_MS = 60_000;
/** Longest time spent shrinking the window of a violation (beyond the check's own timeout if need be). */
const WINDOW_BUDGET_MS = 10_000;
const WINDOW_MIN_BUDGET_MS = 1_000;

/**
 * Checks a history (events in real-time order) for linearizability against one register per
 * key, with porcupine's algorithm, keys checked separately. Synchronous; returns `undecided`
 * instead of running past `timeoutMs`. Throws HistoryFormatError for a malformed history.
 */
export function checkHistory(events: Iterable<HistoryOp>, options: CheckOptions = {}): CheckResult {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const ops = pairOperations(events);
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (list === undefined) {
      list = [];
      byKey.set(op.key, list);
    }
    list.push(op);
  }
  // Small keys first: a violation there is found before a large key eats the time.
  const keys = [...byKey.keys()].sort((a, b) => byKey.get(a)!.length - byKey.get(b)!.length);
  let decided = 0;
  for (const key of keys) {
    const keyOps = byKey.get(key)!;
    const table = new StateTable(keyOps.length);
    const { model } = compileKey(keyOps, table);
    const found = searchLinearization(model, table, deadline);
    if (found.result === 'timeout') {
      return {
        outcome: 'undecided',
        reason:
          `no verdict within ${timeoutMs} ms: key ${JSON.stringify(key)} (${keyOps.length} operations) ` +
          `was still being searched; ${decided} of ${keys.length} keys were linearizable`,
      };
    }
    if (found.result === 'not-linearizable') {
      const frontierRet = model[found.frontier]!.ret;
      const remaining = deadline - performance.now();
      const budget = Math.max(WINDOW_MIN_BUDGET_MS, Math.min(WINDOW_BUDGET_MS, remaining));
      const w = minimalWindow(keyOps, frontierRet, budget);
      const window = w.ops.map(toWindowOp);
      const others = keyOps.length - w.ops.length;
      const explanation = w.verified
        ? `${plural(window.length, 'operation')} on key ${JSON.stringify(key)} cannot be ordered: no order ` +
          'of them respects both real time (each takes effect once, between its invoke and its completion) ' +
          'and a register that starts absent (null)' +
          (others > 0
            ? `, even if each of the key's ${plural(others, 'other operation')} took effect at any time ` +
              'after its invoke, or never.'
            : '.')
        : `the ${plural(window.length, 'operation')} with known outcomes on key ${JSON.stringify(key)} ` +
          'cannot be ordered (no smaller window was found in time).';
      return { outcome: 'not-linearizable', key, window, explanation, timeline: formatTimeline(window) };
    }
    decided++;
  }
  return { outcome: 'linearizable', keys: keys.length, operations: ops.length };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

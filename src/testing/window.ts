/**
 * The smallest window of operations that cannot be ordered, for the report of a key that is not
 * linearizable. A window W is a valid witness when the key's history with every operation outside
 * W relaxed to an unknown outcome (it may take effect at any time after its invoke, or never) is
 * still not linearizable: relaxing only removes constraints, so that proves the original history
 * is not linearizable either, and W alone explains why.
 *
 * Search: the search that failed got furthest to the return of `frontier`; everything invoked
 * later is left out. Start with the last few operations returned by then, doubling until the
 * relaxed history is not linearizable, then drop operations one at a time while it stays so,
 * within a time budget.
 */

import { compileKey } from './compile.js';
import type { Operation } from './history.js';
import { searchLinearization } from './linearize.js';
import { StateTable } from './register-model.js';

/** A window and how many other operations were relaxed around it. */
export interface Window {
  ops: Operation[];
  /** Whether the window alone was verified (false: fell back to every constraining operation). */
  verified: boolean;
}

/** True for operations whose outcome constrains the order (ok, and failed cas). */
function constrains(op: Operation): boolean {
  return op.outcome === 'ok' || (op.outcome === 'fail' && op.f === 'cas');
}

/**
 * Finds a small set of `ops` (one key) that cannot be ordered even with every other operation
 * relaxed. `frontierRet` is the return position the failed search got furthest to.
 */
export function minimalWindow(ops: readonly Operation[], frontierRet: number, budgetMs: number): Window {
  const deadline = performance.now() + budgetMs;
  const candidates = ops
    .filter((op) => constrains(op) && op.ret <= frontierRet)
    .sort((a, b) => b.ret - a.ret);

  // true: proven not linearizable; false: linearizable or undecided in time.
  const cannotOrder = (window: ReadonlySet<Operation>): boolean => {
    const relaxed = new Set<Operation>();
    for (const op of ops) if (!window.has(op)) relaxed.add(op);
    const table = new StateTable(ops.length);
    const { model } = compileKey(ops, table, relaxed, frontierRet);
    return searchLinearization(model, table, deadline).result === 'not-linearizable';
  };

  let window: Set<Operation> | undefined;
  for (let k = Math.min(8, candidates.length); ; k = Math.min(2 * k, candidates.length)) {
    if (performance.now() > deadline) break;
    const attempt = new Set(candidates.slice(0, k));
    if (cannotOrder(attempt)) {
      window = attempt;
      break;
    }
    if (k === candidates.length) break;
  }
  if (window === undefined) return { ops: ops.filter(constrains), verified: false };

  const byCall = [...window].sort((a, b) => a.call - b.call);
  for (const op of byCall) {
    if (performance.now() > deadline) break;
    window.delete(op);
    if (!cannotOrder(window)) window.add(op);
  }
  return { ops: [...window].sort((a, b) => a.call - b.call), verified: true };
}

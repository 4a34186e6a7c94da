/**
 * Checks a simulated history with the linearizability checker (raftwire/testing).
 */
import { checkHistory } from '../check-history.js';
import type { SimHistoryOp } from './history.js';
import { runSimulation, type SimOptions, type SimResult } from './simulator.js';

/** The checker's verdict on a run's history. */
export interface SimVerdict {
  outcome: 'linearizable' | 'not-linearizable' | 'undecided';
  /** The key, window and timeline of a violation, or why the check was undecided. */
  detail: string;
}

/** Runs the linearizability checker on `history` (giving up as `undecided` after `timeoutMs`). */
export async function checkSimHistory(
  history: readonly SimHistoryOp[],
  timeoutMs = 20_000,
): Promise<SimVerdict> {
  const r = await checkHistory([...history], { timeoutMs });
  switch (r.outcome) {
    case 'linearizable':
      return { outcome: r.outcome, detail: `${r.operations} operations on ${r.keys} keys` };
    case 'not-linearizable':
      return { outcome: r.outcome, detail: `key ${JSON.stringify(r.key)}: ${r.explanation}\n${r.timeline}` };
    case 'undecided':
      return { outcome: r.outcome, detail: r.reason };
  }
}

/**
 * Runs one simulation and, when its safety checks passed, checks its history: a history that is
 * not linearizable becomes the run's failure; an undecided check is counted in `stats.undecided`.
 */
export async function simulateAndCheck(options: SimOptions, timeoutMs?: number): Promise<SimResult> {
  const r = runSimulation(options);
  if (r.failure !== undefined) return r;
  const v = await checkSimHistory(r.history, timeoutMs);
  if (v.outcome === 'undecided') r.stats.undecided = 1;
  if (v.outcome === 'not-linearizable') {
    r.failure = { property: 'linearizable history', detail: v.detail, step: r.steps, trace: r.lastEvents };
  }
  return r;
}

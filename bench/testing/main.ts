/**
 * bench/testing: throughput of the linearizability checker on generated linearizable histories
 * (operations checked per second, median of the repetitions). No Go twin: porcupine is not in
 * Debian and the Go module proxy is not reachable, so the figures are absolute.
 *
 *   node dist/bench/testing/main.js [--reps 3]
 */
import { parseArgs } from 'node:util';
import { checkHistory } from '../../src/testing/index.js';
import { generateHistory } from '../../test/support/history-generator.js';
import { fmtInt, median, printTable } from '../support/stats.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' } } });
const reps = Number(values.reps);

const CASES = {
  '10k ops, 50 procs, 4 keys, 3% info': { processes: 50, operations: 10_000, keys: 4, infoRate: 0.03 },
  '10k ops, 50 procs, 1 key, 3% info': {
    processes: 50,
    operations: 10_000,
    keys: 1,
    infoRate: 0.03,
    logKeys: 0,
  },
  '10k ops, 10 procs, 1 key r/w/cas': {
    processes: 10,
    operations: 10_000,
    keys: 1,
    fns: ['read', 'write', 'cas'] as const,
  },
} as const;

const rows: string[][] = [];
for (const [name, c] of Object.entries(CASES)) {
  const rates: number[] = [];
  let outcome = '';
  for (let i = 0; i < reps; i++) {
    const events = generateHistory({ seed: 100 + i, ...c });
    const start = performance.now();
    outcome = checkHistory(events, { timeoutMs: 30_000 }).outcome;
    rates.push((c.operations * 1000) / (performance.now() - start));
  }
  rows.push([name, outcome, fmtInt(median(rates))]);
}
printTable(['case', 'outcome', 'ops/s'], rows);

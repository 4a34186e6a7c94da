/**
 * What `npm run torture` hands the fault scenarios (scripts/torture.sh sets the environment):
 * RAFTWIRE_TORTURE_SEED seeds the workload's choices (member, key, operation) and the proxies'
 * jitter and drops — process and network timing stay real, so a seed repeats a run's choices, not
 * its interleaving; RAFTWIRE_TORTURE_SECONDS stretches the load around every fault (half before,
 * half after) for longer runs. Without them (CI): a random seed, each scenario's own durations.
 */
import { Prng } from '../../../src/testing/sim/prng.js';

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative integer`);
  return n;
}

/** The seed of this run (reported in every scenario's diagnostics). */
export const TORTURE_SEED = envInt('RAFTWIRE_TORTURE_SEED') ?? Math.floor(Math.random() * 2 ** 31);

/** Load around each fault in ms, when set: [before, after]. */
export function tortureLoadMs(): [number, number] | undefined {
  const s = envInt('RAFTWIRE_TORTURE_SECONDS');
  return s === undefined ? undefined : [(s * 1000) / 2, (s * 1000) / 2];
}

let streams = 0;

/** A new random stream of this run's seed (one per workload or proxy, in creation order). */
export function tortureRandom(): () => number {
  const p = new Prng(TORTURE_SEED, streams++);
  return () => p.next();
}

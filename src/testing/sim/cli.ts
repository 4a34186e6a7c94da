#!/usr/bin/env node
/**
 * `npm run sim -- --seed S [--steps K] [--nodes N] [--storage classic|async|both] [--seeds M]
 * [--soak] [--history FILE]`: runs the deterministic simulator and prints any failure with its
 * seed, step, property and last events. Exit 0 when every run passed, 1 on a failure, 2 on bad
 * arguments.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RaftwireError } from '../../errors/index.js';
import { simulateAndCheck } from './check.js';
import { formatFailure, type StorageMode } from './simulator.js';

const USAGE =
  'usage: npm run sim -- [--seed S] [--seeds M] [--steps K] [--nodes N] [--storage classic|async|both] [--soak] [--history FILE]';

function int(name: string, v: string | undefined, def: number, lo: number, hi: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi)
    throw new RaftwireError('RAFTWIRE_SIM_CONFIG', `--${name} must be an integer from ${lo} to ${hi}`);
  return n;
}

async function main(): Promise<number> {
  let a: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        seed: { type: 'string' },
        seeds: { type: 'string' },
        steps: { type: 'string' },
        nodes: { type: 'string' },
        storage: { type: 'string' },
        soak: { type: 'boolean' },
        history: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  }
  let seed: number;
  let seeds: number;
  let steps: number;
  let nodes: number;
  let modes: StorageMode[];
  try {
    a = parse();
    if (a.help === true) {
      console.log(USAGE);
      return 0;
    }
    seed = int('seed', a.seed, 1, 0, 2 ** 32 - 1);
    seeds = int('seeds', a.seeds, 1, 1, 1e9);
    steps = int('steps', a.steps, 400, 1, 1e7);
    nodes = int('nodes', a.nodes, 5, 3, 7);
    const s = a.storage ?? 'both';
    if (s !== 'classic' && s !== 'async' && s !== 'both')
      throw new RaftwireError('RAFTWIRE_SIM_CONFIG', '--storage must be classic, async or both');
    modes = s === 'both' ? ['classic', 'async'] : [s];
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  const started = performance.now();
  let runs = 0;
  let totalSteps = 0;
  let lastReport = started;
  for (let s = seed; a.soak === true || s < seed + seeds; s++) {
    // Let the event loop run (and see a SIGINT): the runs themselves never yield.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stop) break;
    for (const storage of modes) {
      const r = await simulateAndCheck({ seed: s >>> 0, storage, steps, nodes });
      runs++;
      totalSteps += steps;
      if (a.history !== undefined)
        writeFileSync(a.history, `${r.history.map((o) => JSON.stringify(o)).join('\n')}\n`);
      if (r.failure !== undefined) {
        console.error(formatFailure(r));
        return 1;
      }
      if (a.soak !== true && seeds === 1) {
        console.log(
          `seed ${r.seed} (${storage}): ok, trace ${r.traceHash.slice(0, 16)} ${JSON.stringify(r.stats)}`,
        );
      }
    }
    const now = performance.now();
    if (a.soak === true && now - lastReport >= 5000) {
      lastReport = now;
      const secs = (now - started) / 1000;
      console.log(
        `${runs} runs up to seed ${s}: ${(runs / secs).toFixed(1)} runs/s, ${(totalSteps / secs).toFixed(0)} steps/s`,
      );
    }
  }
  const secs = (performance.now() - started) / 1000;
  console.log(
    `${runs} runs passed in ${secs.toFixed(1)} s (${(runs / secs).toFixed(1)} runs/s, ${(totalSteps / secs).toFixed(0)} steps/s)`,
  );
  return 0;
}

process.exitCode = await main();

/**
 * The simulator has teeth: with each known bug planted through raft's test-only knobs, some seed
 * within a bounded number fails with the property the bug breaks. The knob is reset whatever
 * happens.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TestingKnob, testingKnobs } from '../../../src/raft/testing-knobs.js';
import { type SimOptions, type SimResult, simulateAndCheck } from '../../../src/testing/sim/index.js';

interface Case {
  knob: TestingKnob;
  what: string;
  /** Properties a run may report for this bug. */
  properties: string[];
  options: Omit<SimOptions, 'seed' | 'storage'>;
  maxSeeds: number;
}

const cases: Case[] = [
  {
    knob: 'commitAnyTerm',
    what: "an earlier term's entry committed by counting replicas (Figure 8)",
    properties: [
      'leader completeness',
      'committed entries never change',
      'no acknowledged write lost',
      'applied prefixes identical',
      'linearizable history',
    ],
    options: { nodes: 3, steps: 1000, churn: true },
    maxSeeds: 150,
  },
  {
    knob: 'voteIgnoresLog',
    what: 'a vote granted without the up-to-date check',
    properties: [
      'leader completeness',
      'committed entries never change',
      'no acknowledged write lost',
      'applied prefixes identical',
      'linearizable history',
    ],
    options: { steps: 400 },
    maxSeeds: 40,
  },
  {
    knob: 'readIndexWithoutQuorum',
    what: 'a ReadIndex answered without a heartbeat quorum',
    properties: ['linearizable ReadIndex', 'linearizable history'],
    // Without CheckQuorum a cut-off leader keeps believing it leads until it hears a later term.
    options: { steps: 400, churn: true, checkQuorum: false },
    maxSeeds: 200,
  },
  {
    knob: 'ackBeforeSync',
    what: 'an append acknowledged before it is durable',
    properties: [
      'committed index never lost by a quorum',
      'no acknowledged write lost',
      'committed entries never change',
      'leader completeness',
    ],
    options: { steps: 400 },
    maxSeeds: 20,
  },
];

async function firstFailure(c: Case, storage: 'classic' | 'async'): Promise<SimResult | undefined> {
  testingKnobs[c.knob] = true;
  try {
    for (let seed = 1; seed <= c.maxSeeds; seed++) {
      const r = await simulateAndCheck({ ...c.options, seed, storage });
      if (r.failure !== undefined) return r;
    }
    return undefined;
  } finally {
    testingKnobs[c.knob] = false;
  }
}

describe('simulator mutation tests', () => {
  for (const c of cases) {
    for (const storage of ['classic', 'async'] as const) {
      it(`catches ${c.what} within ${c.maxSeeds} seeds (${storage})`, async (t) => {
        const r = await firstFailure(c, storage);
        assert.ok(r !== undefined, `${c.knob}: no seed up to ${c.maxSeeds} failed`);
        t.diagnostic(
          `${c.knob} (${storage}): seed ${r.seed}, step ${r.failure!.step}: ${r.failure!.property}`,
        );
        assert.ok(
          c.properties.includes(r.failure!.property),
          `${c.knob}: seed ${r.seed} failed with an unexpected property: ${r.failure!.property}: ${r.failure!.detail}`,
        );
        // The same seed without the bug passes.
        const clean = await simulateAndCheck({ ...c.options, seed: r.seed, storage });
        assert.equal(clean.failure, undefined, clean.failure?.detail);
      });
    }
  }

  it('leaves every knob off', () => {
    for (const [k, v] of Object.entries(testingKnobs)) assert.equal(v, false, k);
  });
});

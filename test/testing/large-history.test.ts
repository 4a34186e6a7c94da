import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkHistory } from '../../src/testing/index.js';
import { generateHistory } from '../support/history-generator.js';

it('decides a 10 000-operation history over 50 processes with hundreds of unknown outcomes', () => {
  const events = generateHistory({
    seed: 11,
    processes: 50,
    operations: 10_000,
    keys: 4,
    infoRate: 0.03,
    failRate: 0.03,
  });
  const unknown =
    events.filter((e) => e.type === 'info').length +
    events.filter((e) => e.type === 'invoke').length -
    events.filter((e) => e.type !== 'invoke').length;
  assert.ok(unknown >= 200, `only ${unknown} unknown outcomes`);
  const r = checkHistory(events, { timeoutMs: 60_000 });
  assert.equal(r.outcome, 'linearizable', JSON.stringify(r));
});

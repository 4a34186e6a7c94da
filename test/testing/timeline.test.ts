import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeOp, formatTimeline } from '../../src/testing/index.js';

it('draws one row per process with a bar per operation, and a legend with lines', () => {
  const text = formatTimeline([
    { process: 2, f: 'read', key: 'x', outcome: 'ok', result: 1, invokeLine: 5, completeLine: 6 },
    { process: 1, f: 'write', key: 'x', outcome: 'ok', value: 1, invokeLine: 1, completeLine: 2 },
    { process: 1, f: 'cas', key: '', outcome: 'fail', value: [1, 2], invokeLine: 3, completeLine: 7 },
    { process: 3, f: 'append', key: 'x', outcome: 'info', value: 'a', invokeLine: 4 },
  ]);
  assert.equal(
    text,
    [
      'p1  |- write x 1 -||- cas "" 1 → 2 failed -|',
      'p2                   |- read x → 1 -|',
      'p3                  |- append x "a" ? -…',
      '',
      '  lines 1–2: p1 write x 1',
      '  lines 3–7: p1 cas "" 1 → 2 failed',
      '  lines 4–: p3 append x "a" ?',
      '  lines 5–6: p2 read x → 1',
      '',
    ].join('\n'),
  );
});

it('labels every kind of operation', () => {
  assert.equal(
    describeOp({ process: 1, f: 'delete', key: 'a b', outcome: 'ok', invokeLine: 1 }),
    'delete "a b"',
  );
  assert.equal(
    describeOp({ process: 1, f: 'read', key: 'k', outcome: 'ok', result: { a: 1 }, invokeLine: 1 }),
    'read k → {"a":1}',
  );
});

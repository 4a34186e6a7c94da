import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { checkHistory, HistoryFormatError, type HistoryOp, parseHistory } from '../../src/testing/index.js';

function malformedAt(text: string): number {
  try {
    parseHistory(text);
  } catch (e) {
    assert.ok(isRaftwireError(e, 'RAFTWIRE_HISTORY_MALFORMED'));
    return (e as HistoryFormatError).line;
  }
  assert.fail('parsed a malformed history');
}

const W1 = '{"process":1,"type":"invoke","f":"write","key":"x","value":1}';

describe('parseHistory', () => {
  it('reads JSON lines, skipping blank lines', () => {
    const ops = parseHistory(`${W1}\n\n{"process":1,"type":"ok","f":"write","key":"x","value":1}\n`);
    assert.equal(ops.length, 2);
    assert.equal(ops[0]!.value, 1);
  });
  const cases: Record<string, [string, number]> = {
    'not JSON': [`${W1}\n{oops`, 2],
    'not an object': [`[1,2]`, 1],
    'unknown type': [`{"process":1,"type":"start","f":"read"}`, 1],
    'unknown f': [`{"process":1,"type":"invoke","f":"incr"}`, 1],
    'process not an integer': [`{"process":"a","type":"invoke","f":"read"}`, 1],
    'two outstanding ops on one process': [`${W1}\n\n{"process":1,"type":"invoke","f":"read","key":"x"}`, 3],
    'completion without invoke': [`{"process":4,"type":"ok","f":"read","value":null}`, 1],
    'completion of another f': [`${W1}\n{"process":1,"type":"ok","f":"read","value":1}`, 2],
    'completion of another key': [`${W1}\n{"process":1,"type":"ok","f":"write","key":"y"}`, 2],
    'cas without a pair': [`{"process":1,"type":"invoke","f":"cas","value":1}`, 1],
    'append of a non-string': [`{"process":1,"type":"invoke","f":"append","value":1}`, 1],
    'read ok without a value': [
      `{"process":1,"type":"invoke","f":"read"}\n{"process":1,"type":"ok","f":"read"}`,
      2,
    ],
  };
  for (const [name, [text, line]] of Object.entries(cases)) {
    it(`rejects ${name} with its line number`, () => assert.equal(malformedAt(text), line));
  }
  it('checkHistory cites the parsed line, or the position of unparsed events', () => {
    const parsed = parseHistory(`\n\n${W1}`);
    parsed.push({ process: 1, type: 'invoke', f: 'read' });
    assert.throws(
      () => checkHistory(parsed),
      (e: unknown) => e instanceof HistoryFormatError && e.line === 2,
    );
    const raw: HistoryOp[] = [{ process: 1, type: 'ok', f: 'read', value: 1 }];
    assert.throws(
      () => checkHistory(raw),
      (e: unknown) => e instanceof HistoryFormatError && e.line === 1,
    );
    const bigint = [{ process: 1, type: 'invoke', f: 'write', value: 1n }] as HistoryOp[];
    assert.throws(() => checkHistory(bigint), HistoryFormatError);
  });
});

/**
 * Differential test against etcd 3.4.23's own Go raftpb (test/interop/go/raftpb-diff):
 * - Go encodes thousands of random values of every type; raftwire decodes, compares every field,
 *   re-encodes and compares bytes and sizes.
 * - raftwire encodes thousands of random values; Go decodes, compares, re-encodes and must produce
 *   the very same bytes.
 * - Mutated encodings: Go and raftwire must agree on what is accepted, and on what it means.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RaftpbDecodeError } from '../../../src/raftpb/index.js';
import { arbitraries } from '../../raftpb/arbitraries.js';
import { codec } from '../../raftpb/codecs.js';
import { mutate, mutation } from '../../raftpb/fuzz.test.js';
import type { Json } from '../../raftpb/json-form.js';
import { goBinary } from '../../support/go.js';
import { fromHex, toHex } from '../../support/hex.js';

// RAFTWIRE_DIFF_RUNS raises the count for a deeper run by hand (the suite uses 1000 per type).
const PER_TYPE = Number(process.env.RAFTWIRE_DIFF_RUNS ?? 1000);
const TYPES = Object.keys(arbitraries);
const bin = goBinary('raftpb-diff');

interface GoValue {
  type: string;
  hex: string;
  fields: Json;
}
interface GoVerdict {
  id: number;
  ok: boolean;
  error?: string;
  hex?: string;
  fields?: Json;
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Asks Go to decode and re-encode each input. */
function goCheck(inputs: Array<{ type: string; bytes: Uint8Array }>): GoVerdict[] {
  const input = inputs.map((x, id) => JSON.stringify({ id, type: x.type, hex: toHex(x.bytes) })).join('\n');
  const out = execFileSync(bin, ['check'], { input, maxBuffer: 1 << 30 });
  const verdicts = jsonLines<GoVerdict>(out.toString('utf8'));
  assert.equal(verdicts.length, inputs.length, 'Go answered every input');
  return verdicts;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NUMBER_FIELDS = new Set(['term', 'index', 'logTerm', 'commit', 'rejectHint']);

/** True when Go's decoding holds a term/index/commit above 2^53-1 (raftwire refuses those). */
function hasUnsafeNumber(j: Json): boolean {
  if (Array.isArray(j)) return j.some(hasUnsafeNumber);
  if (j === null || typeof j !== 'object') return false;
  return Object.entries(j).some(([k, v]) =>
    NUMBER_FIELDS.has(k) && typeof v === 'string' ? BigInt(v) > MAX_SAFE : hasUnsafeNumber(v),
  );
}

describe('Go encodes, raftwire decodes', () => {
  const out = execFileSync(bin, ['gen', '20261125', String(PER_TYPE * TYPES.length)], { maxBuffer: 1 << 30 });
  const values = jsonLines<GoValue>(out.toString('utf8'));

  test('Go generated every type', () => {
    assert.equal(values.length, PER_TYPE * TYPES.length);
    assert.deepEqual(new Set(values.map((v) => v.type)), new Set(TYPES));
  });

  for (const type of TYPES) {
    test(`${type}: fields, sizes and bytes match`, () => {
      const c = codec(type);
      let n = 0;
      for (const v of values) {
        if (v.type !== type) continue;
        const bytes = fromHex(v.hex);
        const decoded = c.decode(bytes);
        assert.deepEqual(c.toJson(decoded as never), v.fields, `${type} #${n} fields`);
        assert.equal(c.size(decoded as never), bytes.length, `${type} #${n} size`);
        assert.equal(toHex(c.encode(decoded as never)), v.hex, `${type} #${n} bytes`);
        n++;
      }
      assert.equal(n, PER_TYPE);
    });
  }
});

describe('raftwire encodes, Go decodes', () => {
  for (const type of TYPES) {
    test(`${type}: Go reads every field and re-encodes the same bytes`, () => {
      const c = codec(type);
      const values = fc.sample(arbitraries[type]!, { numRuns: PER_TYPE, seed: 7 });
      const encoded = values.map((v) => ({ type, bytes: c.encode(v as never) }));
      const verdicts = goCheck(encoded);
      verdicts.forEach((verdict, i) => {
        assert.equal(verdict.ok, true, `${type} #${i}: Go refused: ${verdict.error}`);
        assert.deepEqual(verdict.fields, c.toJson(values[i] as never), `${type} #${i} fields`);
        assert.equal(verdict.hex, toHex(encoded[i]!.bytes), `${type} #${i} bytes`);
      });
    });
  }
});

describe('mutated bytes: Go and raftwire agree', () => {
  for (const type of TYPES) {
    test(type, () => {
      const c = codec(type);
      const cases = fc.sample(
        fc.tuple(arbitraries[type]!, fc.array(mutation, { minLength: 1, maxLength: 3 })),
        { numRuns: PER_TYPE, seed: 11 },
      );
      const inputs = cases.map(([v, muts]) => ({ type, bytes: mutate(c.encode(v as never), muts) }));
      const verdicts = goCheck(inputs);
      let accepted = 0;
      verdicts.forEach((go, i) => {
        const bytes = inputs[i]!.bytes;
        let ours: unknown;
        try {
          ours = c.decode(bytes);
        } catch (e) {
          assert.ok(e instanceof RaftpbDecodeError, String(e));
          if (go.ok) {
            assert.equal(
              e.reason,
              'unsafe-integer',
              `${type} ${toHex(bytes)}: Go accepts, raftwire says ${e.message}`,
            );
            assert.ok(
              hasUnsafeNumber(go.fields),
              `${type} ${toHex(bytes)}: refused as unsafe but Go saw no such value`,
            );
          }
          return;
        }
        assert.equal(go.ok, true, `${type} ${toHex(bytes)}: raftwire accepts, Go says ${go.error}`);
        assert.deepEqual(c.toJson(ours as never), go.fields, `${type} ${toHex(bytes)} fields`);
        assert.equal(toHex(c.encode(ours as never)), go.hex, `${type} ${toHex(bytes)} re-encoding`);
        accepted++;
      });
      // The mutations must leave a real share of decodable inputs, or this test proves little.
      assert.ok(accepted > PER_TYPE / 10, `${type}: only ${accepted} mutated inputs decoded`);
    });
  }
});

/**
 * Decoder fuzzing: random bytes and mutated valid encodings. The decoder only ever returns a
 * message that re-encodes and decodes to itself, or throws RaftpbDecodeError; never anything else,
 * and never hangs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RaftpbDecodeError } from '../../src/raftpb/index.js';
import { arbitraries } from './arbitraries.js';
import { codec } from './codecs.js';

function decodesCleanly(type: string, bytes: Uint8Array): void {
  const c = codec(type);
  let value: unknown;
  try {
    value = c.decode(bytes);
  } catch (e) {
    assert.ok(e instanceof RaftpbDecodeError, `${type}: unexpected ${String(e)}`);
    return;
  }
  const again = c.encode(value as never);
  assert.deepEqual(c.toJson(c.decode(again) as never), c.toJson(value as never));
}

/** A byte mutation: flip, overwrite, insert, delete or truncate at a position. */
const mutation = fc.record({
  kind: fc.integer({ min: 0, max: 4 }),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(b: Uint8Array, muts: Array<{ kind: number; at: number; byte: number }>): Uint8Array {
  let out = Array.from(b);
  for (const { kind, at, byte } of muts) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 0 && out.length > 0) out[i] = out[i]! ^ (1 << (byte & 7));
    else if (kind === 1 && out.length > 0) out[i] = byte;
    else if (kind === 2) out.splice(i, 0, byte);
    else if (kind === 3) out.splice(i, 1);
    else out = out.slice(0, i);
  }
  return Uint8Array.from(out);
}

describe('fuzz the decoders', () => {
  for (const [type, arb] of Object.entries(arbitraries)) {
    test(`${type}: random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodesCleanly(type, b)),
        { numRuns: 2000, seed: 1 },
      );
    });
    test(`${type}: mutated valid encodings`, () => {
      const c = codec(type);
      fc.assert(
        fc.property(arb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (v, muts) =>
          decodesCleanly(type, mutate(c.encode(v as never), muts)),
        ),
        { numRuns: 1000, seed: 2 },
      );
    });
  }
});

export { mutate, mutation };

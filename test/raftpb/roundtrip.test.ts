/** Property tests: every type round-trips, and size() equals the encoded length. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { arbitraries } from './arbitraries.js';
import { codec } from './codecs.js';

describe('round trip (fast-check)', () => {
  for (const [type, arb] of Object.entries(arbitraries)) {
    test(type, () => {
      const c = codec(type);
      fc.assert(
        fc.property(arb, (v) => {
          const bytes = c.encode(v as never);
          assert.equal(c.size(v as never), bytes.length);
          const back = c.decode(bytes);
          assert.deepEqual(c.toJson(back as never), c.toJson(v as never));
          assert.deepEqual(c.encode(back as never), bytes);
        }),
        { numRuns: 300, seed: 20261125 },
      );
    });
  }
});

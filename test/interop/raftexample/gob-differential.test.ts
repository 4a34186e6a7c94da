/**
 * The raftexample gob codec against Go's encoding/gob (build/go/raftexample-codec): the encoder
 * is byte-identical on random keys and values, and the decoder accepts exactly what a fresh Go
 * decoder accepts into kv{Key, Val string}, with the same Key and Val, on canonical entries,
 * random streams with arbitrary type definitions, and byte-level mutations of both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import { decodeKvEntry } from '../../../src/kv/raftexample/gob-decode.js';
import { encodeKvEntry } from '../../../src/kv/raftexample/gob-encode.js';
import { toHex } from '../../support/hex.js';
import { CodecHarness } from './codec-harness.js';
import { definition, Gen, gint, message, mutate, prng, structuredStream } from './gob-gen.js';

const SEED = Number(process.env.RAFTWIRE_FUZZ_SEED ?? Date.now() % 1_000_000);

let go: CodecHarness;
before(() => {
  go = new CodecHarness();
});
after(() => go.close());

function ours(data: Uint8Array): { ok: boolean; key?: string; val?: string; error?: string } {
  try {
    const { key, val } = decodeKvEntry(data);
    return { ok: true, key: toHex(key), val: toHex(val) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

async function compare(inputs: Uint8Array[], label: string): Promise<{ accepted: number }> {
  const theirs = await go.gobDecode(inputs);
  let accepted = 0;
  inputs.forEach((input, i) => {
    const g = theirs[i];
    const o = ours(input);
    const ctx = `${label} #${i} (seed ${SEED}) input ${toHex(input)}: Go ${JSON.stringify(g)}, raftwire ${JSON.stringify(o)}`;
    assert.equal(o.ok, g?.ok, ctx);
    if (o.ok) {
      accepted++;
      assert.equal(o.key, g?.key, ctx);
      assert.equal(o.val, g?.val, ctx);
    }
  });
  return { accepted };
}

describe(`raftexample gob codec vs Go (seed ${SEED})`, () => {
  it('encodes random keys and values byte-identically', async () => {
    const g = new Gen(prng(SEED));
    const kvs: [Uint8Array, Uint8Array][] = Array.from({ length: 400 }, () => [
      Uint8Array.from(g.bytes(g.len())),
      Uint8Array.from(g.bytes(g.len())),
    ]);
    const theirs = await go.gobEncode(kvs);
    kvs.forEach(([k, v], i) => {
      const mine = encodeKvEntry(k, v);
      assert.equal(toHex(mine), theirs[i], `kv #${i} (seed ${SEED})`);
      const back = decodeKvEntry(mine);
      assert.equal(toHex(back.key), toHex(k));
      assert.equal(toHex(back.val), toHex(v));
    });
  });

  it('decodes mutated canonical entries as Go does', async () => {
    const g = new Gen(prng(SEED + 1));
    const inputs = Array.from({ length: 3000 }, () => {
      const k = Uint8Array.from(g.bytes(g.chance(0.9) ? g.int(6) : g.len()));
      const v = Uint8Array.from(g.bytes(g.chance(0.9) ? g.int(6) : g.len()));
      return mutate(g, encodeKvEntry(k, v));
    });
    const { accepted } = await compare(inputs, 'mutated');
    // The mix must exercise both outcomes, or the comparison proves little.
    assert.ok(accepted > 100 && accepted < inputs.length - 100, `accepted ${accepted}`);
  });

  it('decodes streams with arbitrary type definitions as Go does', async () => {
    const g = new Gen(prng(SEED + 2));
    const inputs = Array.from({ length: 3000 }, () => structuredStream(g));
    const { accepted } = await compare(inputs, 'structured');
    assert.ok(accepted > 100 && accepted < inputs.length - 100, `accepted ${accepted}`);
  });

  it('decodes mutations of those streams as Go does', async () => {
    const g = new Gen(prng(SEED + 3));
    const inputs = Array.from({ length: 4000 }, () => mutate(g, structuredStream(g)));
    const { accepted } = await compare(inputs, 'structured+mutated');
    assert.ok(accepted > 50, `accepted ${accepted}`);
  });

  it('refuses values nested deeper than its stack, which Go accepts (the documented limit)', async () => {
    // kv gains a field X of a self-recursive slice type; its value nests `depth` slices.
    const nested = (depth: number): Uint8Array =>
      Uint8Array.from([
        ...definition(66, 'S', { kind: 'slice', elem: 66 }),
        ...definition(65, 'kv', {
          kind: 'struct',
          fields: [
            ['Key', 6],
            ['X', 66],
          ],
        }),
        ...message([...gint(65), 2, ...new Array<number>(depth).fill(1), 0, 0]),
      ]);
    const [shallow, deep] = await go.gobDecode([nested(500), nested(50_000)]);
    assert.equal(shallow?.ok, true);
    assert.equal(deep?.ok, true);
    assert.equal(ours(nested(500)).ok, true);
    assert.throws(
      () => decodeKvEntry(nested(50_000)),
      (e) => isRaftwireError(e, 'RAFTWIRE_KV_RAFTEXAMPLE_GOB') && /nesting too deep/.test(e.message),
    );
  });

  it('decodes random short byte strings as Go does', async () => {
    const g = new Gen(prng(SEED + 4));
    const inputs = Array.from({ length: 2000 }, () => Uint8Array.from(g.bytes(g.int(12))));
    await compare(inputs, 'random');
  });
});

/**
 * The raftexample snapshot JSON codec against Go's encoding/json (build/go/raftexample-codec):
 * json.Marshal of random byte-string maps is byte-identical, and decoding accepts exactly what
 * json.Unmarshal into a map[string]string accepts, with the same resulting map, on Go's own
 * output, hand-shaped JSON and byte-level mutations of both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  decodeSnapshotJson,
  encodeSnapshotJson,
  type KvMap,
  kvMapKey,
  kvMapKeyBytes,
} from '../../../src/kv/raftexample/snapshot-json.js';
import { fromHex, toHex } from '../../support/hex.js';
import { CodecHarness } from './codec-harness.js';
import { Gen, mutate, prng } from './gob-gen.js';

const SEED = Number(process.env.RAFTWIRE_FUZZ_SEED ?? Date.now() % 1_000_000);

let go: CodecHarness;
before(() => {
  go = new CodecHarness();
});
after(() => go.close());

/** Byte strings rich in what JSON escaping cares about. */
function tricky(g: Gen): Uint8Array {
  const parts: number[][] = [
    [0x3c],
    [0x3e],
    [0x26],
    [0x22],
    [0x5c],
    [0x00],
    [0x1f],
    [0x7f],
    [0x0a],
    [0xe2, 0x80, 0xa8],
    [0xe2, 0x80, 0xa9],
    [0xff],
    [0xc3],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xef, 0xbf, 0xbd],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xc3, 0xa9],
    [0x61],
    [0x2f],
  ];
  const n = g.chance(0.1) ? 0 : 1 + g.int(8);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...(g.chance(0.2) ? [g.int(256)] : g.pick(parts)));
  return Uint8Array.from(out);
}

function randomMap(g: Gen): [Uint8Array, Uint8Array][] {
  return Array.from({ length: g.int(6) }, () => [tricky(g), tricky(g)] as [Uint8Array, Uint8Array]);
}

function ours(data: Uint8Array): { ok: boolean; nil?: boolean; pairs?: [string, string][] } {
  try {
    const { map, wasNull } = decodeSnapshotJson(data);
    const pairs = [...map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [toHex(kvMapKeyBytes(k)), toHex(v)] as [string, string]);
    return { ok: true, nil: wasNull, pairs };
  } catch {
    return { ok: false };
  }
}

async function compareDecode(inputs: Uint8Array[], label: string): Promise<number> {
  const theirs = await go.jsonUnmarshal(inputs);
  let accepted = 0;
  inputs.forEach((input, i) => {
    const g = theirs[i];
    const o = ours(input);
    const ctx = `${label} #${i} (seed ${SEED}) ${JSON.stringify(Buffer.from(input).toString('latin1'))}: Go ${JSON.stringify(g)} raftwire ${JSON.stringify(o)}`;
    assert.equal(o.ok, g?.ok, ctx);
    if (o.ok) {
      accepted++;
      assert.equal(o.nil, g?.nil, ctx);
      assert.deepEqual(o.pairs, g?.pairs, ctx);
    }
  });
  return accepted;
}

describe(`raftexample snapshot JSON vs Go (seed ${SEED})`, () => {
  it('marshals random byte-string maps byte-identically', async () => {
    const g = new Gen(prng(SEED));
    const maps = Array.from({ length: 1500 }, () => randomMap(g));
    const theirs = await go.jsonMarshal(maps);
    maps.forEach((pairs, i) => {
      const m: KvMap = new Map();
      for (const [k, v] of pairs) m.set(kvMapKey(k), v);
      assert.equal(toHex(encodeSnapshotJson(m)), theirs[i], `map #${i} (seed ${SEED})`);
    });
  });

  it('unmarshals Go output, hand-shaped JSON and mutations as Go does', async () => {
    const g = new Gen(prng(SEED + 1));
    const goOut = (await go.jsonMarshal(Array.from({ length: 500 }, () => randomMap(g)))).map(fromHex);
    const enc = new TextEncoder();
    const atoms = [
      '{',
      '}',
      '"',
      ':',
      ',',
      ' ',
      '\n',
      'null',
      '"a"',
      '"\\u00e9"',
      '"\\ud800"',
      '"\\udc00"',
      '"\\ud83d\\ude00"',
      '"\\ud800\\u0041"',
      '"\\/"',
      '"\\b\\f"',
      '"\\x"',
      '"\\u12"',
      '1',
      'true',
      '[]',
      '{}',
      '"\xff"',
      '\t',
    ];
    const shaped = Array.from({ length: 1500 }, () => {
      if (g.chance(0.5)) {
        const members = Array.from(
          { length: g.int(4) },
          () => `${g.pick(atoms.slice(8, 18))}:${g.pick(['"v"', 'null', ...atoms.slice(8, 18)])}`,
        );
        return Uint8Array.from(
          Buffer.from(`${g.pick(['', ' '])}{${members.join(',')}}${g.pick(['', ' ', '\n'])}`, 'latin1'),
        );
      }
      return enc.encode(Array.from({ length: 1 + g.int(8) }, () => g.pick(atoms)).join(''));
    });
    const mutated = [...goOut, ...shaped].map((b) => mutate(g, b));
    const accepted = await compareDecode([...goOut, ...shaped, ...mutated], 'unmarshal');
    assert.ok(accepted > 500, `accepted ${accepted}`);
  });
});

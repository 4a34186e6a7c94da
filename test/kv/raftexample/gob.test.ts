import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import { decodeKvEntry } from '../../../src/kv/raftexample/gob-decode.js';
import { encodeKvEntry, KV_TYPE_DEFINITION } from '../../../src/kv/raftexample/gob-encode.js';
import { fromHex, toHex } from '../../support/hex.js';
import { vectorsDir } from '../../support/paths.js';

interface Vector {
  name: string;
  keyHex: string;
  valHex: string;
  hex: string;
}
interface DecodeCase {
  name: string;
  hex: string;
  ok: boolean;
  key?: string;
  val?: string;
}
const vectors = JSON.parse(readFileSync(join(vectorsDir, 'raftexample_gob.json'), 'utf8')) as {
  typeDefinitionHex: string;
  vectors: Vector[];
  binaryVectors: Vector[];
  decodeCases: DecodeCase[];
};

describe('raftexample gob encoder', () => {
  it('starts every entry with the 33-byte kv type definition', () => {
    assert.equal(toHex(KV_TYPE_DEFINITION), vectors.typeDefinitionHex);
  });

  for (const v of [...vectors.vectors, ...vectors.binaryVectors]) {
    it(`writes Go's bytes for ${v.name}`, () => {
      assert.equal(toHex(encodeKvEntry(fromHex(v.keyHex), fromHex(v.valHex))), v.hex);
    });
  }
});

describe('raftexample gob decoder', () => {
  for (const v of [...vectors.vectors, ...vectors.binaryVectors]) {
    it(`reads back ${v.name}`, () => {
      const { key, val } = decodeKvEntry(fromHex(v.hex));
      assert.equal(toHex(key), v.keyHex);
      assert.equal(toHex(val), v.valHex);
    });
  }

  const enc = new TextEncoder();
  for (const c of vectors.decodeCases) {
    it(`${c.ok ? 'accepts' : 'rejects'} ${c.name} as Go does`, () => {
      if (c.ok) {
        const { key, val } = decodeKvEntry(fromHex(c.hex));
        assert.equal(toHex(key), toHex(enc.encode(c.key ?? '')));
        assert.equal(toHex(val), toHex(enc.encode(c.val ?? '')));
      } else {
        assert.throws(
          () => decodeKvEntry(fromHex(c.hex)),
          (e) => isRaftwireError(e, 'RAFTWIRE_KV_RAFTEXAMPLE_GOB'),
        );
      }
    });
  }

  it('rejects an empty entry and a lone count byte', () => {
    for (const hex of ['', '80', '0224', '00']) {
      assert.throws(
        () => decodeKvEntry(fromHex(hex)),
        (e) => isRaftwireError(e, 'RAFTWIRE_KV_RAFTEXAMPLE_GOB'),
      );
    }
  });

  it('returns copies, not views of the entry', () => {
    const data = encodeKvEntry(enc.encode('/k'), enc.encode('v'));
    const { key } = decodeKvEntry(data);
    data.fill(0);
    assert.equal(new TextDecoder().decode(key), '/k');
  });
});

/** The Go-computed vectors of ../shared/reference/vectors: bytes, sizes and fields must match. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeMessage, encodeMessage, formatId, messageSize, parseId } from '../../src/raftpb/index.js';
import { fromHex, toHex } from '../support/hex.js';
import { requireShared, vectorsDir } from '../support/paths.js';
import { codec } from './codecs.js';
import { type Json, messageFromJson, messageToJson, stripNames } from './json-form.js';

requireShared();
const load = (name: string): Json => JSON.parse(readFileSync(join(vectorsDir, name), 'utf8'));

describe('raftpb_messages.json', () => {
  const file = load('raftpb_messages.json');
  assert.ok(file.vectors.length >= 9);
  for (const v of file.vectors) {
    test(v.name, () => {
      const m = messageFromJson(stripNames(v.message));
      assert.equal(toHex(encodeMessage(m)), v.hex, 'encode');
      assert.equal(messageSize(m), v.size, 'size');
      assert.equal(messageSize(m), v.hex.length / 2, 'size equals the encoded length');
      assert.deepEqual(messageToJson(decodeMessage(fromHex(v.hex))), stripNames(v.message), 'decode');
    });
  }
});

describe('raftpb_other.json', () => {
  const file = load('raftpb_other.json');
  for (const v of file.vectors) {
    test(`${v.type} ${v.name}`, () => {
      const c = codec(v.type);
      const value = c.fromJson(stripNames(v.fields)) as never;
      assert.equal(toHex(c.encode(value)), v.hex, 'encode');
      assert.equal(c.size(value), v.hex.length / 2, 'size');
      assert.deepEqual(c.toJson(c.decode(fromHex(v.hex)) as never), stripNames(v.fields), 'decode');
    });
  }
  for (const v of file.decodeOnly) {
    test(`decode only: ${v.type} ${v.name}`, () => {
      const c = codec(v.type);
      const decoded = c.decode(fromHex(v.hex)) as never;
      assert.deepEqual(c.toJson(decoded), stripNames(v.decoded));
      assert.equal(toHex(c.encode(decoded)), v.reencodedHex, 're-encode keeps unknown fields, in order');
    });
  }
});

describe('raftpb_v36_compat.json: etcd 3.6 encodings decode to the same fields', () => {
  const file = load('raftpb_v36_compat.json');
  const v34 = new Map<string, Json>(load('raftpb_messages.json').vectors.map((v: Json) => [v.name, v]));
  const snapBody = load('snapshot_body.json');
  for (const v of file.vectors) {
    test(v.name, () => {
      const m = decodeMessage(fromHex(v.hex));
      const want =
        v.sameFieldsAs34Vector === '(snapshot_body.json message)'
          ? snapBody.message
          : v34.get(v.sameFieldsAs34Vector)?.message;
      assert.ok(want, `no 3.4 vector named ${v.sameFieldsAs34Vector}`);
      assert.deepEqual(messageToJson(m), stripNames(want));
      // The 3.6 vote field (13) is unknown to 3.4 and kept as such.
      assert.ok(m.unknown !== undefined && toHex(m.unknown).startsWith('68'), 'vote field kept as unknown');
    });
  }
});

describe('ids.json', () => {
  const file = load('ids.json');
  for (const f of file.format) {
    test(`format ${f.decimal}`, () => assert.equal(formatId(BigInt(f.decimal)), f.string));
  }
  for (const p of file.parse) {
    test(`parse ${JSON.stringify(p.input)}`, () => {
      if (p.ok) assert.equal(parseId(p.input), BigInt(p.decimal));
      else assert.throws(() => parseId(p.input), { code: 'RAFTWIRE_INVALID_ID' });
    });
  }
});

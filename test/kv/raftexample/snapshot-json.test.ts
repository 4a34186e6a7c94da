import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import {
  decodeSnapshotJson,
  encodeSnapshotJson,
  type KvMap,
  kvMapKey,
} from '../../../src/kv/raftexample/snapshot-json.js';

const enc = new TextEncoder();
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const str = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

function mapOf(pairs: [Uint8Array | string, Uint8Array | string][]): KvMap {
  const m: KvMap = new Map();
  for (const [k, v] of pairs) {
    m.set(kvMapKey(typeof k === 'string' ? enc.encode(k) : k), typeof v === 'string' ? enc.encode(v) : v);
  }
  return m;
}

const json = (m: KvMap): string => Buffer.from(encodeSnapshotJson(m)).toString('latin1');

describe('raftexample snapshot JSON (Go json.Marshal rules)', () => {
  it('writes {} for an empty store, never null', () => {
    assert.equal(json(new Map()), '{}');
  });

  it('sorts keys bytewise', () => {
    assert.equal(
      json(
        mapOf([
          ['/b', '2'],
          ['/a', '1'],
          ['/B', '3'],
        ]),
      ),
      '{"/B":"3","/a":"1","/b":"2"}',
    );
  });

  it("escapes <, >, & and U+2028/U+2029 as Go's HTML-safe encoder does", () => {
    assert.equal(
      json(
        mapOf([
          ['/<x>', '&'],
          ['/l', '\u2028\u2029'],
        ]),
      ),
      '{"/\\u003cx\\u003e":"\\u0026","/l":"\\u2028\\u2029"}',
    );
  });

  it('escapes control characters with lowercase hex, \\n \\r \\t short, and keeps DEL', () => {
    assert.equal(
      json(mapOf([['/c', bytes(0, 8, 9, 10, 12, 13, 0x1f, 0x7f, 0x22, 0x5c)]])),
      '{"/c":"\\u0000\\u0008\\t\\n\\u000c\\r\\u001f\x7f\\"\\\\"}',
    );
  });

  it('writes each byte of invalid UTF-8 as \\ufffd and keeps valid multi-byte text', () => {
    assert.equal(json(mapOf([['/bin', bytes(0x61, 0x00, 0x62, 0xff)]])), '{"/bin":"a\\u0000b\\ufffd"}');
    // A truncated 3-byte sequence is two errors for Go (one per byte), not one.
    assert.equal(json(mapOf([['/t', bytes(0xe2, 0x82, 0x41)]])), '{"/t":"\\ufffd\\ufffdA"}');
    assert.equal(str(encodeSnapshotJson(mapOf([['/u', 'é€😀']]))), `{"/u":"${str(enc.encode('é€😀'))}"}`);
  });
});

describe('raftexample snapshot JSON (Go json.Unmarshal rules)', () => {
  const decode = (s: string | Uint8Array): [string, string][] =>
    [...decodeSnapshotJson(typeof s === 'string' ? enc.encode(s) : s).map].map(([k, v]) => [k, str(v)]);

  it('round-trips what it writes', () => {
    const m = mapOf([
      ['/a', 'x'],
      ['/<&>', '\u2028'],
      ['/e', ''],
    ]);
    assert.deepEqual(decodeSnapshotJson(encodeSnapshotJson(m)).map, m);
  });

  it('replaces invalid UTF-8 and lone surrogates with U+FFFD, pairs surrogates', () => {
    const fffd = str(enc.encode('\ufffd'));
    assert.deepEqual(decode(bytes(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d)), [['a', fffd]]);
    assert.deepEqual(decode('{"a":"\\ud800x"}'), [['a', `${fffd}x`]]);
    assert.deepEqual(decode('{"a":"\\ud83d\\ude00"}'), [['a', str(enc.encode('😀'))]]);
    assert.deepEqual(decode('{"a":"\\udc00\\ud800"}'), [['a', fffd + fffd]]);
  });

  it('takes null values as "", keeps the last of repeated keys, accepts top-level null', () => {
    assert.deepEqual(decode(' {"a" : null , "b":"1","b":"2"} '), [
      ['a', ''],
      ['b', '2'],
    ]);
    const r = decodeSnapshotJson(enc.encode('null'));
    assert.equal(r.wasNull, true);
    assert.equal(r.map.size, 0);
  });

  for (const bad of [
    '',
    '[]',
    '"x"',
    '{"a":1}',
    '{"a":true}',
    '{"a":{}}',
    '{"a":"b",}',
    '{"a":"b"} x',
    '{"a":"\x01"}',
    '{"a":"\\x"}',
    '{a:"b"}',
    'nul',
    '{"a":"b"',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => decodeSnapshotJson(enc.encode(bad)),
        (e) => isRaftwireError(e, 'RAFTWIRE_KV_RAFTEXAMPLE_SNAPSHOT_JSON'),
      );
    });
  }
});

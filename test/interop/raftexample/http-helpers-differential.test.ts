/**
 * The two Go library routines raftexample's HTTP API leans on, against Go itself
 * (build/go/raftexample-codec): strconv.ParseUint(s, 0, 64) for the IDs of POST/DELETE /<id>,
 * and net/http's DetectContentType for the Content-Type of a GET answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseUintBase0 } from '../../../src/kv/raftexample/go-parse-uint.js';
import { detectContentType } from '../../../src/kv/raftexample/go-sniff.js';
import { CodecHarness } from './codec-harness.js';
import { Gen, prng } from './gob-gen.js';

const SEED = Number(process.env.RAFTWIRE_FUZZ_SEED ?? Date.now() % 1_000_000);

let go: CodecHarness;
before(() => {
  go = new CodecHarness();
});
after(() => go.close());

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe(`raftexample HTTP helpers vs Go (seed ${SEED})`, () => {
  it('parses IDs with strconv.ParseUint(s, 0, 64) rules', async () => {
    const g = new Gen(prng(SEED));
    const fixed = [
      '4',
      '0x4',
      '0X1f',
      '0o17',
      '017',
      '0b101',
      '1_0',
      '0x_1',
      '_1',
      '1_',
      '1__0',
      '0',
      '00',
      '0x',
      '0b',
      '0b2',
      '08',
      '+4',
      '-4',
      '4?x',
      ' 4',
      '18446744073709551615',
      '18446744073709551616',
      '0xffffffffffffffff',
      '0x1_0000_0000_0000_0000',
      '',
      'z',
      '0_7',
      '0o_7',
      '0b_1_1',
    ];
    const alphabet = '0123456789_xXoObBaAfFzZ+-? ';
    const random = Array.from({ length: 3000 }, () =>
      Array.from({ length: 1 + g.int(8) }, () => alphabet[g.int(alphabet.length)]).join(''),
    );
    const big = Array.from(
      { length: 300 },
      () =>
        `${g.pick(['', '0x', '0o', '0b', '0'])}${Array.from({ length: 15 + g.int(12) }, () => g.int(10)).join('')}`,
    );
    const inputs = [...fixed, ...random, ...big].map((s) => new Uint8Array(Buffer.from(s, 'latin1')));
    const theirs = await go.parseUint(inputs);
    inputs.forEach((input, i) => {
      const mine = parseUintBase0(latin1(input));
      assert.equal(mine?.toString(), theirs[i], `ParseUint(${JSON.stringify(latin1(input))})`);
    });
  });

  it('sniffs Content-Type as net/http does', async () => {
    const g = new Gen(prng(SEED + 1));
    const prefixes = [
      '<!DOCTYPE HTML>',
      '<html ',
      '  <p>',
      '<b',
      '<!-- x',
      ' <?xml',
      '%PDF-',
      '%!PS-Adobe-',
      '\xfe\xff\x00\x00',
      '\xff\xfe',
      '\xef\xbb\xbf',
      '\x00\x00\x01\x00',
      'BM',
      'GIF89a',
      'RIFF\x01\x02\x03\x04WEBPVP',
      '\x89PNG\r\n\x1a\n',
      '\xff\xd8\xff',
      'ID3',
      'OggS\x00',
      'MThd\x00\x00\x00\x06',
      'RIFFxxxxAVI ',
      'RIFFxxxxWAVE',
      '\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp41',
      '\x1aE\xdf\xa3',
      'OTTO',
      'wOF2',
      '\x1f\x8b\x08',
      'PK\x03\x04',
      'Rar!\x1a\x07\x01\x00',
      '\x00asm',
      'hello',
      '',
      '\t\n',
      '\x01',
      '\x1b',
      'caf\xc3\xa9',
    ];
    const inputs = Array.from({ length: 2000 }, () => {
      const head = Buffer.from(g.pick(prefixes), 'latin1');
      const tailLen = g.chance(0.1) ? 500 + g.int(100) : g.int(20);
      const tail = Buffer.from(
        Array.from({ length: tailLen }, () => (g.chance(0.8) ? 0x20 + g.int(0x5f) : g.int(256))),
      );
      return new Uint8Array(Buffer.concat([head, tail]));
    });
    const theirs = await go.sniff(inputs);
    inputs.forEach((input, i) => {
      assert.equal(detectContentType(input), theirs[i], `sniff(${JSON.stringify(latin1(input))})`);
    });
  });
});

/** Tests of the datadriven reader/runner itself (format of cockroachdb/datadriven). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import {
  cmdArgString,
  DataDrivenError,
  dataDrivenFiles,
  parseDataDriven,
  parseLine,
  runDataDriven,
  runDataDrivenFile,
  type TestData,
} from './datadriven.js';
import { referenceDir } from './paths.js';

describe('parseLine', () => {
  test('command only', () => {
    assert.deepEqual(parseLine('  campaign  '), { cmd: 'campaign', cmdArgs: [] });
  });

  test('blank line gives an empty command', () => {
    assert.deepEqual(parseLine('   '), { cmd: '', cmdArgs: [] });
  });

  test('flags, single values, lists, empty values', () => {
    const { cmd, cmdArgs } = parseLine('committed cfg=(1, 2,3) idx=_ flag key= other=x');
    assert.equal(cmd, 'committed');
    assert.deepEqual(cmdArgs, [
      { key: 'cfg', vals: ['1', '2', '3'] },
      { key: 'idx', vals: ['_'] },
      { key: 'flag', vals: [] },
      { key: 'key', vals: [''] },
      { key: 'other', vals: ['x'] },
    ]);
  });

  test('nested parentheses stay inside one value; only one space after a comma is skipped per space', () => {
    const { cmdArgs } = parseLine('c a=(f(1,2), (x),  y) b=()');
    assert.deepEqual(cmdArgs, [
      { key: 'a', vals: ['f(1,2)', '(x)', 'y'] },
      { key: 'b', vals: [''] },
    ]);
  });

  test('positional values are keys without values', () => {
    const { cmdArgs } = parseLine('deliver-msgs 1 2 drop=(3)');
    assert.deepEqual(cmdArgs, [
      { key: '1', vals: [] },
      { key: '2', vals: [] },
      { key: 'drop', vals: ['3'] },
    ]);
  });

  test('unterminated list names the column', () => {
    assert.throws(() => parseLine('cmd a=(1, 2'), /cannot parse directive at column \d+: cmd a=\(1, 2/);
  });

  test('a key that starts with = is rejected', () => {
    assert.throws(() => parseLine('cmd =5'), /cannot parse directive at column 5/);
  });

  test('cmdArgString mirrors Go', () => {
    assert.equal(cmdArgString({ key: 'a', vals: [] }), 'a');
    assert.equal(cmdArgString({ key: 'a', vals: ['1'] }), 'a=1');
    assert.equal(cmdArgString({ key: 'a', vals: ['1', '2'] }), 'a=(1, 2)');
  });
});

describe('parseDataDriven', () => {
  test('comments, inputs, outputs, positions', () => {
    const text = [
      '# a comment',
      '',
      'simple',
      'v1 v2',
      '  l3  ',
      '----',
      'out 1',
      'out 2',
      '',
      '   # indented comment',
      'leave-joint',
      '----',
      'err',
      '',
    ].join('\n');
    const cases = parseDataDriven(text, 'f.txt');
    assert.equal(cases.length, 2);
    const [a, b] = cases as [TestData, TestData];
    assert.equal(a.pos, 'f.txt:3');
    assert.equal(a.cmd, 'simple');
    assert.equal(a.input, 'v1 v2\n  l3');
    assert.equal(a.expected, 'out 1\nout 2\n');
    assert.equal(a.expectedLine, 7);
    assert.equal(b.pos, 'f.txt:11');
    assert.equal(b.input, '');
    assert.equal(b.expected, 'err\n');
  });

  test('double separator allows blank lines in the output', () => {
    const text = [
      'cmd',
      '----',
      '----',
      'a',
      '',
      'b',
      '----',
      'c',
      '----',
      '----',
      '',
      'next',
      '----',
      'ok',
      '',
    ].join('\n');
    const cases = parseDataDriven(text, 'f');
    assert.equal(cases.length, 2);
    assert.equal(cases[0]!.expected, 'a\n\nb\n----\nc\n');
    assert.equal(cases[0]!.expectedLine, 4);
    assert.equal(cases[1]!.cmd, 'next');
    assert.equal(cases[1]!.expected, 'ok\n');
  });

  test('non-blank line after a double separator block is an error', () => {
    assert.throws(
      () => parseDataDriven('cmd\n----\n----\na\n----\n----\nx\n', 'f'),
      (e: unknown) => e instanceof DataDrivenError && /f:7: non-blank line/.test(e.message),
    );
  });

  test('unterminated double separator block is an error', () => {
    assert.throws(() => parseDataDriven('cmd\n----\n----\na\n', 'f'), /f:1: EOF inside/);
  });

  test('empty expected output, output at EOF without a final newline, CRLF lines', () => {
    const cases = parseDataDriven('a\n----\n\nb x=1\r\n----\r\nlast', 'f');
    assert.equal(cases.length, 2);
    assert.equal(cases[0]!.expected, '');
    assert.equal(cases[1]!.arg('x')?.vals[0], '1');
    assert.equal(cases[1]!.expected, 'last\n');
  });

  test('a directive without separator consumes the rest as input', () => {
    const cases = parseDataDriven('a\nin1\nin2\n', 'f');
    assert.equal(cases.length, 1);
    assert.equal(cases[0]!.input, 'in1\nin2');
    assert.equal(cases[0]!.expected, '');
  });

  test('backslash continues a directive line', () => {
    const cases = parseDataDriven('cmd a=1 \\\n   b=2\n----\nok\n', 'f');
    assert.deepEqual(cases[0]!.cmdArgs, [
      { key: 'a', vals: ['1'] },
      { key: 'b', vals: ['2'] },
    ]);
    assert.equal(cases[0]!.pos, 'f:1');
    assert.equal(cases[0]!.expected, 'ok\n');
  });

  test('a malformed directive reports file:line', () => {
    assert.throws(
      () => parseDataDriven('\n\ncmd a=(1\n----\n', 'g.txt'),
      /^DataDrivenError: g\.txt:3: cannot parse/m,
    );
  });
});

describe('TestData argument helpers', () => {
  const [d] = parseDataDriven('c n=-5 l=(1, 2) u=18446744073709551615 b=true s=abc bad=x\n----\n', 'f') as [
    TestData,
  ];
  test('typed access', () => {
    assert.equal(d.intArg('n'), -5);
    assert.deepEqual(d.intArgs('l'), [1, 2]);
    assert.equal(d.uint64Arg('u'), 18446744073709551615n);
    assert.deepEqual(d.uint64Args('l'), [1n, 2n]);
    assert.equal(d.boolArg('b'), true);
    assert.equal(d.stringArg('s'), 'abc');
    assert.ok(d.hasArg('s'));
    assert.ok(!d.hasArg('zz'));
  });
  test('errors carry the position', () => {
    assert.throws(() => d.intArg('zz'), /^DataDrivenError: f:1: missing argument: zz/m);
    assert.throws(() => d.intArg('l'), /f:1: l: got 1 destinations, but 2 values/);
    assert.throws(() => d.intArg('bad'), /f:1: bad: invalid integer "x"/);
    assert.throws(() => d.boolArg('bad'), /invalid boolean/);
    assert.throws(() => d.uint64Arg('n'), /invalid unsigned integer "-5"/);
  });
});

describe('runDataDriven', () => {
  const text = 'echo\nhello\n----\nhello\n\necho\n\n----\n\nlines\n----\n----\na\n\nb\n----\n----\n';
  const handler = (d: TestData): string => (d.cmd === 'echo' ? d.input : 'a\n\nb');

  test('passes when outputs match (trailing newline added, empty output stays empty)', () => {
    assert.equal(runDataDriven(text, 'f', handler), 3);
  });

  test('fails with file:line of the directive and of the first differing line', () => {
    const bad = 'echo\nx\n----\nx\n\necho\nline1\n----\nline1\nline2\n';
    assert.throws(
      () => runDataDriven(bad, 'h.txt', (d) => d.input),
      (e: unknown) => {
        assert.ok(e instanceof assert.AssertionError);
        assert.match(
          e.message,
          /^h\.txt:6: output of "echo" does not match \(first difference at h\.txt:10\)/,
        );
        assert.match(e.message, /expected line: "line2"/);
        assert.match(e.message, /actual line: {3}""/);
        return true;
      },
    );
  });

  test('stops at the first mismatch', () => {
    const seen: string[] = [];
    assert.throws(() =>
      runDataDriven('a\n----\nx\n\nb\n----\ny\n', 'f', (d) => {
        seen.push(d.cmd);
        return 'wrong';
      }),
    );
    assert.deepEqual(seen, ['a']);
  });

  test('a throwing handler is reported with the position', () => {
    assert.throws(
      () =>
        runDataDriven('\nboom\n----\n', 'f', () => {
          throw new Error('kaput');
        }),
      /f:2: handler for "boom" threw: Error: kaput/,
    );
  });
});

describe('files', () => {
  test('runDataDrivenFile reads a file; rewrite mode writes a regenerated copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftwire-dd-'));
    const prev = process.env.RAFTWIRE_DD_REWRITE_DIR;
    try {
      const file = join(dir, 'in.txt');
      const original = '# c\nup\nab\n----\nold\nold2\n\n# mid\nup\ncd\n----\nzz\n';
      writeFileSync(file, original);
      const up = (d: TestData): string => d.input.toUpperCase();
      assert.throws(() => runDataDrivenFile(file, up), /in\.txt:2: output of "up"/);
      process.env.RAFTWIRE_DD_REWRITE_DIR = join(dir, 'out');
      assert.equal(runDataDrivenFile(file, up), 2);
      const rewritten = readFileSync(join(dir, 'out', 'in.txt'), 'utf8');
      assert.equal(rewritten, '# c\nup\nab\n----\nAB\n\n# mid\nup\ncd\n----\nCD\n');
      assert.equal(readFileSync(file, 'utf8'), original);
      delete process.env.RAFTWIRE_DD_REWRITE_DIR;
      assert.equal(runDataDrivenFile(join(dir, 'out', 'in.txt'), up), 2);
    } finally {
      if (prev === undefined) delete process.env.RAFTWIRE_DD_REWRITE_DIR;
      else process.env.RAFTWIRE_DD_REWRITE_DIR = prev;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every reference testdata file parses, and echoing the expected output passes', () => {
    let files = 0;
    let cases = 0;
    for (const sub of ['testdata', 'quorum/testdata', 'confchange/testdata']) {
      for (const f of dataDrivenFiles(join(referenceDir, 'raft-testdata', 'v3.6.0', sub))) {
        files++;
        cases += runDataDrivenFile(f, (d) => d.expected);
      }
    }
    assert.equal(files, 41);
    assert.ok(cases > 500, `only ${cases} cases`);
  });

  test('rewriting a reference file with its own expected outputs reproduces it exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftwire-dd-'));
    const prev = process.env.RAFTWIRE_DD_REWRITE_DIR;
    try {
      process.env.RAFTWIRE_DD_REWRITE_DIR = dir;
      for (const sub of ['testdata', 'quorum/testdata', 'confchange/testdata']) {
        for (const f of dataDrivenFiles(join(referenceDir, 'raft-testdata', 'v3.6.0', sub))) {
          runDataDrivenFile(f, (d) => d.expected);
          assert.equal(readFileSync(join(dir, basename(f)), 'utf8'), readFileSync(f, 'utf8'), f);
        }
      }
    } finally {
      if (prev === undefined) delete process.env.RAFTWIRE_DD_REWRITE_DIR;
      else process.env.RAFTWIRE_DD_REWRITE_DIR = prev;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

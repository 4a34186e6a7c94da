/**
 * A reader and runner for the cockroachdb "datadriven" test format that etcd's raft testdata uses
 * (see ../shared/reference/raft-core.md §4.2). Semantics follow github.com/cockroachdb/datadriven
 * as installed with etcd 3.4's Debian sources:
 *
 * - between cases, blank lines and lines starting with `#` are skipped;
 * - a directive line `cmd key=val key=(v1, v2) flag` (a trailing `\` joins the next line);
 * - optional input lines up to a line that is exactly `----` (the input is trimmed);
 * - the expected output runs to the first blank line, or, when `----` is immediately followed by a
 *   second `----`, up to a `----`/`----` pair (then blank lines are allowed in the output);
 * - the handler's result gets a trailing `\n` when non-empty and must equal the expected block
 *   byte for byte.
 *
 * Setting the environment variable `RAFTWIRE_DD_REWRITE_DIR` makes the runner write a regenerated
 * copy of each file into that folder instead of asserting (the reference files are never touched).
 */
import { AssertionError } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One argument of a directive line: `key`, `key=value` or `key=(v1, v2, …)`. */
export interface CmdArg {
  readonly key: string;
  readonly vals: readonly string[];
}

/** Formats an argument the way Go's `CmdArg.String` does. */
export function cmdArgString(arg: CmdArg): string {
  if (arg.vals.length === 0) return arg.key;
  if (arg.vals.length === 1) return `${arg.key}=${arg.vals[0]}`;
  return `${arg.key}=(${arg.vals.join(', ')})`;
}

/** Thrown for malformed test files and for handler misuse of arguments; carries the position. */
export class DataDrivenError extends Error {
  constructor(pos: string, message: string) {
    super(`${pos}: ${message}`);
    this.name = 'DataDrivenError';
  }
}

/** One test case: the directive, its input, and the expected output. */
export class TestData {
  /** `file:line` of the directive, for messages. */
  readonly pos: string;
  /** 1-based line number of the directive line. */
  readonly line: number;
  /** The command: the directive line up to the first space. */
  readonly cmd: string;
  /** The arguments in the order written. */
  readonly cmdArgs: readonly CmdArg[];
  /** The lines between directive and `----`, trimmed. */
  readonly input: string;
  /** The expected output block (each line ends in `\n`; empty when there is none). */
  readonly expected: string;
  /** 1-based line number of the first expected-output line (for mismatch reports). */
  readonly expectedLine: number;

  constructor(fields: {
    pos: string;
    line: number;
    cmd: string;
    cmdArgs: CmdArg[];
    input: string;
    expected: string;
    expectedLine: number;
  }) {
    this.pos = fields.pos;
    this.line = fields.line;
    this.cmd = fields.cmd;
    this.cmdArgs = fields.cmdArgs;
    this.input = fields.input;
    this.expected = fields.expected;
    this.expectedLine = fields.expectedLine;
  }

  /** True when an argument with this key is present. */
  hasArg(key: string): boolean {
    return this.cmdArgs.some((a) => a.key === key);
  }

  /** The first argument with this key, or undefined. */
  arg(key: string): CmdArg | undefined {
    return this.cmdArgs.find((a) => a.key === key);
  }

  /** Throws a DataDrivenError carrying this case's position. */
  fatal(message: string): never {
    throw new DataDrivenError(this.pos, message);
  }

  /** The values of argument `key`; throws when it is missing. */
  vals(key: string): readonly string[] {
    const a = this.arg(key);
    if (a === undefined) this.fatal(`missing argument: ${key}`);
    return a.vals;
  }

  /** The single string value of `key` (throws when missing or not exactly one value). */
  stringArg(key: string): string {
    return this.single(key);
  }

  /** The single decimal integer value of `key`, as Go's `strconv.ParseInt(v, 10, 64)` reads it. */
  intArg(key: string): number {
    return this.parseInt(key, this.single(key));
  }

  /** All values of `key` as decimal integers. */
  intArgs(key: string): number[] {
    return this.vals(key).map((v) => this.parseInt(key, v));
  }

  /** The single unsigned decimal value of `key` as a bigint (full 64-bit range). */
  uint64Arg(key: string): bigint {
    return this.parseUint64(key, this.single(key));
  }

  /** All values of `key` as unsigned 64-bit bigints. */
  uint64Args(key: string): bigint[] {
    return this.vals(key).map((v) => this.parseUint64(key, v));
  }

  /** The single boolean value of `key`, with Go's `strconv.ParseBool` spellings. */
  boolArg(key: string): boolean {
    const v = this.single(key);
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
    this.fatal(`${key}: failed to scan argument 0: invalid boolean ${JSON.stringify(v)}`);
  }

  private single(key: string): string {
    const vals = this.vals(key);
    if (vals.length !== 1) this.fatal(`${key}: got 1 destinations, but ${vals.length} values`);
    return vals[0]!;
  }

  private parseInt(key: string, v: string): number {
    if (!/^[+-]?\d+$/.test(v)) this.fatal(`${key}: invalid integer ${JSON.stringify(v)}`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) this.fatal(`${key}: integer out of range ${JSON.stringify(v)}`);
    return n;
  }

  private parseUint64(key: string, v: string): bigint {
    if (!/^\+?\d+$/.test(v)) this.fatal(`${key}: invalid unsigned integer ${JSON.stringify(v)}`);
    const n = BigInt(v);
    if (n >= 1n << 64n) this.fatal(`${key}: unsigned integer out of range ${JSON.stringify(v)}`);
    return n;
  }
}

/**
 * Splits a directive line into command and arguments (Go's `ParseLine`). Returns cmd `''` for a
 * blank line; throws an Error naming the column for malformed input.
 */
export function parseLine(line: string): { cmd: string; cmdArgs: CmdArg[] } {
  const orig = line.trim();
  let rest = orig;
  if (rest === '') return { cmd: '', cmdArgs: [] };
  const fail = (): never => {
    const column = orig.length - rest.length + 1;
    throw new Error(`cannot parse directive at column ${column}: ${orig}`);
  };
  const until = (chars: string): string => {
    let i = 0;
    while (i < rest.length && !chars.includes(rest[i]!)) i++;
    const res = rest.slice(0, i);
    rest = rest.slice(i);
    return res;
  };

  const cmd = until(' ');
  if (cmd === '') fail();
  rest = rest.trim();
  const cmdArgs: CmdArg[] = [];
  while (rest !== '') {
    const key = until(' =');
    if (key === '') fail();
    const vals: string[] = [];
    if (rest.startsWith('=')) {
      rest = rest.slice(1);
      if (rest === '' || rest[0] === ' ') {
        vals.push('');
      } else if (rest[0] !== '(') {
        vals.push(until(' '));
      } else {
        let pos = 1;
        let nest = 1;
        let start = pos;
        while (nest > 0) {
          if (pos === rest.length) fail();
          const c = rest[pos++];
          if (c === ',' && nest === 1) {
            vals.push(rest.slice(start, pos - 1));
            while (pos < rest.length && rest[pos] === ' ') pos++;
            start = pos;
          } else if (c === '(') {
            nest++;
          } else if (c === ')') {
            nest--;
          }
        }
        vals.push(rest.slice(start, pos - 1));
        rest = rest.slice(pos).trim();
      }
    }
    cmdArgs.push({ key, vals });
    rest = rest.trim();
  }
  return { cmd, cmdArgs };
}

/** Splits text into lines as Go's bufio.Scanner does (a final newline ends the last line; `\r` before `\n` is dropped). */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Parses a whole datadriven file into its test cases. `sourceName` prefixes every position. */
export function parseDataDriven(text: string, sourceName: string): TestData[] {
  const lines = splitLines(text);
  const cases: TestData[] = [];
  let i = 0; // index of the next line to read; its 1-based number is i + 1
  while (i < lines.length) {
    const first = i + 1;
    const pos = `${sourceName}:${first}`;
    let line = lines[i++]!.trim();
    if (line.startsWith('#')) continue;
    while (line.endsWith('\\') && i < lines.length) {
      line = `${line.slice(0, -1)} ${lines[i++]!.trim()}`;
    }
    let parsed: { cmd: string; cmdArgs: CmdArg[] };
    try {
      parsed = parseLine(line);
    } catch (e) {
      throw new DataDrivenError(pos, (e as Error).message);
    }
    if (parsed.cmd === '') continue;
    if (parsed.cmd === 'subtest') throw new DataDrivenError(pos, 'subtest blocks are not supported');

    const input: string[] = [];
    let separator = false;
    while (i < lines.length) {
      const l = lines[i++]!;
      if (l === '----') {
        separator = true;
        break;
      }
      input.push(l);
    }
    let expected = '';
    let expectedLine = i + 1;
    if (separator) {
      const out: string[] = [];
      if (i < lines.length && lines[i] === '----') {
        // Double-separator form: blank lines allowed, ends at two successive `----` lines.
        i++;
        expectedLine = i + 1;
        let closed = false;
        while (i < lines.length) {
          const l = lines[i++]!;
          if (l === '----' && i < lines.length && lines[i] === '----') {
            i++;
            if (i < lines.length) {
              if (lines[i] !== '') {
                throw new DataDrivenError(
                  `${sourceName}:${i + 1}`,
                  'non-blank line after end of double ---- separator section',
                );
              }
              i++;
            }
            closed = true;
            break;
          }
          out.push(l);
        }
        if (!closed) throw new DataDrivenError(pos, 'EOF inside a double ---- separator section');
      } else {
        while (i < lines.length) {
          const l = lines[i++]!;
          if (l.trim() === '') break;
          out.push(l);
        }
      }
      expected = out.map((l) => `${l}\n`).join('');
    }
    cases.push(
      new TestData({
        pos,
        line: first,
        cmd: parsed.cmd,
        cmdArgs: parsed.cmdArgs,
        input: input.join('\n').trim(),
        expected,
        expectedLine,
      }),
    );
  }
  return cases;
}

/** Normalizes a handler result as the Go runner does: non-empty output gets a final `\n`. */
function normalize(actual: string): string {
  return actual !== '' && !actual.endsWith('\n') ? `${actual}\n` : actual;
}

function hasBlankLine(s: string): boolean {
  return /^[\t ]*\n/m.test(s);
}

/** Builds the mismatch report: position of the first differing line plus both blocks. */
function mismatchMessage(sourceName: string, d: TestData, actual: string): string {
  const exp = d.expected.split('\n');
  const act = actual.split('\n');
  let k = 0;
  while (k < exp.length && k < act.length && exp[k] === act[k]) k++;
  const where = `${sourceName}:${d.expectedLine + k}`;
  return (
    `${d.pos}: output of "${d.cmd}" does not match (first difference at ${where})\n` +
    (d.input === '' ? '' : `input:\n${d.input}\n`) +
    `expected line: ${JSON.stringify(exp[k] ?? '<end>')}\n` +
    `actual line:   ${JSON.stringify(act[k] ?? '<end>')}\n` +
    `--- expected\n${d.expected}--- actual\n${actual}`
  );
}

/** Renders one case back into datadriven text with `actual` as its output (rewrite mode). */
function renderCase(lines: string[], from: number, to: number, actual: string, out: string[]): void {
  // Copy the directive and input lines verbatim, then the new output block.
  for (let j = from; j < to; j++) out.push(lines[j]!);
  out.push('----');
  if (hasBlankLine(actual)) {
    out.push('----');
    out.push(...splitLines(actual));
    out.push('----', '----', '');
  } else {
    out.push(...splitLines(actual), '');
  }
}

/**
 * Runs every case of `text` through `handler` in order and asserts that each output equals the
 * expected block byte for byte; stops at the first mismatch with an AssertionError naming
 * `file:line` of the directive and of the first differing output line. Returns the number of
 * cases run.
 */
export function runDataDriven(text: string, sourceName: string, handler: (d: TestData) => string): number {
  const cases = parseDataDriven(text, sourceName);
  for (const d of cases) {
    let actual: string;
    try {
      actual = normalize(handler(d));
    } catch (e) {
      if (e instanceof DataDrivenError || e instanceof AssertionError) throw e;
      throw new DataDrivenError(d.pos, `handler for "${d.cmd}" threw: ${(e as Error).stack ?? e}`);
    }
    if (actual !== d.expected) {
      throw new AssertionError({
        message: mismatchMessage(sourceName, d, actual),
        actual,
        expected: d.expected,
        operator: 'strictEqual',
      });
    }
  }
  return cases.length;
}

/**
 * Runs the datadriven file at `path` (see {@link runDataDriven}); returns the number of cases.
 * With `RAFTWIRE_DD_REWRITE_DIR` set, writes a regenerated copy there instead of asserting.
 */
export function runDataDrivenFile(path: string, handler: (d: TestData) => string): number {
  const text = readFileSync(path, 'utf8');
  const rewriteDir = process.env.RAFTWIRE_DD_REWRITE_DIR;
  if (rewriteDir !== undefined && rewriteDir !== '') {
    return rewriteDataDriven(text, path, handler, join(rewriteDir, basename(path)));
  }
  return runDataDriven(text, path, handler);
}

function rewriteDataDriven(
  text: string,
  sourceName: string,
  handler: (d: TestData) => string,
  target: string,
): number {
  const lines = splitLines(text);
  const cases = parseDataDriven(text, sourceName);
  const out: string[] = [];
  let copied = 0; // lines before this index are already represented in `out`
  for (const d of cases) {
    const actual = normalize(handler(d));
    // Everything from the end of the previous case to this directive (comments, blanks) is kept.
    for (let j = copied; j < d.line - 1; j++) out.push(lines[j]!);
    let sep = d.line - 1;
    while (sep < lines.length && lines[sep] !== '----') sep++;
    renderCase(lines, d.line - 1, sep, actual, out);
    const next = cases[cases.indexOf(d) + 1];
    copied = next === undefined ? lines.length : skipOldOutput(lines, sep, next.line - 1);
  }
  for (let j = copied; j < lines.length; j++) out.push(lines[j]!);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  mkdirSync(join(target, '..'), { recursive: true });
  writeFileSync(target, `${out.join('\n')}\n`);
  return cases.length;
}

/** Index of the first line after the old output block that starts at separator `sep` (bounded by `limit`). */
function skipOldOutput(lines: string[], sep: number, limit: number): number {
  let j = sep + 1;
  if (lines[j] === '----') {
    j++;
    while (j < limit && !(lines[j] === '----' && lines[j + 1] === '----')) j++;
    return Math.min(j + 3, limit);
  }
  while (j < limit && lines[j]!.trim() !== '') j++;
  return Math.min(j + 1, limit);
}

/** The datadriven files of a folder, sorted by name (Go's `Walk`, minus temp/hidden files). */
export function dataDrivenFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !/(^\..*)|(.*~$)|(^#.*#$)/.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

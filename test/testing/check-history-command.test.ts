import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/paths.js';

const main = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [main, 'check-history', ...args], { input, encoding: 'utf8', timeout: 60_000 });

const W = (p: number, type: string, v: number) =>
  JSON.stringify({ process: p, type, f: 'write', key: 'x', value: v });
const R = (p: number, type: string, v?: number) =>
  JSON.stringify(
    v === undefined
      ? { process: p, type, f: 'read', key: 'x' }
      : { process: p, type, f: 'read', key: 'x', value: v },
  );

describe('raftwire check-history', () => {
  it('exits 0 on a linearizable history read from a file', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'check-history-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'h.jsonl');
    writeFileSync(file, [W(1, 'invoke', 1), W(1, 'ok', 1), R(2, 'invoke'), R(2, 'ok', 1)].join('\n'));
    const r = run([file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^linearizable: 2 operations on 1 keys/);
  });
  it('exits 1 with the key and a timeline on a stale read from stdin', () => {
    const r = run(
      ['-'],
      [
        W(1, 'invoke', 1),
        W(1, 'ok', 1),
        W(2, 'invoke', 2),
        W(2, 'ok', 2),
        R(3, 'invoke'),
        R(3, 'ok', 1),
      ].join('\n'),
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /not linearizable: key "x"/);
    assert.match(r.stdout, /p3 +\|-+ read x → 1 -+\|/);
    assert.match(r.stdout, /lines 5–6: p3 read x → 1/);
  });
  it('exits 2 with the line number on malformed input', () => {
    const r = run(['-'], [W(1, 'invoke', 1), R(1, 'invoke')].join('\n'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /line 2: process 1 invokes read while its write from line 1 is outstanding/);
  });
  it('exits 2 on bad arguments', () => {
    assert.equal(run([]).status, 2);
    assert.equal(run(['-', '--timeout', 'zero'], '').status, 2);
  });
});

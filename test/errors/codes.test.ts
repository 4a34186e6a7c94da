/**
 * The error convention (docs/errors.md): one base class checked by code, every code in src/ listed
 * on docs/errors.md, each area's code table complete, and misuse typed rather than a plain
 * RangeError.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRaftwireError, RaftwireError } from '../../src/errors/index.js';
import { RaftErrorCode, RaftFatalError } from '../../src/raft/index.js';
import { formatId, RaftpbErrorCode } from '../../src/raftpb/index.js';
import { dbFileName, SnapErrorCode } from '../../src/snap/index.js';
import { WalErrorCode } from '../../src/wal/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (d.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('error codes', () => {
  it('every RAFTWIRE_ code written in src/ is listed on docs/errors.md', async () => {
    const docs = await readFile(join(root, 'docs/errors.md'), 'utf8');
    const used = new Set<string>();
    for (const f of await sourceFiles(join(root, 'src'))) {
      for (const m of (await readFile(f, 'utf8')).matchAll(/'(RAFTWIRE_[A-Z0-9_]+)'/g))
        used.add(m[1] as string);
    }
    assert.ok(used.size > 40, `found only ${used.size} codes: is the scan looking at src/?`);
    const missing = [...used].filter((c) => !docs.includes(`\`${c}\``));
    assert.deepEqual(missing, []);
  });

  it('each area code table is unique and carries its area prefix', () => {
    const tables: [string, Record<string, string>][] = [
      ['RAFTWIRE_RAFT_', RaftErrorCode],
      ['RAFTWIRE_WAL_', WalErrorCode],
      ['RAFTWIRE_SNAP_', SnapErrorCode],
    ];
    for (const [prefix, table] of tables) {
      const codes = Object.values(table);
      assert.equal(new Set(codes).size, codes.length, prefix);
      for (const c of codes) assert.ok(c.startsWith(prefix), c);
    }
    for (const c of Object.values(RaftpbErrorCode)) assert.match(c, /^RAFTWIRE_(RAFTPB_|INVALID_ID$)/);
  });

  it('isRaftwireError checks the class and, when given, the code', () => {
    const cause = new Error('disk');
    const e: unknown = new RaftFatalError('broken', { cause });
    assert.equal((e as Error).cause, cause);
    assert.ok(isRaftwireError(e));
    assert.ok(isRaftwireError(e, RaftErrorCode.FATAL));
    assert.ok(!isRaftwireError(e, RaftErrorCode.STOPPED));
    const plain = Object.assign(new Error('ENOENT'), { code: RaftErrorCode.FATAL });
    assert.ok(!isRaftwireError(plain, RaftErrorCode.FATAL), 'a foreign error with the same code is not one');
    assert.ok(new RaftwireError('RAFTWIRE_X', 'm') instanceof Error);
  });

  it('misuse of raftpb and snap throws typed errors, not RangeError', () => {
    assert.throws(
      () => formatId(-1n),
      (e) => isRaftwireError(e, RaftpbErrorCode.RANGE),
    );
    assert.throws(
      () => formatId(2n ** 64n),
      (e) => isRaftwireError(e, RaftpbErrorCode.RANGE),
    );
    assert.equal(formatId(2n ** 64n - 1n), 'ffffffffffffffff');
    assert.throws(
      () => dbFileName(-1),
      (e) => isRaftwireError(e, SnapErrorCode.RANGE),
    );
  });
});

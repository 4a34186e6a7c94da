import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { DirLock } from '../../src/wal/dir-lock.js';
import { LOCK_FILE_NAME, Wal, WalErrorCode } from '../../src/wal/index.js';
import { nextLine, startFixture } from './child.js';
import { entry, hardState, tempRoot } from './helpers.js';

const ZERO = { index: 0, term: 0 };
const locked = (e: unknown) => isRaftwireError(e, WalErrorCode.LOCKED);

describe('WAL lock', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  beforeEach(async () => {
    t = await tempRoot();
    const w = await Wal.create(t.dir);
    await w.close();
  });
  afterEach(() => t.dispose());

  it('a second open in the same process fails with LOCKED until the first closes', async () => {
    const a = await Wal.open(t.dir, ZERO);
    await assert.rejects(Wal.open(t.dir, ZERO), locked);
    await a.readAll();
    await assert.rejects(Wal.open(t.dir, ZERO), locked);
    await a.close();
    const b = await Wal.open(t.dir, ZERO);
    await b.close();
  });

  it('create holds the lock too', async () => {
    const dir = join(t.root, 'other');
    const w = await Wal.create(dir);
    await assert.rejects(Wal.open(dir, ZERO), locked);
    await w.close();
  });

  it('the lock file holds the pid and goes away on close', async () => {
    const a = await Wal.open(t.dir, ZERO);
    assert.equal((await readFile(join(t.dir, LOCK_FILE_NAME), 'utf8')).trim(), String(process.pid));
    await a.close();
    await assert.rejects(readFile(join(t.dir, LOCK_FILE_NAME)), { code: 'ENOENT' });
  });

  it('another process cannot open a WAL this process holds', async () => {
    const a = await Wal.open(t.dir, ZERO);
    const f = startFixture('open-wal', [t.dir, 'try']);
    assert.equal(await nextLine(f), `error ${WalErrorCode.LOCKED}`);
    await f.exited;
    await a.close();
    const g = startFixture('open-wal', [t.dir, 'try']);
    assert.equal(await nextLine(g), 'opened');
    await g.exited;
  });

  it('this process cannot open a WAL another process holds; it can once that process closes it', async () => {
    const f = startFixture('open-wal', [t.dir, 'hold']);
    try {
      assert.equal(await nextLine(f), 'holding');
      await assert.rejects(
        Wal.open(t.dir, ZERO),
        (e: unknown) => locked(e) && String(e).includes(`process ${f.child.pid}`),
      );
      f.child.stdin?.end();
      await f.exited;
    } finally {
      f.child.kill('SIGKILL');
    }
    const w = await Wal.open(t.dir, ZERO);
    await w.close();
  });

  it('a lock left by a killed process is stale and taken over', async () => {
    const f = startFixture('open-wal', [t.dir, 'hold']);
    assert.equal(await nextLine(f), 'holding');
    f.child.kill('SIGKILL');
    await f.exited;
    assert.equal((await readFile(join(t.dir, LOCK_FILE_NAME), 'utf8')).trim(), String(f.child.pid));
    const w = await Wal.open(t.dir, ZERO);
    await w.readAll();
    await w.save(hardState(1, 1n, 0), [entry(1, 1)]);
    await w.close();
  });

  it("a lock holding this process's pid but not held by it is stale (a restarted container's pid)", async () => {
    await writeFile(join(t.dir, LOCK_FILE_NAME), `${process.pid}\n`);
    const w = await Wal.open(t.dir, ZERO);
    await w.close();
  });
});

describe('WAL lock, concurrent opens in one process', () => {
  it('exactly one of several concurrent opens wins', async () => {
    const t = await tempRoot();
    try {
      const w = await Wal.create(t.dir);
      await w.close();
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => Wal.open(t.dir, ZERO)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(locked(r.reason));
      await (won[0] as PromiseFulfilledResult<Wal>).value.close();
    } finally {
      await t.dispose();
    }
  });
});

describe('WAL lock, stale takeover by two processes at once', () => {
  it('exactly one of two processes takes over a stale lock', async () => {
    const t = await tempRoot();
    const w = await Wal.create(t.dir);
    await w.close();
    // A pid that no longer runs: a process that has exited.
    const dead = startFixture('open-wal', [join(t.root, 'nowhere'), 'try']);
    await dead.exited;
    await writeFile(join(t.dir, LOCK_FILE_NAME), `${dead.child.pid}\n`);
    const a = startFixture('open-wal', [t.dir, 'hold']);
    const b = startFixture('open-wal', [t.dir, 'hold']);
    try {
      const lines = (await Promise.all([nextLine(a), nextLine(b)])).sort();
      assert.deepEqual(lines, [`error ${WalErrorCode.LOCKED}`, 'holding']);
    } finally {
      a.child.stdin?.end();
      b.child.stdin?.end();
      await Promise.all([a.exited, b.exited]);
      await t.dispose();
    }
  });
});

describe('WAL lock without the addon (the abstract-socket fallback)', () => {
  it('is exclusive, names the holder, follows a rename, and is free again after release', async (t) => {
    const root = await tempRoot();
    t.after(() => root.dispose());
    const dir = join(root.root, 'd');
    await mkdir(dir);
    const link = join(root.root, 'l');
    await symlink(dir, link);
    const a = await DirLock.acquire(dir, 'socket');
    t.after(() => a.release());
    assert.equal((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).trim(), String(process.pid));
    // Another path to the same directory: only the kernel-held socket can refuse it.
    await assert.rejects(DirLock.acquire(link, 'socket'), locked);
    await assert.rejects(DirLock.acquire(link, 'ofd'), locked);
    const moved = join(root.root, 'moved');
    await a.renameDir(dir, moved);
    await symlink(moved, join(root.root, 'moved-link'));
    await assert.rejects(DirLock.acquire(join(root.root, 'moved-link'), 'socket'), locked);
    await a.release();
    await assert.rejects(readFile(join(moved, LOCK_FILE_NAME)), { code: 'ENOENT' });
    const b = await DirLock.acquire(join(root.root, 'moved-link'), 'socket');
    await b.release();
  });
});

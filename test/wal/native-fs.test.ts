/**
 * The native file layer (src/wal/native-fs.ts + src/wal/native/wal-writer.c): built by the test
 * command's `npm ci`, so a missing addon fails here instead of silently falling back. Writes land
 * where asked, in call order; errors carry errno, code, syscall and path as Node's fs errors do;
 * a file's writer thread exists only between its first write and its close; unclosed files do not
 * hold a process or a worker thread open.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  defaultWalFs,
  nativeWalFs,
  nativeWalFsError,
  WalErrorCode,
  type WalFs,
} from '../../src/wal/index.js';
import { projectRoot } from '../support/paths.js';
import { tempRoot } from './helpers.js';

const run = promisify(execFile);
const walIndexUrl = pathToFileURL(join(projectRoot, 'dist', 'src', 'wal', 'index.js')).href;

/** Threads of this process (libuv's pool, V8's workers, and any writer threads). */
async function threadCount(): Promise<number> {
  return (await readdir('/proc/self/task')).length;
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 13) & 0xff;
  return b;
}

describe('native WAL file layer', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  let fs: WalFs;
  before(async () => {
    t = await tempRoot();
    assert.equal(
      nativeWalFsError,
      undefined,
      `the raftwire_wal addon did not load: ${String(nativeWalFsError)}`,
    );
    assert.ok(nativeWalFs !== undefined);
    fs = nativeWalFs;
  });
  after(() => t.dispose());

  it('is the default file layer', () => {
    assert.equal(defaultWalFs, nativeWalFs);
  });

  it('writes whole buffers at their positions, honouring offset and length', async () => {
    const path = join(t.root, 'a');
    await writeFile(path, new Uint8Array(8192));
    const f = await fs.open(path, 'r+');
    const big = bytes(3 << 20, 7);
    const src = bytes(100, 1);
    assert.deepEqual(await f.write(src, 10, 50, 4000), { bytesWritten: 50 });
    assert.deepEqual(await f.write(big, 0, big.length, 8192), { bytesWritten: big.length });
    await f.datasync();
    await f.close();
    const got = await readFile(path);
    assert.equal(got.length, 8192 + big.length);
    assert.deepEqual(got.subarray(4000, 4050), Buffer.from(src.subarray(10, 60)));
    assert.equal(got[3999], 0);
    assert.equal(got[4050], 0);
    assert.ok(Buffer.from(big).equals(got.subarray(8192)));
  });

  it('runs concurrent calls one at a time, in call order', async () => {
    const path = join(t.root, 'order');
    const f = await fs.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, 0o600);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      // Every call writes the same range: the file ends with the last one's bytes.
      calls.push(f.write(bytes(64, i), 0, 64, 128));
      if (i % 50 === 0) calls.push(f.datasync());
    }
    await Promise.all(calls);
    await f.close();
    assert.deepEqual(new Uint8Array((await readFile(path)).subarray(128)), bytes(64, 199));
  });

  it('writeDurable writes and fdatasyncs in one call; a failing write is reported as the write', async () => {
    const path = join(t.root, 'durable');
    const f = await fs.open(path, 'w');
    assert.ok(f.writeDurable !== undefined);
    await f.writeDurable(bytes(300, 9), 100, 200, 50);
    await f.close();
    const got = await readFile(path);
    assert.equal(got.length, 250);
    assert.deepEqual(new Uint8Array(got.subarray(50)), bytes(300, 9).subarray(100));
    const ro = await fs.open(path, 'r');
    await assert.rejects(ro.writeDurable?.(bytes(4, 0), 0, 4, 0) ?? Promise.resolve(), {
      code: 'EBADF',
      syscall: 'write',
    });
    await ro.close();
  });

  it('reads, stats and truncates through the same handle', async () => {
    const path = join(t.root, 'rw');
    const f = await fs.open(path, 'w+');
    await f.write(bytes(1000, 3), 0, 1000, 0);
    assert.equal((await f.stat()).size, 1000);
    const back = new Uint8Array(1000);
    assert.equal((await f.read(back, 0, 1000, 0)).bytesRead, 1000);
    assert.deepEqual(back, bytes(1000, 3));
    await f.truncate(10);
    await f.sync();
    assert.equal((await f.stat()).size, 10);
    await f.close();
  });

  it('reports a failed write as Node does: code, negative errno, syscall and path', async () => {
    const path = join(t.root, 'ro');
    await writeFile(path, 'x');
    const f = await fs.open(path, 'r');
    await assert.rejects(f.write(bytes(8, 0), 0, 8, 0), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'EBADF');
      assert.equal(e.errno, -osConstants.errno.EBADF);
      assert.equal(e.syscall, 'write');
      assert.equal(e.path, path);
      assert.match(e.message, /EBADF: write failed/);
      return true;
    });
    // The failure leaves the file usable for what it can do, and closable.
    assert.equal((await f.stat()).size, 1);
    await f.close();
  });

  it('refuses a range outside the buffer, and calls after close', async () => {
    const path = join(t.root, 'range');
    const f = await fs.open(path, 'w');
    await assert.rejects(f.write(new Uint8Array(10), 5, 6, 0), (e: unknown) => {
      assert.ok(isRaftwireError(e, WalErrorCode.NATIVE), String(e));
      assert.match(String(e), /range outside the buffer/);
      assert.ok((e as Error).cause instanceof RangeError);
      return true;
    });
    await f.write(new Uint8Array(10), 0, 10, 0);
    await f.close();
    await assert.rejects(f.write(new Uint8Array(10), 0, 10, 0), { code: 'EBADF' });
    await assert.rejects(f.datasync(), { code: 'EBADF' });
  });

  it('starts a writer thread on the first write, and joins it on close', async () => {
    const path = join(t.root, 'threads');
    const base = await threadCount();
    const f = await fs.open(path, 'w');
    assert.equal(await threadCount(), base, 'opening starts no thread');
    await f.write(bytes(10, 0), 0, 10, 0);
    assert.equal(await threadCount(), base + 1, 'the first write starts one');
    await f.datasync();
    assert.equal(await threadCount(), base + 1, 'later calls reuse it');
    await f.close();
    assert.equal(await threadCount(), base, 'close joins it');
  });

  it('close waits for calls still in flight (two closes at once both resolve)', async () => {
    const path = join(t.root, 'inflight');
    const f = await fs.open(path, 'w');
    const w = f.write(bytes(1 << 20, 5), 0, 1 << 20, 0);
    await Promise.all([f.close(), f.close()]);
    assert.deepEqual(await w, { bytesWritten: 1 << 20 });
    assert.equal((await readFile(path)).length, 1 << 20);
  });

  it('a process exits on its own with an unclosed file whose thread is running', async () => {
    const path = join(t.root, 'unclosed');
    const script = `
      const { nativeWalFs } = await import(${JSON.stringify(walIndexUrl)});
      const f = await nativeWalFs.open(${JSON.stringify(path)}, 'w');
      await f.write(new Uint8Array([1, 2, 3]), 0, 3, 0);
      globalThis.keep = f; // never closed
    `;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    assert.equal(stdout, '');
    assert.equal(stderr, '');
    assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  });

  it('a garbage-collected unclosed file gives its thread back', async () => {
    const path = join(t.root, 'gc');
    const script = `
      const { readdirSync } = await import('node:fs');
      const threads = () => readdirSync('/proc/self/task').length;
      const { nativeWalFs } = await import(${JSON.stringify(walIndexUrl)});
      const base = threads();
      await (async () => {
        const f = await nativeWalFs.open(${JSON.stringify(path)}, 'w');
        await f.write(new Uint8Array([9]), 0, 1, 0);
      })();
      const during = threads();
      for (let i = 0; i < 20 && threads() > base; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(JSON.stringify({ base, during, afterGc: threads() }));
    `;
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    const r = JSON.parse(stdout) as { base: number; during: number; afterGc: number };
    assert.equal(r.during, r.base + 1);
    assert.equal(r.afterGc, r.base);
  });

  it('a worker terminated while its writes are in flight neither crashes nor hangs', async () => {
    const { Worker } = await import('node:worker_threads');
    const base = await threadCount();
    for (let round = 0; round < 5; round++) {
      const w = new Worker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        import(workerData.url).then(async ({ nativeWalFs }) => {
          const f = await nativeWalFs.open(workerData.path, 'w');
          const big = new Uint8Array(1 << 20);
          parentPort.postMessage('writing');
          for (let i = 0; ; i++) {
            const p = f.write(big, 0, big.length, (i % 8) * big.length);
            if (i % 3 === 0) void f.datasync();
            await p;
          }
        });
        `,
        { eval: true, workerData: { url: walIndexUrl, path: join(t.root, `terminated-${round}`) } },
      );
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 5 * round));
      assert.equal(await w.terminate(), 1);
    }
    assert.equal(await threadCount(), base);
  });

  it('works in a worker thread, and a worker exiting with an unclosed file leaves no thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const path = join(t.root, 'worker');
    const base = await threadCount();
    const w = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.url).then(async ({ nativeWalFs }) => {
        const f = await nativeWalFs.open(workerData.path, 'w');
        await f.write(new Uint8Array([4, 5]), 0, 2, 0);
        await f.datasync();
        parentPort.postMessage('written'); // and exit without closing f
      });
      `,
      { eval: true, workerData: { url: walIndexUrl, path } },
    );
    const message = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    assert.equal(message, 'written');
    assert.equal(await new Promise((r) => w.once('exit', r)), 0);
    assert.deepEqual([...(await readFile(path))], [4, 5]);
    // The worker's own threads and its writer thread are all gone.
    assert.equal(await threadCount(), base);
  });
});

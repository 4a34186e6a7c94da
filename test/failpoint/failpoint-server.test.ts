/** Arming failpoints at run time over HTTP (RAFTWIRE_FAILPOINTS_HTTP), in process and through the CLI. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  type FailpointName,
  FailpointSet,
  parseListenAddress,
  startFailpointServer,
} from '../../src/failpoint/index.js';
import { freePorts } from '../support/ports.js';

const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

describe('failpoint server', () => {
  it('arms, lists, disarms, and refuses bad requests with a one-line reason', async (t) => {
    const crashed: FailpointName[] = [];
    const set = new FailpointSet(new Map(), Math.random, (name) => {
      crashed.push(name);
      throw new Error('crashed');
    });
    const server = await startFailpointServer(set, { host: '127.0.0.1', port: 0 });
    t.after(() => server.close());
    const base = `http://127.0.0.1:${server.address.port}`;
    const req = async (method: string, path: string, body?: string) => {
      const r = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { body } : {}) });
      return { status: r.status, text: await r.text() };
    };

    assert.equal((await req('PUT', '/raftAfterSave', '1*crash')).status, 204);
    assert.equal(set.enabled('raftAfterSave'), true);
    assert.throws(() => set.eval('raftAfterSave'), /crashed/);
    set.eval('raftAfterSave'); // count used up
    assert.deepEqual(crashed, ['raftAfterSave']);
    const list = JSON.parse((await req('GET', '/')).text) as Record<
      string,
      { enabled: boolean; fired: number }
    >;
    assert.deepEqual(list.raftAfterSave, { enabled: true, fired: 1 });
    assert.deepEqual(list.raftBeforeSave, { enabled: false, fired: 0 });

    assert.equal((await req('PUT', '/walBeforeFsync', 'error(ENOSPC)')).status, 204);
    assert.throws(() => set.eval('walBeforeFsync'), { code: 'ENOSPC' });
    assert.equal((await req('DELETE', '/walBeforeFsync')).status, 204);
    set.eval('walBeforeFsync');
    assert.equal(set.enabled('walBeforeFsync'), false);

    const bad = await req('PUT', '/raftBeforeSave', 'explode');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^.+\n$/);
    assert.equal(set.enabled('raftBeforeSave'), false);
    assert.equal((await req('PUT', '/noSuchPoint', 'crash')).status, 404);
    assert.equal((await req('PUT', '/%E0%A4%A', 'crash')).status, 400);
    assert.equal((await req('POST', '/raftBeforeSave', 'crash')).status, 405);
    assert.equal((await req('DELETE', '/')).status, 405);
    assert.equal((await req('PUT', '/raftBeforeSave', 'x'.repeat(5000))).status, 413);
    assert.equal(set.enabled('raftBeforeSave'), false);
  });

  it('parses host:port, [v6]:port and :port, and refuses anything else', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:2381'), { host: '127.0.0.1', port: 2381 });
    assert.deepEqual(parseListenAddress(':0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:99'), { host: '::1', port: 99 });
    for (const bad of ['2381', 'host:', 'a:b', '1.2.3.4:70000', '']) {
      assert.throws(
        () => parseListenAddress(bad),
        (e) => isRaftwireError(e, 'RAFTWIRE_FAILPOINT_INVALID'),
        bad,
      );
    }
  });
});

describe('raftwire node with RAFTWIRE_FAILPOINTS_HTTP', () => {
  it('a point armed at run time crashes the member there', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'raftwire-fphttp-'));
    const [peer, client, fp] = await freePorts(3);
    const child = spawn(
      process.execPath,
      [cliPath, 'node', '--id', '1', '--cluster', `http://127.0.0.1:${peer}`, '--port', String(client)],
      {
        cwd: dir,
        env: { ...process.env, RAFTWIRE_FAILPOINTS_HTTP: `127.0.0.1:${fp}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | string | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    });
    const until = async (f: () => Promise<boolean>) => {
      const end = Date.now() + 20_000;
      while (!(await f().catch(() => false))) {
        if (Date.now() > end) throw new Error(`member did not get there:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(async () => (await fetch(`http://127.0.0.1:${client}/-/health`)).ok);
    const armed = await fetch(`http://127.0.0.1:${fp}/applyBeforeEntry`, { method: 'PUT', body: '1*crash' });
    assert.equal(armed.status, 204);
    // The next write reaches the apply loop and the member dies there, unanswered.
    await fetch(`http://127.0.0.1:${client}/k`, { method: 'PUT', body: 'v' }).catch(() => undefined);
    const end = await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000, 'still running'))]);
    assert.equal(end, 'SIGKILL', output);
    assert.match(output, /failpoint applyBeforeEntry: crash/);
  });
});

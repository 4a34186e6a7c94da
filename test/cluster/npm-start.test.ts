/**
 * README's main command, as a user runs it: `npm start` (build, then `raftwire cluster`) prints
 * the members' client URLs and the status page URL, every printed URL answers, and Ctrl-C (SIGINT
 * to the process group, as a terminal sends it) stops everything, leaving no port bound.
 *
 * It runs in a copy of the checkout (sources, config, the installed node_modules and addon linked):
 * `npm start` rebuilds dist/, and rewriting the suite's own dist/ would race with the test files
 * running beside this one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../support/paths.js';
import { waitFor } from '../support/wait.js';
import { clusterPorts, freeBasePort, portFree } from './cluster-process.js';

test('npm start runs a local cluster whose printed URLs answer; Ctrl-C stops it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-npm-start-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checkout = join(dir, 'raftwire');
  for (const entry of ['package.json', 'tsconfig.json', 'src', 'test', 'bench', 'examples']) {
    await cp(join(projectRoot, entry), join(checkout, entry), { recursive: true });
  }
  for (const entry of ['node_modules', 'build'])
    await symlink(join(projectRoot, entry), join(checkout, entry));
  const base = await freeBasePort(3);
  const child = spawn('npm', ['start', '--', '--base-port', String(base), '--data-dir', join(dir, 'data')], {
    cwd: checkout,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = child.pid as number;
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  t.after(() => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  await waitFor('npm start to print the status page URL', () => /status page\s+http:\/\/\S+\/-\//.test(out), {
    timeoutMs: 120_000,
    intervalMs: 100,
    describe: () => `\n${out}`,
  });
  const urls = [...out.matchAll(/(?:member \d+|status page)\s+(http:\/\/127\.0\.0\.1:\d+)/g)].map(
    (m) => m[1],
  );
  assert.equal(urls.length, 4, out);
  const [first] = urls;
  const put = await fetch(`${first}/npm-start-key`, { method: 'PUT', body: 'it runs' });
  assert.equal(put.status, 204);
  for (const url of urls) {
    const page = await fetch(`${url}/-/`);
    assert.equal(page.status, 200, `${url}/-/`);
    assert.match(await page.text(), /<html/i);
    const status = await fetch(`${url}/-/status`);
    assert.equal(status.status, 200, `${url}/-/status`);
  }
  for (const url of urls.slice(0, 3)) {
    await waitFor(`the key on ${url}`, async () => {
      const r = await fetch(`${url}/npm-start-key?serializable`);
      return r.status === 200 && (await r.text()) === 'it runs';
    });
  }
  process.kill(-group, 'SIGINT');
  // npm itself dies of the SIGINT (as in a terminal); the cluster under it stops cleanly.
  assert.ok(['0', 'SIGINT'].includes(await exited), out);
  assert.match(out, /raftwire cluster: stopped; the data stays in/);
  for (const port of clusterPorts(base, 3)) assert.ok(await portFree(port), `port ${port} released`);
});

/** `raftwire node` startup failures: one line on stderr, a non-zero exit, never a stack trace. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../interop/storage/raftexample.js';
import { ProcessCluster, runCli } from './process-cluster.js';

function oneLineError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('bad flags: one line and exit status 2', async () => {
  for (const [args, pattern] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--id', '0'], /--id must be an integer >= 1/],
    [['--id', '4', '--cluster', 'http://127.0.0.1:1,http://127.0.0.1:2'], /--id 4 has no entry in --cluster/],
    [['--port', 'x'], /--port must be an integer/],
    [['--cluster', 'nonsense'], /is not a URL/],
    [['--cluster', 'ftp://h:1'], /is not http\(s\)/],
    [['--log-level', 'loud'], /--log-level must be/],
    [['--peer-cert', '/nonexistent/cert.pem', '--peer-key', '/nonexistent/key.pem'], /cannot read/],
    [['--client-cert-auth'], /--client-cert-auth needs/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(['node', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLineError(r, pattern);
  }
});

test('a port in use: one line, non-zero exit', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const busy = (blocker.address() as { port: number }).port;
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  const peer = await freePort();
  const asPeer = await runCli([
    'node',
    '--cluster',
    `http://127.0.0.1:${busy}`,
    '--port',
    String(peer),
    '--data-dir',
    `${cluster.dir}/a`,
  ]);
  oneLineError(asPeer, /in use|EADDRINUSE/);
  const asClient = await runCli([
    'node',
    '--cluster',
    `http://127.0.0.1:${peer}`,
    '--listen-client',
    `http://127.0.0.1:${busy}`,
    '--data-dir',
    `${cluster.dir}/b`,
  ]);
  oneLineError(asClient, /in use|EADDRINUSE/);
});

test("another member's data directory is refused: one line, non-zero exit", async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.close());
  await cluster.startAll(1);
  assert.equal((await cluster.req(1, 'PUT', '/k', { body: 'v' })).status, 204);
  await cluster.kill(1, 'SIGTERM');
  const m = cluster.member(1);
  const other = await freePort();
  const r = await runCli([
    'node',
    '--id',
    '2',
    '--cluster',
    `http://127.0.0.1:${other},http://127.0.0.1:${m.peerPort}`,
    '--port',
    String(m.clientPort),
    '--data-dir',
    m.dataDir,
  ]);
  oneLineError(r, /RAFTWIRE_REPLICA_FOREIGN_DATA_DIR|member|data dir/i);
});

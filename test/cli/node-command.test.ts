import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prettyLine } from '../../src/cli/cli-logger.js';
import { nodeOptions } from '../../src/cli/node-command.js';

const C3 = 'http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379';

test("raftexample's flags: IDs by position in --cluster, cluster ID 0x1000, --port for clients", () => {
  const parsed = nodeOptions(['--id', '2', '--cluster', C3, '--port', '22380']);
  assert.notEqual(parsed, 'help');
  if (parsed === 'help') return;
  const o = parsed.options;
  assert.equal(o.id, 2n);
  assert.equal(o.clusterId, 0x1000n);
  assert.deepEqual(
    o.initialCluster.map((m) => [m.id, m.peerUrls]),
    [
      [1n, ['http://127.0.0.1:12379']],
      [2n, ['http://127.0.0.1:22379']],
      [3n, ['http://127.0.0.1:32379']],
    ],
  );
  assert.equal(o.clientPort, 22380);
  assert.equal(o.clientHost, undefined, 'all interfaces, as raftexample');
  assert.equal(o.dataDir, './raftwire-2');
  assert.equal(o.join, false);
  assert.equal(o.snapshotCount, 10000);
  assert.equal(o.clientUrl, 'http://127.0.0.1:22380');
  assert.equal(parsed.logLevel, 'info');
});

test('listen addresses, data dir, snapshot settings, join, TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-cli-'));
  try {
    for (const f of ['c.pem', 'k.pem', 'ca.pem']) writeFileSync(join(dir, f), `pem ${f}`);
    const parsed = nodeOptions([
      ...['--id', '3', '--cluster', C3.replaceAll('http:', 'https:'), '--join', '--data-dir', '/d'],
      ...['--snapshot-count', '50', '--snapshot-catch-up-entries', '7', '--log-level', 'debug'],
      ...['--wal-sync', 'fdatasync'],
      ...['--listen-peer', 'https://0.0.0.0:32379', '--listen-client', 'https://[::]:2379'],
      ...[
        '--peer-cert',
        join(dir, 'c.pem'),
        '--peer-key',
        join(dir, 'k.pem'),
        '--peer-ca',
        join(dir, 'ca.pem'),
      ],
      ...[
        '--client-cert',
        join(dir, 'c.pem'),
        '--client-key',
        join(dir, 'k.pem'),
        '--client-ca',
        join(dir, 'ca.pem'),
      ],
      '--client-cert-auth',
    ]);
    if (parsed === 'help') throw new Error('help');
    const o = parsed.options;
    assert.equal(o.join, true);
    assert.equal(o.dataDir, '/d');
    assert.equal(o.snapshotCount, 50);
    assert.equal(o.snapshotCatchUpEntries, 7);
    assert.equal(o.walSync, 'fdatasync');
    assert.equal(o.listenPeerUrl, 'https://0.0.0.0:32379');
    assert.equal(o.clientHost, '::');
    assert.equal(o.clientPort, 2379);
    assert.equal(o.clientUrl, 'https://127.0.0.1:2379');
    assert.equal(String(o.peerTls?.cert), 'pem c.pem');
    assert.equal(String(o.peerTls?.ca), 'pem ca.pem');
    assert.equal(o.clientTls?.clientCertAuth, true);
    assert.equal(parsed.logLevel, 'debug');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help, and the pretty log line', () => {
  assert.equal(nodeOptions(['--help']), 'help');
  const line = prettyLine(
    JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 34, 56, 789), msg: 'slow', peer: '2', n: 3 }),
  );
  assert.equal(line, '12:34:56.789 WARN  slow peer=2 n=3\n');
  assert.equal(prettyLine('not json'), 'not json');
});

test('--wal-sync takes o_dsync or fdatasync, nothing else', () => {
  const parsed = nodeOptions(['--wal-sync', 'o_dsync']);
  if (parsed === 'help') throw new Error('help');
  assert.equal(parsed.options.walSync, 'o_dsync');
  assert.throws(
    () => nodeOptions(['--wal-sync', 'sometimes']),
    /--wal-sync: expected o_dsync or fdatasync, got 'sometimes'/,
  );
});

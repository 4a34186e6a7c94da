/**
 * Three replicas over HTTPS peer links (mutual TLS), with certificates made by openssl for the test.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Replica } from '../../src/replica/index.js';
import { FAST, freePorts, MemoryStateMachine, tempDir, waitFor } from './helpers.js';

test('replicas replicate over mutual-TLS peer links', async (t) => {
  const { dir, cleanup } = await tempDir('tls');
  const replicas: Replica<number>[] = [];
  t.after(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await cleanup();
  });
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=ca', '-days', '2');
  ssl('req', ...ec, '-keyout', 'peer.key', '-out', 'peer.csr', '-subj', '/CN=peer');
  await writeFile(
    join(dir, 'peer.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'peer.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'peer.crt',
    '-days',
    '2',
    '-extfile',
    'peer.ext',
  );
  const tls = {
    ca: await readFile(join(dir, 'ca.crt'), 'utf8'),
    cert: await readFile(join(dir, 'peer.crt'), 'utf8'),
    key: await readFile(join(dir, 'peer.key'), 'utf8'),
    clientCertAuth: true,
  };
  const ports = await freePorts(3);
  const cluster = ports.map((p, i) => ({ id: BigInt(i + 1), peerUrls: [`https://127.0.0.1:${p}`] }));
  const machines = cluster.map(() => new MemoryStateMachine());
  for (const [i, m] of cluster.entries()) {
    replicas.push(
      await Replica.start<number>({
        id: m.id,
        dataDir: join(dir, `m${m.id}`),
        initialCluster: cluster,
        stateMachine: machines[i] as MemoryStateMachine,
        peerTls: tls,
        ...FAST,
      }),
    );
  }
  await waitFor(() => replicas.every((r) => r.status().leader !== undefined), 20_000, 'a leader');
  const idx = await replicas[1]?.propose(Buffer.from('over-tls'));
  for (const [i, r] of replicas.entries()) {
    await r.readBarrier();
    assert.equal(machines[i]?.values.get(idx as number), 'over-tls');
  }
});

/**
 * TLS and mutual TLS between real transports: https peers with a CA, certificates and client
 * certificate verification; untrusted certificates and etcd's allowed-CN / allowed-hostname checks
 * reject the connection with a log line naming the peer address and the reason. Certificates are
 * made with openssl in a temp dir.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MessageType, newMessage } from '../../src/raftpb/index.js';
import type { TransportTlsOptions } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import { startNode, type TestNode, withTimeout } from './harness.js';

let dir: string;
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

async function makeCa(name: string): Promise<void> {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
  );
}

async function makeCert(name: string, ca: string): Promise<void> {
  await writeFile(
    join(dir, `${name}.ext`),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  );
}

const tlsFor = (name: string, ca = 'ca', extra: Partial<TransportTlsOptions> = {}): TransportTlsOptions => ({
  ca: pem[`${ca}.crt`]!,
  cert: pem[`${name}.crt`]!,
  key: pem[`${name}.key`]!,
  clientCertAuth: true,
  ...extra,
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftwire-tls-'));
  await makeCa('ca');
  await makeCa('rogue-ca');
  await makeCert('node1', 'ca');
  await makeCert('node2', 'ca');
  await makeCert('rogue', 'rogue-ca');
  for (const f of [
    'ca.crt',
    'rogue-ca.crt',
    'node1.crt',
    'node1.key',
    'node2.crt',
    'node2.key',
    'rogue.crt',
    'rogue.key',
  ]) {
    pem[f] = await readFile(join(dir, f), 'utf8');
  }
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pair(tlsA: TransportTlsOptions, tlsB: TransportTlsOptions): Promise<[TestNode, TestNode]> {
  const a = await startNode(1n, { tls: tlsA });
  const b = await startNode(2n, { tls: tlsB });
  a.tr.addPeer(2n, [b.url]);
  b.tr.addPeer(1n, [a.url]);
  return [a, b];
}

const hb = (to: bigint, from: bigint) =>
  newMessage({ type: MessageType.MsgHeartbeat, to, from, term: 1, commit: 3 });

describe('TLS', () => {
  it('mutual TLS: both directions deliver over https streams', async () => {
    const [a, b] = await pair(tlsFor('node1'), tlsFor('node2'));
    assert.match(a.url, /^https:/);
    await waitFor('active over TLS', () => a.tr.activePeers() === 1 && b.tr.activePeers() === 1);
    a.tr.send([hb(2n, 1n)]);
    b.tr.send([hb(1n, 2n)]);
    await b.raft.waitForMessages(1);
    await a.raft.waitForMessages(1);
    await a.close();
    await b.close();
  });

  it('mutual TLS on the pipeline: a member the peer does not stream to posts over https', async () => {
    const a = await startNode(1n, { tls: tlsFor('node1') });
    const b = await startNode(2n, { tls: tlsFor('node2') });
    // b does not know a, so no stream carries a's traffic: everything goes by POST /raft.
    a.tr.addPeer(2n, [b.url]);
    a.tr.send([hb(2n, 1n), hb(2n, 1n)]);
    await b.raft.waitForMessages(2);
    assert.ok(!a.logger.has('TLS verification of peer failed'));
    await a.close();
    await b.close();
  });

  it('a peer certificate from an untrusted CA is refused on both sides, each logging address and reason', async () => {
    const [a, b] = await pair(tlsFor('node1'), tlsFor('rogue', 'rogue-ca'));
    a.tr.send([hb(2n, 1n)]);
    await waitFor(
      'TLS failures logged',
      () =>
        a.logger.has('TLS verification of peer failed') &&
        b.logger.has('rejected connection from peer: TLS handshake failed'),
    );
    const client = a.logger.lines.find((l) => l.msg === 'TLS verification of peer failed')!;
    assert.equal(client.fields['remote-peer-url'], b.url);
    assert.match(
      String(client.fields.reason),
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
    );
    const server = b.logger.lines.find(
      (l) => l.msg === 'rejected connection from peer: TLS handshake failed',
    )!;
    assert.match(String(server.fields['remote-address']), /^127\.0\.0\.1:\d+$/);
    assert.ok(String(server.fields.reason).length > 0);
    assert.equal(b.raft.messages.length, 0);
    assert.equal(a.tr.activePeers(), 0);
    await a.close();
    await b.close();
  });

  it('allowed-CN: a client certificate with another CN is rejected with the reason logged', async () => {
    const [a, b] = await pair(tlsFor('node1'), tlsFor('node2', 'ca', { allowedCN: 'node9' }));
    a.tr.send([hb(2n, 1n)]);
    await waitFor('CN rejection logged', () =>
      b.logger.has('rejected connection from peer: client certificate check failed'),
    );
    const line = b.logger.lines.find(
      (l) => l.msg === 'rejected connection from peer: client certificate check failed',
    )!;
    assert.match(String(line.fields.reason), /CommonName authentication failed: got "node1", want "node9"/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(b.raft.messages.length, 0);
    await a.close();
    await b.close();
  });

  it('allowed-CN and allowed-hostname that match let traffic through', async () => {
    const [a, b] = await pair(
      tlsFor('node1', 'ca', { allowedCN: 'node2' }),
      tlsFor('node2', 'ca', { allowedHostname: '127.0.0.1' }),
    );
    a.tr.send([hb(2n, 1n)]);
    b.tr.send([hb(1n, 2n)]);
    await b.raft.waitForMessages(1);
    await a.raft.waitForMessages(1);
    await a.close();
    await b.close();
  });

  it('stopping closes a connection still in its TLS handshake (close() does not wait for it)', async (t) => {
    const node = await startNode(1n, { tls: tlsFor('node1') });
    const port = Number(new URL(node.url).port);
    // A TCP connection that never sends its ClientHello: accepted, not yet an HTTP connection.
    const raw = connect(port, '127.0.0.1');
    t.after(() => raw.destroy());
    await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await withTimeout(node.close(), 5_000, 'the node closed despite a handshaking connection');
    await withTimeout(closed, 5_000, 'the handshaking connection closed by the server');
  });

  it('allowed-hostname that does not match is rejected', async () => {
    const [a, b] = await pair(
      tlsFor('node1'),
      tlsFor('node2', 'ca', { allowedHostname: 'peer.example.com' }),
    );
    a.tr.send([hb(2n, 1n)]);
    await waitFor('hostname rejection logged', () =>
      b.logger.has('rejected connection from peer: client certificate check failed'),
    );
    assert.match(
      String(b.logger.lines.find((l) => l.msg.includes('client certificate check failed'))!.fields.reason),
      /hostname authentication failed/,
    );
    await a.close();
    await b.close();
  });
});

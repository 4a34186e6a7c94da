/** TLS on both ports: peers over https with mutual verification, the client API with client-certificate auth. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeCa, makeLeaf } from '../../interop/support/certs.js';
import { http } from '../support/http.js';
import { ProcessCluster } from './process-cluster.js';

test('a cluster with TLS peers (bound on 0.0.0.0 via --listen-peer) and a client API requiring client certificates', async (t) => {
  const pki = mkdtempSync(join(tmpdir(), 'raftwire-kv-pki-'));
  t.after(() => rmSync(pki, { recursive: true, force: true }));
  const ca = await makeCa(pki, 'ca');
  const leaf = await makeLeaf(pki, ca, 'member');
  const clientCa = await makeCa(pki, 'client-ca');
  const client = await makeLeaf(pki, clientCa, 'client');
  const stranger = await makeLeaf(pki, ca, 'stranger'); // signed by the peer CA, not the client CA
  const tls = {
    ca: readFileSync(leaf.ca),
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  };
  const cluster = new ProcessCluster(
    [
      ['--peer-cert', leaf.cert],
      ['--peer-key', leaf.key],
      ['--peer-ca', leaf.ca],
      ['--client-cert', leaf.cert],
      ['--client-key', leaf.key],
      ['--client-ca', client.ca],
      ['--client-cert-auth'],
    ].flat(),
    { scheme: 'https', clientTls: tls },
  );
  t.after(() => cluster.close());
  await cluster.define(3);
  for (const id of [1, 2, 3]) {
    cluster.start(id, { args: ['--listen-peer', `https://0.0.0.0:${cluster.member(id).peerPort}`] });
  }
  await cluster.waitLeader();
  assert.equal((await cluster.req(1, 'PUT', '/secret', { body: 's3cret' })).status, 204);
  for (const id of [1, 2, 3]) assert.equal((await cluster.req(id, 'GET', '/secret')).text, 's3cret');
  // without a client certificate, or with one from the wrong CA, the handshake fails
  const base = cluster.member(2).base;
  await assert.rejects(http(base, 'GET', '/secret', { tls: { ca: tls.ca } }, 5000));
  await assert.rejects(
    http(
      base,
      'GET',
      '/secret',
      { tls: { ca: tls.ca, cert: readFileSync(stranger.cert), key: readFileSync(stranger.key) } },
      5000,
    ),
  );
  const status = JSON.parse((await cluster.req(3, 'GET', '/-/status')).text) as {
    clientUrl: string;
    members: unknown[];
  };
  assert.match(status.clientUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(status.members.length, 3);
});

/**
 * Test PKI made with `openssl` at test time: a CA and leaf certificates valid for both server and
 * client use, with an IP SAN of 127.0.0.1 (etcd's server checks that a client certificate's IP
 * SANs match the address the connection comes from).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM file paths of one certificate authority. */
export interface TestCa {
  readonly name: string;
  readonly cert: string;
  readonly key: string;
}

/** PEM file paths of one leaf: `cert`/`key` plus the `ca` that signed it. */
export interface TestLeaf {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA in `dir`, files named after `name`. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...CURVE,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, cert, key };
}

/** A leaf for `cn` signed by `ca`, usable as server and client certificate on 127.0.0.1. */
export async function makeLeaf(dir: string, ca: TestCa, cn: string, san = 'IP:127.0.0.1'): Promise<TestLeaf> {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  const csr = join(dir, `${cn}.csr`);
  const ext = join(dir, `${cn}.ext`);
  await writeFile(
    ext,
    [
      `subjectAltName=${san}`,
      'extendedKeyUsage=serverAuth,clientAuth',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'basicConstraints=CA:FALSE',
      '',
    ].join('\n'),
  );
  await run('openssl', ['req', ...CURVE, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    serial,
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key, ca: ca.cert };
}

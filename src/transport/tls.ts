/**
 * TLS for peer traffic: client options for undici (verify the peer's server certificate, present
 * ours), server options for node:https (require and verify client certificates), etcd's
 * allowed-CN / allowed-hostname checks, and readable descriptions of verification failures.
 */
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { buildConnector } from 'undici';
import { TCP_KEEPALIVE_MS, TLS_HANDSHAKE_TIMEOUT_MS } from './constants.js';
import type { TransportTlsOptions } from './types.js';

/** undici `connect` options for outgoing peer connections. HTTP/1.1 only: no h2 in ALPN. */
export function clientConnectOptions(
  tls: TransportTlsOptions | undefined,
  dialTimeoutMs: number,
): buildConnector.BuildOptions {
  const opts: buildConnector.BuildOptions = {
    keepAlive: true,
    keepAliveInitialDelay: TCP_KEEPALIVE_MS,
    ALPNProtocols: ['http/1.1'],
  };
  if (dialTimeoutMs > 0) opts.timeout = dialTimeoutMs;
  if (tls === undefined) return opts;
  // Go bounds the TLS handshake even without a dial timeout.
  if (dialTimeoutMs <= 0) opts.timeout = TLS_HANDSHAKE_TIMEOUT_MS;
  if (tls.ca !== undefined) opts.ca = tls.ca;
  if (tls.cert !== undefined) opts.cert = tls.cert;
  if (tls.key !== undefined) opts.key = tls.key;
  if (tls.serverName !== undefined) opts.servername = tls.serverName;
  opts.rejectUnauthorized = tls.insecureSkipVerify !== true;
  opts.minVersion = 'TLSv1.2';
  return opts;
}

/** node:tls options for the pipeline's own connections (same policy as clientConnectOptions). */
export function clientTlsOptions(tls: TransportTlsOptions | undefined): ConnectionOptions | undefined {
  if (tls === undefined) return undefined;
  const opts: ConnectionOptions = {
    ALPNProtocols: ['http/1.1'],
    minVersion: 'TLSv1.2',
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  };
  if (tls.ca !== undefined) opts.ca = tls.ca;
  if (tls.cert !== undefined) opts.cert = tls.cert;
  if (tls.key !== undefined) opts.key = tls.key;
  if (tls.serverName !== undefined) opts.servername = tls.serverName;
  return opts;
}

/** node:https server options for the peer port (see createPeerServer). */
export function serverTlsOptions(tls: TransportTlsOptions): Record<string, unknown> {
  const requireClientCert = tls.clientCertAuth === true || tls.ca !== undefined;
  const opts: Record<string, unknown> = {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  };
  if (tls.ca !== undefined) opts.ca = tls.ca;
  if (tls.crl !== undefined) opts.crl = tls.crl;
  return opts;
}

/**
 * etcd's --peer-cert-allowed-cn / --peer-cert-allowed-hostname check of a client certificate.
 * Returns the reason it fails, or undefined when it passes (or no check is configured).
 */
export function checkClientCertificate(
  tls: TransportTlsOptions | undefined,
  socket: TLSSocket,
): string | undefined {
  if (tls === undefined || (tls.allowedCN === undefined && tls.allowedHostname === undefined))
    return undefined;
  const cert = socket.getPeerCertificate() as PeerCertificate | Record<string, never>;
  if (cert === null || Object.keys(cert).length === 0) return 'no client certificate';
  if (tls.allowedCN !== undefined) {
    const cn = (cert as PeerCertificate).subject?.CN;
    if (cn !== tls.allowedCN)
      return `CommonName authentication failed: got ${JSON.stringify(cn)}, want ${JSON.stringify(tls.allowedCN)}`;
  }
  if (tls.allowedHostname !== undefined) {
    const err = checkServerIdentity(tls.allowedHostname, cert as PeerCertificate);
    if (err !== undefined)
      return `hostname authentication failed for ${JSON.stringify(tls.allowedHostname)}: ${err.message}`;
  }
  return undefined;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** When `err` (possibly wrapped) is a TLS verification or handshake failure: "<code>: <message>". */
export function describeTlsFailure(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
    ) {
      return `${code}: ${e.message}`;
    }
  }
  return undefined;
}

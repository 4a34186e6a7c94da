/** Minimal HTTP helpers for the kv tests: one request with full control of method, path and headers. */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

/** TLS material for https requests (PEM contents). */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** Sends one request (path sent as given) and collects the reply; rejects after `timeoutMs`. */
export function http(
  base: string,
  method: string,
  path: string,
  options: { body?: Uint8Array | string; headers?: Record<string, string>; tls?: ClientTls } = {},
  timeoutMs = 20_000,
): Promise<Reply> {
  const url = new URL(base);
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : request;
    const req = send(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        timeout: timeoutMs,
        agent: false,
        ...options.tls,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const body = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes raw bytes to host:port and resolves with everything read until the server closes (or timeout). */
export function raw(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(Buffer.concat(parts).toString('latin1'));
    }, timeoutMs);
    sock.on('data', (c: Buffer) => parts.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if ((e as { code?: string }).code === 'ECONNRESET') resolve(Buffer.concat(parts).toString('latin1'));
      else reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts).toString('latin1'));
    });
    sock.write(bytes);
  });
}

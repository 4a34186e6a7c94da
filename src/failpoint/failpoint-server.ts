/**
 * Arming failpoints at run time over HTTP, as gofail's GOFAIL_HTTP does: a test picks the member
 * that is leader *now* and arms a point there (etcd's robustness tests crash the leader at
 * raftBeforeSave this way). Enabled by RAFTWIRE_FAILPOINTS_HTTP=host:port; `raftwire node` starts it.
 *
 *   PUT    /<name>   body: a term (`1*crash`, `50%sleep(100)`, `off`)   → 204, 400, 404
 *   DELETE /<name>   disables the point                                → 204, 404
 *   GET    /         JSON: every point with `enabled` and `fired`       → 200
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FailpointSet } from './failpoint-set.js';
import { FAILPOINT_NAMES, FailpointError, FailpointErrorCode, isFailpointName, parseTerm } from './spec.js';

/** A running failpoint server. */
export interface FailpointServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** A term is a few dozen bytes; anything longer is refused without reading it. */
const MAX_BODY = 1024;

/** Parses RAFTWIRE_FAILPOINTS_HTTP: `host:port`, `[v6]:port` or `:port` (loopback). */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new FailpointError(
      FailpointErrorCode.Invalid,
      `RAFTWIRE_FAILPOINTS_HTTP: ${JSON.stringify(text)} is not host:port`,
    );
  }
  return { host: m[1] ?? (m[2] === '' || m[2] === undefined ? '127.0.0.1' : m[2]), port };
}

/** Serves `set` on `host:port` (port 0: any free port, see `address`). */
export async function startFailpointServer(
  set: FailpointSet,
  listen: { host: string; port: number },
): Promise<FailpointServer> {
  const server = createServer((req, res) => {
    handle(set, req, res).catch((e: unknown) => reply(res, 500, `internal error: ${(e as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(set: FailpointSet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path === '/') {
    if (req.method !== 'GET') return reply(res, 405, 'only GET on /');
    const points = Object.fromEntries(
      FAILPOINT_NAMES.map((n) => [n, { enabled: set.enabled(n), fired: set.fired(n) }]),
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(points)}\n`);
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(path.slice(1));
  } catch {
    return reply(res, 400, 'malformed percent-encoding in the path');
  }
  if (!isFailpointName(name)) return reply(res, 404, `no failpoint ${JSON.stringify(name)}`);
  if (req.method === 'DELETE') {
    set.set(name, 'off');
    return reply(res, 204, '');
  }
  if (req.method !== 'PUT') return reply(res, 405, 'use PUT or DELETE on a failpoint');
  const body = await readBody(req);
  if (body === undefined) return reply(res, 413, `a term is at most ${MAX_BODY} bytes`);
  try {
    set.set(name, parseTerm(body.trim()));
  } catch (e) {
    return reply(res, 400, (e as Error).message);
  }
  return reply(res, 204, '');
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined; // answered 413 with `connection: close`
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  res
    .writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
    .end(`${text}\n`);
}

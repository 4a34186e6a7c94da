/**
 * The supervisor's HTTP server (loopback only): the status page at /-/, GET /-/status (every
 * member's process state and own status), and the fault controls,
 * POST /-/cluster/members/<index>/<action>, and the client load, POST /-/cluster/load {"rate"}.
 * Controls accept only same-origin JSON requests whose
 * Host is the loopback address they were sent to, so another web page cannot drive them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serveStatusPage } from '../status-page/index.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import type { Supervisor } from './supervisor.js';

const CONTROL = /^\/-\/cluster\/members\/([0-9]+)\/([a-z-]+)$/;
const BODY_LIMIT = 4096;

function text(res: ServerResponse, status: number, line: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${line.replace(/[\r\n]+/g, ' ')}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** Whether a control request comes from the supervisor's own page (or a non-browser client). */
function sameOrigin(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${host}`;
}

/** Reads a small request body; undefined when it is too large or broken. */
function readSmall(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        req.destroy();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/** Checks a control request (POST, same origin, JSON object); answers it and returns undefined when not. */
async function controlBody(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
): Promise<object | undefined> {
  const refuse = (status: number, line: string, headers: Record<string, string> = {}): undefined => {
    text(res, status, line, headers);
    return undefined;
  };
  if (req.method !== 'POST') return refuse(405, 'controls take POST', { Allow: 'POST' });
  if (!sameOrigin(req, port)) return refuse(403, 'controls are for the supervisor page on loopback only');
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return refuse(415, 'controls take Content-Type: application/json');
  }
  const body = await readSmall(req);
  if (body === undefined) return refuse(413, `control bodies are limited to ${BODY_LIMIT} bytes`);
  try {
    const v: unknown = JSON.parse(body === '' ? '{}' : body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // refused below
  }
  return refuse(400, 'the body must be a JSON object');
}

async function handle(
  sup: Supervisor,
  port: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  if (path === '/' && (method === 'GET' || method === 'HEAD')) {
    res.writeHead(302, { Location: '/-/' });
    return void res.end();
  }
  if (serveStatusPage(path, req, res)) return;
  if (path === '/-/status') {
    if (method !== 'GET' && method !== 'HEAD') return text(res, 405, 'use GET', { Allow: 'GET, HEAD' });
    const body = `${JSON.stringify(await sup.clusterStatus())}\n`;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    return void res.end(method === 'HEAD' ? undefined : body);
  }
  const control = CONTROL.exec(path);
  if (control !== null) {
    if ((await controlBody(req, res, port)) === undefined) return;
    const r = await sup.control(Number(control[1]), control[2] ?? '');
    return text(res, r.status, r.text);
  }
  if (path === '/-/cluster/load') {
    const body = (await controlBody(req, res, port)) as { rate?: unknown } | undefined;
    if (body === undefined) return;
    const r = sup.setLoad(typeof body.rate === 'number' ? body.rate : Number.NaN);
    return text(res, r.status, r.text);
  }
  text(res, 404, `nothing at ${path} (the status page is at /-/)`);
}

/** Starts the server on host:port; rejects with ClusterError PORT_IN_USE when it cannot bind. */
export function createSupervisorServer(sup: Supervisor, host: string, port: number): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(sup, port, req, res).catch((err: unknown) => text(res, 500, `internal error: ${String(err)}`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ClusterError(
          ClusterErrorCode.PortInUse,
          `cannot listen on ${host}:${port} (the status page): ${err.code ?? err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}

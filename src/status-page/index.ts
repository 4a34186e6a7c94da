/**
 * The live status page (docs/cluster.md#the-status-page): static HTML, JS and CSS shipped in the
 * package under src/status-page/assets/ (read from there at run time, no build step), plus uPlot's
 * browser build from node_modules. A member's client API and the `raftwire cluster` supervisor
 * both serve it at `/-/`; the page polls `/-/status` of the server that served it and makes no
 * other request (its Content-Security-Policy allows only its own origin).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The page's entry path. */
export const STATUS_PAGE_PATH = '/-/';
/** Where its assets are served. */
export const STATUS_PAGE_ASSET_PREFIX = '/-/page/';

const require = createRequire(import.meta.url);
// dist/src/status-page/index.js and src/status-page/index.ts both sit three levels below the root.
const ASSETS = fileURLToPath(new URL('../../../src/status-page/assets/', import.meta.url));

const FILES: Record<string, { file: () => string; type: string }> = {
  'index.html': { file: () => `${ASSETS}index.html`, type: 'text/html; charset=utf-8' },
  'app.js': { file: () => `${ASSETS}app.js`, type: 'text/javascript; charset=utf-8' },
  'style.css': { file: () => `${ASSETS}style.css`, type: 'text/css; charset=utf-8' },
  'uPlot.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uPlot.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** The bytes and type of one asset (`index.html`, `app.js`, ...), undefined for an unknown name. */
export function statusPageAsset(name: string): { body: Buffer; type: string } | undefined {
  const entry = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (entry === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(entry.file());
    cache.set(name, body);
  }
  return { body, type: entry.type };
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

/**
 * Answers `GET /-/` and `GET /-/page/<asset>`; returns false (having sent nothing) for any other
 * path, so the caller routes it.
 */
export function serveStatusPage(path: string, req: IncomingMessage, res: ServerResponse): boolean {
  let name: string;
  if (path === STATUS_PAGE_PATH) name = 'index.html';
  else if (path.startsWith(STATUS_PAGE_ASSET_PREFIX)) name = path.slice(STATUS_PAGE_ASSET_PREFIX.length);
  else return false;
  const method = req.method ?? 'GET';
  const text = (status: number, line: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${line}\n`);
  };
  if (method !== 'GET' && method !== 'HEAD') {
    text(405, 'method not allowed; use GET, HEAD', { Allow: 'GET, HEAD' });
    return true;
  }
  let asset: ReturnType<typeof statusPageAsset>;
  try {
    asset = statusPageAsset(name);
  } catch (err) {
    text(500, `status page asset ${name} unreadable: ${(err as Error).message.split('\n')[0]}`);
    return true;
  }
  if (asset === undefined) {
    text(404, `no status page asset ${JSON.stringify(name)}`);
    return true;
  }
  res.writeHead(200, {
    'Content-Type': asset.type,
    'Content-Length': asset.body.length,
    ...SECURITY_HEADERS,
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
  return true;
}

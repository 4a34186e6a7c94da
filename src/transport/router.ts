/**
 * The /raft endpoints (etcd's Transport.Handler and the ServeMux around it): routes POST /raft,
 * GET /raft/stream/…, POST /raft/snapshot and /raft/probing to their handlers after the client
 * certificate check, and behaves like Go's ServeMux elsewhere (301 to the clean path, 301 for
 * /raft/stream, 404 `404 page not found`). Each handler applies etcd's checks in etcd's order with
 * its status codes and body texts (senders compare 412 bodies textually).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from './context.js';
import { servedPath } from './go-path.js';
import { httpError } from './http-util.js';
import { servePipeline } from './pipeline-handler.js';
import { serveProbing } from './probing-handler.js';
import { type HandlerHost, RequestGate } from './request-gate.js';
import { serveSnapshot } from './snapshot-handler.js';
import { serveStream } from './stream-handler.js';

export type { HandlerHost } from './request-gate.js';

/** Builds the request listener serving the /raft endpoints of `host`. */
export function createRouter(host: HandlerHost): (req: IncomingMessage, res: ServerResponse) => void {
  const gate = new RequestGate(host);
  const log = host.ctx.logger;
  return (req, res) => {
    if (!gate.verifyTls(req)) return;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const clean = servedPath(path);
    if (clean !== path) {
      res.writeHead(301, { Location: clean + (q < 0 ? '' : url.slice(q)) });
      res.end();
      return;
    }
    const fail = (err: unknown) => {
      log.error({ path, error: describeError(err) }, 'peer request handler failed');
      if (!res.headersSent) httpError(res, 500, 'internal error');
      else res.destroy();
    };
    if (path === '/raft') servePipeline(gate, req, res).catch(fail);
    else if (path.startsWith('/raft/stream/')) serveStream(gate, req, res, path);
    else if (path === '/raft/snapshot') serveSnapshot(gate, req, res).catch(fail);
    else if (path === '/raft/probing') serveProbing(host.ctx, res);
    else if (path === '/raft/stream') {
      const body = '<a href="/raft/stream/">Moved Permanently</a>.\n\n';
      res.writeHead(301, {
        'Content-Type': 'text/html; charset=utf-8',
        Location: '/raft/stream/',
        'Content-Length': body.length,
      });
      res.end(body);
    } else httpError(res, 404, '404 page not found');
  };
}

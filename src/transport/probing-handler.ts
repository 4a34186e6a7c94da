/**
 * /raft/probing (etcd's probing.NewHandler): any method, 200 with `{"OK":true,"Now":<RFC 3339>}`.
 * No version or cluster checks, as in etcd.
 */
import type { ServerResponse } from 'node:http';
import type { TransportContext } from './context.js';

/** Answers one probe. */
export function serveProbing(ctx: TransportContext, res: ServerResponse): void {
  const body = `${JSON.stringify({ OK: true, Now: new Date(ctx.now()).toISOString() })}\n`;
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

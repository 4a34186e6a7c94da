/**
 * Small pieces every /raft endpoint handler uses: Go's http.Error, header access, the peer's
 * address for logs, and the one way to answer a message raft rejected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogFields, Logger } from '../logger/index.js';
import { describeError } from './context.js';

/** Go's text/plain error headers. */
export const TEXT_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** Go's http.Error: status, text/plain, nosniff, body text + "\n". */
export function httpError(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...TEXT_HEADERS, 'Content-Length': body.length });
  res.end(body);
}

/** The first value of request header `name` (lower case). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The client's address as Go prints it (`host:port`, IPv6 in brackets). */
export function remoteAddress(req: IncomingMessage): string {
  const s = req.socket;
  return s.remoteAddress === undefined
    ? 'unknown'
    : `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}`;
}

/**
 * Answers a request whose message `raft.process` rejected with `err`, as etcd's handlers do. A
 * rejection with a `writeTo(res)` method (etcd's writerToResponse) writes the response itself.
 * Otherwise the failure is logged, and the pipeline writes a chunked 500 and cuts the connection
 * (etcd panics after flushing, so the final chunk never comes), while the snapshot handler answers
 * a complete 500 `failed to process raft message (…)`.
 */
export function answerRaftRejection(
  endpoint: 'pipeline' | 'snapshot',
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  log: Logger,
  fields: LogFields,
): void {
  const writeTo = (err as { writeTo?: unknown } | null | undefined)?.writeTo;
  if (typeof writeTo === 'function') {
    writeTo.call(err, res);
    return;
  }
  log.warn({ ...fields, error: describeError(err) }, 'failed to process Raft message');
  if (endpoint === 'pipeline') {
    res.writeHead(500, TEXT_HEADERS);
    res.write('error processing raft message\n', () => req.socket.destroy());
    return;
  }
  httpError(res, 500, `failed to process raft message (${err instanceof Error ? err.message : String(err)})`);
}

/** Small helpers of the client API: one-line text replies, bounded body reads, conditional headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Condition } from './entry-codec.js';

/** Sends a one-line text/plain reply (the line is sanitised to one line). */
export function replyText(
  res: ServerResponse,
  status: number,
  line: string,
  headers: Record<string, string> = {},
): void {
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

/** Sends a JSON reply (bigint values written as etcd writes member IDs is the caller's job). */
export function replyJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The outcome of a bounded body read. */
export type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; a chunked body is refused as soon as it passes the limit (it is never buffered
 * whole). The connection is marked to close after a refusal, so the unread rest is never parsed.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    res.shouldKeepAlive = false;
    req.pause();
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyRead): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        res.shouldKeepAlive = false;
        req.pause();
        chunks.length = 0;
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish({ kind: 'ok', body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) finish({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

/** Parses `"123"` (or `W/"123"`, or a bare 123) to a revision; undefined when it is none. */
function parseEtag(s: string): number | undefined {
  const m = /^(?:W\/)?"?([0-9]{1,16})"?$/.exec(s.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The write condition of a request's If-Match / If-None-Match headers, or an error line. */
export function writeCondition(req: IncomingMessage): Condition | { error: string } {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    return { error: 'use If-Match or If-None-Match, not both' };
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') return { error: 'If-None-Match on a write must be *' };
    return { kind: 'absent' };
  }
  if (ifMatch !== undefined) {
    if (ifMatch.trim() === '*') return { kind: 'exists' };
    const rev = parseEtag(ifMatch);
    if (rev === undefined) return { error: 'If-Match must be * or one ETag "<revision>"' };
    return { kind: 'revision', revision: rev };
  }
  return { kind: 'none' };
}

/** True when a GET's If-None-Match lists the revision (or is *): answer 304. */
export function notModified(req: IncomingMessage, revision: number): boolean {
  const h = req.headers['if-none-match'];
  if (h === undefined) return false;
  return h.split(',').some((t) => t.trim() === '*' || parseEtag(t) === revision);
}

/** The ETag of a revision. */
export function etag(revision: number): string {
  return `"${revision}"`;
}

/** A one-line reason from an error (for 503 bodies). */
export function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${e.code}: ${msg}` : msg;
}

/**
 * raftexample's key-value HTTP API (contrib/raftexample/httpapi.go), byte for byte: the same
 * status codes, bodies and headers as a Go raftexample member, with the raw request target as the
 * key. It is a plain node:http request handler over a small {@link RaftexampleBackend}, so it can
 * sit on a replica or, in tests, on an in-memory map.
 *
 * | request | answer |
 * |---|---|
 * | `PUT /<key>` | `204` once the backend's `put` resolves (raftexample answers before commit; waiting is allowed and better) |
 * | `GET /<key>` | `200` + value (Content-Type sniffed as Go's net/http does), or `404 Failed to GET` |
 * | `POST /<id>` body = URL | ConfChange V1 AddNode, context = body: `204`, or `400 Failed on POST` |
 * | `DELETE /<id>` | ConfChange V1 RemoveNode: `204`, or `400 Failed on DELETE` |
 * | anything else | `405 Method not allowed` with four `Allow` lines: PUT, GET, POST, DELETE |
 *
 * Where raftwire differs, on purpose: a backend failure answers `503` (raftexample never learns of
 * one), naming an unknown outcome as such; a body larger than `maxBodyBytes` answers `413`
 * (raftexample reads any size into memory).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ConfChange, ConfChangeType } from '../../raftpb/index.js';
import { parseUintBase0 } from './go-parse-uint.js';
import { detectContentType } from './go-sniff.js';
import { type RawTargetConnection, requestTarget } from './raw-target.js';

/** What the HTTP API needs from the member it serves. Keys and values are byte strings. */
export interface RaftexampleBackend {
  /** The locally applied value of `key` (a stale read, as raftexample's), or undefined. */
  get(key: Uint8Array): Uint8Array | undefined;
  /**
   * Proposes `gob(kv{key, value})`. Resolves when the write is safe to acknowledge (committed and
   * applied, or merely proposed in raftexample's optimistic style); rejects if it failed or its
   * outcome is unknown (a RaftwireError whose code says which).
   */
  put(key: Uint8Array, value: Uint8Array, options: { signal: AbortSignal }): Promise<void>;
  /** Proposes a ConfChange V1 (raftexample never proposes V2), with the same resolve rule. */
  proposeConfChange(cc: ConfChange, options: { signal: AbortSignal }): Promise<void>;
}

/** Options of {@link createRaftexampleHandler}. */
export interface RaftexampleHandlerOptions {
  /** Largest request body read for PUT and POST, in bytes; larger answers 413. Default 64 MiB. */
  maxBodyBytes?: number;
  /** How long a PUT/POST/DELETE waits for the backend before answering 503 (outcome unknown). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /**
   * Take the request target from {@link RawTargetConnection}'s header when there is one (set only
   * when the server's connections are RawTargetConnections, which remove a client's own header of
   * that name). Default false: `req.url`.
   */
  rawTargets?: boolean;
  /** Called with a backend failure (for logging); the client gets 503 either way. */
  onBackendError?: (error: unknown, method: string) => void;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * net/http buffers this much of a handler's output (bufferBeforeChunkingSize): a GET value up to
 * it gets a Content-Length, a longer one is written at once and goes out chunked.
 */
const GO_BUFFER_BEFORE_CHUNKING = 2048;
/** The replica contract's code for a proposal whose outcome is unknown. */
const OUTCOME_UNKNOWN_CODE = 'RAFTWIRE_REPLICA_OUTCOME_UNKNOWN';

/** Go's http.Error: text/plain, nosniff, the message and a newline. */
function goError(res: ServerResponse, status: number, message: string): void {
  const body = Buffer.from(`${message}\n`, 'latin1');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': String(body.length),
  });
  res.end(body);
}

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** Go's answer to a request target url.ParseRequestURI rejects: a path with a bad %-escape. */
function badRequestTarget(target: string): boolean {
  if (!target.startsWith('/')) return false;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
    if (!/^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) return true;
  }
  return false;
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.once('end', () => resolve(over ? 'too-large' : new Uint8Array(Buffer.concat(chunks, size))));
    // Kept for the request's life: a second 'error' must not go unhandled.
    req.on('error', reject);
    req.once('aborted', () => reject(new Error('request aborted')));
  });
}

/**
 * A node:http request handler serving raftexample's API over `backend`. Each handler numbers its
 * ConfChanges from 1, as a raftexample process does.
 */
export function createRaftexampleHandler(
  backend: RaftexampleBackend,
  options: RaftexampleHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let confChangeCount = 0n;

  /** Runs a proposal with the timeout and the client's disconnect as abort, answers 204 or 503. */
  const propose = async (
    req: IncomingMessage,
    res: ServerResponse,
    what: string,
    run: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> => {
    // One controller per request, aborted by the client going away or by the timeout; the timer
    // is cleared as soon as the request is answered.
    const abort = new AbortController();
    const signal = abort.signal;
    const onClose = (): void => {
      if (!res.writableEnded) abort.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    const timer = setTimeout(() => abort.abort(new Error(`no outcome within ${timeoutMs} ms`)), timeoutMs);
    try {
      await run(signal);
      if (!res.destroyed) noContent(res);
    } catch (e) {
      options.onBackendError?.(e, req.method ?? '');
      if (res.destroyed || res.headersSent) return;
      const code = (e as { code?: unknown }).code;
      // Aborted here (timeout) after the backend took the proposal: it may still commit.
      const unknown = signal.aborted || code === OUTCOME_UNKNOWN_CODE;
      const detail = unknown
        ? 'the outcome is unknown'
        : `not done (${typeof code === 'string' ? code : 'error'})`;
      goError(res, 503, `Failed on ${what}: ${detail}`);
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = options.rawTargets === true ? requestTarget(req) : (req.url ?? '');
    if (badRequestTarget(target)) {
      // net/http rejects the request line itself; it never reaches raftexample's handler. Go's
      // answer has neither a length nor chunking: the body ends with the connection.
      res.useChunkedEncodingByDefault = false;
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('400 Bad Request');
      return;
    }
    if (req.method === 'OPTIONS' && target === '*') {
      // net/http answers `OPTIONS *` itself (globalOptionsHandler); raftexample never sees it.
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
      return;
    }
    const key = new Uint8Array(Buffer.from(target, 'latin1'));
    switch (req.method) {
      case 'PUT': {
        const body = await readBody(req, maxBody);
        if (body === 'too-large') return goError(res, 413, 'Failed on PUT: value too large');
        return propose(req, res, 'PUT', (signal) => backend.put(key, body, { signal }));
      }
      case 'GET': {
        const v = backend.get(key);
        if (v === undefined) return goError(res, 404, 'Failed to GET');
        if (v.length === 0) {
          res.writeHead(200, { 'Content-Length': '0' });
          res.end();
          return;
        }
        res.setHeader('Content-Type', detectContentType(v));
        if (v.length <= GO_BUFFER_BEFORE_CHUNKING) {
          res.setHeader('Content-Length', String(v.length));
          res.end(v);
        } else {
          res.write(v);
          res.end();
        }
        return;
      }
      case 'POST': {
        const body = await readBody(req, maxBody);
        if (body === 'too-large') return goError(res, 413, 'Failed on POST: body too large');
        const id = parseUintBase0(target.slice(1));
        if (id === undefined) return goError(res, 400, 'Failed on POST');
        confChangeCount++;
        const cc: ConfChange = {
          id: confChangeCount,
          type: ConfChangeType.ConfChangeAddNode,
          nodeId: id,
          context: body,
        };
        return propose(req, res, 'POST', (signal) => backend.proposeConfChange(cc, { signal }));
      }
      case 'DELETE': {
        const id = parseUintBase0(target.slice(1));
        if (id === undefined) return goError(res, 400, 'Failed on DELETE');
        confChangeCount++;
        const cc: ConfChange = { id: confChangeCount, type: ConfChangeType.ConfChangeRemoveNode, nodeId: id };
        return propose(req, res, 'DELETE', (signal) => backend.proposeConfChange(cc, { signal }));
      }
      default:
        res.setHeader('Allow', ['PUT', 'GET', 'POST', 'DELETE']);
        return goError(res, 405, 'Method not allowed');
    }
  };

  return (req, res) => {
    serve(req, res).catch(() => {
      // A body that could not be read (the client went away): nobody is left to answer.
      if (!res.headersSent) res.destroy();
    });
  };
}

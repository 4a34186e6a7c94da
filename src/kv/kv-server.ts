/**
 * The client API on node:http(s): keys at the root (PUT/GET/DELETE /<key>, GET /?prefix=), the
 * admin endpoints under /-/ (admin-routes.ts). Every request gets an answer or a closed socket;
 * nothing a client sends can throw out of the handler.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { type Logger, noopLogger } from '../logger/index.js';
import { handleAdmin } from './admin-routes.js';
import type { KvContext } from './context.js';
import { Deadlines } from './deadlines.js';
import { encodeOperation } from './entry-codec.js';
import type { KvHost } from './host.js';
import { etag, notModified, readBody, reasonOf, replyJson, replyText, writeCondition } from './http-util.js';
import { KvMetrics } from './metrics.js';
import { parseQuery, percentDecode, percentEncode } from './percent.js';
import type { KvApplyResult, KvStateMachine } from './state-machine.js';

/** TLS for the client port (node:https options). */
export interface KvServerTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA(s) to verify client certificates against. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Require a client certificate signed by `ca`. */
  clientCertAuth?: boolean;
}

/** Options of KvServer. Durations in ms, sizes in bytes. */
export interface KvServerOptions {
  /** The replica host (a raftwire/replica Replica over `store`). */
  host: KvHost;
  /** The state machine the host applies to. */
  store: KvStateMachine;
  /** Largest accepted PUT body. Default 1.5 MiB (etcd's request limit). */
  maxValueBytes?: number;
  /** How long a write or a linearizable read may wait for raft. Default 5000. */
  requestTimeoutMs?: number;
  /** Registry for /-/metrics (pass the host's, so one scrape shows everything). */
  registry?: Registry;
  logger?: Logger;
  /** The advertised client URL (shown in /-/status). */
  clientUrl?: string;
  tls?: KvServerTlsOptions;
  /**
   * Set only by `raftwire cluster` (through RAFTWIRE_SUPERVISOR_TOKEN): enables the fault-drill
   * endpoints under /-/supervised/ for requests that present it (`Authorization: Bearer <token>`).
   * Without it those endpoints answer 404.
   */
  supervisorToken?: string;
}

/** Default largest PUT body: 1.5 MiB, etcd's --max-request-bytes default. */
export const DEFAULT_MAX_VALUE_BYTES = 1.5 * 1024 * 1024;
/** Default request timeout for writes and linearizable reads. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 10000;
const RETRY_AFTER_S = '1';

/** The client API server. */
export class KvServer {
  readonly server: Server;
  readonly metrics: KvMetrics;
  private readonly ctx: KvContext;
  private readonly maxValueBytes: number;
  private lastLeader: bigint | undefined;
  private readonly deadlines = new Deadlines();
  private readonly requestCounters = new Map<string, { inc(): void }>();
  private readonly onLeader = (e: { leader: bigint | undefined }): void => {
    if (e.leader !== undefined && e.leader !== this.lastLeader) this.metrics.leaderChanges?.inc();
    this.lastLeader = e.leader;
  };

  constructor(options: KvServerOptions) {
    this.metrics = new KvMetrics(options.host, () => options.store.size, options.registry);
    this.ctx = {
      host: options.host,
      store: options.store,
      metrics: this.metrics,
      logger: options.logger ?? noopLogger,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      clientUrl: options.clientUrl,
      supervisorToken: options.supervisorToken,
      requests: { reads: 0, writes: 0, writeMsTotal: 0 },
    };
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.lastLeader = options.host.status().leader;
    if (this.lastLeader !== undefined) this.metrics.leaderChanges?.inc();
    options.host.on('leader', this.onLeader);
    const listener = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const tls = options.tls;
    this.server =
      tls === undefined
        ? createHttpServer({ keepAliveTimeout: 30_000 }, listener)
        : createHttpsServer(
            {
              cert: tls.cert,
              key: tls.key,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              requestCert: tls.clientCertAuth === true,
              rejectUnauthorized: tls.clientCertAuth === true,
              minVersion: 'TLSv1.2',
              keepAliveTimeout: 30_000,
            },
            listener,
          );
    this.server.on('clientError', (err, socket) => {
      // Malformed request lines, oversized headers (431), TLS failures: answer if we can, then close.
      if (socket.writable && !(err as { code?: string }).code?.startsWith('ERR_SSL')) {
        const status = (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
        socket.end(`HTTP/1.1 ${status} Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound address. Rejects (e.g. EADDRINUSE) when it cannot. */
  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** The bound address (after listen). */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting, closes every connection, detaches from the host. */
  async close(): Promise<void> {
    this.ctx.host.off('leader', this.onLeader);
    this.deadlines.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Handles one request (never throws; exported for embedding in another server). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    res.once('finish', () => {
      const key = `${method} ${res.statusCode}`;
      let counter = this.requestCounters.get(key);
      if (counter === undefined) {
        counter = this.metrics.httpRequests.labels(method, String(res.statusCode));
        // node's parser accepts only its known methods, so the label set stays small
        if (this.requestCounters.size < 256) this.requestCounters.set(key, counter);
      }
      counter.inc();
      const ms = performance.now() - started;
      this.metrics.httpSeconds.observe({ method }, ms / 1000);
      this.count(method, req.url ?? '', res.statusCode, ms);
    });
    this.route(req, res)
      .then(() => {
        // A body nobody read (a GET with a body, a refused write) is drained, so the connection
        // stays usable; after a 413 the connection closes instead.
        if (!req.complete && res.shouldKeepAlive) req.resume();
      })
      .catch((err: unknown) => {
        this.ctx.logger.error({ err: reasonOf(err), method, url: req.url }, 'client request failed');
        if (!res.headersSent) replyText(res, 500, `internal error: ${reasonOf(err)}`);
        else res.destroy();
      });
  }

  /** Counts an answered key request for /-/status's "requests". */
  private count(method: string, url: string, status: number, ms: number): void {
    if (url.startsWith('/-/') || status >= 500) return;
    const r = this.ctx.requests;
    if (method === 'GET' || method === 'HEAD') r.reads++;
    else if (
      (method === 'PUT' || method === 'DELETE') &&
      (status < 300 || status === 404 || status === 412)
    ) {
      r.writes++;
      r.writeMsTotal += ms;
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (!url.startsWith('/')) return replyText(res, 400, 'the request target must be a path');
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
    if (query === undefined) return replyText(res, 400, 'malformed percent-encoding in the query');
    if (rawPath.startsWith('/-/')) return handleAdmin(this.ctx, rawPath, query, req, res);
    const key = percentDecode(rawPath.slice(1));
    if (key === undefined) return replyText(res, 400, 'malformed percent-encoding in the key');
    if (key === '') {
      if (req.method === 'GET' || req.method === 'HEAD') return this.list(query, req, res);
      return replyText(res, 405, 'only GET lists keys at /', { Allow: 'GET, HEAD' });
    }
    if (key.startsWith('-/'))
      return replyText(res, 400, 'keys may not start with "-/" (reserved for /-/ admin)');
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return this.get(key, query, req, res);
      case 'PUT':
        return this.write(key, 'put', req, res);
      case 'DELETE':
        return this.write(key, 'delete', req, res);
      default:
        return replyText(res, 405, `method ${req.method} not allowed on a key`, {
          Allow: 'GET, HEAD, PUT, DELETE',
        });
    }
  }

  /** Waits for a read barrier unless ?serializable; false (after replying 503) when it failed. */
  private async barrier(query: Map<string, string>, res: ServerResponse): Promise<boolean> {
    if (query.has('serializable')) return true;
    try {
      await this.ctx.host.readBarrier({ signal: this.deadlines.after(this.ctx.requestTimeoutMs) });
      return true;
    } catch (err) {
      replyText(res, 503, `linearizable read not confirmed (retry, or use ?serializable): ${reasonOf(err)}`, {
        'Retry-After': RETRY_AFTER_S,
      });
      return false;
    }
  }

  private async get(key: string, query: Map<string, string>, req: IncomingMessage, res: ServerResponse) {
    if (!(await this.barrier(query, res))) return;
    const v = this.ctx.store.get(key);
    if (v === undefined) return replyText(res, 404, 'key not found');
    const tag = etag(v.revision);
    if (notModified(req, v.revision)) {
      res.writeHead(304, { ETag: tag });
      return void res.end();
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': v.value.length,
      ETag: tag,
    });
    res.end(v.value);
  }

  private async list(query: Map<string, string>, _req: IncomingMessage, res: ServerResponse) {
    const prefix = query.get('prefix') ?? '';
    const after = query.get('after');
    const limitText = query.get('limit');
    let limit = DEFAULT_LIST_LIMIT;
    if (limitText !== undefined) {
      limit = Number(limitText);
      if (!/^[0-9]+$/.test(limitText) || limit < 1 || limit > MAX_LIST_LIMIT) {
        return replyText(res, 400, `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
      }
    }
    if (!(await this.barrier(query, res))) return;
    const listing = this.ctx.store.list(prefix, after, limit);
    replyJson(res, 200, {
      keys: listing.keys.map((k) => ({ key: percentEncode(k.key), revision: k.revision, size: k.size })),
      next: listing.next === undefined ? null : percentEncode(listing.next),
    });
  }

  private async write(key: string, op: 'put' | 'delete', req: IncomingMessage, res: ServerResponse) {
    const condition = writeCondition(req);
    if ('error' in condition) {
      req.resume();
      return replyText(res, 400, condition.error);
    }
    let value: Buffer = Buffer.alloc(0);
    if (op === 'put') {
      const body = await readBody(req, res, this.maxValueBytes);
      if (body.kind === 'aborted') return void res.destroy();
      if (body.kind === 'too-large') {
        return replyText(res, 413, `the value exceeds the limit of ${this.maxValueBytes} bytes`, {
          Connection: 'close',
        });
      }
      value = body.body;
    } else req.resume();
    const data =
      op === 'put' ? encodeOperation({ op, key, value, condition }) : encodeOperation({ op, key, condition });
    const metrics = this.metrics;
    metrics.pending++;
    let result: KvApplyResult;
    try {
      result = await this.ctx.host.propose(data, { signal: this.deadlines.after(this.ctx.requestTimeoutMs) });
    } catch (err) {
      metrics.proposalsFailed?.inc();
      if ((err as { code?: unknown }).code === 'RAFTWIRE_REPLICA_PROPOSAL_DROPPED') {
        // raft refused it before it entered the log: a definite "not applied".
        return replyText(
          res,
          503,
          `the write was NOT applied (raft dropped the proposal; retry): ${reasonOf(err)}`,
          {
            'Retry-After': RETRY_AFTER_S,
          },
        );
      }
      return replyText(
        res,
        503,
        `outcome UNKNOWN: the write was not confirmed within ${this.ctx.requestTimeoutMs} ms and may still apply (${reasonOf(err)})`,
        { 'Retry-After': RETRY_AFTER_S },
      );
    } finally {
      metrics.pending--;
    }
    if (!result.ok) {
      const headers: Record<string, string> = {};
      if (result.current !== undefined) headers.ETag = etag(result.current);
      const why =
        result.current === undefined ? 'the key does not exist' : `the key is at revision ${result.current}`;
      return replyText(res, 412, `precondition failed: ${why}`, headers);
    }
    if (op === 'delete' && !result.existed)
      return replyText(res, 404, 'key not found', { ETag: etag(result.revision) });
    res.writeHead(204, { ETag: etag(result.revision) });
    res.end();
  }
}

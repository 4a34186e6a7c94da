/**
 * A minimal HTTP/1.1 keep-alive client connection for the pipeline's POST /raft: one request at a
 * time, a prebuilt request head, and a small response parser (status, Content-Length or chunked
 * body, X-Etcd-Cluster-Id, Connection: close). undici spends 1.5–1.7× the CPU per request and
 * never delivered more requests per second (docs/transport.md, "Why the pipeline has its own HTTP
 * client"; bench/transport/pipeline-client.ts), and the pipeline sends one request per raft message.
 * What a peer can make it buffer is capped (head 16 KiB, body 64 KiB).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { TCP_KEEPALIVE_MS, TLS_HANDSHAKE_TIMEOUT_MS } from './constants.js';
import { TransportError, TransportErrorCode } from './errors.js';

/** A parsed response: status, body text, and the peer's X-Etcd-Cluster-Id. */
export interface Http1Response {
  status: number;
  body: string;
  clusterId: string | undefined;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Largest response head (status line + headers) accepted: Node's own default --max-http-header-size. */
const RESPONSE_HEAD_MAX_BYTES = 16 * 1024;
/** Largest response body accepted: etcd answers POST /raft with at most a short error text. */
const RESPONSE_BODY_MAX_BYTES = 64 * 1024;
/** Longest chunk-size line (size + extensions) accepted. */
const CHUNK_SIZE_LINE_MAX_BYTES = 1024;

/** Options of a connection: where, TLS, and deadlines in ms. */
export interface Http1ConnectionOptions {
  url: string;
  tls: ConnectionOptions | undefined;
  dialTimeoutMs: number;
  /** Deadline for the whole response once the request is written. */
  responseTimeoutMs: number;
}

/** One keep-alive HTTP/1.1 connection, one request at a time. */
export class Http1Connection {
  /** True once the socket closed or failed: the owner opens a new connection. */
  closed = false;
  /** Requests completed on this connection (0 = fresh: a failure is not a stale keep-alive). */
  served = 0;
  private readonly socket: Socket;
  private readonly responseTimeoutMs: number;
  private buf: Buffer | undefined;
  private pending: { resolve: (r: Http1Response) => void; reject: (e: Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private gotBytes = false;

  constructor(o: Http1ConnectionOptions) {
    const u = new URL(o.url);
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.responseTimeoutMs = o.responseTimeoutMs;
    this.socket =
      u.protocol === 'https:'
        ? tlsConnect({
            ...o.tls,
            host,
            port,
            servername: o.tls?.servername ?? (isIp(host) ? undefined : host),
          })
        : netConnect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    // Go bounds the TLS handshake even without a dial timeout.
    const connectTimeoutMs =
      o.dialTimeoutMs > 0 ? o.dialTimeoutMs : u.protocol === 'https:' ? TLS_HANDSHAKE_TIMEOUT_MS : 0;
    if (connectTimeoutMs > 0) {
      this.socket.setTimeout(connectTimeoutMs, () =>
        this.fail(
          new TransportError(
            TransportErrorCode.ConnectionFailed,
            `dial ${o.url} timed out after ${connectTimeoutMs} ms`,
          ),
        ),
      );
      this.socket.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        this.socket.setTimeout(0),
      );
    }
    this.socket.on('data', this.onData);
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () =>
      this.fail(new TransportError(TransportErrorCode.ConnectionFailed, 'connection closed')),
    );
  }

  /** Sends one request (`head` is the whole request head, ending in an empty line) and reads the answer. */
  request(head: string, body: Uint8Array): Promise<Http1Response> {
    if (this.closed)
      return Promise.reject(new TransportError(TransportErrorCode.ConnectionFailed, 'connection closed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.gotBytes = false;
      if (this.timer === undefined) this.timer = setTimeout(this.onTimeout, this.responseTimeoutMs);
      else this.timer.refresh();
      this.socket.cork();
      this.socket.write(head, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    });
  }

  /** True when the last failure happened before any response byte (safe to retry on a fresh connection). */
  get failedBeforeResponse(): boolean {
    return !this.gotBytes;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket.destroy();
  }

  private readonly onTimeout = (): void => {
    if (this.pending !== undefined) {
      this.fail(
        new TransportError(
          TransportErrorCode.ConnectionFailed,
          `no response within ${this.responseTimeoutMs} ms`,
        ),
      );
    }
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.pending === undefined) {
      // Bytes nobody asked for: the peer broke the protocol; drop the connection.
      this.fail(new TransportError(TransportErrorCode.ConnectionFailed, 'unexpected bytes from peer'));
      return;
    }
    this.gotBytes = true;
    const buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0 ? buf.length > RESPONSE_HEAD_MAX_BYTES : end > RESPONSE_HEAD_MAX_BYTES) {
      this.fail(
        new TransportError(
          TransportErrorCode.ConnectionFailed,
          `response head exceeds ${RESPONSE_HEAD_MAX_BYTES} bytes`,
        ),
      );
      return;
    }
    if (end < 0) {
      this.buf = buf;
      return;
    }
    const head = buf.toString('latin1', 0, end);
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (m === null) {
      this.fail(
        new TransportError(
          TransportErrorCode.ConnectionFailed,
          `malformed status line ${JSON.stringify(lines[0])}`,
        ),
      );
      return;
    }
    const status = Number(m[1]);
    let length = -1;
    let chunked = false;
    let close = false;
    let clusterId: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'connection') close = value.toLowerCase() === 'close';
      else if (name === 'x-etcd-cluster-id') clusterId = value;
    }
    const rest = buf.subarray(end + 4);
    let body: string;
    let used: number;
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = '';
      used = 0;
    } else if (chunked) {
      const parsed = parseChunked(rest);
      if (typeof parsed === 'string') {
        this.fail(
          new TransportError(TransportErrorCode.ConnectionFailed, `malformed chunked body: ${parsed}`),
        );
        return;
      }
      if (parsed === undefined) {
        this.buf = buf;
        return;
      }
      [body, used] = parsed;
    } else if (length > RESPONSE_BODY_MAX_BYTES) {
      this.fail(
        new TransportError(
          TransportErrorCode.ConnectionFailed,
          `response body of ${length} bytes exceeds ${RESPONSE_BODY_MAX_BYTES}`,
        ),
      );
      return;
    } else if (length >= 0) {
      if (rest.length < length) {
        this.buf = buf;
        return;
      }
      body = rest.toString('utf8', 0, length);
      used = length;
    } else {
      // No length: the body runs to the end of the connection (not used by etcd); treat as failure.
      this.fail(
        new TransportError(TransportErrorCode.ConnectionFailed, `response ${status} without a length`),
      );
      return;
    }
    this.buf = rest.length > used ? rest.subarray(used) : undefined;
    const p = this.pending;
    this.pending = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.served++;
    if (close || this.buf !== undefined) this.close();
    p.resolve({ status, body, clusterId });
  };

  private fail(err: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (!this.closed) this.close();
    p?.reject(err);
  }
}

/** A chunk-size line: hex digits, then optional chunk extensions (RFC 9112 §7.1). */
const CHUNK_SIZE_LINE = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/;

/**
 * A chunked body: [text, bytes used]; undefined while incomplete; a string naming what is wrong when
 * it is malformed (a chunk-size line that is not hex, too long, or a body past
 * RESPONSE_BODY_MAX_BYTES), so the connection fails at once instead of waiting for bytes that
 * cannot fix it.
 */
function parseChunked(b: Buffer): [string, number] | string | undefined {
  let pos = 0;
  let total = 0;
  const parts: Buffer[] = [];
  for (;;) {
    const nl = b.indexOf('\r\n', pos);
    if (nl < 0) return b.length - pos > CHUNK_SIZE_LINE_MAX_BYTES ? 'chunk-size line too long' : undefined;
    if (nl - pos > CHUNK_SIZE_LINE_MAX_BYTES) return 'chunk-size line too long';
    const line = b.toString('latin1', pos, nl);
    const m = CHUNK_SIZE_LINE.exec(line);
    if (m === null) return `bad chunk size ${JSON.stringify(line.slice(0, 32))}`;
    const size = Number.parseInt(m[1]!, 16);
    total += size;
    if (total > RESPONSE_BODY_MAX_BYTES) return `body exceeds ${RESPONSE_BODY_MAX_BYTES} bytes`;
    if (size === 0) {
      // The last chunk, optional trailers, then an empty line.
      const end = b.indexOf(CRLFCRLF, Math.max(pos, nl - 2));
      if (end < 0) return undefined;
      return [Buffer.concat(parts).toString('utf8'), end + 4];
    }
    if (b.length < nl + 2 + size + 2) return undefined;
    if (b[nl + 2 + size] !== 0x0d || b[nl + 3 + size] !== 0x0a) return 'chunk not followed by CRLF';
    parts.push(b.subarray(nl + 2, nl + 2 + size));
    pos = nl + 2 + size + 2;
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

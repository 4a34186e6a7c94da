/**
 * Raw request targets for raftexample's API. Go's net/http takes bytes past ASCII in a request
 * target (`PUT /ключ` sent as raw UTF-8), and raftexample uses them as the key; node's HTTP parser
 * refuses them with 400. {@link RawTargetConnection} sits between a TCP socket and node's HTTP
 * server: it follows the requests' framing (head, Content-Length or chunked body), and in a request
 * line whose target holds such bytes it percent-escapes them and adds a header carrying the
 * original target; {@link requestTarget} gives the handler the original back. A client's own
 * header of that name is removed, so it cannot forge a key. A method node's parser does not know
 * (`FOO`, `get`; Go takes any token) is replaced by a stand-in the API answers the same way, with
 * the original in another header. Anything it cannot frame (a head over
 * 64 KiB, a bad Content-Length, an upgrade) is passed through untouched from there on, for node's
 * parser to judge as before.
 */
import { type IncomingMessage, METHODS } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** The header carrying the original request target (hex) of a rewritten request line. */
export const RAW_TARGET_HEADER = 'x-raftwire-raw-target';
/** The header carrying the original method of a request line whose method node does not know. */
export const RAW_METHOD_HEADER = 'x-raftwire-raw-method';
/**
 * What an unknown method becomes for node's parser: a method node knows and raftexample's API
 * answers as it answers every method it does not serve (405 with its Allow lines), as Go does for
 * `FOO` or `get`.
 */
const STAND_IN_METHOD = 'PATCH';
const KNOWN_METHODS = new Set(METHODS);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4 * 1024;
const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailer' | 'pass';

/** The request target as the client sent it (bytes as latin1), from {@link RawTargetConnection}'s header or `req.url`. */
export function requestTarget(req: IncomingMessage): string {
  const raw = req.headers[RAW_TARGET_HEADER];
  if (typeof raw === 'string' && /^(?:[0-9a-f]{2})+$/.test(raw))
    return Buffer.from(raw, 'hex').toString('latin1');
  return req.url ?? '';
}

/** Rewrites one request head; returns it and the framing of its body. */
function rewriteHead(head: Buffer): { out: Buffer; next: State; length: number } {
  const lines = head.toString('latin1').split('\r\n');
  const requestLine = lines[0] ?? '';
  const headers = lines.slice(1).filter((l) => l !== '');
  const kept = headers.filter((l) => {
    const name = l.slice(0, l.indexOf(':')).trim().toLowerCase();
    return name !== RAW_TARGET_HEADER && name !== RAW_METHOD_HEADER;
  });
  let line = requestLine;
  const first = requestLine.indexOf(' ');
  const last = requestLine.lastIndexOf(' ');
  if (first > 0 && last > first) {
    const target = requestLine.slice(first + 1, last);
    if (/[\x80-\xff]/.test(target)) {
      const escaped = target.replace(/[\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      line = `${requestLine.slice(0, first + 1)}${escaped}${requestLine.slice(last)}`;
      kept.push(`${RAW_TARGET_HEADER}: ${Buffer.from(target, 'latin1').toString('hex')}`);
    }
    const token = requestLine.slice(0, first);
    if (TOKEN.test(token) && !KNOWN_METHODS.has(token)) {
      line = `${STAND_IN_METHOD}${line.slice(first)}`;
      kept.push(`${RAW_METHOD_HEADER}: ${token}`);
    }
  }
  const out = Buffer.from(`${[line, ...kept].join('\r\n')}\r\n\r\n`, 'latin1');
  const method = requestLine.slice(0, Math.max(first, 0));
  let te: string | undefined;
  const lengths: string[] = [];
  let upgrade = false;
  for (const h of headers) {
    const i = h.indexOf(':');
    const name = h.slice(0, i).trim().toLowerCase();
    const value = h.slice(i + 1).trim();
    if (name === 'transfer-encoding') te = te === undefined ? value : `${te},${value}`;
    else if (name === 'content-length') lengths.push(value);
    else if (name === 'upgrade') upgrade = true;
  }
  if (method === 'CONNECT' || upgrade) return { out, next: 'pass', length: 0 };
  if (te !== undefined) {
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    return { out, next: codings.at(-1) === 'chunked' ? 'chunk-size' : 'pass', length: 0 };
  }
  if (lengths.length > 0) {
    if (!lengths.every((v) => /^[0-9]{1,15}$/.test(v) && v === lengths[0]))
      return { out, next: 'pass', length: 0 };
    const n = Number(lengths[0]);
    return { out, next: n > 0 ? 'body' : 'head', length: n };
  }
  return { out, next: 'head', length: 0 };
}

/**
 * A socket as node's HTTP server should see it: the same bytes both ways, except request lines
 * with raw bytes past ASCII in the target (see the module comment). Pass it to
 * `server.emit('connection', new RawTargetConnection(socket))`.
 */
export class RawTargetConnection extends Duplex {
  #state: State = 'head';
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;

  constructor(readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      let out: Buffer[];
      try {
        out = this.#process(chunk);
      } catch {
        out = [chunk];
        this.#state = 'pass';
      }
      for (const b of out) if (b.length > 0 && !this.push(b)) socket.pause();
    });
    socket.once('end', () => {
      if (this.#pending.length > 0) this.push(this.#pending);
      this.#pending = Buffer.alloc(0);
      this.push(null);
    });
    socket.once('close', () => this.destroy());
    socket.on('error', (e) => this.destroy(e));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (e?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (e?: Error | null) => void): void {
    this.socket.end(() => callback());
  }

  override _destroy(err: Error | null, callback: (e: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }

  /** Splits `chunk` along the request framing and rewrites request heads; returns what to pass on. */
  #process(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      switch (this.#state) {
        case 'pass':
          out.push(data);
          return out;
        case 'head': {
          // Blank lines between requests are allowed (and skipped by the parser).
          let skip = 0;
          while (data.length >= skip + 2 && data[skip] === 0x0d && data[skip + 1] === 0x0a) skip += 2;
          if (skip > 0) {
            out.push(data.subarray(0, skip));
            data = data.subarray(skip);
            continue;
          }
          const end = data.indexOf(CRLFCRLF);
          if (end < 0) {
            if (data.length > MAX_HEAD_BYTES) {
              this.#state = 'pass';
              continue;
            }
            this.#pending = Buffer.from(data);
            return out;
          }
          const { out: head, next, length } = rewriteHead(data.subarray(0, end + 4));
          out.push(head);
          this.#state = next;
          this.#remaining = length;
          data = data.subarray(end + 4);
          break;
        }
        case 'body':
        case 'chunk-data': {
          const n = Math.min(this.#remaining, data.length);
          out.push(data.subarray(0, n));
          this.#remaining -= n;
          data = data.subarray(n);
          if (this.#remaining === 0) this.#state = this.#state === 'body' ? 'head' : 'chunk-size';
          break;
        }
        case 'chunk-size':
        case 'trailer': {
          const eol = data.indexOf(CRLF);
          if (eol < 0) {
            if (data.length > MAX_LINE_BYTES) {
              this.#state = 'pass';
              continue;
            }
            this.#pending = Buffer.from(data);
            return out;
          }
          const line = data.subarray(0, eol).toString('latin1');
          out.push(data.subarray(0, eol + 2));
          data = data.subarray(eol + 2);
          if (this.#state === 'trailer') {
            if (line === '') this.#state = 'head';
            break;
          }
          const size = line.split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) {
            this.#state = 'pass';
            continue;
          }
          const n = Number.parseInt(size, 16);
          if (n === 0) this.#state = 'trailer';
          else {
            this.#state = 'chunk-data';
            this.#remaining = n + 2; // the data and its CRLF
          }
          break;
        }
      }
    }
    return out;
  }
}

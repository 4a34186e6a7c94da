/**
 * A minimal HTTP/1.1 client over a raw socket, so a test controls every byte of the request line
 * (raw request targets such as `/a%20b?x=1` or `*`) and sees every header line of the answer.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header lines in order, names lower-cased. */
  headers: [string, string][];
  /** The body, de-chunked when it came chunked. */
  body: Buffer;
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw new Error('bad chunked body');
    const size = Number.parseInt(raw.subarray(pos, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

/** Sends one request (with `Connection: close`) and reads the whole answer; bounded by `timeoutMs`. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  body?: Uint8Array,
  timeoutMs = 20_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${method} ${target}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.once('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0)
        return reject(
          new Error(`${method} ${target}: no header in ${JSON.stringify(raw.toString('latin1'))}`),
        );
      const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers = lines.slice(1).map((l): [string, string] => {
        const i = l.indexOf(':');
        return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
      });
      let payload: Buffer = raw.subarray(headEnd + 4);
      if (headers.some(([n, v]) => n === 'transfer-encoding' && v === 'chunked')) payload = dechunk(payload);
      resolve({ status, headers, body: payload });
    });
    const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    if (body !== undefined) head.push(`Content-Length: ${body.length}`);
    sock.write(
      Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body ?? [])]),
    );
  });
}

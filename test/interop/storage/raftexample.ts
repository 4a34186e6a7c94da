/**
 * Runs etcd 3.4.23's contrib/raftexample, built unmodified from Debian's source (GOPATH mode) into
 * build/go/raftexample, as a single-node cluster in a temp directory on ephemeral ports, and
 * decodes its gob-encoded proposals.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { goEnv } from '../../support/go.js';
import { fromHex } from '../../support/hex.js';
import { projectRoot, vectorsDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/wait.js';

/** build/go/raftexample, built on first use. */
export function raftexampleBinary(): string {
  const out = join(projectRoot, 'build', 'go', 'raftexample');
  if (!existsSync(out)) {
    execFileSync('go', ['build', '-o', out, 'go.etcd.io/etcd/contrib/raftexample'], {
      cwd: projectRoot,
      env: goEnv,
      stdio: 'inherit',
    });
  }
  return out;
}

export { freePort };

/** Resolves once 127.0.0.1:port accepts a connection, trying every 20 ms until `timeoutMs`. */
async function waitForListener(port: number, timeoutMs: number): Promise<void> {
  await waitFor(
    `a listener on port ${port}`,
    () =>
      new Promise<boolean>((resolve) => {
        const sock = connect(port, '127.0.0.1');
        sock.once('connect', () => {
          sock.destroy();
          resolve(true);
        });
        sock.once('error', () => resolve(false));
      }),
    { timeoutMs, intervalMs: 20 },
  );
}

/** A running single-node raftexample. */
export interface Raftexample {
  /** Base URL of its key-value HTTP API. */
  kvUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Kills it (SIGTERM: raftexample has no shutdown path) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts raftexample in `cwd` (where it creates raftexample-1 and raftexample-1-snap) and waits until it leads. */
export async function startRaftexample(cwd: string, timeoutMs = 30_000): Promise<Raftexample> {
  const raftPort = await freePort();
  const kvPort = await freePort();
  const child: ChildProcess = spawn(
    raftexampleBinary(),
    ['--id', '1', '--cluster', `http://127.0.0.1:${raftPort}`, '--port', String(kvPort)],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const leading = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`raftexample did not become leader:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/became leader at term/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`raftexample exited (${code ?? signal}) before leading:\n${output}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await leading;
    // On a restart the KV server listens only after the log replay, which may end after the election.
    await waitForListener(kvPort, timeoutMs);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- raftexample output ---\n${output.slice(-4000)}`);
  }
  return { kvUrl: `http://127.0.0.1:${kvPort}`, log: () => output, stop };
}

/** PUTs `value` at `key` (a path such as `/k1`); raftexample answers 204 before committing. */
export async function put(r: Raftexample, key: string, value: Uint8Array | string): Promise<void> {
  const res = await fetch(r.kvUrl + key, { method: 'PUT', body: value });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`PUT ${key}: HTTP ${res.status}`);
}

/** GETs `key`; undefined on 404. */
export async function get(r: Raftexample, key: string): Promise<Uint8Array | undefined> {
  const res = await fetch(r.kvUrl + key);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${key}: HTTP ${res.status}`);
  return body;
}

/**
 * Waits until `key` reads as `value` (the PUT is committed and applied), retrying every 20 ms for
 * at most `timeoutMs` (30 s by default: a busy machine can leave a long commit backlog).
 */
export async function waitForValue(
  r: Raftexample,
  key: string,
  value: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    `${key} to become ${value}`,
    async () => {
      const got = await get(r, key);
      return got !== undefined && Buffer.from(got).toString('utf8') === value;
    },
    { timeoutMs, intervalMs: 20 },
  );
}

interface GobVectors {
  typeDefinitionHex: string;
}

/** The 33-byte gob type definition raftexample puts before every kv value (from the vectors). */
export function gobTypeDefinition(): Uint8Array {
  const v = JSON.parse(readFileSync(join(vectorsDir, 'raftexample_gob.json'), 'utf8')) as GobVectors;
  return fromHex(v.typeDefinitionHex);
}

/**
 * Decodes raftexample's `kv{Key, Val string}` proposal as a fresh gob decoder does for the
 * canonical encoding: the type definition, then one value message (length, type id 65, fields by
 * delta, terminator). Throws on anything else.
 */
export function decodeRaftexampleKv(
  data: Uint8Array,
  typeDefinition: Uint8Array,
): { key: Uint8Array; val: Uint8Array } {
  const def = data.subarray(0, typeDefinition.length);
  if (!Buffer.from(def).equals(Buffer.from(typeDefinition))) throw new Error('not a raftexample kv proposal');
  let pos = typeDefinition.length;
  const uint = (): number => {
    const b = data[pos++];
    if (b === undefined) throw new Error('gob: unexpected EOF');
    if (b < 0x80) return b;
    const n = 256 - b;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = data[pos++];
      if (c === undefined) throw new Error('gob: unexpected EOF');
      v = v * 256 + c;
    }
    return v;
  };
  const msgLen = uint();
  const end = pos + msgLen;
  if (end > data.length) throw new Error('gob: unexpected EOF');
  if (uint() !== 65 << 1) throw new Error('gob: unexpected type id');
  const fields: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  let field = -1;
  for (;;) {
    const delta = uint();
    if (delta === 0) break;
    field += delta;
    if (field > 1) throw new Error('gob: field out of range');
    const len = uint();
    fields[field] = data.subarray(pos, pos + len);
    pos += len;
  }
  if (pos !== end) throw new Error('gob: message length mismatch');
  return { key: fields[0] as Uint8Array, val: fields[1] as Uint8Array };
}

/** gob's unsigned integer: one byte below 128, else the negated byte count then big-endian bytes. */
function gobUint(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [256 - bytes.length, ...bytes];
}

/** raftexample's proposal bytes for PUT key=val, as a fresh gob encoder writes them. */
export function encodeRaftexampleKv(key: Uint8Array, val: Uint8Array): Uint8Array {
  const body: number[] = [0xff, 0x82];
  let field = -1;
  for (const [i, v] of [key, val].entries()) {
    if (v.length === 0) continue; // gob omits zero values
    body.push(...gobUint(i - field), ...gobUint(v.length), ...v);
    field = i;
  }
  body.push(0);
  return Uint8Array.from([...gobTypeDefinition(), ...gobUint(body.length), ...body]);
}

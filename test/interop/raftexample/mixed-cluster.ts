/**
 * Mixed raftexample clusters for the interop tests: Go raftexample processes (etcd 3.4.23's
 * contrib/raftexample, built from Debian's source) and `raftwire node --compat raftexample`
 * processes, each started with raftexample's flags from one scratch directory (their working
 * directory, where both keep `raftexample-<id>` and `raftexample-<id>-snap`), on loopback ports
 * below 32768. Every process a test starts is stopped, and the directory removed, in `t.after`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { projectRoot } from '../../support/paths.js';
import { raftexampleBinary } from '../storage/raftexample.js';
import { lowPort } from './go-cluster.js';
import { type RawResponse, rawRequest } from './raw-http.js';

/** Which program a member runs. */
export type Kind = 'go' | 'raftwire';

/** One running member process. */
export interface Member {
  readonly id: number;
  readonly kind: Kind;
  readonly kvPort: number;
  readonly peerUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** The highest term at which it logged "became leader", or 0. */
  leaderTerm(): number;
  /** SIGSTOP. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGTERM (SIGKILL after 5 s); resolves with the exit once it exited. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process exits by itself or otherwise. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A scratch directory with the members started in it. */
export interface MixedCluster {
  readonly dir: string;
  /** The `--cluster` value of the initial members. */
  readonly clusterArg: string;
  readonly peerUrls: string[];
  readonly kvPorts: number[];
  /** The current process of each ID (the initial members at 0..n-1; later ones pushed). */
  readonly members: Member[];
  /** Starts a member process in the directory (stopped at the end of the test). */
  spawn(kind: Kind, id: number, args?: { cluster?: string; kvPort?: number; join?: boolean }): Member;
}

const MAIN_JS = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

function spawnMember(
  dir: string,
  kind: Kind,
  id: number,
  clusterArg: string,
  kvPort: number,
  join: boolean,
): Member {
  const flags = ['--id', String(id), '--cluster', clusterArg, '--port', String(kvPort)];
  if (join) flags.push('--join');
  const child: ChildProcess =
    kind === 'go'
      ? spawn(raftexampleBinary(), flags, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [MAIN_JS, 'node', '--compat', 'raftexample', ...flags], {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let output = '';
  const take = (c: Buffer) => {
    output += c.toString('utf8');
    // Bounded: keep the head (start-up) and the last 2 MB.
    if (output.length > 4_000_000) output = output.slice(0, 100_000) + output.slice(-2_000_000);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const peerUrl = clusterArg.split(',')[id - 1] ?? '';
  return {
    id,
    kind,
    kvPort,
    peerUrl,
    exit,
    log: () => output,
    leaderTerm: () => {
      let term = 0;
      for (const m of output.matchAll(/became leader at term (\d+)/g)) term = Math.max(term, Number(m[1]));
      return term;
    },
    pause: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGSTOP');
    },
    resume: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        const r = await exit;
        clearTimeout(timer);
        return r;
      }
      return exit;
    },
  };
}

/**
 * Starts members of the given kinds as IDs 1..n of one cluster, without waiting. An `external` slot
 * gets its URLs but no process (a member the test runs in process).
 */
export async function startMixed(
  t: TestContext,
  kinds: readonly (Kind | 'external')[],
): Promise<MixedCluster> {
  raftexampleBinary(); // build before the clock starts
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-mixed-'));
  const all: Member[] = [];
  t.after(async () => {
    await Promise.all(all.map((m) => m.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  const peerUrls: string[] = [];
  const kvPorts: number[] = [];
  for (let i = 0; i < kinds.length; i++) {
    peerUrls.push(`http://127.0.0.1:${await lowPort()}`);
    kvPorts.push(await lowPort());
  }
  const clusterArg = peerUrls.join(',');
  const members: Member[] = [];
  const cluster: MixedCluster = {
    dir,
    clusterArg,
    peerUrls,
    kvPorts,
    members,
    spawn: (kind, id, args = {}) => {
      const m = spawnMember(
        dir,
        kind,
        id,
        args.cluster ?? clusterArg,
        args.kvPort ?? (kvPorts[id - 1] as number),
        args.join === true,
      );
      all.push(m);
      return m;
    },
  };
  kinds.forEach((kind, i) => {
    if (kind !== 'external') members.push(cluster.spawn(kind, i + 1));
  });
  return cluster;
}

/** Waits (bounded) for `pred`, re-checking every 50 ms; the error names `what` and adds `context()`. */
export async function until(
  what: string,
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last lines of every member's output, for failure messages. */
export function tails(members: readonly Member[], chars = 1500): string {
  return members.map((m) => `--- ${m.kind} ${m.id}:\n${m.log().slice(-chars)}`).join('\n');
}

/** The member that logged "became leader" at the highest term, if any. */
export function leader(members: readonly Member[]): Member | undefined {
  let best: Member | undefined;
  for (const m of members) if (m.leaderTerm() > (best?.leaderTerm() ?? 0)) best = m;
  return best;
}

/** A request that may meet a port not listening yet: connection errors become status 0. */
export async function tryRequest(
  port: number,
  method: string,
  target: string,
  body?: Uint8Array,
): Promise<RawResponse> {
  try {
    return await rawRequest(port, method, target, body, 10_000);
  } catch {
    return { status: 0, headers: [], body: Buffer.alloc(0) };
  }
}

/** Waits until some member leads and every member's KV port answers. */
export async function ready(
  cluster: MixedCluster,
  members = cluster.members,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    'a leader',
    () => leader(members) !== undefined,
    timeoutMs,
    () => tails(members),
  );
  for (const m of members) {
    await until(
      `member ${m.id}'s KV port`,
      async () => (await tryRequest(m.kvPort, 'GET', '/-ping')).status === 404,
      timeoutMs,
      () => tails([m]),
    );
  }
}

/** The request target of a key (its bytes, as raftexample takes the raw RequestURI). */
export const target = (key: Uint8Array): string => Buffer.from(key).toString('latin1');

/** PUT that must answer 204. */
export async function put(m: Member, key: Uint8Array, val: Uint8Array): Promise<void> {
  const r = await rawRequest(m.kvPort, 'PUT', target(key), val, 20_000);
  if (r.status !== 204)
    throw new Error(`PUT ${target(key)} on ${m.kind} ${m.id}: ${r.status} ${r.body.toString()}`);
}

/** Waits until `m` serves `val` (byte for byte) at `key`. */
export async function awaitValue(
  m: Member,
  key: Uint8Array,
  val: Uint8Array,
  timeoutMs = 30_000,
): Promise<void> {
  let last: RawResponse | undefined;
  await until(
    `${m.kind} ${m.id} to serve ${JSON.stringify(target(key))}`,
    async () => {
      last = await tryRequest(m.kvPort, 'GET', target(key));
      return last.status === 200 && Buffer.compare(last.body, Buffer.from(val)) === 0;
    },
    timeoutMs,
    () => `last answer ${last?.status} ${last?.body.toString('hex').slice(0, 200)}\n${tails([m])}`,
  );
}

/**
 * Makes the raftwire member lead: freezes whichever Go member leads until raftwire wins an
 * election (thawing the previously frozen one, so a quorum stays up). Returns the Go member left
 * frozen, if any (the caller resumes it).
 */
export async function makeRaftwireLead(
  members: readonly Member[],
  timeoutMs = 40_000,
): Promise<Member | undefined> {
  const deadline = Date.now() + timeoutMs;
  let frozen: Member | undefined;
  for (;;) {
    const l = leader(members);
    if (l?.kind === 'raftwire') return frozen;
    if (Date.now() > deadline) throw new Error(`raftwire never led\n${tails(members)}`);
    if (l === undefined) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const term = l.leaderTerm();
    if (frozen !== undefined && frozen !== l) frozen.resume();
    l.pause();
    frozen = l;
    await until(
      'a new election',
      () => (leader(members)?.leaderTerm() ?? 0) > term,
      Math.max(1000, deadline - Date.now()),
      () => tails(members),
    );
  }
}

/** Runs `work` over `items` with `n` in flight. */
export async function pool<T>(
  items: readonly T[],
  n: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * PUTs many plain ASCII keys through one member over keep-alive connections (`n` in flight), so
 * tens of thousands of writes neither take long nor leave as many sockets in TIME_WAIT.
 */
export async function bulkPut(
  port: number,
  items: readonly { key: string; val: string }[],
  n: number,
): Promise<void> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: n });
  try {
    await pool(
      items,
      n,
      (it) =>
        new Promise<void>((resolve, reject) => {
          const req = request(
            {
              agent,
              host: '127.0.0.1',
              port,
              method: 'PUT',
              path: it.key,
              headers: { 'Content-Length': Buffer.byteLength(it.val) },
            },
            (res) => {
              res.resume();
              res.once('end', () =>
                res.statusCode === 204 ? resolve() : reject(new Error(`PUT ${it.key}: ${res.statusCode}`)),
              );
            },
          );
          req.setTimeout(20_000, () => req.destroy(new Error(`PUT ${it.key}: no answer in 20 s`)));
          req.once('error', reject);
          req.end(it.val);
        }),
    );
  } finally {
    agent.destroy();
  }
}

/**
 * Keys and values that test Go's JSON snapshot rules: HTML-safe escapes (`<`, `>`, `&`), U+2028 and
 * U+2029, NUL and control bytes, and invalid UTF-8, which Go's encoder replaces with U+FFFD (so the
 * value changes when it travels through a snapshot: `afterSnapshot`).
 */
export const ESCAPE_CASES: { key: Uint8Array; val: Uint8Array; afterSnapshot: Uint8Array }[] = (() => {
  const b = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  const u = (s: string) => new TextEncoder().encode(s);
  const same = (key: Uint8Array, val: Uint8Array) => ({ key, val, afterSnapshot: val });
  return [
    same(b('/<x>'), b('&')),
    same(b('/html&amp'), u('<script>alert("&")</script>')),
    same(b('/seps'), u('a\u2028b\u2029c')),
    same(b('/ctl'), Uint8Array.from([0, 1, 0x1f, 0x22, 0x5c, 0x7f, 0x2f])),
    same(b('/unicode'), u('ключ 🔑')),
    {
      key: b('/invalid-utf8'),
      val: Uint8Array.from([0x61, 0xff, 0x62]),
      afterSnapshot: Uint8Array.from([0x61, 0xef, 0xbf, 0xbd, 0x62]),
    },
    {
      key: b('/lone-cont'),
      val: Uint8Array.from([0x80]),
      afterSnapshot: Uint8Array.from([0xef, 0xbf, 0xbd]),
    },
  ];
})();

/** `count` plain PUTs `/k<i>` = `v<i>`. */
export function plainItems(count: number, prefix = 'k'): { key: string; val: string }[] {
  return Array.from({ length: count }, (_, i) => ({ key: `/${prefix}${i}`, val: `v${i}` }));
}

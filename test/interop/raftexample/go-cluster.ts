/**
 * Go raftexample clusters for the interop tests: etcd 3.4.23's contrib/raftexample (built from
 * Debian's source by ../storage/raftexample.ts), N members on loopback ports below 32768 (the
 * ephemeral range starts there), all in one scratch directory removed when the test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { canBind, freePort, PORT_RANGES } from '../../support/ports.js';
import { raftexampleBinary } from '../storage/raftexample.js';

/** A port in PORT_RANGES.go that is free on all interfaces (raftexample's KV port binds `:port`). */
export function lowPort(): Promise<number> {
  return freePort(PORT_RANGES.go);
}

/** One running Go raftexample member. */
export interface GoMember {
  readonly id: number;
  readonly kvUrl: string;
  readonly kvPort: number;
  readonly peerUrl: string;
  /** Everything it printed so far. */
  log(): string;
  /** The highest term at which it logged "became leader", or 0. */
  leaderTerm(): number;
  /** SIGSTOP: the process freezes (its sockets stay open). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGTERM (raftexample has no clean shutdown), SIGKILL after 5 s; resolves on exit. */
  stop(): Promise<void>;
}

/** The member that became leader at the highest term so far (undefined before any election). */
export function goLeader(cluster: GoCluster): GoMember | undefined {
  let best: GoMember | undefined;
  for (const m of cluster.members) if (m.leaderTerm() > (best?.leaderTerm() ?? 0)) best = m;
  return best;
}

/** A running Go raftexample cluster. */
export interface GoCluster {
  readonly dir: string;
  readonly members: GoMember[];
  /** The `--cluster` value its members were started with. */
  readonly clusterArg: string;
}

/** Resolves once 127.0.0.1:port accepts connections (tries every 50 ms, bounded). */
async function waitForListener(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await canBind(port, '127.0.0.1'))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

function startMember(dir: string, id: number, clusterArg: string, peerUrl: string, kvPort: number): GoMember {
  const child: ChildProcess = spawn(
    raftexampleBinary(),
    ['--id', String(id), '--cluster', clusterArg, '--port', String(kvPort)],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    id,
    kvUrl: `http://127.0.0.1:${kvPort}`,
    kvPort,
    peerUrl,
    log: () => output,
    leaderTerm: () => {
      let term = 0;
      for (const m of output.matchAll(/became leader at term (\d+)/g)) term = Math.max(term, Number(m[1]));
      return term;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT'); // a paused process would not act on SIGTERM
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts an `n`-member Go raftexample cluster and waits (bounded) until every KV port listens and
 * some member has become leader. Everything is stopped and removed in `t.after`.
 */
export async function startGoCluster(t: TestContext, n = 3, timeoutMs = 60_000): Promise<GoCluster> {
  raftexampleBinary(); // build before the clock starts
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-rex-'));
  const peerPorts: number[] = [];
  const kvPorts: number[] = [];
  for (let i = 0; i < n; i++) {
    peerPorts.push(await lowPort());
    kvPorts.push(await lowPort());
  }
  const peerUrls = peerPorts.map((p) => `http://127.0.0.1:${p}`);
  const clusterArg = peerUrls.join(',');
  const members = peerUrls.map((url, i) => startMember(dir, i + 1, clusterArg, url, kvPorts[i] as number));
  t.after(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + timeoutMs;
  while (!members.some((m) => /became leader at term/.test(m.log()))) {
    if (Date.now() > deadline) {
      throw new Error(
        `no leader among the Go members:\n${members.map((m) => m.log().slice(-1500)).join('\n---\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(kvPorts.map((p) => waitForListener(p, Math.max(1000, deadline - Date.now()))));
  return { dir, members, clusterArg };
}

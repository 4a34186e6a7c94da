/**
 * The two 3-member clusters bench/kv drives: raftwire (`raftwire node` through the CLI) and etcd
 * 3.4.23's contrib/raftexample built from Debian's source (GOPATH mode). Both on loopback, data in a
 * temp directory, every process killed by stop().
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const projectRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** A port the kernel just handed out for port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** build/go/raftexample, built from GOPATH=/usr/share/gocode on first use. */
export function raftexampleBinary(): string {
  const out = join(projectRoot, 'build', 'go', 'raftexample');
  if (!existsSync(out)) {
    mkdirSync(join(projectRoot, 'build', 'go'), { recursive: true });
    execFileSync('go', ['build', '-o', out, 'go.etcd.io/etcd/contrib/raftexample'], {
      cwd: projectRoot,
      env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '' },
      stdio: 'inherit',
    });
  }
  return out;
}

/** One member process. */
export interface BenchMember {
  id: number;
  base: string;
  child: ChildProcess;
  logFile: string;
}

/** CPU seconds (user + system) a process has used so far (/proc/<pid>/stat, USER_HZ 100). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of a process in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

/** A running 3-member cluster of one implementation. */
export interface BenchCluster {
  name: string;
  members: BenchMember[];
  /** A follower's member index (0-based) as far as the cluster's own reports tell. */
  follower(): Promise<number>;
  stop(): Promise<void>;
}

async function waitHttp(
  base: string,
  path: string,
  ok: (status: number) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (ok(r.status)) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${base}${path} not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}

function spawnLogged(cmd: string, args: string[], cwd: string, logFile: string): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** Stops every member: `signal` first (SIGTERM lets a profiled node write its profile), SIGKILL after 10 s. */
async function stopAll(members: BenchMember[], signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all(
    members.map(
      (m) =>
        new Promise<void>((resolve) => {
          if (m.child.exitCode !== null || m.child.signalCode !== null) return resolve();
          const hard = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
          m.child.once('exit', () => {
            clearTimeout(hard);
            resolve();
          });
          m.child.kill(signal);
        }),
    ),
  );
}

/** Three raftwire members through the CLI. */
/** `root`: the project copy whose dist/ runs (default this one; bench/support/fold-failpoints.ts makes others). */
export async function startRaftwire(
  dir: string,
  nodeArgs: string[] = [],
  root = projectRoot,
  name = 'raftwire',
): Promise<BenchCluster> {
  const peers = [await freePort(), await freePort(), await freePort()];
  const clients = [await freePort(), await freePort(), await freePort()];
  const cluster = peers.map((p) => `http://127.0.0.1:${p}`).join(',');
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const members = clients.map((port, i): BenchMember => {
    const logFile = join(dir, `${name}-${i + 1}.log`);
    const args = [
      ...nodeArgs,
      cli,
      'node',
      '--id',
      String(i + 1),
      '--cluster',
      cluster,
      '--port',
      String(port),
    ];
    args.push('--listen-client', `http://127.0.0.1:${port}`, '--data-dir', join(dir, `${name}-${i + 1}`));
    args.push('--log-level', 'warn');
    return {
      id: i + 1,
      base: `http://127.0.0.1:${port}`,
      child: spawnLogged(process.execPath, args, dir, logFile),
      logFile,
    };
  });
  try {
    for (const m of members) await waitHttp(m.base, '/-/health', (s) => s === 200, 60_000);
  } catch (err) {
    await stopAll(members);
    throw err;
  }
  return {
    name,
    members,
    async follower() {
      const r = await fetch(`${members[0]?.base}/-/status`);
      const leader = Number.parseInt(((await r.json()) as { leader: string }).leader, 16);
      return members.findIndex((m) => m.id !== leader);
    },
    stop: () => stopAll(members, 'SIGTERM'),
  };
}

/** Three Go raftexample members. */
export async function startRaftexample(dir: string): Promise<BenchCluster> {
  const bin = raftexampleBinary();
  const peers = [await freePort(), await freePort(), await freePort()];
  const clients = [await freePort(), await freePort(), await freePort()];
  const cluster = peers.map((p) => `http://127.0.0.1:${p}`).join(',');
  const members = clients.map((port, i): BenchMember => {
    const logFile = join(dir, `raftexample-${i + 1}.log`);
    const args = ['--id', String(i + 1), '--cluster', cluster, '--port', String(port)];
    return {
      id: i + 1,
      base: `http://127.0.0.1:${port}`,
      child: spawnLogged(bin, args, dir, logFile),
      logFile,
    };
  });
  const leaderOf = (): number | undefined => {
    let leader: number | undefined;
    let term = -1;
    for (const m of members) {
      const text = existsSync(m.logFile) ? readFileSync(m.logFile, 'utf8') : '';
      for (const match of text.matchAll(/ ([0-9a-f]+) became leader at term (\d+)/g)) {
        if (Number(match[2]) > term) {
          term = Number(match[2]);
          leader = Number.parseInt(match[1] ?? '', 16);
        }
      }
    }
    return leader;
  };
  try {
    const deadline = Date.now() + 60_000;
    while (leaderOf() === undefined) {
      if (Date.now() > deadline) throw new Error('raftexample elected no leader in 60 s');
      await sleep(100);
    }
    // a write through every member shows up on every member: the cluster is serving
    for (const m of members) {
      await fetch(`${m.base}/warmup-${m.id}`, { method: 'PUT', body: 'x' }).then((r) => r.arrayBuffer());
    }
    for (const m of members) {
      for (const w of members) await waitHttp(m.base, `/warmup-${w.id}`, (s) => s === 200, 30_000);
    }
  } catch (err) {
    await stopAll(members);
    throw err;
  }
  return {
    name: 'raftexample',
    members,
    async follower() {
      const leader = leaderOf();
      return members.findIndex((m) => m.id !== leader);
    },
    stop: () => stopAll(members),
  };
}

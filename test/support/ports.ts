/**
 * Ports for processes a test starts later (a member restarted on its port, a child given --port):
 * probed free, then released, so something else may take them before they are bound again. Picked
 * below the kernel's ephemeral range (32768–60999 here), where no outgoing connection can take one
 * (a port from `listen(0)` is in that range, and a client socket of a parallel test may get it),
 * at random, never the same twice in one process, and free on every interface. Each kind of user
 * has its own range, so test files running side by side (separate processes) rarely probe the
 * same port: freePort 10000–19999, the Go raftexample harness 20000–25999 (PORT_RANGES.go), the
 * `raftwire cluster` tests' base ports 26000–31999 (PORT_RANGES.clusterBase).
 *
 * Test files run side by side in separate processes, and two of them could still probe the same
 * port free before either binds it (seen: two `raftwire cluster` tests on overlapping base ports).
 * So a port handed out is also reserved across processes: a file named after it in
 * `<tmpdir>/raftwire-test-ports/`, created exclusively, holding the pid; a reservation whose pid
 * is gone is taken over, and a process removes its own at exit.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../src/fsutil/index.js';

const handedOut = new Set<number>();
const RESERVATIONS = join(tmpdir(), 'raftwire-test-ports');
const reserved = new Set<number>();

/**
 * Reserves `port` for this process against other test processes; false when another live process
 * holds it. Reservations are released when this process exits.
 */
export function reservePort(port: number): boolean {
  if (reserved.has(port)) return true;
  mkdirSync(RESERVATIONS, { recursive: true });
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      if (reserved.size === 0) process.once('exit', releaseAll);
      reserved.add(port);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = Number.NaN;
      try {
        holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      } catch {
        // removed meanwhile, or half written: try again below
      }
      if (holder === process.pid) return true;
      if (Number.isInteger(holder) && processAlive(holder)) return false;
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(file, { force: true });
    }
  }
  return false;
}

function releaseAll(): void {
  for (const port of reserved) rmSync(join(RESERVATIONS, String(port)), { force: true });
  reserved.clear();
}

/** Where each kind of test takes its ports: [lowest, highest + 1). */
export const PORT_RANGES = {
  member: [10_000, 20_000],
  go: [20_000, 26_000],
  clusterBase: [26_000, 32_000],
} as const;

/** Resolves true if `port` can be bound on `host` (default every interface) right now. */
export function canBind(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port that is free now and below the ephemeral range, in `range` (default the members'). */
export async function freePort(range: readonly [number, number] = PORT_RANGES.member): Promise<number> {
  const [lo, hi] = range;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (handedOut.has(port)) continue;
    if (!reservePort(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${lo}–${hi - 1}`);
}

/** `n` distinct ports, as freePort. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

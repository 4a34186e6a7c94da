/**
 * Ports for processes a test starts later (a member restarted on its port, a child given --port):
 * probed free, then released, so something else may take them before they are bound again. Picked
 * below the kernel's ephemeral range (32768–60999 here), where no outgoing connection can take one
 * (a port from `listen(0)` is in that range, and a client socket of a parallel test may get it),
 * at random, never the same twice in one process, and free on every interface. Each kind of user
 * has its own range, so test files running side by side (separate processes) rarely probe the
 * same port: freePort 10000–19999, the Go raftexample harness 20000–25999 (PORT_RANGES.go), the
 * `raftwire cluster` tests' base ports 26000–31999 (PORT_RANGES.clusterBase).
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

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

/**
 * Ports for processes a test starts later (a member restarted on its port, a child given --port):
 * probed free, then released, so something else may take them before they are bound again. Picked
 * below the kernel's ephemeral range (32768–60999 here), where no outgoing connection can take one
 * (a port from `listen(0)` is in that range, and a client socket of a parallel test may get it),
 * at random in 10000–19999 (the Go raftexample harness uses 20000–31999), never the same twice in
 * one process, and free on every interface.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port that is free now and below the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port in 10000–19999');
}

/** `n` distinct ports, as freePort. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

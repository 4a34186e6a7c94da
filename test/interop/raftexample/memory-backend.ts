/**
 * An in-memory backend for the raftexample HTTP handler: PUTs go through the real gob encoder and
 * the raftexample state machine at once (no raft), conf changes are recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRaftexampleHandler,
  encodeKvEntry,
  type RaftexampleBackend,
  type RaftexampleHandlerOptions,
  RaftexampleStateMachine,
} from '../../../src/kv/raftexample/index.js';
import type { ConfChange } from '../../../src/raftpb/index.js';

export class MemoryBackend implements RaftexampleBackend {
  readonly sm = new RaftexampleStateMachine();
  readonly confChanges: ConfChange[] = [];
  readonly entries: Uint8Array[] = [];
  /** When set, put() waits for this before applying (to test waiting and aborts). */
  gate: Promise<void> | undefined;
  /** When set, put() and proposeConfChange() reject with it. */
  failWith: Error | undefined;
  /** Reasons of the put() waits that were aborted. */
  readonly aborts: unknown[] = [];
  /** put() calls that reached the gate. */
  gated = 0;

  get(key: Uint8Array): Uint8Array | undefined {
    return this.sm.get(key);
  }

  async put(key: Uint8Array, value: Uint8Array, options: { signal: AbortSignal }): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    const data = encodeKvEntry(key, value);
    if (this.gate !== undefined) {
      this.gated++;
      await Promise.race([
        this.gate,
        new Promise((_, reject) =>
          options.signal.addEventListener(
            'abort',
            () => {
              this.aborts.push(options.signal.reason);
              reject(options.signal.reason);
            },
            { once: true },
          ),
        ),
      ]);
    }
    this.entries.push(data);
    this.sm.apply({ index: this.entries.length, term: 1, data });
  }

  async proposeConfChange(cc: ConfChange): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    this.confChanges.push(cc);
  }
}

/** Serves the handler over `backend` on a loopback port; closed by the returned function. */
export async function serveHandler(
  backend: RaftexampleBackend,
  options?: RaftexampleHandlerOptions,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer(createRaftexampleHandler(backend, options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

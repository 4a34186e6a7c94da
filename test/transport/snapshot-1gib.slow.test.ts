/**
 * SLOW (tens of seconds): a 1 GiB snapshot database goes through sendSnapshot between two real
 * transports with bounded memory. Both ends run in this process, so resident memory growth covers
 * sender, receiver and the file writes together; it must stay far below the body size.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { MessageType, newConfState, newMessage, newSnapshot } from '../../src/raftpb/index.js';
import { Snapshotter } from '../../src/snap/index.js';
import { startNode } from './harness.js';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/** Ceiling on resident-memory growth during the transfer (the body is 1024 MiB). */
const MAX_RSS_GROWTH_BYTES = 192 * 1024 * 1024;

it('streams a 1 GiB snapshot with bounded memory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'raftwire-1gib-'));
  const a = await startNode(1n);
  const b = await startNode(2n, { snapshotter: new Snapshotter(dir) });
  a.tr.addPeer(2n, [b.url]);
  b.tr.addPeer(1n, [a.url]);
  try {
    const chunk = Buffer.alloc(CHUNK, 0x5a);
    async function* generated() {
      for (let sent = 0; sent < GIB; sent += CHUNK) yield chunk;
    }
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    await a.tr.sendSnapshot({
      message: newMessage({
        type: MessageType.MsgSnap,
        to: 2n,
        from: 1n,
        term: 2,
        snapshot: newSnapshot({ index: 77, term: 2, confState: newConfState({ voters: [1n, 2n] }) }),
      }),
      body: generated(),
      dbSize: GIB,
    });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `1 GiB snapshot in ${seconds.toFixed(1)} s (${(1024 / seconds).toFixed(0)} MiB/s), RSS growth ${((peak - base) / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.deepEqual(await readdir(dir), ['000000000000004d.snap.db']);
    assert.equal((await stat(join(dir, '000000000000004d.snap.db'))).size, GIB);
    assert.ok(peak - base < MAX_RSS_GROWTH_BYTES, `RSS grew ${peak - base} bytes`);
  } finally {
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
});

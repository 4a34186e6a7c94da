/**
 * Child process of handles.test.ts: runs a 3-member cluster (snapshots included), closes it,
 * prints the active resources left, and must then exit on its own.
 */
import { TestCluster, tempDir } from './helpers.js';

const { dir, cleanup } = await tempDir('handles');
const c = new TestCluster(dir, { snapshotCount: 5, snapshotCatchUpEntries: 1 });
const ids = [1n, 2n, 3n];
await Promise.all(ids.map((id) => c.start(id, ids)));
const leader = await c.leader();
for (let i = 0; i < 12; i++) await c.replicas.get(ids[i % 3] as bigint)?.propose(Buffer.from(`v${i}`));
for (const id of ids) await c.replicas.get(id)?.readBarrier();
await c.replicas.get(leader)?.status();
await c.closeAll();
await cleanup();
// Let closed sockets finish their close callbacks.
await new Promise((r) => setImmediate(r));
process.stdout.write(`${JSON.stringify(process.getActiveResourcesInfo())}\n`);

/**
 * A replicated counter on raftwire/replica: three members in one process (each would normally be
 * its own process or host), increments proposed on every member, linearizable reads on every
 * member. Run: node dist/examples/counter.js   (ports: COUNTER_PORTS=12380,22380,32380)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Replica, type StateMachine } from 'raftwire/replica';

/** The state: one number. An entry is a decimal delta; apply returns the new value. */
class Counter implements StateMachine<number> {
  value = 0;
  apply(entry: { data: Uint8Array }): number {
    this.value += Number(new TextDecoder().decode(entry.data));
    return this.value;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.value));
  }
  async restore(image: AsyncIterable<Uint8Array>): Promise<void> {
    let text = '';
    for await (const chunk of image) text += new TextDecoder().decode(chunk, { stream: true });
    this.value = Number(text);
  }
}

const ports = (process.env.COUNTER_PORTS ?? '12380,22380,32380').split(',').map(Number);
const cluster = ports.map((port, i) => ({ id: BigInt(i + 1), peerUrls: [`http://127.0.0.1:${port}`] }));
const dataRoot = await mkdtemp(join(tmpdir(), 'raftwire-counter-'));
const counters = cluster.map(() => new Counter());
const members = await Promise.all(
  cluster.map((m, i) =>
    Replica.start({
      id: m.id,
      dataDir: join(dataRoot, `member-${m.id}`),
      initialCluster: cluster,
      stateMachine: counters[i] as Counter,
    }),
  ),
);
try {
  members[0]?.on('leader', ({ leader, term }) => console.log(`leader: ${leader ?? 'none'} (term ${term})`));
  // Every member proposes increments; each resolves once committed and applied on that member.
  const results = await Promise.all(
    members.flatMap((r, i) => [1, 2, 3].map(() => r.propose(new TextEncoder().encode(String(i + 1))))),
  );
  console.log(`increments applied; values seen by proposers: ${results.sort((a, b) => a - b).join(' ')}`);
  // A read barrier makes the local value linearizable on any member.
  for (const [i, r] of members.entries()) {
    await r.readBarrier();
    console.log(`member ${r.id}: counter = ${counters[i]?.value}`);
  }
} finally {
  await Promise.all(members.map((r) => r.close()));
  await rm(dataRoot, { recursive: true, force: true });
}

/**
 * Bad input to a member under load: random and mutated bodies and frames on /raft,
 * /raft/stream, /raft/snapshot and the client API, oversized length prefixes, wrong cluster IDs,
 * slowloris connections, and 1000 concurrent idle connections. The member keeps serving: every
 * scenario check holds (nothing acknowledged is lost) and it never exits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultCluster } from './support/fault-cluster.js';
import { MiB, memoryOf } from './support/memory.js';
import { runScenario } from './support/scenario.js';

/** Sends raw bytes; resolves with the status code of the answer (0: closed without one). */
function raw(port: number, bytes: Buffer | string, ms = 3000): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m === null ? 0 : Number(m[1]));
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}

const peerHeaders = (len: number, extra = ''): string =>
  `Content-Type: application/protobuf\r\nX-Etcd-Cluster-ID: 1000\r\nX-Server-From: 2\r\nX-Server-Version: 3.4.23\r\nX-Min-Cluster-Version: 3.0.0\r\nContent-Length: ${len}\r\n${extra}`;

/** Random bodies (some happen to decode as a raft message: 204) and surely-malformed ones (400). */
async function peerGarbage(port: number, to: number): Promise<{ random: number[]; malformed: number[] }> {
  const codes: number[] = [];
  const malformed: number[] = [];
  for (let i = 0; i < 30; i++) {
    const body = randomBytes(1 + Math.floor(Math.random() * 300));
    codes.push(
      await raw(
        port,
        Buffer.concat([
          Buffer.from(
            `POST /raft HTTP/1.1\r\nHost: x\r\n${peerHeaders(body.length, `X-Raft-To: ${to.toString(16)}\r\n`)}\r\n`,
          ),
          body,
        ]),
      ),
    );
  }
  // mutated: a plausible protobuf head (field 1 varint) then garbage, and an over-long varint
  for (const body of [
    Buffer.from([0x08, 0x03, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    Buffer.from([0x22, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  ])
    malformed.push(
      await raw(
        port,
        Buffer.concat([
          Buffer.from(`POST /raft HTTP/1.1\r\nHost: x\r\n${peerHeaders(body.length)}\r\n`),
          body,
        ]),
      ),
    );
  return { random: codes, malformed };
}

async function blast(c: FaultCluster, target: number): Promise<Record<string, number[]>> {
  const m = c.member(target);
  const out: Record<string, number[]> = {};
  const g = await peerGarbage(m.peerPort, target);
  out.pipelineRandom = g.random;
  out.pipelineMalformed = g.malformed;
  // Wrong cluster ID: 412.
  out.wrongCluster = [
    await raw(
      m.peerPort,
      `POST /raft HTTP/1.1\r\nHost: x\r\n${peerHeaders(2).replace('X-Etcd-Cluster-ID: 1000', 'X-Etcd-Cluster-ID: dead')}\r\nab`,
    ),
    await raw(
      m.peerPort,
      `GET /raft/stream/message/2 HTTP/1.1\r\nHost: x\r\n${peerHeaders(0).replace('X-Etcd-Cluster-ID: 1000', 'X-Etcd-Cluster-ID: dead')}\r\n`,
    ),
  ];
  // Oversized declared bodies on the pipeline and the snapshot endpoint.
  out.oversized = [
    await raw(m.peerPort, `POST /raft HTTP/1.1\r\nHost: x\r\n${peerHeaders(2 ** 40)}\r\n${'x'.repeat(100)}`),
    await raw(
      m.peerPort,
      `POST /raft/snapshot HTTP/1.1\r\nHost: x\r\n${peerHeaders(2 ** 40)}\r\n${randomBytes(200).toString('latin1')}`,
    ),
  ];
  // Snapshot endpoint: garbage with a huge length prefix in the message part.
  const snapBody = Buffer.concat([
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    randomBytes(64),
  ]);
  out.snapshotGarbage = [
    await raw(
      m.peerPort,
      Buffer.concat([
        Buffer.from(`POST /raft/snapshot HTTP/1.1\r\nHost: x\r\n${peerHeaders(snapBody.length)}\r\n`),
        snapBody,
      ]),
    ),
  ];
  // Streams: unknown type, unparseable sender, unknown sender.
  out.streams = [];
  for (const p of ['/raft/stream/bogus/2', '/raft/stream/message/zz', '/raft/stream/msgappv2/77'])
    out.streams.push(await raw(m.peerPort, `GET ${p} HTTP/1.1\r\nHost: x\r\n${peerHeaders(0)}\r\n`));
  // Client API: malformed percent-encoding, unknown admin path, declared huge PUT, bad If-Match,
  // random bytes instead of a request.
  out.client = [
    await raw(m.clientPort, 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n'),
    await raw(m.clientPort, 'GET /-/nope HTTP/1.1\r\nHost: x\r\n\r\n'),
    await raw(m.clientPort, `PUT /k0 HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 ** 40}\r\n\r\nxx`),
    await raw(
      m.clientPort,
      'PUT /k0 HTTP/1.1\r\nHost: x\r\nIf-Match: nonsense\r\nContent-Length: 1\r\n\r\nx',
    ),
    await raw(m.clientPort, 'POST /-/members HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{{{{{'),
    await raw(m.clientPort, randomBytes(500)),
  ];
  return out;
}

/**
 * The growth of a member's peak resident memory allowed while it takes bad input: a member that
 * buffered what a length prefix promises (2^40 bytes) or a body per idle connection would pass it.
 */
const MEMORY_GROWTH_BOUND = 128 * MiB;

/** Runs `fault` on member `id`, then checks its peak memory grew less than the bound. */
async function withinMemoryBound(
  t: TestContext,
  c: FaultCluster,
  id: number,
  fault: () => Promise<void>,
): Promise<void> {
  const pid = c.member(id).child?.pid;
  assert.ok(pid !== undefined, `member ${id} runs`);
  const before = memoryOf(pid);
  await fault();
  const after = memoryOf(pid);
  const growth = after.peak - before.rss;
  t.diagnostic(
    `member ${id}: rss ${(before.rss / MiB).toFixed(0)} MiB before, peak ${(after.peak / MiB).toFixed(0)} MiB during, rss ${(after.rss / MiB).toFixed(0)} MiB after`,
  );
  assert.ok(
    growth < MEMORY_GROWTH_BOUND,
    `member ${id}'s peak memory grew ${(growth / MiB).toFixed(0)} MiB under bad input (bound ${MEMORY_GROWTH_BOUND / MiB} MiB)`,
  );
}

test('bad input on every endpoint of a member under load', async (t) => {
  let codes: Record<string, number[]> = {};
  await runScenario(t, {
    name: 'bad-input',
    fault: async (c, leader) => {
      await withinMemoryBound(t, c, leader, async () => {
        codes = await blast(c, leader);
      });
      const follower = [1, 2, 3].find((id) => id !== leader) as number;
      await withinMemoryBound(t, c, follower, async () => {
        const more = await blast(c, follower);
        for (const [k, v] of Object.entries(more)) codes[k] = [...(codes[k] ?? []), ...v];
      });
      for (const id of [1, 2, 3]) assert.ok((await c.status(id)) !== undefined, `member ${id} still answers`);
    },
  });
  t.diagnostic(`codes: ${JSON.stringify(codes)}`);
  // Garbage is refused (4xx) or the connection closed — never a 5xx; only a random body that
  // happens to decode as a raft message may be taken (204).
  for (const [k, v] of Object.entries(codes)) {
    for (const code of v)
      assert.ok(
        code === 0 || (code >= 400 && code < 500) || (k === 'pipelineRandom' && code === 204),
        `${k}: ${code}`,
      );
  }
  assert.ok(
    codes.wrongCluster?.every((x) => x === 412),
    `wrong cluster ID: ${codes.wrongCluster}`,
  );
  assert.equal(codes.oversized?.[0], 413, `a declared 2^40-byte POST /raft: ${codes.oversized}`);
  assert.ok(
    codes.pipelineMalformed?.every((x) => x === 400),
    `malformed bodies: ${codes.pipelineMalformed}`,
  );
  assert.ok(
    (codes.pipelineRandom?.filter((x) => x === 400).length ?? 0) >= 40,
    `most random bodies are refused: ${codes.pipelineRandom}`,
  );
});

test('slowloris and 1000 concurrent idle connections on the client and peer ports', async (t) => {
  const sockets: Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  await runScenario(t, {
    name: 'connection-storm',
    fault: async (c, leader) =>
      withinMemoryBound(t, c, leader, async () => {
        const m = c.member(leader);
        // 1000 idle connections, half on each port.
        for (let i = 0; i < 1000; i++) {
          const s = connect(i % 2 === 0 ? m.clientPort : m.peerPort, '127.0.0.1');
          s.on('error', () => {});
          sockets.push(s);
        }
        // 40 slowloris requests: one header byte every 100 ms.
        const slow = Array.from({ length: 40 }, (_, i) => {
          const s = connect(i % 2 === 0 ? m.clientPort : m.peerPort, '127.0.0.1');
          s.on('error', () => {});
          sockets.push(s);
          return s;
        });
        const head = 'GET /k0 HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
        for (let i = 0; i < 30; i++) {
          for (const s of slow) if (!s.destroyed) s.write(head[i % head.length] as string);
          await sleep(100);
        }
        // The member still answers a fresh request while all that is open.
        const st = await c.status(leader);
        assert.ok(st !== undefined, 'the leader answers /-/status during the storm');
        for (const s of sockets) s.destroy();
      }),
  });
});

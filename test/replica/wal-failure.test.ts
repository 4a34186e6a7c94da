/**
 * A WAL that cannot be written (a full disk: a small tmpfs mounted for the test) stops the
 * replica loudly: 'fatal' with the cause, pending proposals rejected, nothing acknowledged after.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { isRaftwireError } from '../../src/errors/index.js';
import { Replica, type ReplicaError, ReplicaErrorCode } from '../../src/replica/index.js';
import { FAST, freePorts, MemoryStateMachine } from './helpers.js';

const run = promisify(execFile);

test('a full disk under the WAL is fatal; no write is acknowledged after it', async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'raftwire-replica-tmpfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', 'size=768k', 'tmpfs', mnt]);
  t.after(async () => {
    await run('umount', ['-l', mnt]);
    await rm(mnt, { recursive: true, force: true });
  });
  const [port] = await freePorts(1);
  const r = await Replica.start<number>({
    id: 1n,
    dataDir: join(mnt, 'member'),
    initialCluster: [{ id: 1n, peerUrls: [`http://127.0.0.1:${port}`] }],
    stateMachine: new MemoryStateMachine(),
    ...FAST,
    walSegmentSizeBytes: 256 * 1024,
    snapshotCount: 100_000,
  });
  t.after(() => r.close());
  const fatal = new Promise<Error>((resolve) => r.once('fatal', resolve));
  const value = Buffer.alloc(16 * 1024, 1);
  let acked = 0;
  let refused: unknown;
  for (let i = 0; i < 200 && refused === undefined; i++) {
    await r.propose(value).then(
      () => {
        acked++;
      },
      (e: unknown) => {
        refused = e;
      },
    );
  }
  assert.ok(acked > 0, 'some writes fit');
  assert.ok(isRaftwireError(refused, ReplicaErrorCode.Stopped), String(refused));
  const err = (await fatal) as ReplicaError;
  assert.equal(err.code, ReplicaErrorCode.Stopped);
  assert.match(String(err.message), /ENOSPC|no space/i);
  await assert.rejects(r.propose(Buffer.from('x')), (e) => isRaftwireError(e, ReplicaErrorCode.Stopped));
  await r.close();
});

/**
 * Power cuts for real member processes: lossy-wal.c, built here with the system C compiler (the
 * one node-gyp uses for the WAL's addon), preloaded into a member, holds its unsynced WAL writes
 * in memory, so SIGKILL loses them as a power cut loses the page cache.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../support/paths.js';

const source = join(projectRoot, 'test', 'faults', 'support', 'lossy-wal.c');

let built: string | undefined;

/** Builds the preload library once per process (removed at exit); returns its path. */
export function lossyWalLibrary(): string {
  if (built !== undefined) return built;
  const dir = mkdtempSync(join(tmpdir(), 'raftwire-lossy-wal-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'lossy-wal.so');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', out, source, '-ldl', '-lpthread'], { stdio: 'pipe' });
  built = out;
  return out;
}

/**
 * The environment that puts a member's WAL on the lossy layer; `tear` also tears unsynced writes
 * (about half of each one's sectors land at once), `seed` fixes which, `syncDelayMs` makes each
 * sync of held writes wait first (a slow disk: a kill most likely finds a write held).
 */
export function powerCutEnv(
  o: { tear?: boolean; seed?: number; syncDelayMs?: number } = {},
): Record<string, string> {
  // libuv's io_uring would bypass the preloaded functions.
  return {
    LD_PRELOAD: lossyWalLibrary(),
    UV_USE_IO_URING: '0',
    ...(o.tear === true ? { LOSSY_WAL_TEAR: '1' } : {}),
    ...(o.seed !== undefined ? { LOSSY_WAL_SEED: String(o.seed) } : {}),
    ...(o.syncDelayMs !== undefined ? { LOSSY_WAL_SYNC_DELAY_MS: String(o.syncDelayMs) } : {}),
  };
}

/**
 * etcd's `wal.Repair`, for tools and callers that want it as a separate step (`readAll` repairs a
 * torn tail by itself): repairs a torn write at the end of the last segment by truncating it to
 * the last whole record, keeping a `.broken` copy.
 */
import { join } from 'node:path';
import { isRaftwireError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { noopLogger } from '../logger/index.js';
import { scanSegment } from './decoder.js';
import { DirLock } from './dir-lock.js';
import { WalError, WalErrorCode } from './errors.js';
import { nodeWalFs, readWhole } from './file-layer.js';
import { readSegmentNames } from './names.js';
import { truncateTornTail } from './read-log.js';

/**
 * Repairs the last segment of the WAL in `dir`. Resolves `true` when it is sound (repaired, or
 * nothing to repair) and `false` when it cannot be repaired by truncation (corruption that is not
 * a torn tail), as etcd's Repair. Takes the WAL's lock: throws `RAFTWIRE_WAL_LOCKED` while the WAL
 * is open elsewhere, and `RAFTWIRE_WAL_FILE_NOT_FOUND` when there is no segment.
 */
export async function repairWal(dir: string, logger: Logger = noopLogger): Promise<boolean> {
  const names = await readSegmentNames(dir);
  const last = names[names.length - 1];
  if (last === undefined) {
    throw new WalError(WalErrorCode.FILE_NOT_FOUND, `wal: no segment files in ${dir}`);
  }
  const lock = await DirLock.acquire(dir);
  const path = join(dir, last.name);
  try {
    const file = await nodeWalFs.open(path, 'r+');
    try {
      const buf = await readWhole(file);
      let scan: ReturnType<typeof scanSegment>;
      try {
        // As etcd's Repair, the last segment is read on its own: its crc record starts the chain.
        scan = scanSegment(buf, buf.length, path, 0, true);
      } catch (e) {
        if (isRaftwireError(e)) {
          logger.warn({ path, err: e.message }, 'wal: cannot repair');
          return false;
        }
        throw e;
      }
      if (scan.stop === 'torn') await truncateTornTail(file, path, buf, scan.end, logger);
      return true;
    } finally {
      await file.close();
    }
  } finally {
    await lock.release();
  }
}

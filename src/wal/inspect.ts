/**
 * Read-only looks at a WAL, taking no lock (so they work beside a WAL open for appending):
 * `validSnapshotEntries` (etcd 3.4's `wal.ValidSnapshotEntries`, which etcd's restart uses to pick
 * the newest snapshot file the WAL knows about) and `verifyWal` (etcd's `wal.Verify`). A torn tail
 * ends the reading without being repaired; any other corruption throws, as in `readAll`.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeHardState } from '../raftpb/index.js';
import { scanSegment } from './decoder.js';
import { WalError, WalErrorCode, WalRecordError } from './errors.js';
import { readWhole } from './file-layer.js';
import { readSegmentNames, type SegmentName, selectSegments } from './names.js';
import { decodeWalSnapshot, RecordType, type WalSnapshot } from './walpb.js';

const EMPTY = new Uint8Array(0);

/** Calls `visit(type, data, file, offset)` for each record of `segments`, in order. */
async function eachRecord(
  dir: string,
  segments: SegmentName[],
  visit: (type: number, data: Uint8Array, file: string, offset: number) => void,
): Promise<void> {
  let crc = 0;
  for (let i = 0; i < segments.length; i++) {
    const path = join(dir, (segments[i] as SegmentName).name);
    const fh = await open(path, 'r');
    let buf: Uint8Array;
    try {
      buf = await readWhole(fh);
    } finally {
      await fh.close();
    }
    const scan = scanSegment(buf, buf.length, path, crc, i === segments.length - 1);
    crc = scan.crc;
    for (const r of scan.records) {
      visit(r.type, r.dataStart < 0 ? EMPTY : buf.subarray(r.dataStart, r.dataEnd), path, r.offset);
    }
  }
}

/**
 * The snapshot markers in the WAL of `dir` whose index is at or below the commit index of the last
 * hard state: the snapshots a restart may begin from.
 */
export async function validSnapshotEntries(dir: string): Promise<WalSnapshot[]> {
  const segments = await readSegmentNames(dir);
  if (segments.length === 0)
    throw new WalError(WalErrorCode.FILE_NOT_FOUND, `wal: no segment files in ${dir}`);
  const snaps: WalSnapshot[] = [];
  let commit = 0;
  await eachRecord(dir, segments, (type, data, file, offset) => {
    try {
      if (type === RecordType.SNAPSHOT) snaps.push(decodeWalSnapshot(data));
      else if (type === RecordType.STATE) commit = decodeHardState(data).commit;
    } catch (cause) {
      throw new WalRecordError(WalErrorCode.CORRUPT, file, offset, 'undecodable record data', { cause });
    }
  });
  return snaps.filter((s) => s.index <= commit);
}

/**
 * Reads the WAL of `dir` from `marker` and checks it: the CRC chain, one metadata, and the marker
 * present with its term. Throws the error `readAll` would; resolves when the WAL is sound.
 */
export async function verifyWal(dir: string, marker: WalSnapshot): Promise<void> {
  const segments = selectSegments(await readSegmentNames(dir), marker.index, dir);
  let metadata: Uint8Array | undefined;
  let match = false;
  await eachRecord(dir, segments, (type, data, file, offset) => {
    if (type === RecordType.METADATA) {
      if (metadata !== undefined && Buffer.compare(metadata, data) !== 0) {
        throw new WalRecordError(
          WalErrorCode.METADATA_CONFLICT,
          file,
          offset,
          'metadata differs from the earlier segments',
        );
      }
      metadata = data;
    } else if (type === RecordType.SNAPSHOT) {
      const s = decodeWalSnapshot(data);
      if (s.index === marker.index) {
        if (s.term !== marker.term) {
          throw new WalRecordError(
            WalErrorCode.SNAPSHOT_MISMATCH,
            file,
            offset,
            `snapshot marker at index ${s.index} has term ${s.term}, expected ${marker.term}`,
          );
        }
        match = true;
      }
    }
  });
  if (!match) {
    throw new WalError(
      WalErrorCode.SNAPSHOT_NOT_FOUND,
      `wal: no snapshot marker {index: ${marker.index}, term: ${marker.term}} in ${dir}`,
    );
  }
}

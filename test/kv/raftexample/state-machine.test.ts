import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../../src/errors/index.js';
import {
  encodeKvEntry,
  RaftexampleApplyError,
  RaftexampleStateMachine,
  raftexampleBootstrap,
  raftexampleDirs,
  raftexampleMembers,
} from '../../../src/kv/raftexample/index.js';
import { encodeEntry } from '../../../src/raftpb/index.js';
import { fromHex, toHex } from '../../support/hex.js';

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('latin1');

describe('raftexample state machine', () => {
  it('applies gob entries as byte strings, the last write winning', () => {
    const sm = new RaftexampleStateMachine();
    sm.apply({ index: 4, term: 2, data: encodeKvEntry(enc.encode('/a'), enc.encode('1')) });
    sm.apply({ index: 5, term: 2, data: encodeKvEntry(enc.encode('/a'), Uint8Array.from([0xff])) });
    sm.apply({ index: 6, term: 2, data: encodeKvEntry(enc.encode('/e'), new Uint8Array(0)) });
    assert.equal(text(sm.get(enc.encode('/a'))), '\xff');
    assert.equal(sm.get(enc.encode('/e'))?.length, 0);
    assert.equal(sm.get(enc.encode('/none')), undefined);
  });

  it('stops on an entry Go rejects, naming its index, and leaves the map as it was', () => {
    const sm = new RaftexampleStateMachine();
    sm.apply({ index: 1, term: 1, data: encodeKvEntry(enc.encode('/a'), enc.encode('1')) });
    assert.throws(
      () => sm.apply({ index: 7, term: 1, data: fromHex('0eff8201042f666f6f010362617200') }),
      (e) =>
        e instanceof RaftexampleApplyError &&
        e.index === 7 &&
        /index 7/.test(e.message) &&
        isRaftwireError(e.cause, 'RAFTWIRE_KV_RAFTEXAMPLE_GOB'),
    );
    assert.equal(sm.size, 1);
  });

  it("snapshots Go's JSON (lossy for invalid UTF-8) and restores it, in chunks too", async () => {
    const sm = new RaftexampleStateMachine();
    assert.equal(text(sm.snapshot()), '{}');
    sm.apply({ index: 1, term: 1, data: encodeKvEntry(enc.encode('/<x>'), enc.encode('&')) });
    sm.apply({ index: 2, term: 1, data: encodeKvEntry(enc.encode('/bin'), Uint8Array.from([0x61, 0xff])) });
    const image = sm.snapshot();
    assert.equal(text(image), '{"/\\u003cx\\u003e":"\\u0026","/bin":"a\\ufffd"}');
    const other = new RaftexampleStateMachine();
    await other.restore([image.subarray(0, 5), image.subarray(5)]);
    assert.equal(text(other.get(enc.encode('/<x>'))), '&');
    assert.equal(toHex(other.get(enc.encode('/bin')) as Uint8Array), '61efbfbd');
  });

  it('keeps its map when a snapshot image is rejected', async () => {
    const sm = new RaftexampleStateMachine();
    sm.apply({ index: 1, term: 1, data: encodeKvEntry(enc.encode('/a'), enc.encode('1')) });
    await assert.rejects(sm.restore([enc.encode('{"a":1}')]), (e) =>
      isRaftwireError(e, 'RAFTWIRE_KV_RAFTEXAMPLE_SNAPSHOT_JSON'),
    );
    assert.equal(text(sm.get(enc.encode('/a'))), '1');
  });
});

describe('raftexample configuration', () => {
  it("bootstraps entries 1..n at term 1 with raft StartNode's ConfChange bytes, commit n", () => {
    const { entries, hardState } = raftexampleBootstrap(3);
    assert.deepEqual(
      entries.map((e) => [e.index, e.term, toHex(e.data ?? new Uint8Array(0))]),
      [
        [1, 1, '0800100018 01'.replace(' ', '')],
        [2, 1, '080010001802'],
        [3, 1, '080010001803'],
      ],
    );
    assert.deepEqual(hardState, { term: 1, vote: 0n, commit: 3 });
    // The whole Entry record: Type 1 (EntryConfChange), as a Go member's WAL holds it.
    assert.equal(toHex(encodeEntry(entries[0] as never)), '0801100118012206080010001801');
  });

  it("maps --cluster to members 1..n and lays data out in raftexample's directories", () => {
    assert.deepEqual(raftexampleMembers('http://a:1,http://b:2'), [
      { id: 1n, peerUrls: ['http://a:1'] },
      { id: 2n, peerUrls: ['http://b:2'] },
    ]);
    assert.throws(() => raftexampleMembers('http://a:1,,http://c:3'), RangeError);
    assert.deepEqual(raftexampleDirs('/w', 12n), {
      walDir: '/w/raftexample-12',
      snapDir: '/w/raftexample-12-snap',
    });
  });
});

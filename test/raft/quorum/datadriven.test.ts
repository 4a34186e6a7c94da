/** Runs etcd's quorum testdata (raft-testdata/v3.6.0/quorum/testdata, 4 files) unchanged. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type AckedIndexer,
  formatIndex,
  JointConfig,
  MajorityConfig,
  mapAckIndexer,
  voteResultName,
} from '../../../src/raft/quorum/index.js';
import { dataDrivenFiles, runDataDrivenFile, type TestData } from '../../support/datadriven.js';
import { referenceDir, requireShared } from '../../support/paths.js';
import { alternativeMajorityCommittedIndex } from './alternative.js';

requireShared();
const dir = join(referenceDir, 'raft-testdata', 'v3.6.0', 'quorum', 'testdata');

/**
 * Maps the positional inputs onto the voters of cfg then cfgj (each ID once, in order of first
 * appearance); `0` (from `_`) means "no entry", as in etcd's harness.
 */
function lookup(inputs: number[], ids: bigint[], idsj: bigint[]): Map<bigint, number> {
  const l = new Map<bigint, number>();
  let p = 0;
  for (const id of [...ids, ...idsj]) {
    if (l.has(id)) continue;
    if (p < inputs.length) l.set(id, inputs[p++]!);
  }
  for (const [id, v] of l) if (v === 0) l.delete(id);
  return l;
}

function handle(d: TestData): string {
  let joint = false;
  const ids: bigint[] = [];
  const idsj: bigint[] = [];
  const idxs: number[] = [];
  const votes: number[] = [];
  for (const arg of d.cmdArgs) {
    for (const v of arg.vals) {
      switch (arg.key) {
        case 'cfg':
          ids.push(BigInt(v));
          break;
        case 'cfgj':
          joint = true;
          if (v === 'zero')
            assert.equal(arg.vals.length, 1, `${d.pos}: cannot mix 'zero' into configuration`);
          else idsj.push(BigInt(v));
          break;
        case 'idx':
          if (v === '_') idxs.push(0);
          else {
            const n = Number(v);
            assert.ok(Number.isSafeInteger(n) && n > 0, `${d.pos}: cannot use ${v} as idx`);
            idxs.push(n);
          }
          break;
        case 'votes':
          if (v === 'y') votes.push(2);
          else if (v === 'n') votes.push(1);
          else if (v === '_') votes.push(0);
          else d.fatal(`unknown vote: ${v}`);
          break;
        default:
          d.fatal(`unknown arg ${arg.key}`);
      }
    }
  }
  const c = new MajorityConfig(ids);
  const cj = new MajorityConfig(idsj);
  const input = d.cmd === 'vote' ? votes : idxs;
  const voters = new JointConfig(c, cj).ids();
  if (voters.size !== input.length) {
    return `error: mismatched input (explicit or _) for voters map[${voters
      .slice()
      .map((id) => `${id}:{}`)
      .join(' ')}]: [${input.join(' ')}]`;
  }

  let out = '';
  switch (d.cmd) {
    case 'committed': {
      const l = mapAckIndexer(lookup(idxs, ids, idsj));
      if (!joint) {
        const idx = c.committedIndex(l);
        out += c.describe(l);
        const alt = alternativeMajorityCommittedIndex(c, l);
        if (alt !== idx) out += `${formatIndex(alt)} <-- via alternative computation\n`;
        const zeroJoint = new JointConfig(c, new MajorityConfig()).committedIndex(l);
        if (zeroJoint !== idx) out += `${formatIndex(zeroJoint)} <-- via zero-joint quorum\n`;
        const selfJoint = new JointConfig(c, c).committedIndex(l);
        if (selfJoint !== idx) out += `${formatIndex(selfJoint)} <-- via self-joint quorum\n`;
        const overlay = (id: bigint, v: number): AckedIndexer => {
          const ll = new Map<bigint, number>();
          for (const iid of c) {
            const cur = l.ackedIndex(iid);
            if (iid === id) ll.set(iid, v);
            else if (cur !== undefined) ll.set(iid, cur);
          }
          return mapAckIndexer(ll);
        };
        for (const id of c) {
          const iidx = l.ackedIndex(id) ?? 0;
          if (idx > iidx && iidx > 0) {
            // Lowering an index that is already below the committed index changes nothing.
            const lower = c.committedIndex(overlay(id, iidx - 1));
            if (lower !== idx) out += `${formatIndex(lower)} <-- overlaying ${id}->${iidx}`;
            const zero = c.committedIndex(overlay(id, 0));
            if (zero !== idx) out += `${formatIndex(zero)} <-- overlaying ${id}->0`;
          }
        }
        out += `${formatIndex(idx)}\n`;
      } else {
        const cc = new JointConfig(c, cj);
        out += cc.describe(l);
        const idx = cc.committedIndex(l);
        const sym = new JointConfig(cj, c).committedIndex(l);
        if (sym !== idx) out += `${formatIndex(sym)} <-- via symmetry\n`;
        out += `${formatIndex(idx)}\n`;
      }
      break;
    }
    case 'vote': {
      const l = new Map<bigint, boolean>();
      for (const [id, v] of lookup(votes, ids, idsj)) l.set(id, v !== 1);
      if (!joint) {
        out += `${voteResultName(c.voteResult(l))}\n`;
      } else {
        const r = new JointConfig(c, cj).voteResult(l);
        const ar = new JointConfig(cj, c).voteResult(l);
        if (ar !== r) out += `${voteResultName(ar)} <-- via symmetry\n`;
        out += `${voteResultName(r)}\n`;
      }
      break;
    }
    default:
      d.fatal(`unknown command: ${d.cmd}`);
  }
  return out;
}

describe('quorum datadriven (etcd v3.6.0 testdata)', () => {
  const files = dataDrivenFiles(dir);
  test('the four reference files are present', () => {
    assert.deepEqual(
      files.map((f) => f.slice(dir.length + 1)),
      ['joint_commit.txt', 'joint_vote.txt', 'majority_commit.txt', 'majority_vote.txt'],
    );
  });
  for (const file of files) {
    test(file.slice(dir.length + 1), () => {
      assert.ok(runDataDrivenFile(file, handle) > 0);
    });
  }
});

/** Runs etcd's confchange testdata (raft-testdata/v3.6.0/confchange/testdata, 9 files) unchanged. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Changer, ConfChangeError } from '../../../src/raft/confchange/index.js';
import { ProgressTracker } from '../../../src/raft/tracker/index.js';
import { type ConfChangeSingle, ConfChangeType } from '../../../src/raftpb/index.js';
import { dataDrivenFiles, runDataDrivenFile, type TestData } from '../../support/datadriven.js';
import { referenceDir, requireShared } from '../../support/paths.js';

requireShared();
const dir = join(referenceDir, 'raft-testdata', 'v3.6.0', 'confchange', 'testdata');

const tokenTypes: Record<string, ConfChangeType> = {
  v: ConfChangeType.ConfChangeAddNode,
  l: ConfChangeType.ConfChangeAddLearnerNode,
  r: ConfChangeType.ConfChangeRemoveNode,
  u: ConfChangeType.ConfChangeUpdateNode,
};

/** Parses `v1 l2 r3 u4`; returns an error string (printed as the output) for a bad token. */
function parseChanges(input: string): ConfChangeSingle[] | string {
  const ccs: ConfChangeSingle[] = [];
  const trimmed = input.trim();
  for (const tok of trimmed === '' ? [] : trimmed.split(' ')) {
    if (tok.length < 2) return `unknown token ${tok}`;
    const type = tokenTypes[tok[0]!];
    if (type === undefined) return `unknown input: ${tok}`;
    const id = tok.slice(1);
    if (!/^\d+$/.test(id) || BigInt(id) >= 1n << 64n) {
      return `strconv.ParseUint: parsing ${JSON.stringify(id)}: invalid syntax`;
    }
    ccs.push({ type, nodeId: BigInt(id) });
  }
  return ccs;
}

/** One file's handler; the Changer's lastIndex starts at 0 and grows by one per command. */
function newHandler(): (d: TestData) => string {
  const tracker = new ProgressTracker(10, 0);
  const changer = new Changer(tracker, 0);
  return (d) => {
    try {
      const ccs = parseChanges(d.input);
      if (typeof ccs === 'string') return ccs;
      let result: ReturnType<Changer['simple']>;
      switch (d.cmd) {
        case 'simple':
          result = changer.simple(ccs);
          break;
        case 'enter-joint':
          result = changer.enterJoint(d.cmdArgs.length > 0 ? d.boolArg('autoleave') : false, ccs);
          break;
        case 'leave-joint':
          if (ccs.length > 0) return 'this command takes no input\n';
          result = changer.leaveJoint();
          break;
        default:
          return 'unknown command';
      }
      [tracker.config, tracker.progress] = result;
      return `${tracker.config}\n${tracker.progress}`;
    } catch (e) {
      if (e instanceof ConfChangeError) return `${e.message}\n`;
      throw e;
    } finally {
      changer.lastIndex++;
    }
  };
}

describe('confchange datadriven (etcd v3.6.0 testdata)', () => {
  const files = dataDrivenFiles(dir);
  test('the nine reference files are present', () => {
    assert.equal(files.length, 9);
  });
  for (const file of files) {
    test(file.slice(dir.length + 1), () => {
      assert.ok(runDataDrivenFile(file, newHandler()) > 0);
    });
  }
});

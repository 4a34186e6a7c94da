/**
 * etcd-io/raft v3.6.0's interaction test data, run unchanged through the interaction environment
 * (etcd's interaction_test.go): every file of the folder, read at test time from the shared
 * reference, each case compared byte for byte.
 */
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { dataDrivenFiles, runDataDrivenFile } from '../support/datadriven.js';
import { referenceDir } from '../support/paths.js';
import { type HandlerOptions, handle } from './rafttest/env-handlers.js';
import { InteractionEnv } from './rafttest/interaction-env.js';

const testdataDir = join(referenceDir, 'raft-testdata', 'v3.6.0', 'testdata');

const opts: HandlerOptions = {
  setRandomizedElectionTimeout: (env, idx, timeout) => {
    env.get(idx).rawNode.raft.randomizedElectionTimeout = timeout;
  },
};

describe('interaction test data (etcd-io/raft v3.6.0)', () => {
  const files = dataDrivenFiles(testdataDir);

  test('the reference holds the 28 interaction files', () => {
    assert.equal(files.length, 28);
  });

  for (const path of files) {
    test(basename(path), () => {
      const env = new InteractionEnv();
      assert.ok(runDataDrivenFile(path, (d) => handle(env, d, opts)) > 0);
    });
  }
});

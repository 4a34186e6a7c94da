/**
 * The small pieces around the state machine: config validation (etcd's messages), message
 * classification, sizes, the Ready/SoftState/Status descriptions, and the loggers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import { type Config, NO_LIMIT, ReadOnlyOption, validateConfig } from '../../src/raft/config.js';
import { DefaultLogger, raftLoggerFrom } from '../../src/raft/logger.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { StateType, statusToJSON } from '../../src/raft/status.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import {
  describeReady,
  describeSoftState,
  goFormatConfChange,
  isLocalMsg,
  isLocalMsgTarget,
  isResponseMsg,
  limitSize,
  mustSync,
  payloadSize,
  payloadsSize,
  voteRespMsgType,
} from '../../src/raft/util.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  type Entry,
  entrySize,
  LOCAL_APPEND_THREAD,
  LOCAL_APPLY_THREAD,
  MessageType,
} from '../../src/raftpb/index.js';
import { ent, mkMsg, newTestMemoryStorage } from './network/network.js';

const base = (): Config => ({
  id: 1n,
  electionTick: 10,
  heartbeatTick: 1,
  storage: new MemoryStorage(),
  maxSizePerMsg: NO_LIMIT,
  maxInflightMsgs: 256,
});

describe('validateConfig', () => {
  const bad: Array<[string, Partial<Config>, RegExp]> = [
    ['id 0', { id: 0n }, /cannot use none as id/],
    ['a local thread id', { id: LOCAL_APPEND_THREAD }, /cannot use local target as id/],
    ['heartbeat 0', { heartbeatTick: 0 }, /heartbeat tick must be greater than 0/],
    ['election ≤ heartbeat', { electionTick: 1 }, /election tick must be greater than heartbeat tick/],
    ['no inflight window', { maxInflightMsgs: 0 }, /max inflight messages must be greater than 0/],
    ['inflight bytes below message size', { maxSizePerMsg: 100, maxInflightBytes: 10 }, /max inflight bytes/],
    [
      'lease-based reads without checkQuorum',
      { readOnlyOption: ReadOnlyOption.ReadOnlyLeaseBased },
      /CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased/,
    ],
    ['a zero apply budget', { maxSizePerMsg: 0 }, /max committed size per ready must be greater than 0/],
    ['a negative size', { maxSizePerMsg: -1 }, /maxSizePerMsg must be a non-negative integer/],
    ['a fractional applied', { applied: 1.5 }, /applied must be a non-negative integer/],
  ];
  for (const [name, patch, re] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => validateConfig({ ...base(), ...patch }),
        (e) => isRaftwireError(e, 'RAFTWIRE_RAFT_CONFIG') && re.test((e as Error).message),
      );
    });
  }

  it('resolves defaults as etcd does', () => {
    const c = validateConfig({ ...base(), maxSizePerMsg: 1024 });
    assert.equal(
      validateConfig({ ...base(), maxSizePerMsg: 0, maxCommittedSizePerReady: 10 }).maxSizePerMsg,
      0,
    );
    assert.equal(c.maxCommittedSizePerReady, 1024);
    assert.equal(c.maxUncommittedEntriesSize, NO_LIMIT);
    assert.equal(c.maxInflightBytes, NO_LIMIT);
    assert.equal(c.readOnlyOption, ReadOnlyOption.ReadOnlySafe);
    assert.equal(c.checkQuorum, false);
    assert.equal(c.asyncStorageWrites, false);
  });

  it('a node ID using all 64 bits is accepted', () => {
    const id = (1n << 64n) - 3n;
    const rn = new RawNode({ ...base(), id, storage: newTestMemoryStorage([id]) });
    assert.equal(rn.basicStatus().id, id);
  });
});

describe('message classification', () => {
  it('local and response types match etcd v3.6', () => {
    const local = [0, 1, 10, 11, 12, 19, 20, 21, 22];
    const resp = [4, 6, 9, 10, 16, 18, 20, 22];
    for (let t = 0; t <= 23; t++) {
      assert.equal(isLocalMsg(t as MessageType), local.includes(t), `local ${t}`);
      assert.equal(isResponseMsg(t as MessageType), resp.includes(t), `response ${t}`);
    }
    // Out-of-range types are neither.
    assert.equal(isLocalMsg(99 as MessageType), false);
    assert.ok(isLocalMsgTarget(LOCAL_APPEND_THREAD));
    assert.ok(isLocalMsgTarget(LOCAL_APPLY_THREAD));
    assert.equal(isLocalMsgTarget(1n), false);
    assert.equal(voteRespMsgType(MessageType.MsgVote), MessageType.MsgVoteResp);
    assert.equal(voteRespMsgType(MessageType.MsgPreVote), MessageType.MsgPreVoteResp);
    assert.throws(() => voteRespMsgType(MessageType.MsgApp), /not a vote message: MsgApp/);
  });
});

describe('sizes', () => {
  const ents: Entry[] = [ent(4, 4), ent(5, 5), ent(6, 6)];
  const size = entrySize(ents[0]!);
  const cases: Array<[number, number]> = [
    [NO_LIMIT, 3],
    [0, 1], // the first entry always goes
    [size, 1],
    [size + 1, 1],
    [2 * size, 2],
    [2 * size + 1, 2],
    [3 * size, 3],
  ];
  for (const [max, want] of cases) {
    it(`limitSize(${max}) keeps ${want}`, () => {
      assert.equal(limitSize(ents, max).length, want);
    });
  }

  it('payload sizes count data bytes only (empty entries are free)', () => {
    assert.equal(payloadSize(ent(1, 1)), 0);
    assert.equal(payloadSize(ent(1, 1, 'abc')), 3);
    assert.equal(payloadsSize([ent(1, 1, 'abc'), ent(1, 2), ent(1, 3, 'de')]), 5);
  });

  it('mustSync on new entries, vote or term, not on a commit change', () => {
    const hs = { term: 1, vote: 1n, commit: 1 };
    assert.equal(mustSync(hs, hs, 0), false);
    assert.equal(mustSync({ ...hs, commit: 2 }, hs, 0), false);
    assert.equal(mustSync(hs, hs, 1), true);
    assert.equal(mustSync({ ...hs, vote: 2n }, hs, 0), true);
    assert.equal(mustSync({ ...hs, term: 2 }, hs, 0), true);
  });
});

describe('descriptions', () => {
  it('describeReady prints every part like etcd', () => {
    const out = describeReady({
      softState: { lead: 1n, raftState: StateType.StateLeader },
      hardState: { term: 2, vote: 1n, commit: 3 },
      readStates: [{ index: 3, requestCtx: new Uint8Array([1, 2]) }],
      entries: [ent(2, 4, 'a')],
      committedEntries: [ent(2, 3)],
      messages: [
        mkMsg({ type: MessageType.MsgApp, from: 1n, to: 2n, term: 2, logTerm: 2, index: 3, commit: 3 }),
      ],
      mustSync: true,
    });
    assert.equal(
      out,
      [
        'Ready MustSync=true:',
        'Lead:1 State:StateLeader',
        'HardState Term:2 Vote:1 Commit:3',
        'ReadStates [{3 [1 2]}]',
        'Entries:',
        '2/4 EntryNormal "a"',
        'CommittedEntries:',
        '2/3 EntryNormal ""',
        'Messages:',
        '1->2 MsgApp Term:2 Log:2/3 Commit:3',
        '',
      ].join('\n'),
    );
    assert.equal(
      describeReady({
        hardState: { term: 0, vote: 0n, commit: 0 },
        readStates: [],
        entries: [],
        committedEntries: [],
        messages: [],
        mustSync: false,
      }),
      '<empty Ready>',
    );
    assert.equal(
      describeSoftState({ lead: 0n, raftState: StateType.StatePreCandidate }),
      'Lead:0 State:StatePreCandidate',
    );
  });

  it("conf changes print as Go's %v", () => {
    assert.equal(
      goFormatConfChange({
        transition: ConfChangeTransition.ConfChangeTransitionAuto,
        changes: [
          { type: ConfChangeType.ConfChangeAddNode, nodeId: 2n },
          { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: 3n },
        ],
      }),
      '{ConfChangeTransitionAuto [{ConfChangeAddNode 2} {ConfChangeAddLearnerNode 3}] []}',
    );
    assert.equal(
      goFormatConfChange({
        id: 7n,
        type: ConfChangeType.ConfChangeRemoveNode,
        nodeId: 2n,
        context: new Uint8Array([1]),
      }),
      '{7 ConfChangeRemoveNode 2 [1]}',
    );
  });

  it('status JSON names IDs in hex, as etcd', () => {
    const storage = newTestMemoryStorage([0x1an]);
    const rn = new RawNode({ ...base(), id: 0x1an, storage });
    rn.campaign();
    // The self-vote counts once the vote is persisted (advance).
    while (rn.hasReady()) {
      const rd = rn.ready();
      storage.append(rd.entries);
      rn.advance(rd);
    }
    const json = JSON.parse(statusToJSON(rn.status()));
    assert.equal(json.id, '1a');
    assert.equal(json.lead, '1a');
    assert.equal(json.raftState, 'StateLeader');
    assert.deepEqual(Object.keys(json.progress), ['1a']);
    assert.equal(json.progress['1a'].state, 'StateReplicate');
  });
});

describe('loggers', () => {
  it('DefaultLogger prefixes the level and hides DEBUG unless enabled', () => {
    const lines: string[] = [];
    const l = new DefaultLogger((line) => lines.push(line));
    l.debug('hidden');
    l.info('1 became leader at term 1');
    l.warning('w');
    l.error('e');
    l.panic('p');
    l.enableDebug();
    l.debug('shown');
    assert.deepEqual(lines, [
      'INFO 1 became leader at term 1',
      'WARN w',
      'ERROR e',
      'FATAL p',
      'DEBUG shown',
    ]);
  });

  it('raft logs etcd text through an injected logger; a pino-style logger can be adapted', () => {
    const lines: string[] = [];
    const logger = new DefaultLogger((line) => lines.push(line), { debug: true });
    const rn = new RawNode({ ...base(), storage: newTestMemoryStorage([1n]), logger });
    rn.campaign();
    assert.deepEqual(lines, [
      'INFO 1 switched to configuration voters=(1)',
      'INFO 1 became follower at term 0',
      'INFO newRaft 1 [peers: [1], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]',
      'INFO 1 is starting a new election at term 0',
      'INFO 1 became candidate at term 1',
    ]);
    const got: Array<[string, string]> = [];
    const adapted = raftLoggerFrom({
      debug: (_f, m) => got.push(['debug', m]),
      info: (_f, m) => got.push(['info', m]),
      warn: (_f, m) => got.push(['warn', m]),
      error: (_f, m) => got.push(['error', m]),
      child: () => {
        throw new Error('unused');
      },
    });
    adapted.warning('x');
    adapted.panic('y');
    assert.deepEqual(got, [
      ['warn', 'x'],
      ['error', 'y'],
    ]);
  });
});

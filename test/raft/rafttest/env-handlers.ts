/**
 * The commands of the interaction test data (etcd-io/raft v3.6 rafttest handlers): argument
 * parsing and dispatch onto InteractionEnv. `handle` returns the text the test data expects.
 */
import type { Config } from '../../../src/raft/config.js';
import { ReadOnlyOption } from '../../../src/raft/config.js';
import { StateType, stateTypeName } from '../../../src/raft/status.js';
import {
  type ConfChange,
  type ConfChangeTransition,
  type ConfChangeV2,
  confChangesFromString,
  MessageType,
  newConfState,
  newSnapshot,
  ConfChangeTransition as Transition,
} from '../../../src/raftpb/index.js';
import { type CmdArg, parseLine, type TestData } from '../../support/datadriven.js';
import {
  EnvError,
  type InteractionEnv,
  isReportedError,
  type Recipient,
  raftConfigStub,
} from './interaction-env.js';
import { LEVEL_NAMES } from './redirect-logger.js';

/**
 * Set by the test so set-randomized-election-timeout can reach raft's internal timeout (etcd's
 * InteractionOpts.SetRandomizedElectionTimeout).
 */
export interface HandlerOptions {
  setRandomizedElectionTimeout: (env: InteractionEnv, idx: number, timeout: number) => void;
}

/** Runs one test case and returns its output (`ok` when there is none). */
export function handle(env: InteractionEnv, d: TestData, opts: HandlerOptions): string {
  env.output.reset();
  try {
    if (d.cmd === 'propose-conf-change') handleProposeConfChange(env, d);
    else handleMultiCommand(env, d, opts);
  } catch (e) {
    if (!isEnvReported(e)) throw e;
    // The highest level silences everything but errors.
    if (env.output.quiet()) return e.message;
    env.output.write(e.message);
  }
  const out = env.output.text();
  return out === '' ? 'ok' : out;
}

function isEnvReported(e: unknown): e is Error {
  return e instanceof EnvError || isReportedError(e);
}

function handleMultiCommand(env: InteractionEnv, d: TestData, opts: HandlerOptions): void {
  handleSingle(env, d, d.cmd, d.cmdArgs, opts);
  if (d.input === '') return;
  for (const line of d.input.split('\n')) {
    const { cmd, cmdArgs } = parseLine(line);
    try {
      handleSingle(env, d, cmd, cmdArgs, opts);
    } catch (e) {
      if (!isEnvReported(e)) throw e;
      if (env.output.quiet()) throw e;
      env.output.write(e.message);
    }
  }
}

function handleSingle(
  env: InteractionEnv,
  d: TestData,
  cmd: string,
  args: readonly CmdArg[],
  opts: HandlerOptions,
): void {
  switch (cmd) {
    case '_breakpoint':
      return;
    case 'add-nodes':
      handleAddNodes(env, d, args);
      return;
    case 'campaign':
      env.get(firstAsNodeIdx(d, args)).rawNode.campaign();
      return;
    case 'compact': {
      const idx = firstAsNodeIdx(d, args);
      const key = args[1]?.key ?? '';
      if (!/^\d+$/.test(key))
        throw new EnvError(`strconv.ParseUint: parsing ${JSON.stringify(key)}: invalid syntax`);
      env.compact(idx, Number(key));
      return;
    }
    case 'deliver-msgs':
      handleDeliverMsgs(env, d, args);
      return;
    case 'process-ready':
      perNode(env, d, args, 'handling Ready', (i) => env.processReady(i));
      return;
    case 'process-append-thread':
      perNode(env, d, args, 'processing append thread', (i) => env.processAppendThread(i));
      return;
    case 'process-apply-thread':
      perNode(env, d, args, 'processing apply thread', (i) => env.processApplyThread(i));
      return;
    case 'log-level':
      setLogLevel(env, args[0]?.key ?? '');
      return;
    case 'raft-log':
      env.raftLog(firstAsNodeIdx(d, args));
      return;
    case 'raft-state':
      handleRaftState(env);
      return;
    case 'set-randomized-election-timeout': {
      const idx = firstAsNodeIdx(d, args);
      const timeout = d.intArg('timeout');
      if (timeout === 0) d.fatal('timeout must not be zero');
      opts.setRandomizedElectionTimeout(env, idx, timeout);
      return;
    }
    case 'stabilize':
      handleStabilize(env, d, args);
      return;
    case 'status':
      env.status(firstAsNodeIdx(d, args));
      return;
    case 'tick-election': {
      const idx = firstAsNodeIdx(d, args);
      env.tick(idx, env.get(idx).config.electionTick);
      return;
    }
    case 'tick-heartbeat': {
      const idx = firstAsNodeIdx(d, args);
      env.tick(idx, env.get(idx).config.heartbeatTick);
      return;
    }
    case 'transfer-leadership': {
      const from = d.intArg('from');
      const to = d.intArg('to');
      if (from === 0 || from > env.nodes.length) d.fatal('expected valid "from" argument');
      if (to === 0 || to > env.nodes.length) d.fatal('expected valid "to" argument');
      env.get(from - 1).rawNode.transferLeader(BigInt(to));
      return;
    }
    case 'forget-leader':
      env.get(firstAsNodeIdx(d, args)).rawNode.forgetLeader();
      return;
    case 'send-snapshot': {
      const idxs = nodeIdxs(d, args);
      if (idxs.length !== 2) d.fatal(`send-snapshot needs 2 node ids, got ${idxs.length}`);
      env.sendSnapshot(idxs[0] as number, idxs[1] as number);
      return;
    }
    case 'propose': {
      const idx = firstAsNodeIdx(d, args);
      const data = args[1]?.key;
      if (data === undefined || args.length !== 2) d.fatal('expected exactly one key with no vals');
      env.get(idx).rawNode.propose(new TextEncoder().encode(data));
      return;
    }
    case 'report-unreachable': {
      const idxs = nodeIdxs(d, args);
      if (idxs.length !== 2) d.fatal('report-unreachable needs 2 node ids');
      env.get(idxs[0] as number).rawNode.reportUnreachable(BigInt((idxs[1] as number) + 1));
      return;
    }
    default:
      throw new EnvError('unknown command');
  }
}

/** Runs `f` on each listed node; with several, each gets a `> N <what>` header and indentation. */
function perNode(
  env: InteractionEnv,
  d: TestData,
  args: readonly CmdArg[],
  what: string,
  f: (idx: number) => void,
) {
  const idxs = nodeIdxs(d, args);
  for (const idx of idxs) {
    if (idxs.length > 1) {
      env.output.write(`> ${idx + 1} ${what}\n`);
      env.withIndent(() => f(idx));
    } else {
      f(idx);
    }
  }
}

function handleAddNodes(env: InteractionEnv, d: TestData, args: readonly CmdArg[]): void {
  const n = firstAsInt(d, args);
  const snap = newSnapshot({ confState: newConfState() });
  const cfg: Omit<Config, 'id' | 'storage'> = raftConfigStub();
  for (const arg of args.slice(1)) {
    for (const v of arg.vals) {
      switch (arg.key) {
        case 'voters':
          snap.metadata.confState.voters.push(parseUint(d, arg.key, v));
          break;
        case 'learners':
          snap.metadata.confState.learners.push(parseUint(d, arg.key, v));
          break;
        case 'inflight':
          cfg.maxInflightMsgs = parseNum(d, arg.key, v);
          break;
        case 'index':
          snap.metadata.index = parseNum(d, arg.key, v);
          cfg.applied = snap.metadata.index;
          break;
        case 'content':
          snap.data = new TextEncoder().encode(v);
          break;
        case 'async-storage-writes':
          cfg.asyncStorageWrites = parseBool(d, arg.key, v);
          break;
        case 'prevote':
          cfg.preVote = parseBool(d, arg.key, v);
          break;
        case 'checkquorum':
          cfg.checkQuorum = parseBool(d, arg.key, v);
          break;
        case 'max-committed-size-per-ready':
          cfg.maxCommittedSizePerReady = parseNum(d, arg.key, v);
          break;
        case 'disable-conf-change-validation':
          cfg.disableConfChangeValidation = parseBool(d, arg.key, v);
          break;
        case 'read-only':
          if (v === 'safe') cfg.readOnlyOption = ReadOnlyOption.ReadOnlySafe;
          else if (v === 'lease-based') cfg.readOnlyOption = ReadOnlyOption.ReadOnlyLeaseBased;
          else throw new EnvError(`invalid read-only option ${JSON.stringify(v)}`);
          break;
        case 'step-down-on-removal':
          cfg.stepDownOnRemoval = parseBool(d, arg.key, v);
          break;
        default:
          break;
      }
    }
  }
  env.addNodes(n, cfg, snap);
}

function handleDeliverMsgs(env: InteractionEnv, d: TestData, args: readonly CmdArg[]): void {
  let type = -1;
  const rs: Recipient[] = [];
  for (const arg of args) {
    if (arg.vals.length === 0) rs.push({ id: parseUint(d, 'recipient', arg.key) });
    for (const v of arg.vals) {
      if (arg.key === 'drop') {
        const id = parseUint(d, arg.key, v);
        if (rs.some((r) => r.id === id)) d.fatal(`can't both deliver and drop msgs to ${id}`);
        rs.push({ id, drop: true });
      } else if (arg.key === 'type') {
        const t = (MessageType as Record<string, number>)[v];
        if (t === undefined) d.fatal(`unknown message type ${v}`);
        type = t;
      }
    }
  }
  if (env.deliverMsgs(type, rs) === 0) env.output.write('no messages\n');
}

function handleStabilize(env: InteractionEnv, d: TestData, args: readonly CmdArg[]): void {
  const idxs = nodeIdxs(d, args);
  const old = env.output.level;
  let restore = false;
  try {
    for (const arg of args) {
      for (const v of arg.vals) {
        if (arg.key === 'log-level') {
          restore = true;
          setLogLevel(env, v);
        }
      }
    }
    env.stabilize(idxs);
  } finally {
    if (restore) env.output.level = old;
  }
}

function handleRaftState(env: InteractionEnv): void {
  for (const n of env.nodes) {
    const st = n.rawNode.status();
    const voter = st.config.voters.ids().has(st.id) ? '(Voter)' : '(Non-Voter)';
    const state = stateTypeName(st.softState.raftState ?? StateType.StateFollower);
    env.output.write(`${st.id}: ${state} ${voter} Term:${st.hardState.term} Lead:${st.softState.lead}\n`);
  }
}

function handleProposeConfChange(env: InteractionEnv, d: TestData): void {
  const idx = firstAsNodeIdx(d, d.cmdArgs);
  let v1 = false;
  let transition: ConfChangeTransition = Transition.ConfChangeTransitionAuto;
  for (const arg of d.cmdArgs.slice(1)) {
    for (const v of arg.vals) {
      if (arg.key === 'v1') v1 = parseBool(d, arg.key, v);
      else if (arg.key === 'transition') {
        if (v === 'auto') transition = Transition.ConfChangeTransitionAuto;
        else if (v === 'implicit') transition = Transition.ConfChangeTransitionJointImplicit;
        else if (v === 'explicit') transition = Transition.ConfChangeTransitionJointExplicit;
        else throw new EnvError(`unknown transition ${v}`);
      } else throw new EnvError(`unknown command ${arg.key}`);
    }
  }
  const ccs = confChangesFromString(d.input);
  let cc: ConfChange | ConfChangeV2;
  if (v1) {
    const first = ccs[0];
    if (ccs.length > 1 || first === undefined || transition !== Transition.ConfChangeTransitionAuto) {
      throw new EnvError('v1 conf change can only have one operation and no transition');
    }
    cc = { id: 0n, type: first.type, nodeId: first.nodeId };
  } else {
    cc = { transition, changes: ccs };
  }
  env.get(idx).rawNode.proposeConfChange(cc);
}

function setLogLevel(env: InteractionEnv, name: string): void {
  const i = LEVEL_NAMES.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new EnvError(`log levels must be either of [${LEVEL_NAMES.join(' ')}]`);
  env.output.level = i;
}

function firstAsInt(d: TestData, args: readonly CmdArg[]): number {
  const k = args[0]?.key ?? '';
  if (!/^[+-]?\d+$/.test(k)) d.fatal(`strconv.Atoi: parsing ${JSON.stringify(k)}: invalid syntax`);
  return Number(k);
}

function firstAsNodeIdx(d: TestData, args: readonly CmdArg[]): number {
  return firstAsInt(d, args) - 1;
}

/** The indexes of the bare numeric arguments (key=value arguments are skipped). */
function nodeIdxs(d: TestData, args: readonly CmdArg[]): number[] {
  const out: number[] = [];
  for (const a of args) {
    if (a.vals.length !== 0) continue;
    if (!/^[+-]?\d+$/.test(a.key)) d.fatal(`strconv.Atoi: parsing ${JSON.stringify(a.key)}: invalid syntax`);
    out.push(Number(a.key) - 1);
  }
  return out;
}

function parseUint(d: TestData, key: string, v: string): bigint {
  if (!/^\d+$/.test(v)) d.fatal(`${key}: invalid unsigned integer ${JSON.stringify(v)}`);
  return BigInt(v);
}

function parseNum(d: TestData, key: string, v: string): number {
  if (!/^\d+$/.test(v)) d.fatal(`${key}: invalid integer ${JSON.stringify(v)}`);
  return Number(v);
}

function parseBool(d: TestData, key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return d.fatal(`${key}: invalid boolean ${JSON.stringify(v)}`);
}

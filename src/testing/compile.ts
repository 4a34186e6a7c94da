/**
 * From one key's operations to the model operations the search steps, with the history
 * patches that keep unknown outcomes tractable (both sound: they never change the verdict).
 *
 * - An operation with a known outcome that is being relaxed (see minimalWindow) counts as unknown.
 * - Reads that failed or are unknown constrain nothing; writes, deletes and appends that failed
 *   did not take effect: all dropped.
 * - An unknown write, delete or cas whose resulting value nothing ever observes (no read returns
 *   it, no cas expects it) is dropped, on keys without appends and without failed cas: it can
 *   always be placed after everything else.
 * - An unknown write or cas that is the only source of a non-null value which an ok read or ok
 *   cas observes must have taken effect before the earliest such observer returned: its return is
 *   bounded there instead of Infinity (keys without appends).
 */
import type { Operation } from './history.js';
import { ABSENT, Kind, type ModelOp, type StateTable } from './register-model.js';

/** The model operations and, for each, the operation it came from. */
export interface Compiled {
  model: ModelOp[];
  source: Operation[];
}

/**
 * Compiles `ops` (one key's operations, each `ops[i]` gets id i) into model operations.
 * Operations in `relaxed` are treated as unknown outcomes; operations invoked at or after
 * `callsBefore` are left out.
 */
export function compileKey(
  ops: readonly Operation[],
  table: StateTable,
  relaxed?: ReadonlySet<Operation>,
  callsBefore = Number.POSITIVE_INFINITY,
): Compiled {
  const model: ModelOp[] = [];
  const source: Operation[] = [];
  for (let id = 0; id < ops.length; id++) {
    const op = ops[id]!;
    if (op.call >= callsBefore) continue;
    const outcome = relaxed?.has(op) === true ? 'info' : op.outcome;
    const ret = outcome === 'info' ? Number.POSITIVE_INFINITY : op.ret;
    const m: ModelOp = { id, kind: Kind.Write, a: ABSENT, b: ABSENT, arg: '', call: op.call, ret };
    switch (op.f) {
      case 'read':
        if (outcome !== 'ok') continue;
        m.kind = Kind.Read;
        m.a = table.idOf(op.output);
        break;
      case 'write':
      case 'delete':
        if (outcome === 'fail') continue;
        m.a = op.f === 'write' ? table.idOf(op.input) : ABSENT;
        break;
      case 'cas': {
        const [expected, next] = op.input as [unknown, unknown];
        m.kind = outcome === 'ok' ? Kind.CasOk : outcome === 'fail' ? Kind.CasFail : Kind.CasInfo;
        m.a = table.idOf(expected);
        m.b = table.idOf(next);
        break;
      }
      case 'append':
        if (outcome === 'fail') continue;
        m.kind = outcome === 'ok' ? Kind.AppendOk : Kind.AppendInfo;
        m.arg = op.input as string;
        break;
    }
    model.push(m);
    source.push(op);
  }
  return patch(model, source);
}

function patch(model: ModelOp[], source: Operation[]): Compiled {
  let hasAppend = false;
  let hasFailedCas = false;
  const observed = new Set<number>();
  const requiredBy = new Map<number, number>();
  const sources = new Map<number, number>();
  const require = (value: number, ret: number) => {
    const known = requiredBy.get(value);
    if (known === undefined || ret < known) requiredBy.set(value, ret);
  };
  const produce = (value: number) => sources.set(value, (sources.get(value) ?? 0) + 1);
  for (const m of model) {
    switch (m.kind) {
      case Kind.Read:
        observed.add(m.a);
        require(m.a, m.ret);
        break;
      case Kind.Write:
        produce(m.a);
        break;
      case Kind.CasOk:
        observed.add(m.a);
        require(m.a, m.ret);
        produce(m.b);
        break;
      case Kind.CasFail:
        hasFailedCas = true;
        break;
      case Kind.CasInfo:
        observed.add(m.a);
        produce(m.b);
        break;
      default:
        hasAppend = true;
    }
  }
  if (hasAppend) return { model, source };
  const keptModel: ModelOp[] = [];
  const keptSource: Operation[] = [];
  for (let i = 0; i < model.length; i++) {
    const m = model[i]!;
    if (m.ret === Number.POSITIVE_INFINITY && (m.kind === Kind.Write || m.kind === Kind.CasInfo)) {
      const produced = m.kind === Kind.Write ? m.a : m.b;
      if (!hasFailedCas && !observed.has(produced)) continue;
      const bound = requiredBy.get(produced);
      if (produced !== ABSENT && bound !== undefined && sources.get(produced) === 1) {
        m.ret = Math.max(bound - 0.5, m.call + 0.25);
      }
    }
    keptModel.push(m);
    keptSource.push(source[i]!);
  }
  return { model: keptModel, source: keptSource };
}

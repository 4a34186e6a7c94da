/** Failpoints: the specification syntax, each action, counts and probabilities, and a real crash. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { isRaftwireError } from '../../src/errors/index.js';
import {
  FAILPOINT_NAMES,
  FailpointError,
  type FailpointName,
  FailpointSet,
  parseFailpoints,
  parseTerm,
} from '../../src/failpoint/index.js';

describe('failpoint specification', () => {
  it('parses every action with probabilities and counts', () => {
    assert.deepEqual(parseTerm('crash'), { probability: 1, count: undefined, action: { kind: 'crash' } });
    assert.deepEqual(parseTerm('panic'), { probability: 1, count: undefined, action: { kind: 'crash' } });
    assert.deepEqual(parseTerm('1*throw'), { probability: 1, count: 1, action: { kind: 'throw' } });
    assert.deepEqual(parseTerm('10%sleep(200)'), {
      probability: 0.1,
      count: undefined,
      action: { kind: 'sleep', ms: 200 },
    });
    assert.deepEqual(parseTerm('50%3*error(ENOSPC)'), {
      probability: 0.5,
      count: 3,
      action: { kind: 'error', code: 'ENOSPC' },
    });
    assert.deepEqual(parseTerm('error').action, { kind: 'error', code: 'EIO' });
    assert.deepEqual(parseTerm(' off ').action, { kind: 'off' });
  });

  it('parses a whole RAFTWIRE_FAILPOINTS value', () => {
    const m = parseFailpoints(
      'raftAfterSave=crash;raftBeforeSaveSnap=10%sleep(200); ;walBeforeFsync=1*error',
    );
    assert.deepEqual([...m.keys()], ['raftAfterSave', 'raftBeforeSaveSnap', 'walBeforeFsync']);
    assert.equal(m.get('walBeforeFsync')?.count, 1);
    assert.equal(parseFailpoints('').size, 0);
  });

  it('names etcd gofail points and raftwire own ones', () => {
    for (const n of [
      'raftBeforeSave',
      'raftAfterSave',
      'raftBeforeLeaderSend',
      'raftBeforeFollowerSend',
      'raftBeforeSaveSnap',
      'raftAfterSaveSnap',
      'raftBeforeApplySnap',
      'raftAfterApplySnap',
      'applyBeforeEntry',
    ])
      assert.ok((FAILPOINT_NAMES as readonly string[]).includes(n), n);
  });

  for (const bad of [
    'nosuchPoint=crash',
    'raftAfterSave',
    'raftAfterSave=explode',
    'raftAfterSave=sleep',
    'raftAfterSave=sleep(x)',
    'raftAfterSave=crash(1)',
    'raftAfterSave=0%crash',
    'raftAfterSave=150%crash',
    'raftAfterSave=0*crash',
    'raftAfterSave=error(EWHAT)',
    'raftAfterSave=crash;raftAfterSave=throw',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with RAFTWIRE_FAILPOINT_INVALID`, () => {
      assert.throws(
        () => parseFailpoints(bad),
        (e: unknown) => e instanceof FailpointError && isRaftwireError(e, 'RAFTWIRE_FAILPOINT_INVALID'),
      );
    });
  }
});

describe('failpoint actions', () => {
  const name: FailpointName = 'raftBeforeSave';

  it('does nothing for a point that is not enabled, or turned off', () => {
    const s = new FailpointSet();
    s.eval(name);
    assert.equal(s.evalAsync(name), undefined);
    s.set(name, 'throw');
    s.set(name, 'off');
    s.eval(name);
    assert.equal(s.fired(name), 0);
  });

  it('throw raises RAFTWIRE_FAILPOINT_TRIGGERED; error raises an errno-shaped I/O error', () => {
    const s = new FailpointSet(parseFailpoints('raftBeforeSave=throw;walBeforeFsync=error(ENOSPC)'));
    assert.throws(
      () => s.eval(name),
      (e: unknown) => isRaftwireError(e, 'RAFTWIRE_FAILPOINT_TRIGGERED'),
    );
    assert.throws(
      () => s.eval('walBeforeFsync'),
      (e: NodeJS.ErrnoException) =>
        e.code === 'ENOSPC' && e.errno === -28 && /walBeforeFsync/.test(e.message),
    );
    assert.equal(s.fired(name), 1);
  });

  it('N* fires N times only (1* = once)', () => {
    const s = new FailpointSet();
    s.set(name, '2*throw');
    assert.throws(() => s.eval(name));
    assert.throws(() => s.eval(name));
    s.eval(name);
    s.eval(name);
    assert.equal(s.fired(name), 2);
  });

  it('P% fires with that probability (injected random)', () => {
    const draws = [0.05, 0.5, 0.09, 0.95];
    const s = new FailpointSet(new Map(), () => draws.shift() ?? 1);
    s.set(name, '10%throw');
    assert.throws(() => s.eval(name)); // 0.05 < 0.1
    s.eval(name); // 0.5
    assert.throws(() => s.eval(name)); // 0.09
    s.eval(name); // 0.95
    assert.equal(s.fired(name), 2);
  });

  it('a probability with a count spends the count only when it fires', () => {
    const draws = [0.9, 0.1, 0.1];
    const s = new FailpointSet(new Map(), () => draws.shift() ?? 0);
    s.set(name, '50%1*throw');
    s.eval(name);
    assert.throws(() => s.eval(name));
    s.eval(name);
    assert.equal(s.fired(name), 1);
  });

  it('sleep waits: a timer at async points, a blocked thread at synchronous ones', async () => {
    const s = new FailpointSet();
    s.set(name, 'sleep(120)');
    let t0 = performance.now();
    const p = s.evalAsync(name);
    assert.ok(p instanceof Promise);
    await p;
    assert.ok(performance.now() - t0 >= 110, 'async sleep');
    t0 = performance.now();
    s.eval(name);
    assert.ok(performance.now() - t0 >= 110, 'sync sleep');
  });

  it('crash calls the crash function (which never returns)', () => {
    const crashed: string[] = [];
    const s = new FailpointSet(new Map(), Math.random, (n) => {
      crashed.push(n);
      throw new Error('crashed');
    });
    s.set(name, 'crash');
    assert.throws(() => s.eval(name), /crashed/);
    assert.deepEqual(crashed, [name]);
  });
});

describe('RAFTWIRE_FAILPOINTS in a real process', () => {
  const script = `
    const fp = await import(${JSON.stringify(new URL('../../src/failpoint/index.js', import.meta.url).href)});
    console.log(JSON.stringify({ on: fp.FAILPOINTS_ON, err: fp.failpointConfigError()?.code ?? null }));
    fp.failpoint('raftAfterSave');
    console.log('survived');
  `;
  function run(
    env: string | undefined,
  ): Promise<{ code: number | null; signal: string | null; out: string }> {
    return new Promise((resolve) => {
      const e = { ...process.env };
      delete e.RAFTWIRE_FAILPOINTS;
      if (env !== undefined) e.RAFTWIRE_FAILPOINTS = env;
      const c = spawn(process.execPath, ['--input-type=module', '-e', script], { env: e });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d));
      c.stderr.on('data', (d: Buffer) => (out += d));
      c.on('exit', (code, signal) => resolve({ code, signal, out }));
    });
  }

  it('off without the variable: the point is not evaluated', async () => {
    const r = await run(undefined);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"on":false/);
    assert.match(r.out, /survived/);
  });

  it('crash kills the process with SIGKILL and names the point on stderr', async () => {
    const r = await run('raftAfterSave=crash');
    assert.equal(r.signal, 'SIGKILL', r.out);
    assert.match(r.out, /failpoint raftAfterSave: crash/);
    assert.doesNotMatch(r.out, /survived/);
  });

  it('a bad specification is reported, and the points stay off', async () => {
    const r = await run('raftAfterSave=kaboom');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"err":"RAFTWIRE_FAILPOINT_INVALID"/);
  });
});

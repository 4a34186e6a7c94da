/**
 * libfiu (real libc failures under a member process, not raftwire failpoints): the environment
 * `fiu-run -x` gives a program (its LD_PRELOAD of libfiu's POSIX wrappers and the control-fifo
 * prefix), taken from fiu-run itself, and `fiu-ctrl` to enable failure points in a running process.
 * libuv's io_uring is turned off so that node's fs calls go through libc, where libfiu sits.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** The environment `fiu-run -x` sets up, plus UV_USE_IO_URING=0. */
export function fiuRunEnv(): Record<string, string> {
  const out = execFileSync('fiu-run', ['-x', '--', 'env'], { encoding: 'utf8' });
  const env: Record<string, string> = { UV_USE_IO_URING: '0' };
  for (const line of out.split('\n')) {
    const m = /^(LD_PRELOAD|FIU_CTRL_FIFO)=(.*)$/.exec(line);
    if (m !== null) env[m[1] as string] = m[2] as string;
  }
  if (env.LD_PRELOAD === undefined || !env.LD_PRELOAD.includes('fiu_posix_preload'))
    throw new Error(`fiu-run -x set no POSIX preload: ${out}`);
  return env;
}

/** Runs libfiu remote-control `commands` (e.g. `enable name=posix/io/sync/fsync,failinfo=5`) in `pid`. */
export function fiuCtrl(pid: number, commands: string[]): void {
  execFileSync('fiu-ctrl', [...commands.flatMap((c) => ['-c', c]), String(pid)], { timeout: 10_000 });
}

/** Removes the control fifos of `pid` (left behind when the process was SIGKILLed). */
export function removeFiuFifos(env: Record<string, string>, pid: number): void {
  const prefix = env.FIU_CTRL_FIFO ?? '/tmp/fiu-ctrl';
  for (const end of ['in', 'out']) rmSync(`${prefix}-${pid}.${end}`, { force: true });
}

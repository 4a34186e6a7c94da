/** Spawning the WAL test fixtures (compiled beside this file) and reading their output lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Fixtures still running: killed after the file's tests, so a failed or timed-out test leaves none. */
const live = new Set<ChildProcess>();
after(() => {
  for (const child of live) child.kill('SIGKILL');
});

/** A running fixture: its process, and its stdout as lines. */
export interface Fixture {
  child: ChildProcess;
  lines: AsyncIterableIterator<string>;
  stderr: () => string;
  exited: Promise<unknown>;
}

/** Starts `fixtures/<name>.js` with `args`. */
export function startFixture(name: string, args: string[]): Fixture {
  const child = spawn(process.execPath, [join(here, 'fixtures', `${name}.js`), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  const exited = once(child, 'exit');
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return { child, lines: rl[Symbol.asyncIterator](), stderr: () => err, exited };
}

/** The next line, or `undefined` at the end of the output. */
export async function nextLine(f: Fixture): Promise<string | undefined> {
  const r = await f.lines.next();
  return r.done ? undefined : r.value;
}

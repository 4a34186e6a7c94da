/**
 * `raftwire check-history <file|-> [--timeout S]`: checks a JSON-lines history for
 * linearizability. Exit 0 linearizable, 1 not (key, explanation and timeline printed), 2 malformed
 * input (with the line number) or undecided within the timeout.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkHistory, HistoryFormatError, parseHistory } from '../testing/index.js';

const USAGE = 'usage: raftwire check-history <file|-> [--timeout SECONDS]  (default 60)';

/** Runs the command; returns the exit code. */
export function checkHistoryCommand(args: string[]): number {
  let parsed: ReturnType<
    typeof parseArgs<{ options: { timeout: { type: 'string' } }; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args, options: { timeout: { type: 'string' } }, allowPositionals: true });
  } catch (e) {
    console.error(`raftwire check-history: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = parsed.positionals[0];
  const seconds = Number(parsed.values.timeout ?? '60');
  if (file === undefined || parsed.positionals.length > 1 || !(seconds > 0)) {
    console.error(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    console.error(`raftwire check-history: cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  try {
    const result = checkHistory(parseHistory(text), { timeoutMs: seconds * 1000 });
    switch (result.outcome) {
      case 'linearizable':
        console.log(`linearizable: ${result.operations} operations on ${result.keys} keys`);
        return 0;
      case 'not-linearizable':
        console.log(`not linearizable: key ${JSON.stringify(result.key)}\n${result.explanation}\n`);
        console.log(result.timeline);
        return 1;
      case 'undecided':
        console.log(`undecided: ${result.reason}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof HistoryFormatError) {
      console.error(`raftwire check-history: ${file}: line ${e.line}: ${e.reason}`);
      return 2;
    }
    throw e;
  }
}

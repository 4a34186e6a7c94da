/**
 * `raftwire cluster`: a local cluster in one command (what `npm start` runs). See docs/cluster.md.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ClusterError,
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_NODES,
  MAX_NODES,
  Supervisor,
} from '../cluster/index.js';

const HELP = `Usage: raftwire cluster [--nodes N] [--data-dir DIR] [--base-port PORT]

Starts N key-value members ('raftwire node') on 127.0.0.1 as child processes, waits for a leader,
prints their URLs and the status page's, and runs until Ctrl-C, which stops every member cleanly.
A second run on the same --data-dir reuses the data.

  --nodes N              members, 1 to ${MAX_NODES} (default ${DEFAULT_NODES})
  --data-dir DIR         data directory: member-<i>/ and member-<i>.log per member
                         (default ${DEFAULT_DATA_DIR})
  --base-port PORT       the status page's port; member i serves clients on PORT+10*i and peers
                         on PORT+10*i+1 (default ${DEFAULT_BASE_PORT})
  --snapshot-count N     members snapshot every N applied entries (default 1000, low enough
                         for a restarted member to catch up by snapshot in a demo)
  --snapshot-catch-up-entries N
                         entries a snapshot keeps for slow followers (default 100)
  --startup-timeout MS   how long to wait for a leader (default 60000)
  --stop-timeout MS      how long a member may take to stop before SIGKILL (default 10000)
`;

function int(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Runs the cluster until SIGINT/SIGTERM (exit 0), or fails to start (exit 1; 2 for bad flags). */
export async function clusterCommand(args: string[]): Promise<number> {
  let nodes: number;
  let basePort: number;
  let dataDir: string;
  let startupTimeoutMs: number;
  let stopTimeoutMs: number;
  let memberArgs: string[];
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' },
        'data-dir': { type: 'string' },
        'base-port': { type: 'string' },
        'startup-timeout': { type: 'string' },
        'stop-timeout': { type: 'string' },
        'snapshot-count': { type: 'string' },
        'snapshot-catch-up-entries': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      console.log(HELP);
      return 0;
    }
    nodes = int('nodes', values.nodes, DEFAULT_NODES);
    basePort = int('base-port', values['base-port'], DEFAULT_BASE_PORT);
    dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
    startupTimeoutMs = int('startup-timeout', values['startup-timeout'], 60_000);
    stopTimeoutMs = int('stop-timeout', values['stop-timeout'], 10_000);
    memberArgs = [
      '--snapshot-count',
      String(Math.max(1, int('snapshot-count', values['snapshot-count'], 1000))),
      '--snapshot-catch-up-entries',
      String(Math.max(1, int('snapshot-catch-up-entries', values['snapshot-catch-up-entries'], 100))),
    ];
  } catch (err) {
    console.error(`raftwire cluster: ${(err as Error).message.split('\n')[0]}`);
    return 2;
  }

  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let sup: Supervisor;
  try {
    sup = await Supervisor.start({ nodes, basePort, dataDir, stopTimeoutMs, memberArgs });
  } catch (err) {
    console.error(`raftwire cluster: ${oneLine(err)}`);
    return err instanceof ClusterError && err.code === 'RAFTWIRE_CLUSTER_INVALID_OPTIONS' ? 2 : 1;
  }

  let stopping: Promise<number> | undefined;
  const stop = (why: string): Promise<number> => {
    stopping ??= (async () => {
      console.log(`raftwire cluster: ${why}: stopping ${nodes} member${nodes === 1 ? '' : 's'}…`);
      const { killed } = await sup.close();
      if (killed.length > 0) {
        console.error(
          `raftwire cluster: SIGKILLed member(s) ${killed.join(', ')}: they did not stop in time`,
        );
      }
      console.log(`raftwire cluster: stopped; the data stays in ${shown(sup.layout.dataDir)}`);
      return killed.length > 0 ? 1 : 0;
    })();
    return stopping;
  };

  const started = await Promise.race([
    sup.waitForLeader(startupTimeoutMs).then(
      (leader) => ({ leader }),
      (err: unknown) => ({ err }),
    ),
    signalled.then((sig) => ({ sig })),
  ]);
  if ('sig' in started) return stop(started.sig);
  if ('err' in started) {
    console.error(`raftwire cluster: ${oneLine(started.err)}`);
    await stop('startup failed');
    return 1;
  }
  const { leader } = started;
  const lines = [
    `raftwire cluster: ${nodes} member${nodes === 1 ? '' : 's'} running on ${shown(sup.layout.dataDir)}, leader: member ${leader.index} (term ${leader.term})`,
  ];
  for (const m of sup.layout.members) {
    lines.push(`  member ${m.index}  ${m.clientUrl}   (peers ${m.peerUrl}, log ${shown(m.logFile)})`);
  }
  lines.push(`  status page  ${sup.url}/-/`);
  lines.push(
    `Try: curl -X PUT -d bar ${sup.layout.members[0]?.clientUrl}/foo   ·   Ctrl-C stops the cluster.`,
  );
  console.log(lines.join('\n'));
  return stop(await signalled);
}

function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r === '' ? '.' : r.startsWith('..') ? path : `./${r}`;
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

/**
 * `raftwire node --compat raftexample`: a member of a Go raftexample cluster (etcd 3.4.23's
 * contrib/raftexample), with raftexample's flags and layout: `--id N` (raft ID; its peer URL is the
 * N-th `--cluster` entry, where it listens), `--cluster URL1,URL2,…`, `--port P` (the KV API on
 * `:P`), `--join`; WAL in `./raftexample-<id>`, snapshots in `./raftexample-<id>-snap`. Exits 0
 * when it applies its own removal (as raftexample does), 1 on a fatal error (e.g. an entry Go's
 * gob decoder rejects), 0 on SIGINT/SIGTERM. See docs/interop.md#running-raftwire-in-a-raftexample-cluster.
 */
import { parseArgs } from 'node:util';
import { parseUintBase0, RaftexampleMember } from '../kv/raftexample/index.js';
import { createCliLogger, type LogLevel } from './cli-logger.js';

const HELP = `Usage: raftwire node --compat raftexample --id N --cluster URL1,URL2,... --port PORT [--join]

A member of an etcd raftexample cluster (Go contrib/raftexample, etcd 3.4): the same entries,
snapshots, peer traffic, client API and data directories as a Go member.

  --id N              this node's raft ID; its peer URL is the N-th --cluster entry (default 1)
  --cluster URLS      comma-separated peer URLs of the initial members (default http://127.0.0.1:9021)
  --port PORT         key-value API port, on all interfaces (default 9121)
  --join              join an existing cluster (first: curl -X POST -d URL http://member/<id>)
  --log-level LEVEL   debug, info, warn, error or silent (default info)

Data: ./raftexample-<id> (WAL) and ./raftexample-<id>-snap (snapshots), as raftexample.
`;

class UsageError extends Error {}

/** Go's flag package takes -name as well as --name: normalise to --name. */
function normalise(args: string[]): string[] {
  return args.map((a) => (/^-[a-z]/.test(a) ? `-${a}` : a));
}

/** Parses raftexample's flags (the --compat flag already removed). */
export function raftexampleFlags(
  args: string[],
): { id: bigint; cluster: string[]; port: number; join: boolean; logLevel: LogLevel } | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: normalise(args),
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string' },
        cluster: { type: 'string' },
        port: { type: 'string' },
        join: { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad flags');
  }
  if (values.help === true) return 'help';
  const idText = (values.id as string | undefined) ?? '1';
  const id = parseUintBase0(idText);
  if (id === undefined || id === 0n)
    throw new UsageError(`--id must be a positive integer, got ${JSON.stringify(idText)}`);
  const cluster = ((values.cluster as string | undefined) ?? 'http://127.0.0.1:9021').split(',');
  for (const u of cluster) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`--cluster: ${JSON.stringify(u)} is not a URL`);
    }
    if (url.protocol !== 'http:')
      throw new UsageError(`--cluster: ${u} is not http (raftexample has no TLS)`);
  }
  if (!values.join && id > BigInt(cluster.length))
    throw new UsageError(`--id ${id} has no entry in --cluster (${cluster.length} URLs)`);
  if (id > BigInt(cluster.length))
    throw new UsageError(`--id ${id}: its peer URL must be entry ${id} of --cluster`);
  const portText = (values.port as string | undefined) ?? '9121';
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535)
    throw new UsageError(`--port must be a port, got ${JSON.stringify(portText)}`);
  const logLevel = ((values['log-level'] as string | undefined) ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel))
    throw new UsageError(
      `--log-level must be debug, info, warn, error or silent, got ${JSON.stringify(logLevel)}`,
    );
  return { id, cluster, port, join: values.join === true, logLevel };
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${msg} (${e.code})` : msg;
}

/** Runs one raftexample member until removed (exit 0), SIGINT/SIGTERM (0) or a fatal error (1). */
export async function raftexampleCommand(args: string[]): Promise<number> {
  let flags: ReturnType<typeof raftexampleFlags>;
  try {
    flags = raftexampleFlags(args);
  } catch (err) {
    console.error(`raftwire node --compat raftexample: ${(err as Error).message}`);
    return 2;
  }
  if (flags === 'help') {
    console.log(HELP);
    return 0;
  }
  const logger = createCliLogger(flags.logLevel);
  let member: RaftexampleMember;
  try {
    member = await RaftexampleMember.start({
      id: flags.id,
      cluster: flags.cluster,
      port: flags.port,
      join: flags.join,
      dir: process.cwd(),
      logger,
    });
  } catch (err) {
    console.error(`raftwire node --compat raftexample: ${describe(err)}`);
    return 1;
  }
  logger.info(
    { id: flags.id.toString(), 'client-port': member.port, 'peer-port': member.replica.peerAddress.port },
    'raftexample member serving',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (code: number, why: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason: why }, 'shutting down');
      const hardStop = setTimeout(() => resolve(code === 0 ? 1 : code), 10_000);
      hardStop.unref();
      member.close().then(
        () => resolve(code),
        (err: unknown) => {
          console.error(`raftwire node --compat raftexample: close failed: ${describe(err)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    const fatal = (err: Error): void => {
      logger.error({ error: describe(err) }, 'member stopped on a fatal error');
      console.error(`raftwire node --compat raftexample: fatal: ${describe(err)}`);
      stop(1, 'fatal');
    };
    // Either may have happened while the client port was opening.
    const early = member.replica.failure;
    if (early !== undefined) return fatal(early);
    if (member.replica.removed) return stop(0, 'removed from the cluster');
    member.replica.once('removed', () => stop(0, 'removed from the cluster'));
    member.replica.once('fatal', fatal);
  });
}

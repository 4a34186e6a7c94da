/**
 * `raftwire node`: one key-value member, with raftexample's flags and meaning (cluster ID 0x1000,
 * member IDs 1..n by position in --cluster, peers served on the member's own --cluster entry, the
 * client API on --port), plus etcd-style listen/advertise separation, TLS, data directory and
 * logging flags. See docs/kv.md#the-raftwire-node-command.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type FailpointServer,
  failpointConfigError,
  failpointHttpAddress,
  parseListenAddress,
  processFailpoints,
  startFailpointServer,
} from '../failpoint/index.js';
import { KvNode, type KvNodeOptions } from '../kv/index.js';
import { createCliLogger, type LogLevel } from './cli-logger.js';
import { raftexampleCommand } from './raftexample-command.js';

const HELP = `Usage: raftwire node --id N --cluster URL1,URL2,... [--port PORT] [options]

  --id N                 this member's ID: its 1-based position in --cluster (default 1)
  --cluster URLS         comma-separated peer URLs of every member, in ID order
                         (default http://127.0.0.1:9021)
  --port PORT            client API port (default 9121)
  --join                 join an existing cluster (add it first: POST /-/members on a member)
  --data-dir DIR         WAL and snapshots (default ./raftwire-<id>)
  --snapshot-count N     take a snapshot every N applied entries (default 10000)
  --snapshot-catch-up-entries N
                         entries kept after a snapshot for slow followers (default 5000)
  --wal-sync MODE        how a WAL save is made durable: o_dsync (default, an O_DSYNC
                         write) or fdatasync (write, then fdatasync, as etcd)
  --listen-peer URL      bind the peer server here instead of this member's --cluster entry
  --listen-client URL    bind the client API here (e.g. http://0.0.0.0:2379) instead of :PORT
  --peer-cert/--peer-key/--peer-ca FILE           TLS for peer traffic (--peer-ca: verify both ways)
  --client-cert/--client-key/--client-ca FILE     TLS for the client API
  --client-cert-auth     require client certificates signed by --client-ca
  --request-timeout MS   time limit of a write or linearizable read (default 5000)
  --max-value-bytes N    largest PUT body (default 1572864)
  --log-level LEVEL      debug, info, warn, error or silent (default info)
  --compat raftexample   run as a member of an etcd raftexample cluster instead
                         (see raftwire node --compat raftexample --help)

The status page is at /-/ on the client port.
`;

/** A usage error: one line, exit status 2. */
class UsageError extends Error {}

function int(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function url(name: string, text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--${name}: ${JSON.stringify(text)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`--${name}: ${text} is not http(s)`);
  if (u.port === '') throw new UsageError(`--${name}: ${text} has no port`);
  return u;
}

function file(name: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`--${name}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Parses the flags into KvNode options (throws UsageError). */
export function nodeOptions(args: string[]): { options: KvNodeOptions; logLevel: LogLevel } | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string' },
        cluster: { type: 'string' },
        port: { type: 'string' },
        join: { type: 'boolean' },
        'data-dir': { type: 'string' },
        'snapshot-count': { type: 'string' },
        'snapshot-catch-up-entries': { type: 'string' },
        'wal-sync': { type: 'string' },
        'listen-peer': { type: 'string' },
        'listen-client': { type: 'string' },
        'peer-cert': { type: 'string' },
        'peer-key': { type: 'string' },
        'peer-ca': { type: 'string' },
        'client-cert': { type: 'string' },
        'client-key': { type: 'string' },
        'client-ca': { type: 'string' },
        'client-cert-auth': { type: 'boolean' },
        'request-timeout': { type: 'string' },
        'max-value-bytes': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad flags');
  }
  if (values.help === true) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const id = int('id', str('id'), 1, 1);
  const clusterUrls = (str('cluster') ?? 'http://127.0.0.1:9021').split(',').filter((s) => s !== '');
  const cluster = clusterUrls.map((u) => url('cluster', u).href.replace(/\/$/, ''));
  if (id > cluster.length)
    throw new UsageError(`--id ${id} has no entry in --cluster (${cluster.length} URLs)`);
  const own = new URL(cluster[id - 1] as string);
  const port = int('port', str('port'), 9121);
  if (port > 65535) throw new UsageError(`--port ${port} is not a port`);
  const logLevel = (str('log-level') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new UsageError(
      `--log-level must be debug, info, warn, error or silent, got ${JSON.stringify(logLevel)}`,
    );
  }
  const peerCert = file('peer-cert', str('peer-cert'));
  const peerKey = file('peer-key', str('peer-key'));
  const peerCa = file('peer-ca', str('peer-ca'));
  if ((peerCert === undefined) !== (peerKey === undefined))
    throw new UsageError('--peer-cert and --peer-key go together');
  const clientCert = file('client-cert', str('client-cert'));
  const clientKey = file('client-key', str('client-key'));
  const clientCa = file('client-ca', str('client-ca'));
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new UsageError('--client-cert and --client-key go together');
  }
  if (values['client-cert-auth'] === true && (clientCa === undefined || clientCert === undefined)) {
    throw new UsageError('--client-cert-auth needs --client-ca, --client-cert and --client-key');
  }
  let clientHost: string | undefined;
  let clientPort = port;
  const listenClient = str('listen-client');
  if (listenClient !== undefined) {
    const u = url('listen-client', listenClient);
    clientHost = u.hostname.replace(/^\[|\]$/g, '');
    clientPort = Number(u.port);
  }
  const listenPeer = str('listen-peer');
  if (listenPeer !== undefined) url('listen-peer', listenPeer);
  const clientScheme = clientCert === undefined ? 'http' : 'https';
  const options: KvNodeOptions = {
    id: BigInt(id),
    clusterId: 0x1000n,
    dataDir: str('data-dir') ?? `./raftwire-${id}`,
    initialCluster: cluster.map((u, i) => ({ id: BigInt(i + 1), peerUrls: [u] })),
    join: values.join === true,
    snapshotCount: int('snapshot-count', str('snapshot-count'), 10000, 1),
    snapshotCatchUpEntries: int('snapshot-catch-up-entries', str('snapshot-catch-up-entries'), 5000, 1),
    clientPort,
    clientUrl: `${clientScheme}://${own.hostname}:${clientPort}`,
    requestTimeoutMs: int('request-timeout', str('request-timeout'), 5000, 1),
    maxValueBytes: int('max-value-bytes', str('max-value-bytes'), 1.5 * 1024 * 1024, 1),
  };
  const walSync = str('wal-sync');
  if (walSync !== undefined) {
    if (walSync !== 'o_dsync' && walSync !== 'fdatasync')
      throw new UsageError(`--wal-sync: expected o_dsync or fdatasync, got '${walSync}'`);
    options.walSync = walSync;
  }
  if (clientHost !== undefined) options.clientHost = clientHost;
  if (listenPeer !== undefined) options.listenPeerUrl = listenPeer;
  if (peerCert !== undefined && peerKey !== undefined) {
    options.peerTls = { cert: peerCert, key: peerKey, ...(peerCa === undefined ? {} : { ca: peerCa }) };
  }
  if (clientCert !== undefined && clientKey !== undefined) {
    options.clientTls = {
      cert: clientCert,
      key: clientKey,
      ...(clientCa === undefined ? {} : { ca: clientCa }),
      clientCertAuth: values['client-cert-auth'] === true,
    };
  }
  return { options, logLevel };
}

/** The one line shown for a startup failure. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; address?: unknown; port?: unknown };
  if (e?.code === 'EADDRINUSE') return `address in use: ${String(e.address ?? '')}:${String(e.port ?? '')}`;
  if (e?.code === 'EACCES') return `permission denied to listen on port ${String(e.port ?? '')}`;
  const msg = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  return typeof e?.code === 'string' ? `${msg} (${e.code})` : (msg ?? 'failed');
}

/** `--compat raftexample` (or `--compat=raftexample`): the other flags; 'bad' for another mode. */
function compatMode(args: string[]): { rest: string[] } | 'bad' | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--compat' || a === '-compat') {
      if (args[i + 1] !== 'raftexample') return 'bad';
      return { rest: [...args.slice(0, i), ...args.slice(i + 2)] };
    }
    if (a.startsWith('--compat=')) {
      if (a !== '--compat=raftexample') return 'bad';
      return { rest: [...args.slice(0, i), ...args.slice(i + 1)] };
    }
  }
  return undefined;
}

/** Runs one member until SIGINT/SIGTERM (exit 0) or a fatal error (exit 1). */
export async function nodeCommand(args: string[]): Promise<number> {
  const compat = compatMode(args);
  if (compat === 'bad') {
    console.error('raftwire node: --compat takes one value: raftexample');
    return 2;
  }
  if (compat !== undefined) return raftexampleCommand(compat.rest);
  let parsed: ReturnType<typeof nodeOptions>;
  try {
    parsed = nodeOptions(args);
  } catch (err) {
    console.error(`raftwire node: ${(err as Error).message}`);
    return 2;
  }
  if (parsed === 'help') {
    console.log(HELP);
    return 0;
  }
  const fpError = failpointConfigError();
  if (fpError !== undefined) {
    console.error(`raftwire node: RAFTWIRE_FAILPOINTS: ${fpError.message}`);
    return 2;
  }
  const fpHttp = failpointHttpAddress();
  let fpListen: { host: string; port: number } | undefined;
  if (fpHttp !== undefined) {
    try {
      fpListen = parseListenAddress(fpHttp);
    } catch (err) {
      console.error(`raftwire node: ${(err as Error).message}`);
      return 2;
    }
  }
  const { options, logLevel } = parsed;
  // Set only by `raftwire cluster` for the members it supervises (src/cluster/).
  const token = process.env.RAFTWIRE_SUPERVISOR_TOKEN;
  if (token !== undefined && token !== '') options.supervisorToken = token;
  const logger = createCliLogger(logLevel);
  let node: KvNode;
  try {
    node = await KvNode.start({ ...options, logger });
  } catch (err) {
    console.error(`raftwire node: ${describe(err)}`);
    return 1;
  }
  let fpServer: FailpointServer | undefined;
  if (fpListen !== undefined) {
    try {
      fpServer = await startFailpointServer(processFailpoints, fpListen);
    } catch (err) {
      console.error(`raftwire node: RAFTWIRE_FAILPOINTS_HTTP: ${describe(err)}`);
      await node.close();
      return 1;
    }
    logger.warn(
      { 'failpoint-port': fpServer.address.port },
      'failpoints can be armed over HTTP (testing only)',
    );
  }
  const addr = node.server.address;
  logger.info(
    {
      'local-member-id': options.id.toString(16),
      'client-port': addr.port,
      'peer-port': node.replica.peerAddress.port,
      'data-dir': options.dataDir,
    },
    'raftwire node serving',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (code: number, why: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason: why }, 'shutting down');
      if (options.supervisorToken !== undefined) process.stdin.destroy();
      // A close that does not finish in 10 s must not keep a stopped member's process around.
      const hardStop = setTimeout(() => {
        console.error(`raftwire node: close did not finish within 10 s (${why}); exiting`);
        process.exit(code === 0 ? 1 : code);
      }, 10_000);
      hardStop.unref();
      Promise.all([node.close(), fpServer?.close()]).then(
        () => resolve(code),
        (err: unknown) => {
          console.error(`raftwire node: close failed: ${describe(err)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop(0, 'SIGINT'));
    process.once('SIGTERM', () => stop(0, 'SIGTERM'));
    if (options.supervisorToken !== undefined) {
      // A supervised member's stdin is a pipe from `raftwire cluster`: its end means the
      // supervisor is gone (even SIGKILLed), and the member must not outlive it.
      const gone = (): void => stop(0, 'supervisor gone');
      process.stdin.once('end', gone).once('error', gone).resume();
    }
    const fatal = (err: Error): void => {
      logger.error({ err: describe(err), cause: describe(err.cause) }, 'member stopped');
      console.error(`raftwire node: ${describe(err)}`);
      stop(1, 'fatal');
    };
    // A fatal error while the client API was still starting (a failed first fsync, say) was
    // emitted before this listener existed: the member would serve 503s forever.
    const early = node.replica.failure;
    if (early !== undefined) fatal(early);
    else node.replica.once('fatal', fatal);
  });
}

/**
 * `raftwire status <url> [--watch]`: the status page's picture as one terminal table, from a
 * member's client URL (the cluster as that member sees it) or a `raftwire cluster` supervisor's URL
 * (every member). See docs/cluster.md#raftwire-status.
 */
import { parseArgs } from 'node:util';

const HELP = `Usage: raftwire status <url> [--watch] [--interval MS]

Prints one table of the cluster from a member's client URL (http://127.0.0.1:12389) or the
'raftwire cluster' supervisor's URL (http://127.0.0.1:12379). --watch refreshes it until Ctrl-C.

  --watch          redraw every --interval ms until Ctrl-C
  --interval MS    refresh period of --watch (default 1000)
  --timeout MS     time limit of one request (default 3000)
`;

type Json = Record<string, unknown>;

interface Row {
  member: string;
  state: string;
  role: string;
  term: string;
  commit: string;
  applied: string;
  snapshot: string;
  peers: string;
  url: string;
  note: string;
}

const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '');
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function rowOf(member: string, s: Json, url: string, note: string): Row {
  const peers = Array.isArray(s.peers) ? (s.peers as Json[]) : [];
  return {
    member,
    state: s.isolated === true ? 'isolated' : 'up',
    role: str(s.role),
    term: num(s.term),
    commit: num(s.commit),
    applied: num(s.applied),
    snapshot: num(s.snapshotIndex),
    peers: `${peers.filter((p) => p.active === true).length}/${peers.length}`,
    url,
    note,
  };
}

function ago(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The table for a /-/status answer (a supervisor's or a member's). */
export function renderStatus(base: string, body: Json): string {
  const rows: Row[] = [];
  let title: string;
  let leader = '';
  let leaderSince: unknown;
  let term: unknown;
  if (typeof body.supervisor === 'object' && body.supervisor !== null && Array.isArray(body.members)) {
    const members = body.members as Json[];
    for (const m of members) {
      const p = (m.process ?? {}) as Json;
      const s = m.status as Json | null;
      const name = String(m.index);
      if (p.state === 'running' && s !== null) {
        rows.push(rowOf(name, s, str(m.clientUrl), ''));
        if (
          s.role === 'leader' &&
          s.isolated !== true &&
          (term === undefined || Number(s.term) > Number(term))
        ) {
          leader = `member ${name}`;
          leaderSince = s.leaderSince;
          term = s.term;
        }
      } else {
        const how = str(p.signal) || (typeof p.exitCode === 'number' ? `code ${p.exitCode}` : '');
        const why =
          p.state === 'running'
            ? `not answering: ${str(m.error)}`
            : `${str(p.state)}${how === '' ? '' : ` (${how})`}${p.state === 'exited' && p.lastError ? `: ${str(p.lastError)}` : ''}`;
        rows.push({ ...blank(name, str(m.clientUrl)), note: why });
      }
    }
    const up = rows.filter((r) => r.state !== 'down').length;
    title = `raftwire cluster at ${base}: ${up}/${rows.length} members up`;
  } else {
    const self = str(body.id);
    const peers = Array.isArray(body.peers) ? (body.peers as Json[]) : [];
    for (const m of Array.isArray(body.members) ? (body.members as Json[]) : []) {
      const id = str(m.id);
      if (id === self) {
        rows.push(rowOf(id, body, str(body.clientUrl), 'this member'));
        continue;
      }
      const link = peers.find((p) => p.id === id);
      const up = link?.active === true;
      const rtt = typeof link?.rttMs === 'number' ? `, rtt ${link.rttMs.toFixed(2)} ms` : '';
      rows.push({
        ...blank(id, ''),
        state: up ? 'up' : 'down',
        note: up ? `reachable${rtt}` : `unreachable from ${self}`,
      });
    }
    title = `raftwire member ${self} at ${base} (its view)`;
    if (typeof body.leader === 'string') leader = `member ${body.leader}`;
    leaderSince = body.leaderSince;
    term = body.term;
  }
  const head = `${title}; leader: ${leader === '' ? 'none' : `${leader} (term ${String(term)}, for ${ago(leaderSince)})`}`;
  return `${head}\n${table(rows)}`;
}

function blank(member: string, url: string): Row {
  return {
    member,
    state: 'down',
    role: '',
    term: '',
    commit: '',
    applied: '',
    snapshot: '',
    peers: '',
    url,
    note: '',
  };
}

function table(rows: Row[]): string {
  const cols: [keyof Row, string][] = [
    ['member', 'MEMBER'],
    ['state', 'STATE'],
    ['role', 'ROLE'],
    ['term', 'TERM'],
    ['commit', 'COMMIT'],
    ['applied', 'APPLIED'],
    ['snapshot', 'SNAPSHOT'],
    ['peers', 'PEERS UP'],
    ['url', 'CLIENT URL'],
    ['note', 'NOTE'],
  ];
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(width[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(cols.map(([, h]) => h)), ...rows.map((r) => line(cols.map(([k]) => r[k])))].join('\n');
}

/** Prints the table once, or redraws it until SIGINT with --watch. */
export async function statusCommand(args: string[]): Promise<number> {
  let base: string;
  let watch: boolean;
  let intervalMs: number;
  let timeoutMs: number;
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        watch: { type: 'boolean', short: 'w' },
        interval: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('give exactly one URL (a member or a raftwire cluster)');
    const u = new URL(positionals[0] as string);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${u.href} is not http(s)`);
    base = u.origin;
    watch = values.watch === true;
    intervalMs = ms('interval', values.interval, 1000);
    timeoutMs = ms('timeout', values.timeout, 3000);
  } catch (err) {
    console.error(`raftwire status: ${(err as Error).message.split('\n')[0]}`);
    return 2;
  }
  const once = async (): Promise<string> => {
    const r = await fetch(`${base}/-/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) throw new Error(`${base}/-/status answered ${r.status}: ${(await r.text()).trim()}`);
    return renderStatus(base, (await r.json()) as Json);
  };
  if (!watch) {
    try {
      console.log(await once());
      return 0;
    } catch (err) {
      console.error(`raftwire status: ${describe(base, err)}`);
      return 1;
    }
  }
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true;
  try {
    while (!ac.signal.aborted) {
      let out: string;
      try {
        out = await once();
      } catch (err) {
        out = `raftwire status: ${describe(base, err)} (retrying)`;
      }
      process.stdout.write(
        `${tty ? '\x1b[H\x1b[2J' : '\n'}${out}\n${new Date().toISOString()}  (Ctrl-C stops)\n`,
      );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        ac.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

function ms(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new Error(`--${name} must be a positive integer`);
  return Number(text);
}

function describe(base: string, err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `${base} did not answer in time`;
  if (e?.cause?.code !== undefined) return `cannot reach ${base}: ${e.cause.code}`;
  if (e?.cause?.message !== undefined) return `cannot reach ${base}: ${e.cause.message}`;
  return String(e?.message ?? err).split('\n')[0] ?? 'failed';
}

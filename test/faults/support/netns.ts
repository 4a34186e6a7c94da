/**
 * Linux network namespaces for the fault suite: a bridge in the root namespace and one namespace
 * per member, joined by a veth pair, on a random /24 inside 198.18.0.0/15 (so parallel test files
 * do not collide). Only that subnet is routed (no default route). The bridge holds `.254`, so the
 * test process reaches every member's client port; member `i` is `.i`.
 *
 * Every name starts with `rw<pid>` (interfaces <= 15 characters). Resources are removed by
 * `destroy()` (register it with t.after), by SIGINT/SIGTERM/exit handlers of this process, and by
 * `sweepStale()` at the start of a run, which removes whatever an earlier, killed process (its pid
 * no longer alive) left behind: its namespaces (after SIGKILLing the processes in them), bridges
 * and veths. nftables tables live inside the namespaces and go with them.
 */
import { execFileSync } from 'node:child_process';
import { processAlive } from '../../../src/fsutil/index.js';

const PREFIX = /^rw(\d+)[a-z]/;

/** Runs `ip`/`nft` synchronously; throws with its stderr on failure. */
export function sh(file: string, args: string[], input?: string): string {
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(input === undefined ? {} : { input }),
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

function quiet(file: string, args: string[]): void {
  try {
    sh(file, args);
  } catch {
    // already gone
  }
}

/** Fails with a clear message unless this process is root and `ip`/`nft` run. */
export function requireNetAdmin(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the netns fault scenarios need root (network namespaces, bridges, nftables): run as root',
    );
  sh('ip', ['-V']);
  sh('nft', ['--version']);
}

/** Namespace names of this machine. */
export function namespaces(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Interface names of the root namespace. */
export function links(): string[] {
  return sh('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '');
}

/** SIGKILLs every process in namespace `ns` and deletes it. */
function removeNamespace(ns: string): void {
  try {
    for (const p of sh('ip', ['netns', 'pids', ns]).split('\n')) {
      const pid = Number(p);
      if (pid > 0) quiet('kill', ['-9', String(pid)]);
    }
  } catch {
    // no such namespace
  }
  quiet('ip', ['netns', 'delete', ns]);
}

/** Removes namespaces and links with the raftwire prefix whose creating process is gone. */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const stale = (name: string): boolean => {
    const m = PREFIX.exec(name);
    return m !== null && Number(m[1]) !== process.pid && !processAlive(Number(m[1]));
  };
  for (const ns of namespaces().filter(stale)) {
    removeNamespace(ns);
    removed.push(ns);
  }
  for (const l of links().filter(stale)) {
    quiet('ip', ['link', 'delete', l]);
    removed.push(l);
  }
  return removed;
}

/** Networks of this process not yet destroyed (what the signal handlers remove). */
const live = new Set<NetnsNetwork>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanAll = (): void => {
    for (const n of [...live]) n.destroy();
  };
  process.once('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanAll();
      process.kill(process.pid, sig);
    });
  }
}

let networks = 0;

/** A bridge and `n` member namespaces. */
export class NetnsNetwork {
  /** Prefix of every name of this network, e.g. `rw1234a`. */
  readonly prefix: string;
  readonly bridge: string;
  /** `198.18.x.y` without the last octet. */
  readonly subnet: string;
  readonly hostAddress: string;
  readonly #ns = new Map<number, string>();
  #destroyed = false;

  constructor() {
    const k = networks++;
    this.prefix = `rw${process.pid}${String.fromCharCode(97 + (k % 26))}`;
    if (this.prefix.length > 11) throw new Error(`pid ${process.pid} too long for interface names`);
    this.bridge = `${this.prefix}br`;
    const r = Math.floor(Math.random() * 512);
    this.subnet = `198.${18 + (r >> 8)}.${r & 255}`;
    this.hostAddress = `${this.subnet}.254`;
  }

  /** Creates the bridge and namespaces of members 1..n. */
  create(n: number): void {
    installHandlers();
    live.add(this);
    sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${this.hostAddress}/24`, 'dev', this.bridge]);
    sh('ip', ['link', 'set', this.bridge, 'up']);
    for (let id = 1; id <= n; id++) {
      const ns = `${this.prefix}n${id}`;
      const host = `${this.prefix}v${id}`;
      const peer = `${this.prefix}p${id}`;
      sh('ip', ['netns', 'add', ns]);
      this.#ns.set(id, ns);
      sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      sh('ip', ['link', 'set', peer, 'netns', ns]);
      sh('ip', ['link', 'set', host, 'master', this.bridge]);
      sh('ip', ['link', 'set', host, 'up']);
      const x = (args: string[]): string => sh('ip', ['netns', 'exec', ns, ...args]);
      x(['ip', 'link', 'set', 'lo', 'up']);
      x(['ip', 'link', 'set', peer, 'name', 'eth0']);
      x(['ip', 'addr', 'add', `${this.address(id)}/24`, 'dev', 'eth0']);
      x(['ip', 'link', 'set', 'eth0', 'up']);
    }
  }

  /** Namespace of member `id`. */
  ns(id: number): string {
    const ns = this.#ns.get(id);
    if (ns === undefined) throw new Error(`no namespace for member ${id}`);
    return ns;
  }

  address(id: number): string {
    return `${this.subnet}.${id}`;
  }

  /** Runs `nft -f -` with `script` inside member `id`'s namespace. */
  nft(id: number, script: string): string {
    return sh('ip', ['netns', 'exec', this.ns(id), 'nft', '-f', '-'], script);
  }

  /** Runs `tc` with `args` inside member `id`'s namespace (qdiscs go with the namespace). */
  tc(id: number, args: string[]): string {
    return sh('ip', ['netns', 'exec', this.ns(id), 'tc', ...args]);
  }

  /** Removes every namespace (killing what runs in it) and the bridge; idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const ns of this.#ns.values()) removeNamespace(ns);
    for (const l of links().filter((l) => l.startsWith(this.prefix))) quiet('ip', ['link', 'delete', l]);
    live.delete(this);
  }

  /** Names of this network still present (namespaces and root links); empty after destroy(). */
  leftovers(): string[] {
    return [...namespaces(), ...links()].filter((n) => n.startsWith(this.prefix));
  }
}

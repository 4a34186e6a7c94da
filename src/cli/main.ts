#!/usr/bin/env node
/** The `raftwire` command: a subcommand switch on node:util parseArgs. */
import { parseArgs } from 'node:util';
import { ETCD_WIRE_VERSION, RAFTWIRE_VERSION } from '../version.js';
import { checkHistoryCommand } from './check-history-command.js';
import { clusterCommand } from './cluster-command.js';
import { nodeCommand } from './node-command.js';
import { statusCommand } from './status-command.js';

const USAGE = `raftwire ${RAFTWIRE_VERSION} — etcd's raft stack in TypeScript (speaks etcd ${ETCD_WIRE_VERSION}'s peer wire)

Usage: raftwire <command> [options]

Commands:
  cluster         a local cluster (3 members by default) with a live status page; what
                  'npm start' runs (docs/cluster.md)
  node            one key-value member (docs/kv.md)
  status <url>    the cluster as a terminal table, from a member's or the cluster's URL (--watch)
  check-history   check a recorded history for linearizability (docs/testing.md)
  version         print the version
  help            print this help

'raftwire <command> --help' describes a command's options.
`;

type Command = (args: string[]) => number | Promise<number>;

const commands: Record<string, Command> = {
  version: () => {
    console.log(`raftwire ${RAFTWIRE_VERSION} (etcd wire ${ETCD_WIRE_VERSION})`);
    return 0;
  },
  'check-history': checkHistoryCommand,
  node: nodeCommand,
  cluster: clusterCommand,
  status: statusCommand,
  help: () => {
    console.log(USAGE);
    return 0;
  },
};

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const name = positionals[0] ?? 'help';
  const command = commands[name];
  if (command === undefined) {
    console.error(`raftwire: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  return command(argv.slice(argv.indexOf(name) + 1));
}

process.exitCode = await main(process.argv.slice(2));

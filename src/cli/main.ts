#!/usr/bin/env node
/** The `raftwire` command: a subcommand switch on node:util parseArgs. */
import { parseArgs } from 'node:util';
import { ETCD_WIRE_VERSION, RAFTWIRE_VERSION } from '../version.js';
import { checkHistoryCommand } from './check-history-command.js';
import { nodeCommand } from './node-command.js';

const USAGE = `raftwire ${RAFTWIRE_VERSION} — etcd's raft stack in TypeScript (speaks etcd ${ETCD_WIRE_VERSION}'s peer wire)

Usage: raftwire <command> [options]

Commands:
  version     print the version
  help        print this help

Coming with the key-value service: 'raftwire cluster' (a local 3-node cluster with a live
status page) and 'raftwire node' (one member).
`;

type Command = (args: string[]) => number | Promise<number>;

const commands: Record<string, Command> = {
  version: () => {
    console.log(`raftwire ${RAFTWIRE_VERSION} (etcd wire ${ETCD_WIRE_VERSION})`);
    return 0;
  },
  'check-history': checkHistoryCommand,
  node: nodeCommand,
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

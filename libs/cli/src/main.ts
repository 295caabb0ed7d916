#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from './cli-command.js';

/**
 * `lockstep <command>`: the operator's CLI and the relay process. Connection settings come from
 * the environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS and their TLS/SASL variables), so
 * secrets never sit on a command line. Payloads are never printed.
 */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Loaded on use only: `lockstep relay` never loads TypeORM or the consumer, `--help` loads nothing. */
  readonly load: () => Promise<CliCommand>;
}

const commands: readonly CommandEntry[] = [
  {
    name: 'relay',
    summary: 'run the relay: tail the outbox binlog, publish to Kafka exactly once',
    load: async () => (await import('./commands/relay.command.js')).relayCommand,
  },
  {
    name: 'migrate',
    summary: 'create or update Lockstep tables (outbox, inbox, relay checkpoint) in LOCKSTEP_MYSQL_URL',
    load: async () => (await import('./commands/migrate.command.js')).migrateCommand,
  },
  {
    name: 'doctor',
    summary: 'check MySQL (binlog, GTIDs, grants, outbox) and Kafka (transactions), printing the fix for each failure',
    load: async () => (await import('./commands/doctor.command.js')).doctorCommand,
  },
  {
    name: 'status',
    summary: "each relay's committed checkpoint and its lag (events, bytes, transactions, seconds)",
    load: async () => (await import('./commands/status.command.js')).statusCommand,
  },
  {
    name: 'replay',
    summary: 're-publish retained outbox rows after an event id (recovery after a purged binlog)',
    load: async () => (await import('./commands/replay.command.js')).replayCommand,
  },
  {
    name: 'dlq',
    summary: 'list or re-drive dead letters of a consumer',
    load: async () => (await import('./commands/dlq.command.js')).dlqCommand,
  },
];

const overview = [
  'usage: lockstep <command> [flags]      (lockstep <command> --help for its flags)',
  '',
  ...commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
  '',
  'Environment: LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS (+ LOCKSTEP_KAFKA_SSL, LOCKSTEP_KAFKA_SASL_*, LOCKSTEP_MYSQL_SSL*).',
].join('\n');

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? console.error : console.log)(overview);
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`lockstep: unknown command "${name}"\n\n${overview}`);
    return 2;
  }
  const command = await entry.load();
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    console.error(`lockstep ${name}: ${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals, env: process.env });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`lockstep ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    console.error(
      `lockstep ${name}: ${typeof code === 'string' && code.startsWith('LOCKSTEP_') ? `${code} ` : ''}${(error as Error).message}`,
    );
    return 1;
  }
}

// Exit explicitly: client libraries may keep sockets or timers open after a command is done.
process.exit(await main(process.argv.slice(2)));

#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { CliCommand } from './cli-command.js';
import { UsageError } from './cli-command.js';
import { dlqCommand } from './commands/dlq.command.js';
import { doctorCommand } from './commands/doctor.command.js';
import { migrateCommand } from './commands/migrate.command.js';
import { relayCommand } from './commands/relay.command.js';
import { replayCommand } from './commands/replay.command.js';
import { statusCommand } from './commands/status.command.js';

/**
 * `lockstep <command>`: the operator's CLI and the relay process. Connection settings come from
 * the environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS and their TLS/SASL variables), so
 * secrets never sit on a command line. Payloads are never printed.
 */
const commands: readonly CliCommand[] = [relayCommand, migrateCommand, doctorCommand, statusCommand, replayCommand, dlqCommand];

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
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`lockstep: unknown command "${name}"\n\n${overview}`);
    return 2;
  }
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
    console.error(`lockstep ${name}: ${typeof code === 'string' && code.startsWith('LOCKSTEP_') ? `${code} ` : ''}${(error as Error).message}`);
    return 1;
  }
}

// Exit explicitly: client libraries may keep sockets or timers open after a command is done.
process.exit(await main(process.argv.slice(2)));

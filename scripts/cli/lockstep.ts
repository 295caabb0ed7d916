import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { doctor } from './doctor.command.js';
import { replay } from './replay.command.js';
import { status } from './status.command.js';

/**
 * The operator's CLI: `npm run lockstep -- <command>`.
 *   doctor   check MySQL (binlog, GTIDs, grants, outbox) and Kafka (transactions), with fixes
 *   status   each relay's checkpoint and lag (events, bytes, transactions, seconds)
 *   replay   re-publish retained outbox rows after an event id (recovery after a purged binlog)
 *   dlq      list / re-drive dead letters (see docs/consumer.md)
 * Connection settings come from LOCKSTEP_MYSQL_URL / LOCKSTEP_KAFKA_BROKERS (and their TLS/SASL
 * variables); payloads are never printed.
 */
const [command, ...rest] = process.argv.slice(2);
const usage = 'usage: lockstep <doctor|status|replay|dlq> [args]';

async function run(): Promise<number> {
  switch (command) {
    case 'doctor':
      return doctor();
    case 'status':
      return status();
    case 'replay':
      return replay(rest);
    case 'dlq': {
      const r = spawnSync(process.execPath, ['--import', '@swc-node/register/esm-register', 'libs/consumer/src/cli/dlq.ts', ...rest], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

process.exitCode = await run().catch((error) => {
  console.error(`lockstep ${command}: ${error instanceof Error ? error.message : error}`);
  return 1;
});

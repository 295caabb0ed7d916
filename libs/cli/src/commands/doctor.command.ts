import { Kafka, logLevel } from 'kafkajs';
import {
  DEFAULT_OUTBOX_TABLE,
  DEFAULT_RELAY_CHECKPOINT_TABLE,
  kafkaConnectionFromEnv,
  kafkajsConfig,
  mysqlSslFromEnv,
  mysqlUrlFromEnv,
  parseMysqlUrl,
} from '@lockstep/core';
import { evaluatePreflight, gatherPreflightFacts } from '@lockstep/relay';
import type { CliCommand } from '../cli-command.js';

/**
 * `lockstep doctor`: checks the MySQL server (binlog settings, grants of the user in
 * LOCKSTEP_MYSQL_URL, the outbox table) and the Kafka broker (reachable, transactions
 * work) and prints the exact fix for each failure. Exit code 1 if anything fails.
 */
export const doctorCommand: CliCommand = {
  name: 'doctor',
  usage: `usage: lockstep doctor

Checks the MySQL server of LOCKSTEP_MYSQL_URL (binlog settings, grants of that user, the outbox
table; LOCKSTEP_OUTBOX_DATABASE / LOCKSTEP_OUTBOX_TABLE / LOCKSTEP_RELAY_CHECKPOINT_TABLE if not
the defaults) and the brokers of LOCKSTEP_KAFKA_BROKERS (reachable, transactions work).
Prints the exact fix for each failure. Exit code 0 when all checks pass, 1 otherwise.`,
  options: {},
  run: ({ env }) => doctor(env),
};

async function doctor(env: NodeJS.ProcessEnv): Promise<number> {
  let failures = 0;
  const report = (ok: boolean, what: string, fix?: string) => {
    if (!ok) failures++;
    console.log(`${ok ? '✓' : '✗'} ${what}${!ok && fix ? `\n    fix: ${fix}` : ''}`);
  };

  const mysqlUrl = mysqlUrlFromEnv(env);
  const db = parseMysqlUrl(mysqlUrl);
  console.log(`MySQL ${db.host}:${db.port}/${db.database} as ${db.user}`);
  try {
    const facts = await gatherPreflightFacts(
      { ...db, ssl: mysqlSslFromEnv(env) },
      {
        database: env.LOCKSTEP_OUTBOX_DATABASE ?? db.database,
        table: env.LOCKSTEP_OUTBOX_TABLE ?? DEFAULT_OUTBOX_TABLE,
        checkpointTable: env.LOCKSTEP_RELAY_CHECKPOINT_TABLE ?? DEFAULT_RELAY_CHECKPOINT_TABLE,
      },
    );
    report(true, `server is ${facts.flavour}`);
    const problems = evaluatePreflight(facts);
    for (const p of problems) report(false, p.message, p.fix);
    if (problems.length === 0) report(true, 'binlog settings, GTIDs, grants and outbox table are fit for exactly-once');
  } catch (error) {
    report(
      false,
      `cannot connect or query: ${(error as Error).message}`,
      'check LOCKSTEP_MYSQL_URL (user, password, host, port, database)',
    );
  }

  const kafka = kafkaConnectionFromEnv(env);
  console.log(`Kafka ${kafka.brokers.join(',')}`);
  const client = new Kafka(kafkajsConfig(kafka, 'lockstep-doctor', { logLevel: logLevel.NOTHING, retry: { retries: 2 } }));
  const admin = client.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    report(true, `broker reachable (${cluster.brokers.length} broker(s), controller ${cluster.controller})`);
    const producer = client.producer({
      transactionalId: `lockstep-doctor-${process.pid}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const tx = await producer.transaction();
      await tx.abort();
      report(true, 'transactions work (transactional producer initialised, transaction aborted)');
    } catch (error) {
      report(
        false,
        `transactions fail: ${(error as Error).message}`,
        'the broker needs a transaction state log: set transaction.state.log.replication.factor and transaction.state.log.min.isr <= the number of brokers',
      );
    } finally {
      await producer.disconnect();
    }
  } catch (error) {
    report(
      false,
      `broker unreachable: ${(error as Error).message}`,
      'check LOCKSTEP_KAFKA_BROKERS and LOCKSTEP_KAFKA_SSL/SASL_* settings',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  console.log(failures === 0 ? '\nall checks passed' : `\n${failures} check(s) failed`);
  return failures === 0 ? 0 : 1;
}

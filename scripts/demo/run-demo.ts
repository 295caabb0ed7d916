import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { formatMysqlUrl, kafkaBrokersFromEnv, mysqlUrlFromEnv, parseMysqlUrl } from '@lockstep/core';
import { currentGtidPosition, relayUserGrantsSql } from '@lockstep/relay';
import { createTopics, testKafka, waitFor } from '@lockstep/testing';
import { checkConsistency, problems, type ConsistencyReport } from './demo-consistency.js';
import { isHealthy } from './demo-http.js';
import { DemoProcess } from './demo-process.js';
import { ProgressDisplay, type ProgressSample } from './demo-progress.js';
import { prepareDemoDatabase } from './prepare-demo-db.js';
import { runWorkload } from './demo-workload.js';

/**
 * `npm run demo`: the whole Lockstep promise in one run. Starts the three services as
 * separate processes on real MariaDB and Kafka, drives orders through the HTTP API, kills
 * the relay and the consumer with SIGKILL in the middle, and ends with a consistency report.
 * Exit code 0 only if nothing is missing, duplicated, out of order, leaked or wrong.
 */
/** A built entry point of this checkout (`npm run build`; scripts/demo.sh builds first and runs from the repository root). */
function builtEntry(path: string): string {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run \`npm run build\` first (npm run demo does)`);
  return file;
}

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: process.env.LOCKSTEP_DEMO_ORDERS ?? '3000' },
    customers: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '12' },
    'no-chaos': { type: 'boolean', default: false },
    'drain-timeout': { type: 'string', default: '180' },
  },
});
const orderCount = Number(args.orders);
const chaos = !args['no-chaos'];

const runId = Date.now().toString(36);
const prefix = `demo-${runId}`;
const consumerName = 'order-view';
const admin = parseMysqlUrl(mysqlUrlFromEnv(process.env));
const demoDb = { ...admin, database: process.env.LOCKSTEP_DEMO_DATABASE ?? 'lockstep_demo' };
const ports = { orders: 3100, view: 3101, relay: 3102 };
const logDir = process.env.LOCKSTEP_DEMO_LOG_DIR ?? `${process.env.LOCKSTEP_HOME ?? '.lockstep'}/logs`;
mkdirSync(logDir, { recursive: true });

/** Database, migrations, and a least-privilege relay user (binlog + outbox SELECT only). */
async function prepareDatabase(): Promise<{ initialGtid: string; relayUrl: string }> {
  const root = await mysql.createConnection({ ...admin, database: undefined });
  try {
    await root.query(`DROP DATABASE IF EXISTS \`${demoDb.database}\``);
    // The relay starts reading the binlog here: everything of this run comes after.
    const initialGtid = await currentGtidPosition(admin); // MariaDB and MySQL alike
    await root.query(`CREATE DATABASE \`${demoDb.database}\``);
    await prepareDemoDatabase(formatMysqlUrl(demoDb));

    const [[version]] = (await root.query('SELECT VERSION() AS v')) as [Array<{ v: string }>, unknown];
    const flavour = String(version?.v).includes('MariaDB') ? 'mariadb' : 'mysql';
    const relayUser = { ...demoDb, user: 'lockstep_demo_relay', password: randomBytes(12).toString('hex') };
    await root.query(`DROP USER IF EXISTS 'lockstep_demo_relay'@'%'`);
    for (const sql of relayUserGrantsSql(relayUser.user, relayUser.password, demoDb.database, 'lockstep_outbox', { flavour })) {
      await root.query(sql);
    }
    return { initialGtid, relayUrl: formatMysqlUrl(relayUser) };
  } finally {
    await root.end();
  }
}

async function main(): Promise<number> {
  console.log(`Lockstep demo ${runId}: ${orderCount} orders, chaos ${chaos ? 'on (kill -9 relay and consumer)' : 'off'}`);
  console.log(
    `  MySQL ${demoDb.host}:${demoDb.port}/${demoDb.database}, Kafka ${kafkaBrokersFromEnv(process.env).join(',')}, topics ${prefix}.*`,
  );
  const { initialGtid, relayUrl } = await prepareDatabase();
  // Three copies on a cluster (LOCKSTEP_KAFKA_BROKERS naming one of its brokers is enough),
  // one on a single broker.
  const replicationFactor = Math.min(3, await kafkaBrokerCount());
  await createTopics([`${prefix}.order`, `${prefix}.customer`], { partitions: 3, replicationFactor });
  console.log(`  topics: 3 partitions, replication factor ${replicationFactor}`);

  const common = {
    LOCKSTEP_MYSQL_URL: formatMysqlUrl(demoDb),
    LOCKSTEP_KAFKA_BROKERS: kafkaBrokersFromEnv(process.env).join(','),
    LOCKSTEP_TOPIC_PREFIX: prefix,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  const orders = new DemoProcess(
    'orders',
    builtEntry('dist/apps/orders/src/main.js'),
    [],
    { ...common, LOCKSTEP_ORDERS_PORT: String(ports.orders) },
    `${logDir}/demo-orders.log`,
  );
  const relay = new DemoProcess(
    'relay',
    builtEntry('libs/cli/dist/main.js'),
    ['relay'],
    {
      ...common,
      LOCKSTEP_MYSQL_URL: relayUrl,
      LOCKSTEP_RELAY_NAME: prefix,
      LOCKSTEP_RELAY_SERVER_ID: String(5000 + Math.floor(Math.random() * 1000)),
      LOCKSTEP_OUTBOX_DATABASE: demoDb.database,
      LOCKSTEP_RELAY_INITIAL_GTID: initialGtid,
      LOCKSTEP_RELAY_HTTP_PORT: String(ports.relay),
    },
    `${logDir}/demo-relay.log`,
  );
  const view = new DemoProcess(
    'order-view',
    builtEntry('dist/apps/order-view/src/main.js'),
    [],
    {
      ...common,
      LOCKSTEP_ORDER_VIEW_PORT: String(ports.view),
      LOCKSTEP_CONSUMER_GROUP: `${prefix}.order-view`,
    },
    `${logDir}/demo-order-view.log`,
  );
  const services = [orders, relay, view];
  const stopAll = () => Promise.all(services.map((s) => s.stop()));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

  const db = await mysql.createConnection({ ...demoDb, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  const progress = new ProgressDisplay(db, consumerName);
  try {
    for (const s of services) s.start();
    const health = { orders: `http://127.0.0.1:${ports.orders}/health`, view: `http://127.0.0.1:${ports.view}/health` };
    await waitFor(
      'orders and order-view to answer /health',
      async () => (await isHealthy(health.orders)) && (await isHealthy(health.view)),
      {
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
    console.log(
      `  services up: orders pid ${orders.pid}, relay pid ${relay.pid}, order-view pid ${view.pid} (logs in ${logDir}/demo-*.log)\n`,
    );

    progress.start();
    let ordersDone = 0;
    const workload = runWorkload({
      ordersUrl: `http://127.0.0.1:${ports.orders}`,
      orders: orderCount,
      customers: Number(args.customers),
      concurrency: Number(args.concurrency),
      onProgress: (done) => (ordersDone = done),
    });
    // The kills run beside the workload; each one waits until its victim is visibly working.
    const kills = chaos
      ? (async () => {
          await waitFor('35% of the orders', () => ordersDone >= orderCount * 0.35, { timeoutMs: 300_000, intervalMs: 20 });
          await killWhileBusy(progress, relay, 'relay', 'publishing', (s) => s.published);
          await waitFor('60% of the orders', () => ordersDone >= orderCount * 0.6, { timeoutMs: 300_000, intervalMs: 20 });
          await killWhileBusy(progress, view, 'order-view', 'applying', (s) => s.applied);
        })()
      : Promise.resolve();
    const [stats] = await Promise.all([workload, kills]);
    progress.note('workload done, draining');
    await waitFor(
      'every event applied to the read models',
      async () => {
        const s = await progress.sample();
        return s.written > 0 && s.applied >= s.written;
      },
      { timeoutMs: Number(args['drain-timeout']) * 1000, intervalMs: 500 },
    );
    const finalSample = await progress.sample();
    progress.stop();

    console.log('\n\nWorkload (HTTP requests to apps/orders)');
    console.log(`  requests ${stats.requests}: placed ${stats.placed}, paid ${stats.paid}, cancelled ${stats.cancelled}`);
    console.log(
      `  refused by design: ${stats.rejectedInvalid} invalid bodies (400), ${stats.rolledBackCredit} over credit limit (422, rolled back), ${stats.rolledBackState} not allowed in state (409, rolled back); unexpected ${stats.unexpected}`,
    );
    console.log(`  end-to-end lag, source commit -> read-model commit: ${finalSample.lagText}`);

    const report = await checkConsistency(db, [`${prefix}.order`, `${prefix}.customer`], consumerName);
    printReport(report, stats.unexpected);
    return problems(report) === 0 && stats.unexpected === 0 ? 0 : 1;
  } finally {
    progress.stop();
    await stopAll();
    await db.end();
  }
}

/**
 * kill -9 of `proc` once it is demonstrably working (its count rose between two samples, within a
 * deadline), then a restart; reports how long it was out and how many events the orders service
 * wrote meanwhile (from the kill until the restarted process moved its count again, or had
 * nothing left to do).
 */
async function killWhileBusy(
  progress: ProgressDisplay,
  proc: DemoProcess,
  name: string,
  verb: string,
  count: (s: ProgressSample) => number,
): Promise<void> {
  let previous: number | undefined;
  const busy = await waitFor(
    `${name} ${verb} (its count rising)`,
    async () => {
      const n = count(await progress.sample());
      const rising = previous !== undefined && n > previous;
      previous = n;
      return rising ? n : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  await proc.kill9();
  const atKill = await progress.sample();
  const killedAt = Date.now();
  progress.note(`kill -9 ${name} while ${verb} (${busy} events so far), restarted`);
  await proc.restart();
  const back = await waitFor(
    `${name} ${verb} again after its restart`,
    async () => {
      const s = await progress.sample();
      return count(s) > count(atKill) || count(s) >= s.written ? s : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  progress.note(
    `${name} was down ${((Date.now() - killedAt) / 1000).toFixed(1)} s; ${back.written - atKill.written} events written meanwhile`,
  );
}

async function kafkaBrokerCount(): Promise<number> {
  const kafkaAdmin = testKafka('lockstep-demo').admin();
  await kafkaAdmin.connect();
  try {
    return (await kafkaAdmin.describeCluster()).brokers.length;
  } finally {
    await kafkaAdmin.disconnect();
  }
}

function printReport(r: ConsistencyReport, unexpectedHttp: number): void {
  const rows: Array<[string, number | string, string]> = [
    ['events committed (outbox, source truth)', r.sourceEvents, ''],
    ['records in Kafka (read_committed, kcat)', r.kafkaRecords, ''],
    ['events applied by order-view (inbox)', r.appliedEvents, ''],
    ['missing in Kafka', r.missingInKafka, 'I2'],
    ['duplicated in Kafka', r.duplicatedInKafka, 'I3'],
    ['in Kafka but never committed', r.unknownInKafka, 'I1'],
    ['aggregates out of order in Kafka', r.outOfOrderInKafka, 'I4'],
    ['events leaked by rolled-back requests', r.leakedEvents, 'I1'],
    ['events not applied to the read model', r.missingInReadModel, 'I5'],
    ['customer totals != computed from orders', r.wrongCustomerTotals, 'I5'],
    ['order statuses != orders table', r.wrongOrderStatuses, 'I5'],
    ['unexpected HTTP errors', unexpectedHttp, ''],
  ];
  console.log('\nConsistency report');
  console.log('| check | count | invariant |\n|---|---:|---|');
  for (const [name, value, inv] of rows) console.log(`| ${name} | ${value} | ${inv} |`);
  const bad = problems(r) + unexpectedHttp;
  console.log(
    bad === 0
      ? '\nRESULT: consistent — nothing missing, duplicated, out of order or leaked.'
      : `\nRESULT: ${bad} problem(s) found.`,
  );
}

process.exitCode = await main().catch((error) => {
  console.error('\ndemo failed:', error instanceof Error ? error.message : error);
  return 1;
});

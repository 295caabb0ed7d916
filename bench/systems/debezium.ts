import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaBrokersFromEnv } from '@lockstep/core';
import { createTopics } from '@lockstep/testing';
import { writeMarker } from '../lib/data.js';
import { spawnLogged, type RunningProcess } from '../lib/proc.js';
import { BenchReader } from '../lib/reader.js';
import { deleteTopicsWithPrefix } from '../lib/topics.js';
import { log } from '../lib/util.js';
import type { RunConfig, SystemAdapter } from './types.js';

const execFileAsync = promisify(execFile);

/** Newest Debezium 3.x MariaDB connector Maven Central serves here (3.6/3.7 did not resolve). */
export const DEBEZIUM_VERSION = process.env.BENCH_DEBEZIUM_VERSION ?? '3.5.0.Final';
/** The Kafka Connect version Debezium 3.5 is built against (connect-runtime 4.4 lacks classes it uses). */
export const CONNECT_VERSION = process.env.BENCH_CONNECT_VERSION ?? '4.1.1';
const CONNECTOR_NAME = 'lockstep-bench-debezium';
const LOGICAL_NAME = 'lsbdbz';

const cacheDir = (): string =>
  join(
    process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
    'lockstep',
    `debezium-${DEBEZIUM_VERSION}-connect-${CONNECT_VERSION}`,
  );

const pom = (): string => `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lockstep.bench</groupId><artifactId>debezium-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.debezium</groupId><artifactId>debezium-connector-mariadb</artifactId><version>${DEBEZIUM_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId><version>${CONNECT_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-json</artifactId><version>${CONNECT_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-transforms</artifactId><version>${CONNECT_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;

/** Fetches Debezium + Kafka Connect jars from Maven Central into the cache (once). */
export async function ensureDebeziumJars(): Promise<string> {
  const dir = cacheDir();
  const lib = join(dir, 'lib');
  if (existsSync(join(dir, 'READY'))) return lib;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pom.xml'), pom());
  writeFileSync(
    join(dir, 'log4j.properties'),
    'log4j.rootLogger=INFO, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\n' +
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n' +
      'log4j.logger.org.apache.kafka=WARN\nlog4j.logger.org.reflections=ERROR\n',
  );
  log(`fetching Debezium ${DEBEZIUM_VERSION} + Kafka Connect ${CONNECT_VERSION} jars into ${dir}`);
  await execFileAsync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(dir, 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${lib}`,
      '-DincludeScope=runtime',
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  writeFileSync(join(dir, 'READY'), new Date().toISOString());
  return lib;
}

/** Connect worker settings (standalone, file offsets). */
function workerProperties(workDir: string, restPort: number): string {
  return [
    `bootstrap.servers=${kafkaBrokersFromEnv(process.env).join(',')}`,
    'key.converter=org.apache.kafka.connect.storage.StringConverter',
    // Payload bytes verbatim: the EventRouter's value is the LONGBLOB column as bytes.
    'value.converter=org.apache.kafka.connect.converters.ByteArrayConverter',
    `offset.storage.file.filename=${workDir}/offsets.dat`,
    'offset.flush.interval.ms=1000',
    `listeners=http://127.0.0.1:${restPort}`,
    `plugin.path=${workDir}/plugins`,
    'plugin.discovery=only_scan',
    // Producer tuned for throughput (Debezium/Kafka performance guidance): bigger batches, a short linger.
    'producer.batch.size=262144',
    'producer.linger.ms=5',
    'producer.compression.type=none',
    'producer.acks=all',
    'producer.max.request.size=16777216',
    '',
  ].join('\n');
}

export const DEBEZIUM_TUNING: Record<string, string> = {
  'max.batch.size': '8192',
  'max.queue.size': '65536',
  'max.queue.size.in.bytes': '268435456',
  'poll.interval.ms': '50',
};

function connectorProperties(config: RunConfig): string {
  const db = config.db;
  const props: Record<string, string> = {
    name: CONNECTOR_NAME,
    'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'tasks.max': '1',
    'database.hostname': db.host,
    'database.port': String(db.port),
    'database.user': db.user,
    'database.password': db.password,
    'database.server.id': String(config.serverId),
    'database.ssl.mode': 'disable',
    'topic.prefix': LOGICAL_NAME,
    'database.include.list': db.name,
    'table.include.list': `${db.name}.${config.table}`,
    // Schema only, no data: streaming starts at the position the snapshot records.
    'snapshot.mode': 'no_data',
    'snapshot.locking.mode': 'none',
    'schema.history.internal': 'io.debezium.storage.file.history.FileSchemaHistory',
    'schema.history.internal.file.filename': `${config.workDir}/schema-history.dat`,
    'schema.history.internal.store.only.captured.databases.ddl': 'true',
    'schema.history.internal.store.only.captured.tables.ddl': 'true',
    'include.schema.changes': 'false',
    'extended.headers.enabled': 'false',
    'binary.handling.mode': 'bytes',
    'tombstones.on.delete': 'false',
    ...DEBEZIUM_TUNING,
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.table.field.event.id': 'id',
    'transforms.outbox.table.field.event.key': 'aggregate_id',
    'transforms.outbox.table.field.event.payload': 'payload',
    'transforms.outbox.route.by.field': 'aggregate_type',
    'transforms.outbox.route.topic.replacement': `${config.topicPrefix}.\${routedByValue}`,
    'transforms.outbox.table.fields.additional.placement':
      'event_type:header:lockstep-type,aggregate_type:header:lockstep-aggregate-type,aggregate_id:header:lockstep-aggregate-id',
    'transforms.outbox.table.expand.json.payload': 'false',
  };
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

let restPort = 18_300;

function startConnect(config: RunConfig, lib: string): RunningProcess {
  mkdirSync(join(config.workDir, 'plugins'), { recursive: true });
  writeFileSync(join(config.workDir, 'worker.properties'), workerProperties(config.workDir, restPort++));
  writeFileSync(join(config.workDir, 'connector.properties'), connectorProperties(config));
  return spawnLogged(
    'java',
    [
      '-Xms256m',
      '-Xmx2g',
      // The JVM flags of Kafka's own connect-standalone.sh.
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(cacheDir(), 'log4j.properties')}`,
      '-cp',
      `${lib}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      join(config.workDir, 'worker.properties'),
      join(config.workDir, 'connector.properties'),
    ],
    process.env,
    join(config.workDir, 'connect.log'),
  );
}

/** Offsets + schema history recorded before each database's backlog, by database name. */
const primed = new Map<string, string>();

/** (b) Debezium MariaDB connector + outbox EventRouter in Kafka Connect standalone. */
export const debeziumAdapter: SystemAdapter = {
  id: 'debezium',
  label: `Debezium ${DEBEZIUM_VERSION} MariaDB + EventRouter (Connect ${CONNECT_VERSION} standalone)`,
  guarantee: 'at-least-once (standalone Connect has no exactly-once source support)',
  async available() {
    if (process.env.BENCH_SKIP_DEBEZIUM) return 'BENCH_SKIP_DEBEZIUM is set';
    try {
      await execFileAsync('java', ['-version']);
    } catch {
      return 'no java on PATH';
    }
    try {
      await ensureDebeziumJars();
    } catch (error) {
      return `could not fetch jars with mvn: ${(error as Error).message.split('\n')[0]}`;
    }
    return null;
  },
  /**
   * Start position: Debezium cannot be handed a GTID. So before the backlog is written it runs
   * once with snapshot.mode=no_data on the (empty) table until a marker row has come through,
   * then stops gracefully: its file offset now points before the backlog. Every catch-up run
   * starts from a copy of those offsets, i.e. a restart of a connector that was stopped before
   * the backlog arrived — the same cold start the other systems get.
   */
  async beforeBacklog(config) {
    const lib = await ensureDebeziumJars();
    const topic = `${config.topicPrefix}.bench`;
    await createTopics([topic], { partitions: 3 });
    const reader = new BenchReader(topic);
    await reader.start();
    const proc = startConnect(config, lib);
    try {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const marker = await writeMarker(config.db, config.table);
        if (await reader.waitUntil(() => reader.hasMarker(marker), 1500)) break;
        if (Date.now() > deadline) throw new Error(`Debezium never streamed a marker (see ${config.workDir}/connect.log)`);
      }
    } finally {
      await proc.stop(30_000);
      await reader.stop();
      await deleteTopicsWithPrefix(config.topicPrefix);
    }
    if (!existsSync(join(config.workDir, 'offsets.dat'))) throw new Error('Debezium wrote no offsets file');
    primed.set(config.db.name, config.workDir);
  },
  async prepare(config) {
    if (config.mode !== 'catchup') return;
    const from = primed.get(config.db.name);
    if (!from) throw new Error(`Debezium was not primed for ${config.db.name}`);
    mkdirSync(config.workDir, { recursive: true });
    cpSync(join(from, 'offsets.dat'), join(config.workDir, 'offsets.dat'));
    cpSync(join(from, 'schema-history.dat'), join(config.workDir, 'schema-history.dat'));
  },
  async start(config) {
    return startConnect(config, await ensureDebeziumJars());
  },
  describe() {
    return {
      connector: `io.debezium:debezium-connector-mariadb:${DEBEZIUM_VERSION}`,
      runtime: `org.apache.kafka:connect-runtime:${CONNECT_VERSION} ConnectStandalone, java -Xms256m -Xmx2g G1`,
      converters: 'key StringConverter, value ByteArrayConverter (payload verbatim)',
      connector_tuning: Object.entries(DEBEZIUM_TUNING)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
      producer: 'batch.size=262144, linger.ms=5, acks=all, idempotence on (Kafka default), no compression',
      other:
        'snapshot.mode=no_data, binary.handling.mode=bytes, extended.headers.enabled=false, file offsets (flush 1 s), file schema history',
    };
  },
};

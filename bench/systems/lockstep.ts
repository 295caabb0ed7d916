import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { formatMysqlUrl, relayCheckpointTableDdl } from '@lockstep/core';
import { connectionOptions } from '../lib/data.js';
import { spawnLogged } from '../lib/proc.js';
import type { RunConfig, SystemAdapter } from './types.js';

/** The built relay (`npm run build`): what `npx lockstep relay` runs. */
const MAIN = 'libs/cli/dist/main.js';
let httpPort = 19_500;
const portByRun = new Map<string, number>();

export const TOPIC_PARTITIONS = 3;

function relayEnv(config: RunConfig, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LOCKSTEP_MYSQL_URL: formatMysqlUrl(config.db),
    LOCKSTEP_RELAY_NAME: `bench-${config.runId}`,
    LOCKSTEP_RELAY_SERVER_ID: String(config.serverId),
    LOCKSTEP_OUTBOX_DATABASE: config.db.name,
    LOCKSTEP_OUTBOX_TABLE: config.table,
    LOCKSTEP_TOPIC_PREFIX: config.topicPrefix,
    LOCKSTEP_TOPIC_PARTITIONS: String(TOPIC_PARTITIONS),
    LOCKSTEP_RELAY_INITIAL_GTID: config.startGtid,
    LOCKSTEP_RELAY_HTTP_PORT: String(portFor(config)),
    ...extra,
  };
}

function portFor(config: RunConfig): number {
  let port = portByRun.get(config.runId);
  if (port === undefined) portByRun.set(config.runId, (port = httpPort++));
  return port;
}

/** Kafka transactions, their total send+commit time and events, from the relay's own Prometheus histograms. */
async function relayDiagnostics(config: RunConfig): Promise<Record<string, number>> {
  const port = portByRun.get(config.runId);
  if (port === undefined) return {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    appendFileSync(`${config.workDir}/metrics.txt`, `# read at ${new Date().toISOString()}\n${text}\n`);
    const value = (name: string): number => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    };
    return {
      commits: value('lockstep_relay_kafka_commit_seconds_count'),
      commitSeconds: value('lockstep_relay_kafka_commit_seconds_sum'),
      batchEvents: value('lockstep_relay_batch_size_events_sum'),
    };
  } catch {
    return {};
  }
}

async function ensureCheckpointTable(config: RunConfig): Promise<void> {
  const conn = await mysql.createConnection(connectionOptions(config.db));
  try {
    await conn.query(relayCheckpointTableDdl());
  } finally {
    await conn.end();
  }
}

function relayMissing(): string | null {
  return existsSync(MAIN) ? null : `${MAIN} does not exist yet`;
}

/** (a) Lockstep's relay process, exactly-once (Kafka transactions carrying events + checkpoint). */
export const lockstepAdapter: SystemAdapter = {
  id: 'lockstep',
  label: 'Lockstep relay (exactly-once, Kafka transactions)',
  guarantee: 'exactly-once (read_committed)',
  async available() {
    return relayMissing();
  },
  async prepare(config) {
    await ensureCheckpointTable(config);
  },
  diagnostics: relayDiagnostics,
  async start(config) {
    return spawnLogged(process.execPath, [MAIN, 'relay'], relayEnv(config, {}), `${config.workDir}/relay.log`);
  },
  describe() {
    return {
      process: `node ${MAIN} relay`,
      settings: `relay defaults (LOCKSTEP_RELAY_MAX_BATCH_EVENTS etc. unset), LOCKSTEP_TOPIC_PARTITIONS=${TOPIC_PARTITIONS}, start at LOCKSTEP_RELAY_INITIAL_GTID`,
    };
  },
};

/** (d) the same relay with Kafka transactions off (at-least-once), if the relay supports it. */
export const lockstepNoTxAdapter: SystemAdapter = {
  id: 'lockstep-notx',
  label: 'Lockstep relay, transactions off (at-least-once)',
  guarantee: 'at-least-once',
  async available() {
    const missing = relayMissing();
    if (missing) return missing;
    const envFile = 'libs/cli/src/commands/relay-env.ts';
    const src = existsSync(envFile) ? readFileSync(envFile, 'utf8') : '';
    if (!src.includes('LOCKSTEP_RELAY_TRANSACTIONS')) {
      return 'the relay has no switch for Kafka transactions yet (expected env LOCKSTEP_RELAY_TRANSACTIONS=off)';
    }
    return null;
  },
  async prepare(config) {
    await ensureCheckpointTable(config);
  },
  diagnostics: relayDiagnostics,
  async start(config) {
    return spawnLogged(
      process.execPath,
      [MAIN, 'relay'],
      relayEnv(config, { LOCKSTEP_RELAY_TRANSACTIONS: 'off' }),
      `${config.workDir}/relay.log`,
    );
  },
  describe() {
    return { process: `as Lockstep, plus LOCKSTEP_RELAY_TRANSACTIONS=off` };
  },
};

import mysql from 'mysql2/promise';
import { formatMysqlUrl } from '@lockstep/core';
import { connectionOptions } from '../lib/data.js';
import { spawnLogged } from '../lib/proc.js';
import type { RunConfig, SystemAdapter } from './types.js';

export const POLLING_BATCH = 1000;
export const POLLING_INTERVAL_MS = 50;

export const pollingTable = (config: RunConfig): string => `${config.table}_polling`;

/** (c) the polling outbox relay in bench/systems/polling-relay.ts, on its own copy of the rows. */
export const pollingAdapter: SystemAdapter = {
  id: 'polling',
  label: 'polling relay (SELECT … FOR UPDATE SKIP LOCKED)',
  guarantee: 'at-least-once',
  async available() {
    return null;
  },
  writeTable: pollingTable,
  async prepare(config) {
    // Its own copy of the outbox (same rows) with a published_at column. The copy is made with
    // sql_log_bin=0 so it does not add to the binlog the other systems read.
    const conn = await mysql.createConnection(connectionOptions(config.db));
    const t = pollingTable(config);
    try {
      await conn.query('SET SESSION sql_log_bin = 0');
      await conn.query(`DROP TABLE IF EXISTS \`${t}\``);
      await conn.query(`CREATE TABLE \`${t}\` LIKE \`${config.table}\``);
      await conn.query(
        `ALTER TABLE \`${t}\` ADD COLUMN published_at DATETIME(6) NULL, ADD KEY \`${t}_unpublished\` (published_at, id)`,
      );
      if (config.mode === 'catchup') {
        await conn.query(`INSERT INTO \`${t}\` SELECT o.*, NULL FROM \`${config.table}\` o WHERE o.payload LIKE '{"eventId":%'`);
      }
    } finally {
      await conn.end();
    }
  },
  async start(config) {
    return spawnLogged(
      process.execPath,
      ['--conditions=lockstep-source', '--import', '@swc-node/register/esm-register', 'bench/systems/polling-relay.ts'],
      {
        ...process.env,
        POLLING_MYSQL_URL: formatMysqlUrl(config.db),
        POLLING_TABLE: pollingTable(config),
        POLLING_TOPIC_PREFIX: config.topicPrefix,
        POLLING_BATCH: String(POLLING_BATCH),
        POLLING_INTERVAL_MS: String(POLLING_INTERVAL_MS),
      },
      `${config.workDir}/polling.log`,
    );
  },
  describe() {
    return {
      batch: String(POLLING_BATCH),
      'idle poll interval': `${POLLING_INTERVAL_MS} ms`,
      producer:
        'kafkajs 2.2.4, idempotent, maxInFlightRequests 1, acks=all, no compression, sends of at most 900 KB (broker max message size)',
      table: 'outbox DDL + published_at DATETIME(6) NULL, KEY (published_at, id)',
    };
  },
};

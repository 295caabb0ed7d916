import mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';
import {
  DEFAULT_OUTBOX_TABLE,
  DEFAULT_RELAY_CHECKPOINT_TABLE,
  mysqlSslFromEnv,
  mysqlUrlFromEnv,
  parseMysqlUrl,
  quoteIdent,
} from '@lockstep/core';
import { readBinlogEnd, transactionsBehind } from '@lockstep/relay';
import type { CliCommand } from '../cli-command.js';

/**
 * `lockstep status`: each relay's last committed checkpoint (as mirrored into MySQL after each
 * Kafka commit) and its lag: outbox events and bytes written after it, binlog transactions
 * committed after it, and seconds since the last published event was written.
 */
export const statusCommand: CliCommand = {
  name: 'status',
  usage: `usage: lockstep status

Prints each relay's last committed checkpoint (as mirrored into MySQL after each Kafka commit)
and its lag, read from the database of LOCKSTEP_MYSQL_URL (LOCKSTEP_OUTBOX_TABLE and
LOCKSTEP_RELAY_CHECKPOINT_TABLE if not the defaults).`,
  options: {},
  run: ({ env }) => status(env),
};

/** A checkpoint row; with dateStrings and bigNumberStrings, DATETIME and BIGINT come back as strings. */
interface CheckpointRow extends RowDataPacket {
  relay_name: string;
  gtid_set: string;
  events_published: string;
  last_event_created_at: string | null;
  updated_at: string;
}

/** The lag behind one checkpoint: COUNT (BIGINT) and SUM (DECIMAL) come back as strings. */
interface LagRow extends RowDataPacket {
  events: string;
  bytes: string;
  seconds: number | string | null;
}

async function status(env: NodeJS.ProcessEnv): Promise<number> {
  const db = parseMysqlUrl(mysqlUrlFromEnv(env));
  const outbox = quoteIdent(env.LOCKSTEP_OUTBOX_TABLE ?? DEFAULT_OUTBOX_TABLE);
  const checkpoints = quoteIdent(env.LOCKSTEP_RELAY_CHECKPOINT_TABLE ?? DEFAULT_RELAY_CHECKPOINT_TABLE);
  const c = await mysql.createConnection({
    ...db,
    ssl: mysqlSslFromEnv(env),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  try {
    const [relays] = await c.query<CheckpointRow[]>(
      `SELECT relay_name, gtid_set, events_published, last_event_created_at, updated_at FROM ${checkpoints} ORDER BY relay_name`,
    );
    if (relays.length === 0) {
      console.log('no relay has committed a checkpoint yet in this database');
      return 0;
    }
    const binlogEnd = await readBinlogEnd(c);
    console.log(
      '| relay | checkpoint (GTID) | published | lag events | lag bytes | lag transactions | lag seconds | checkpoint at |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---|');
    for (const r of relays) {
      const since = r.last_event_created_at ?? '1970-01-01 00:00:00';
      const [[lag]] = await c.query<LagRow[]>(
        `SELECT COUNT(*) AS events, COALESCE(SUM(LENGTH(payload)), 0) AS bytes,
                TIMESTAMPDIFF(MICROSECOND, ?, MAX(created_at)) / 1e6 AS seconds
         FROM ${outbox} WHERE created_at > ?`,
        [since, since],
      );
      console.log(
        `| ${r.relay_name} | ${r.gtid_set} | ${r.events_published} | ${lag.events} | ${lag.bytes} | ${transactionsBehind(binlogEnd, String(r.gtid_set))} | ${Number(lag.seconds ?? 0).toFixed(3)} | ${r.updated_at} UTC |`,
      );
    }
    return 0;
  } finally {
    await c.end();
  }
}

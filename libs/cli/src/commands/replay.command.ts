import mysql from 'mysql2/promise';
import { DEFAULT_RELAY_CHECKPOINT_TABLE, quoteIdent, uuidToString } from '@lockstep/core';
import { replayOutbox } from '@lockstep/relay';
import { UsageError, type CliCommand, type CommandInput } from '../cli-command.js';
import { relayOptionsFromEnv } from './relay-env.js';

const positiveNumber = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a non-negative number, got "${value}"`);
  return n;
};

/** `lockstep replay`: see usage. Prints counts and ids, never payloads. */
export const replayCommand: CliCommand = {
  name: 'replay',
  usage: `usage: lockstep replay (--after <event-id> | --after-checkpoint <relay-name>) [--margin-seconds <s>] [--until <event-id>] [--page-size <n>] [--dry-run]

Re-publishes retained outbox rows after an event id, as the relay would (same topics, keys,
values, headers), for recovery after the binlog holding a relay checkpoint was purged.
Starts --margin-seconds (60) before that id: a transaction may commit after a later-recorded event.
Uses the relay's environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS, LOCKSTEP_TOPIC_PREFIX, ...).`,
  options: {
    after: { type: 'string' },
    'after-checkpoint': { type: 'string' },
    'margin-seconds': { type: 'string' },
    until: { type: 'string' },
    'page-size': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  run: ({ values, env }) => replay(values, env),
};

async function replay(a: CommandInput['values'], env: NodeJS.ProcessEnv): Promise<number> {
  const options = relayOptionsFromEnv(env);
  const database = options.outboxDatabase ?? options.mysql.database;
  let after = a.after as string | undefined;
  const fromRelay = a['after-checkpoint'] as string | undefined;
  if ((after === undefined) === (fromRelay === undefined))
    throw new UsageError('give exactly one of --after and --after-checkpoint');
  if (typeof fromRelay === 'string') {
    const table = options.checkpointTable || DEFAULT_RELAY_CHECKPOINT_TABLE;
    const c = await mysql.createConnection({ ...options.mysql, connectTimeout: 5_000 } as mysql.ConnectionOptions);
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        `SELECT last_event_id FROM ${quoteIdent(database)}.${quoteIdent(table)} WHERE relay_name = ?`,
        [fromRelay],
      );
      const id = rows[0]?.last_event_id as Buffer | null | undefined;
      if (!id) {
        console.error(
          `relay "${fromRelay}" has no mirrored checkpoint with an event id in ${table}; pass --after <event-id> instead`,
        );
        return 1;
      }
      after = uuidToString(id);
    } finally {
      await c.end();
    }
  }
  const pageSize = positiveNumber('--page-size', a['page-size'] as string | undefined);
  const marginSeconds = positiveNumber('--margin-seconds', a['margin-seconds'] as string | undefined);
  const dryRun = a['dry-run'] === true;
  const result = await replayOutbox({
    mysql: options.mysql,
    kafka: options.kafka,
    after: after as string,
    until: (a.until as string | undefined) ?? null,
    outboxDatabase: database,
    outboxTable: options.outboxTable,
    topicPrefix: options.topicPrefix,
    topicRouter: options.topicRouter,
    topicPartitions: options.topicPartitions,
    checkpointTopic: options.checkpointTopic,
    pageSize,
    marginMs: marginSeconds === undefined ? undefined : marginSeconds * 1000,
    dryRun,
    onPage: (p) => console.log(`${dryRun ? 'would re-publish' : 're-published'} ${p.events} events up to ${p.lastId}`),
  });
  if (result.events === 0) console.log(`nothing to replay after ${after}`);
  else
    console.log(
      `${dryRun ? 'dry run: would re-publish' : 're-published'} ${result.events} events, ${result.firstId} .. ${result.lastId}, to ${result.topics.join(', ')}`,
    );
  return 0;
}

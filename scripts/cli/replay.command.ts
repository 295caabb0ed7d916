import mysql from 'mysql2/promise';
import { DEFAULT_RELAY_CHECKPOINT_TABLE, quoteIdent, uuidToString } from '@lockstep/core';
import { replayOutbox } from '@lockstep/relay';
import { relayOptionsFromEnv } from '../../apps/relay/src/relay-env.js';

const usage = `usage: lockstep replay (--after <event-id> | --after-checkpoint <relay-name>) [--margin-seconds <s>] [--until <event-id>] [--page-size <n>] [--dry-run]
  Re-publishes retained outbox rows after an event id, as the relay would (same topics, keys,
  values, headers), for recovery after the binlog holding a relay checkpoint was purged.
  Starts --margin-seconds (60) before that id: a transaction may commit after a later-recorded event.
  Uses the relay's environment (LOCKSTEP_MYSQL_URL, LOCKSTEP_KAFKA_BROKERS, LOCKSTEP_TOPIC_PREFIX, ...).`;

function parseArgs(args: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new TypeError(`unexpected argument "${a}"\n${usage}`);
    const next = args[i + 1];
    if (a === '--dry-run') out.set(a, true);
    else if (next === undefined || next.startsWith('--')) throw new TypeError(`${a} needs a value\n${usage}`);
    else {
      out.set(a, next);
      i += 1;
    }
  }
  return out;
}

/** `lockstep replay`: see usage. Prints counts and ids, never payloads. */
export async function replay(args: string[]): Promise<number> {
  const a = parseArgs(args);
  const options = relayOptionsFromEnv();
  const database = options.outboxDatabase ?? options.mysql.database;
  let after = a.get('--after');
  const fromRelay = a.get('--after-checkpoint');
  if ((after === undefined) === (fromRelay === undefined)) {
    console.error(`give exactly one of --after and --after-checkpoint\n${usage}`);
    return 2;
  }
  if (typeof fromRelay === 'string') {
    const table = options.checkpointTable || DEFAULT_RELAY_CHECKPOINT_TABLE;
    const c = await mysql.createConnection({ ...options.mysql, connectTimeout: 5_000 } as mysql.ConnectionOptions);
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT last_event_id FROM ${quoteIdent(database)}.${quoteIdent(table)} WHERE relay_name = ?`, [fromRelay]);
      const id = rows[0]?.last_event_id as Buffer | null | undefined;
      if (!id) {
        console.error(`relay "${fromRelay}" has no mirrored checkpoint with an event id in ${table}; pass --after <event-id> instead`);
        return 1;
      }
      after = uuidToString(id);
    } finally {
      await c.end();
    }
  }
  const pageSize = a.get('--page-size');
  const dryRun = a.get('--dry-run') === true;
  const result = await replayOutbox({
    mysql: options.mysql,
    kafka: options.kafka,
    after: after as string,
    until: typeof a.get('--until') === 'string' ? (a.get('--until') as string) : null,
    outboxDatabase: database,
    outboxTable: options.outboxTable,
    topicPrefix: options.topicPrefix,
    topicRouter: options.topicRouter,
    topicPartitions: options.topicPartitions,
    checkpointTopic: options.checkpointTopic,
    pageSize: typeof pageSize === 'string' ? Number(pageSize) : undefined,
    marginMs: typeof a.get('--margin-seconds') === 'string' ? Number(a.get('--margin-seconds')) * 1000 : undefined,
    dryRun,
    onPage: (p) => console.log(`${dryRun ? 'would re-publish' : 're-published'} ${p.events} events up to ${p.lastId}`),
  });
  if (result.events === 0) console.log(`nothing to replay after ${after}`);
  else console.log(`${dryRun ? 'dry run: would re-publish' : 're-published'} ${result.events} events, ${result.firstId} .. ${result.lastId}, to ${result.topics.join(', ')}`);
  return 0;
}

import { kafkaConnectionFromEnv, mysqlSslFromEnv, mysqlUrlFromEnv, parseMysqlUrl } from '@lockstep/core';
import { templateTopicRouter, type RelayInitialPosition, type RelayOptions } from '@lockstep/relay';

const int = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};

/** The relay process's configuration, from the environment only (documented in docs/relay.md). */
export function relayOptionsFromEnv(env: NodeJS.ProcessEnv): RelayOptions & { httpPort: number } {
  const mysql = { ...parseMysqlUrl(mysqlUrlFromEnv(env)), ...(mysqlSslFromEnv(env) ? { ssl: mysqlSslFromEnv(env) } : {}) };
  let initialPosition: RelayInitialPosition | undefined;
  if (env.LOCKSTEP_RELAY_INITIAL_GTID !== undefined && env.LOCKSTEP_RELAY_INITIAL_GTID !== '') {
    initialPosition = { gtidSet: env.LOCKSTEP_RELAY_INITIAL_GTID };
  } else if (env.LOCKSTEP_RELAY_INITIAL_POSITION) {
    const p = env.LOCKSTEP_RELAY_INITIAL_POSITION;
    if (p !== 'earliest' && p !== 'current')
      throw new TypeError(`LOCKSTEP_RELAY_INITIAL_POSITION must be earliest or current, got "${p}"`);
    initialPosition = p;
  }
  const startFrom = env.LOCKSTEP_RELAY_START_FROM;
  if (startFrom && startFrom !== 'now' && startFrom !== 'checkpoint') {
    throw new TypeError(`LOCKSTEP_RELAY_START_FROM must be "now" or "checkpoint", got "${startFrom}"`);
  }
  const checkpointTable = env.LOCKSTEP_RELAY_CHECKPOINT_TABLE;
  const options: RelayOptions & { httpPort: number } = {
    name: env.LOCKSTEP_RELAY_NAME || 'default',
    mysql,
    kafka: kafkaConnectionFromEnv(env),
    httpPort: int(env, 'LOCKSTEP_RELAY_HTTP_PORT') ?? 9464,
  };
  const set = <K extends keyof RelayOptions>(key: K, value: RelayOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value as (RelayOptions & { httpPort: number })[K];
  };
  set('serverId', int(env, 'LOCKSTEP_RELAY_SERVER_ID'));
  set('outboxDatabase', env.LOCKSTEP_OUTBOX_DATABASE || undefined);
  set('outboxTable', env.LOCKSTEP_OUTBOX_TABLE || undefined);
  set('checkpointTable', checkpointTable === 'off' ? false : checkpointTable || undefined);
  set('topicPrefix', env.LOCKSTEP_TOPIC_PREFIX || undefined);
  if (env.LOCKSTEP_TOPIC_TEMPLATE)
    set('topicRouter', templateTopicRouter(env.LOCKSTEP_TOPIC_TEMPLATE, env.LOCKSTEP_TOPIC_PREFIX || undefined));
  set('topicPartitions', int(env, 'LOCKSTEP_TOPIC_PARTITIONS'));
  set('checkpointTopic', env.LOCKSTEP_RELAY_CHECKPOINT_TOPIC || undefined);
  set('initialPosition', initialPosition);
  set('startFrom', (startFrom as 'now' | 'checkpoint' | undefined) || undefined);
  set('maxBatchEvents', int(env, 'LOCKSTEP_RELAY_MAX_BATCH_EVENTS'));
  set('maxBatchBytes', int(env, 'LOCKSTEP_RELAY_MAX_BATCH_BYTES'));
  set('maxQueuedEvents', int(env, 'LOCKSTEP_RELAY_MAX_QUEUED_EVENTS'));
  set('heartbeatMs', int(env, 'LOCKSTEP_RELAY_HEARTBEAT_MS'));
  set('transactionTimeoutMs', int(env, 'LOCKSTEP_RELAY_TRANSACTION_TIMEOUT_MS'));
  set('preflight', env.LOCKSTEP_RELAY_PREFLIGHT === 'off' ? false : undefined);
  set('transactions', env.LOCKSTEP_RELAY_TRANSACTIONS === 'off' ? false : undefined);
  return options;
}

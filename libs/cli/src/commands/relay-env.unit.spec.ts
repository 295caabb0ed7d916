import { describe, expect, it } from 'vitest';
import { relayOptionsFromEnv } from './relay-env.js';

describe('relayOptionsFromEnv', () => {
  it('reads every documented variable', () => {
    const o = relayOptionsFromEnv({
      LOCKSTEP_MYSQL_URL: 'mysql://relay:pw@db:3306/shop',
      LOCKSTEP_KAFKA_BROKERS: 'k1:9092,k2:9092',
      LOCKSTEP_RELAY_NAME: 'orders',
      LOCKSTEP_RELAY_SERVER_ID: '4242',
      LOCKSTEP_OUTBOX_DATABASE: 'shop2',
      LOCKSTEP_OUTBOX_TABLE: 'outbox',
      LOCKSTEP_TOPIC_PREFIX: 'acme',
      LOCKSTEP_TOPIC_PARTITIONS: '6',
      LOCKSTEP_RELAY_INITIAL_GTID: '0-1-100',
      LOCKSTEP_RELAY_START_FROM: 'now',
      LOCKSTEP_RELAY_HTTP_PORT: '8080',
      LOCKSTEP_RELAY_CHECKPOINT_TABLE: 'off',
      LOCKSTEP_RELAY_TRANSACTIONS: 'off',
    });
    expect(o).toMatchObject({
      name: 'orders',
      mysql: { host: 'db', port: 3306, user: 'relay', password: 'pw', database: 'shop' },
      kafka: { brokers: ['k1:9092', 'k2:9092'], ssl: false },
      serverId: 4242,
      outboxDatabase: 'shop2',
      outboxTable: 'outbox',
      topicPrefix: 'acme',
      topicPartitions: 6,
      initialPosition: { gtidSet: '0-1-100' },
      startFrom: 'now',
      httpPort: 8080,
      checkpointTable: false,
      transactions: false,
    });
  });

  it('LOCKSTEP_TOPIC_TEMPLATE routes with the prefix, aggregate and event type; an unknown placeholder is refused', () => {
    const row = { aggregateType: 'order', eventType: 'order.placed', aggregateId: 'o-1' };
    const o = relayOptionsFromEnv({ LOCKSTEP_TOPIC_PREFIX: 'acme', LOCKSTEP_TOPIC_TEMPLATE: '{prefix}-{aggregate_type}-v1' });
    expect(o.topicRouter?.(row)).toBe('acme-order-v1');
    expect(relayOptionsFromEnv({ LOCKSTEP_TOPIC_TEMPLATE: 'events.{event_type}' }).topicRouter?.(row)).toBe(
      'events.order.placed',
    );
    expect(relayOptionsFromEnv({}).topicRouter).toBeUndefined();
    expect(() => relayOptionsFromEnv({ LOCKSTEP_TOPIC_TEMPLATE: '{prefix}.{aggregate}' })).toThrow(
      /unknown placeholder \{aggregate\}; use \{prefix\}, \{aggregate_type\}/,
    );
  });

  it('has defaults and rejects nonsense with the variable name', () => {
    const o = relayOptionsFromEnv({});
    expect(o.name).toBe('default');
    expect(o.httpPort).toBe(9464);
    expect(o.initialPosition).toBeUndefined();
    expect(() => relayOptionsFromEnv({ LOCKSTEP_RELAY_SERVER_ID: 'x' })).toThrow(/LOCKSTEP_RELAY_SERVER_ID/);
    expect(() => relayOptionsFromEnv({ LOCKSTEP_RELAY_START_FROM: 'yesterday' })).toThrow(/LOCKSTEP_RELAY_START_FROM/);
    expect(relayOptionsFromEnv({ LOCKSTEP_RELAY_INITIAL_POSITION: 'current' }).initialPosition).toBe('current');
  });
});

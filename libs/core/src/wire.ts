/** Kafka header names of the wire contract (docs/design.md "Wire format"). Any Kafka client can
 * read them; they are the only thing a consumer needs besides the record value. */
export const LockstepHeader = {
  id: 'lockstep-id',
  type: 'lockstep-type',
  aggregateType: 'lockstep-aggregate-type',
  aggregateId: 'lockstep-aggregate-id',
  occurredAt: 'lockstep-occurred-at',
  schemaVersion: 'lockstep-schema-version',
  correlationId: 'lockstep-correlation-id',
  causationId: 'lockstep-causation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Default names; every table name is configurable. */
export const DEFAULT_OUTBOX_TABLE = 'lockstep_outbox';
export const DEFAULT_INBOX_TABLE = 'lockstep_inbox';
export const DEFAULT_CONSUMER_OFFSETS_TABLE = 'lockstep_consumer_offsets';
export const DEFAULT_RELAY_CHECKPOINT_TABLE = 'lockstep_relay_checkpoint';
export const DEFAULT_TOPIC_PREFIX = 'lockstep';

/** Default topic router (docs/design.md): `<prefix>.<aggregate_type>`. */
export function defaultTopicFor(prefix: string, aggregateType: string): string {
  return `${prefix}.${aggregateType}`;
}

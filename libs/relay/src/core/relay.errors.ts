import { LockstepError } from '@lockstep/core';

/**
 * Errors the relay raises on purpose. Each names what went wrong and how to fix it; match on
 * `code`, not on the message.
 */

/** Another relay with the same name (same transactionalId) took over: this one must stop for good. */
export class RelayFencedError extends LockstepError {
  constructor(relayName: string, cause?: unknown) {
    super(
      'LOCKSTEP_RELAY_FENCED',
      `relay "${relayName}" was fenced: a newer relay with the same transactional id is publishing`,
      'this is expected when a standby took over; if two relays run by mistake, stop one. Never restart this process in a loop against a healthy leader.',
      { cause, retriable: false },
    );
  }
}

/** The binlog the checkpoint points into is gone; resuming would silently skip events. */
export class BinlogPurgedError extends LockstepError {
  constructor(relayName: string, gtidSet: string, cause?: unknown) {
    super(
      'LOCKSTEP_RELAY_BINLOG_PURGED',
      `relay "${relayName}" cannot resume from GTID position "${gtidSet}": the server has purged the binlog holding it (errno 1236)`,
      'either re-publish the missing range from retained outbox rows (`lockstep replay`), then restart the relay with LOCKSTEP_RELAY_START_FROM=now; ' +
        'or accept the gap and restart with LOCKSTEP_RELAY_START_FROM=now (logs a GAP warning). Raise binlog_expire_logs_seconds so it does not happen again.',
      { cause, retriable: false },
    );
  }
}

/** A server setting or grant the relay depends on is missing; refuse to start. */
export class RelayPreflightError extends LockstepError {
  constructor(readonly problems: readonly { check: string; message: string; fix: string }[]) {
    super(
      'LOCKSTEP_RELAY_PREFLIGHT',
      `relay preflight failed:\n${problems.map((p) => `  - ${p.check}: ${p.message}`).join('\n')}`,
      problems.map((p) => p.fix).join('\n  '),
      { retriable: false },
    );
  }
}

/** The MySQL connection holding the leader lock went away: stop publishing until it is retaken. */
export class LeaderLockLostError extends LockstepError {
  constructor(relayName: string, cause?: unknown) {
    super(
      'LOCKSTEP_RELAY_LOCK_LOST',
      `relay "${relayName}" lost its leader lock connection`,
      'check MySQL connectivity; the relay stops publishing and competes for the lock again',
      { cause, retriable: true },
    );
  }
}

/** An outbox row that cannot be turned into a Kafka record (schema drift, wrong table). */
export class OutboxRowError extends LockstepError {
  constructor(message: string) {
    super(
      'LOCKSTEP_RELAY_BAD_ROW',
      message,
      'the outbox table must have the columns of outboxTableDdl() (id BINARY(16), aggregate_type, aggregate_id, event_type, payload, headers, created_at); run the Lockstep migrations',
    );
  }
}

/** The binlog stream failed (connection lost, silent connection, server error). Recovered by restart. */
export class BinlogStreamError extends LockstepError {
  constructor(message: string, cause?: unknown) {
    super('LOCKSTEP_RELAY_BINLOG_STREAM', message, 'the relay reconnects and resumes from its last committed checkpoint', {
      cause,
      retriable: true,
    });
  }
}

/** A Kafka call did not finish in time: its outcome is unknown, so the producer is replaced and the checkpoint re-read. */
export class KafkaDeadlineError extends LockstepError {
  constructor(what: string, ms: number) {
    super(
      'LOCKSTEP_RELAY_KAFKA_DEADLINE',
      `${what} did not finish within ${ms} ms`,
      'check the brokers; the relay replaces its producer and resumes from the last committed checkpoint',
      {
        retriable: true,
      },
    );
  }
}

/** Kafka refused a record as larger than the topic/broker accepts. The batch is retried, nothing after it is published. */
export class RecordTooLargeError extends LockstepError {
  constructor(
    readonly eventId: string,
    readonly topic: string,
    readonly bytes: number,
    cause?: unknown,
  ) {
    super(
      'LOCKSTEP_RELAY_RECORD_TOO_LARGE',
      `Kafka refused event ${eventId} on topic ${topic} as too large (${bytes} bytes of value, key and headers); the relay retries it and publishes nothing after it until it fits`,
      `raise the topic's max.message.bytes above ${bytes} (kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=${Math.ceil((bytes * 1.5) / 1024) * 1024}) ` +
        "or the broker's message.max.bytes; to stop such events at the source, lower the outbox's maxPayloadBytes below the Kafka limit",
      { cause, retriable: true },
    );
  }

  /** Retrying succeeds only after an operator acts (the hint says how): the relay retries loudly. */
  readonly awaitsOperator = true;
}

/** An event routes to a name Kafka does not accept as a topic. Publishing it is impossible, skipping it would lose it: the relay stops. */
export class InvalidTopicError extends LockstepError {
  constructor(
    readonly eventId: string,
    readonly aggregateType: string,
    readonly topic: string,
  ) {
    super(
      'LOCKSTEP_RELAY_INVALID_TOPIC',
      `event ${eventId} (aggregate type "${aggregateType}") routes to "${topic}", which is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249); publishing stops before it, nothing after it is published`,
      'route such aggregate types to a valid name with LOCKSTEP_TOPIC_TEMPLATE or a topicRouter, then restart the relay; and fix the code that records this aggregate type',
      { retriable: false },
    );
  }
}

/** The broker refused the relay's credentials. Retrying cannot help: the configuration must change. */
export class KafkaAuthenticationError extends LockstepError {
  constructor(cause?: unknown) {
    super(
      'LOCKSTEP_RELAY_KAFKA_AUTH',
      `the Kafka broker refused the relay's SASL credentials (${cause instanceof Error ? cause.message.split('\n')[0] : 'authentication failed'})`,
      "check LOCKSTEP_KAFKA_SASL_MECHANISM, LOCKSTEP_KAFKA_SASL_USERNAME, LOCKSTEP_KAFKA_SASL_PASSWORD (and LOCKSTEP_KAFKA_SSL) against the broker's listener and its SCRAM users",
      { cause, retriable: false },
    );
  }
}

/**
 * The checkpoint partition holds records past its last stable offset that no transaction resolves:
 * a transaction whose COMMIT/ABORT markers Kafka lost. Seen here after a broker kill -9: on restart
 * the coordinator skipped the markers of a prepared commit because the partition leaders were not
 * back yet ("Couldn't find leader endpoint ... can be skipped" in the broker log). Resuming from the
 * last *committed* checkpoint would publish that transaction's events again, and the relay's next
 * commit would then also commit the orphaned copies: so the relay does not resume; it retries
 * (loudly) until an operator has aborted the hanging transaction.
 */
export class HangingTransactionError extends LockstepError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly lastStableOffset: string,
    readonly highWatermark: string,
    waitedMs: number,
  ) {
    super(
      'LOCKSTEP_RELAY_HANGING_TRANSACTION',
      `checkpoint partition ${topic}-${partition} holds records past its last stable offset ${lastStableOffset} (high watermark ${highWatermark}) that no transaction resolved in ${waitedMs} ms: ` +
        'Kafka lost the markers of a transaction; resuming now could publish its events twice, so the relay waits (it checks again after a back-off)',
      'abort every hanging transaction of this relay; it then resumes by itself and re-publishes what they held, once: ' +
        'kafka-transactions.sh --bootstrap-server <broker> find-hanging --broker-id <id> (each broker), then for each one found: ' +
        'kafka-transactions.sh --bootstrap-server <broker> abort --topic <topic> --partition <p> --start-offset <offset> (docs/relay.md, "Hanging transactions")',
      // Retriable: the relay tries again after a back-off and goes on by itself once it is aborted.
      { retriable: true },
    );
  }

  /** Retrying succeeds only after an operator acts (the hint says how): the relay retries loudly. */
  readonly awaitsOperator = true;
}

/**
 * Kafka kept refusing one part of a publish (no leader, not enough in-sync replicas, a broker
 * unreachable) for the whole retry budget. Retriable: the relay starts a new session from its
 * checkpoint; nothing was committed.
 */
export class KafkaUnavailableError extends LockstepError {
  constructor(
    readonly wait: { operation: string; reason: string; attempt: number; waitedMs: number },
    cause?: unknown,
  ) {
    super(
      'LOCKSTEP_RELAY_KAFKA_UNAVAILABLE',
      `gave up on ${wait.operation} after ${wait.attempt} attempts in ${wait.waitedMs} ms: ${wait.reason}`,
      'check that the partition has a leader and at least min.insync.replicas brokers in sync (kafka-topics.sh --describe --under-min-isr-partitions); the relay resumes from its checkpoint by itself',
      { cause, retriable: true },
    );
  }
}

/**
 * The relay tried a state change its state machine does not allow (relay-state-machine.ts). This
 * is a bug in Lockstep, never an operational condition: nothing retries it.
 */
export class IllegalRelayTransitionError extends LockstepError {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(
      'LOCKSTEP_RELAY_ILLEGAL_TRANSITION',
      `relay state: ${from} -> ${to} is not allowed`,
      'this is a bug in Lockstep: please report it with the relay log',
      {
        retriable: false,
      },
    );
  }
}

import { LockstepError } from '@lockstep/core';

/** Throw from a handler to dead-letter the event at once, without retries (the payload is
 * fine for validation but the handler knows it can never succeed). Any error with
 * `retriable: false` does the same; this one says so by its name. */
export class DeadLetterError extends LockstepError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCKSTEP_DEAD_LETTER', message, undefined, { cause: options?.cause, retriable: false });
  }
}

/** The consumer's options are unusable. */
export class ConsumerConfigError extends LockstepError {
  constructor(message: string, hint: string) {
    super('LOCKSTEP_CONSUMER_CONFIG', message, hint);
  }
}

/** A `@LockstepHandler()` target is not an `@OutboxEvent()` class. */
export class NotAnEventClassError extends LockstepError {
  constructor(target: string) {
    super(
      'LOCKSTEP_NOT_AN_EVENT_CLASS',
      `@LockstepHandler(${target}) needs a class decorated with @OutboxEvent({ type, aggregate })`,
      `import the event class the producer records (the same @OutboxEvent type) and pass it to @LockstepHandler()`,
    );
  }
}

/** Reading or writing Lockstep's own consumer tables failed (not the handler): the record is
 * retried in place, never dead-lettered, because the record is not at fault. */
export class ConsumerStoreError extends LockstepError {
  constructor(message: string, cause: unknown) {
    super(
      'LOCKSTEP_CONSUMER_STORE',
      message,
      'check that MySQL is reachable and that the consumer tables exist (run the Lockstep migrations)',
      { cause, retriable: true },
    );
  }
}

/** `unknownEventType: 'fail'` met a record whose type has no handler: the partition stops. */
export class UnknownEventTypeError extends LockstepError {
  constructor(type: string, topic: string, partition: number, offset: string) {
    super(
      'LOCKSTEP_UNKNOWN_EVENT_TYPE',
      `no @LockstepHandler for event type "${type}" (${topic}[${partition}]@${offset}); the partition waits`,
      `deploy a handler for "${type}", or set unknownEventType to 'skip' or 'dead-letter'`,
      { retriable: true },
    );
  }
}

/** The dead-letter topic could not take a record; the record is retried, never dropped. */
export class DeadLetterPublishError extends LockstepError {
  constructor(topic: string, cause: unknown) {
    super(
      'LOCKSTEP_DLQ_PUBLISH',
      `could not publish to the dead-letter topic ${topic}`,
      `check the broker and that the consumer may create/write ${topic}`,
      { cause, retriable: true },
    );
  }
}

/** A topic to consume did not appear within `topicWaitMs`. */
export class ConsumerTopicMissingError extends LockstepError {
  constructor(topics: string[], waitedMs: number) {
    const list = topics.join(', ');
    super(
      'LOCKSTEP_CONSUMER_TOPIC_MISSING',
      `topic${topics.length > 1 ? 's' : ''} ${list} did not exist after waiting ${Math.round(waitedMs / 1000)} s`,
      `the relay creates a topic when it publishes the first event of its aggregate: start the relay (npx lockstep relay) and record an event, ` +
        `or create the topic yourself (kafka-topics.sh --create --topic ${topics[0]} --partitions <n>); check the topic name (topics option); ` +
        `raise topicWaitMs to wait longer`,
    );
  }
}

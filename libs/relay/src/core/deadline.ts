import { KafkaDeadlineError } from './relay.errors.js';

/** A Kafka call that neither resolves nor rejects (kafkajs can hang across a broker restart) is an ambiguous failure. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaDeadlineError(what, ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Deadline of one publish (a Kafka transaction). Shorter than the transaction timeout, so a hung
 * call is abandoned before the broker aborts it anyway; long enough for Kafka to move a lost
 * broker's partitions (broker.session.timeout.ms, 9 s by default) while the publisher retries
 * within its budget (publisherRetryBudgetMs, 5 s less than this).
 */
export function publishDeadlineMs(transactionTimeoutMs: number): number {
  return Math.max(10_000, transactionTimeoutMs - 5_000);
}

/** How long the publisher may retry what Kafka refuses for now, within one publish. */
export function publisherRetryBudgetMs(transactionTimeoutMs: number): number {
  return publishDeadlineMs(transactionTimeoutMs) - 5_000;
}

/** Connecting the producer, and reading the checkpoint topic (plus the open-transaction grace). */
export function sessionStartDeadlineMs(transactionTimeoutMs: number): number {
  return transactionTimeoutMs + 30_000;
}

export const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e));

import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { ConsumerTopicMissingError } from '../../core/consumer.errors.js';

export interface TopicWaitOptions {
  topics: string[];
  /** Give up after this long with ConsumerTopicMissingError. 0: check once. */
  timeoutMs: number;
  log: (message: string) => void;
  /** Aborted when the consumer stops during the wait: the wait then ends quietly. */
  signal: AbortSignal;
}

/**
 * Resolves once every topic exists. A consumer is often deployed before the relay has
 * published the first event of its aggregate (which is what creates the topic): it waits,
 * says so once, and fails with a Lockstep error naming the topics and the fix if they do not
 * appear in time (a misspelt topic never will).
 */
export async function waitForTopics(kafka: Kafka, o: TopicWaitOptions): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const started = Date.now();
    let pollMs = 250;
    let logged = false;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      const missing = o.topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      const left = started + o.timeoutMs - Date.now();
      if (left <= 0) throw new ConsumerTopicMissingError(missing, Date.now() - started);
      if (!logged) {
        logged = true;
        o.log(
          `waiting for topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} … the relay creates a topic when it publishes the first event of its aggregate ` +
            `(up to ${Math.round(o.timeoutMs / 1000)} s, option topicWaitMs)`,
        );
      }
      try {
        await delay(Math.min(pollMs, left), undefined, { signal: o.signal });
      } catch {
        return; // stopped
      }
      pollMs = Math.min(pollMs * 2, 2_000);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

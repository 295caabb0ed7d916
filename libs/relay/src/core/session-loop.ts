import { describeError, sessionStartDeadlineMs, withDeadline } from './deadline.js';
import { PublishSession } from './publish-session.js';
import type { RelayRunContext } from './relay-run-context.js';
import { classifySessionFailure } from './session-failure.policy.js';

/**
 * The leader's loop: one publishing session after another, each with a new producer that reads
 * the last committed checkpoint, until stop, lock loss, or an error no session can fix.
 * A session that ends with an error is never assumed to have committed anything: the next
 * session's producer aborts or completes what was open, and re-reads the checkpoint.
 * Throws the error that ends the relay (fenced, fatal), in state `fenced` or `failed`.
 */
export async function leadSessions(ctx: RelayRunContext): Promise<void> {
  const o = ctx.options;
  let backoffMs = 250;
  while (!ctx.stopRequested() && !ctx.lockLost()) {
    ctx.state.transition('starting');
    const publisher = ctx.ports.createPublisher((wait) => ctx.kafkaWait.onWait(wait));
    const commitsBefore = ctx.progress.commits;
    try {
      const deadline = sessionStartDeadlineMs(o.transactionTimeoutMs);
      await withDeadline(publisher.connect(), deadline, 'connecting the producer');
      const checkpoint = await withDeadline(
        publisher.readCheckpoint(),
        deadline + o.openTransactionGraceMs,
        'reading the checkpoint topic',
      );
      await new PublishSession(ctx, publisher).run(checkpoint);
    } catch (error) {
      const failure = classifySessionFailure(error);
      if (failure.kind === 'fenced') {
        ctx.state.transition('fenced');
        throw error;
      }
      if (failure.kind === 'fatal') {
        ctx.state.transition('failed');
        throw error;
      }
      ctx.state.transition('recovering');
      // A session that committed something was healthy: the next failure (a broker bounce) backs off afresh.
      if (ctx.progress.commits > commitsBefore) backoffMs = 250;
      if (failure.kind === 'awaits-operator') {
        // Not transient, but fixable without a restart (raise the topic limit, abort the hanging
        // transaction): keep retrying, loudly, so the relay goes on by itself once it is fixed.
        const message = (error as Error).message;
        ctx.events.emit('warning', failure.warning, message);
        o.logger.error(`relay ${o.name}: ${message}`);
      } else {
        ctx.events.emit('warning', 'RECOVERING', describeError(error));
      }
      o.logger.warn(`relay ${o.name}: ${describeError(error)}; resuming from the last committed checkpoint in ${backoffMs} ms`);
      await ctx.wake.wait(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    } finally {
      await withDeadline(publisher.close(), 10_000, 'closing the producer').catch(() => undefined);
    }
  }
}

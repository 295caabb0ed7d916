import { describeError } from './deadline.js';
import type { RelayRunContext } from './relay-run-context.js';
import { leadSessions } from './session-loop.js';

/** The MySQL named lock of a relay name: one leader per name (I6). */
export const leaderLockName = (relayName: string): string => `lockstep-relay:${relayName}`;

/**
 * Competes for the leader lock, leads while holding it (leadSessions), and competes again when it
 * is lost, until stop. The lock decides who *should* publish; the Kafka transactional id fence
 * decides who *can*: a relay that lost its lock stops publishing at once, and one that did not
 * notice is fenced by the new leader's producer.
 */
export class LeadershipLoop {
  private lost = false;

  constructor(private readonly ctx: () => RelayRunContext) {}

  /** The lock of the current term is lost. */
  get lockLost(): boolean {
    return this.lost;
  }

  /** Runs until stop; throws what ended the relay otherwise (fenced, fatal), in state `fenced` or `failed`. */
  async run(): Promise<void> {
    const ctx = this.ctx();
    const o = ctx.options;
    ctx.state.transition('standby');
    while (!ctx.stopRequested()) {
      this.lost = false;
      const lock = ctx.ports.createLeaderLock((cause) => {
        this.lost = true;
        ctx.events.emit('warning', 'LOCK_LOST', `leader lock connection lost (${describeError(cause)}); stopping publishing`);
        o.logger.warn(`relay ${o.name}: leader lock lost (${describeError(cause)}); stopping publishing`);
        ctx.wake.notify();
      });
      o.logger.log(`relay ${o.name}: waiting for leader lock`);
      if (!(await lock.acquire(() => ctx.stopRequested()))) break;
      o.logger.log(`relay ${o.name}: leader lock acquired`);
      try {
        await leadSessions(ctx);
      } finally {
        await lock.release();
      }
      // leadSessions returned: stop was asked for, or the lock was lost. In the second case
      // compete again, in standby (still there if the lock was lost before the first session).
      if (!ctx.stopRequested() && ctx.state.state !== 'standby') ctx.state.transition('standby');
    }
  }
}

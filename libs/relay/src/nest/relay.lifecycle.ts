import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { RelayEngine } from '../core/relay-engine.js';

/** The relay of one RelayModule instance (module-local: each registered relay has its own). */
export const RELAY_INSTANCE = Symbol('LOCKSTEP_RELAY_INSTANCE');

/**
 * Starts the relay once the app has bootstrapped (preflight failures fail the bootstrap, with
 * their fixes); drains it before shutdown: the Kafka transaction in flight finishes, the binlog
 * stops, the leader lock is released. Shutdown checks the state, logs, and never throws.
 */
@Injectable()
export class RelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LockstepRelay');

  constructor(@Inject(RELAY_INSTANCE) private readonly relay: RelayEngine) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`starting relay "${this.relay.name}" (transactional id ${this.relay.transactionalId})`);
    await this.relay.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const { name, state } = this.relay;
    if (state === 'stopped') {
      this.logger.log(`relay "${name}" already stopped`);
      return;
    }
    try {
      this.logger.log(`stopping relay "${name}" (state ${state}${signal ? `, ${signal}` : ''})`);
      await this.relay.stop();
      this.logger.log(
        `relay "${name}" stopped${this.relay.failure ? ` after a fatal error: ${this.relay.failure.message.split('\n')[0]}` : ''}`,
      );
    } catch (error) {
      this.logger.error(`relay "${name}" did not stop cleanly: ${(error as Error).message}`);
    }
  }
}

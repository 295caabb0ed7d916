import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { OutboxModuleOptions } from './outbox-module.options.js';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition.js';
import { OutboxService } from './outbox.service.js';

/**
 * Runs outbox retention on an interval: started once the app has bootstrapped, drained before
 * it shuts down (a run in progress finishes its current batch). Errors are logged, never thrown:
 * retention is housekeeping and must not take the service down.
 */
@Injectable()
export class OutboxRetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LockstepOutboxRetention');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: OutboxModuleOptions,
    private readonly outbox: OutboxService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.retention === false) return;
    const intervalMs = this.outbox.retentionJobs()[0]?.intervalMs ?? 0;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const job of this.outbox.retentionJobs()) job.stop();
    await this.running;
  }

  private tick(): void {
    if (this.running) return; // a slow run is never overlapped by the next one
    this.running = (async () => {
      for (const job of this.outbox.retentionJobs()) {
        try {
          const result = await job.runOnce();
          if (result.deleted > 0)
            this.logger.log(`deleted ${result.deleted} published outbox rows older than ${result.ageCutoff} UTC`);
        } catch (error) {
          this.logger.warn(`outbox retention failed, will retry on the next run: ${(error as Error).message}`);
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
  }
}

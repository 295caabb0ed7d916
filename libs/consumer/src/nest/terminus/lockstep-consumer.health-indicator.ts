import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { LockstepServer } from '../lockstep-server.js';

/**
 * `@nestjs/terminus` indicator of a Lockstep consumer: `up` when the consumer is connected, its
 * Kafka consumer running and no partition stalled (no record done for `stallAfterMs` while a
 * batch is in flight); `down` with the reason otherwise (not started yet, waiting for a topic,
 * closing, stopped after an error, stalled partitions).
 *
 * ```ts
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly consumer: LockstepConsumerHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() { return this.health.check([() => this.consumer.isHealthy('lockstep-consumer')]); }
 * }
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [LockstepConsumerHealthIndicator] })
 * ```
 *
 * Stalls include MySQL being down: use it for readiness and alerts; restarting the process
 * (liveness) does not bring MySQL back.
 */
@Injectable()
export class LockstepConsumerHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Inject(LockstepServer) private readonly server: LockstepServer,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const indicator = this.healthIndicatorService.check(key);
    const health = this.server.health();
    const stalled = health.stalledPartitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      stalledForMs: p.stalledForMs,
    }));
    if (health.healthy) return indicator.up({ consumer: health.status });
    return indicator.down({ consumer: health.status, reason: health.reason ?? 'unhealthy', stalledPartitions: stalled });
  }
}

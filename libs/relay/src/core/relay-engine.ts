import { EventEmitter } from 'node:events';
import type { RelayPorts } from '../ports/relay-ports.js';
import { CheckpointMirrorWriter } from './checkpoint-mirror-writer.js';
import { describeError } from './deadline.js';
import { KafkaWaitTracker } from './kafka-wait-tracker.js';
import { LagReader } from './lag-reader.js';
import { LeadershipLoop } from './leadership-loop.js';
import { PurgeRiskWatch } from './purge-risk-watch.js';
import { defaultTopicRouter } from './record-router.js';
import type { RelayCheckpoint } from './relay-checkpoint.js';
import type { RelayEventMap } from './relay-events.js';
import { RelayProgress } from './relay-progress.js';
import type { RelayRunContext } from './relay-run-context.js';
import { RelayStateMachine, type RelayState } from './relay-state-machine.js';
import { resolveRelayOptions, transactionalIdFor, type RelayOptions, type ResolvedRelayOptions } from './relay.options.js';
import { WakeSignal } from './wake-signal.js';

/**
 * The relay without its adapters: binlog -> whole source transactions -> Kafka transactions
 * carrying events and the checkpoint. Leader: whoever holds the leader lock; fence: the Kafka
 * transactional id. Everything outside goes through `RelayPorts`; `Relay` (relay.ts) is this
 * with the zongji, kafkajs and mysql2 adapters, `RelayModule` runs it in Nest.
 *
 * The parts: LeadershipLoop (lock, standby) -> leadSessions (sessions, back-off, failure policy)
 * -> PublishSession (source feed with backpressure, batches, checkpoint) ; beside them
 * CheckpointMirrorWriter, PurgeRiskWatch, KafkaWaitTracker and LagReader report what happens.
 */
export class RelayEngine extends EventEmitter<RelayEventMap> {
  readonly options: ResolvedRelayOptions;
  private readonly ports: RelayPorts;
  private readonly sm: RelayStateMachine;
  private readonly progress = new RelayProgress();
  private readonly wake = new WakeSignal();
  private readonly kafkaWait: KafkaWaitTracker;
  private readonly purgeRisk: PurgeRiskWatch;
  private readonly lag: LagReader;
  private readonly leadership: LeadershipLoop;
  private mirror: CheckpointMirrorWriter = new CheckpointMirrorWriter(null, () => undefined);
  private stopRequested = false;
  private starting: Promise<void> | null = null;
  private runPromise: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private fatal: Error | null = null;
  private settle!: (error: Error | null) => void;
  private readonly ended: Promise<Error | null> = new Promise((resolve) => (this.settle = resolve));

  /** `ports`: the adapters, built from the resolved options. */
  constructor(options: RelayOptions, ports: (options: ResolvedRelayOptions) => RelayPorts) {
    super();
    this.options = resolveRelayOptions(options);
    const o = this.options;
    this.ports = ports(o);
    this.sm = new RelayStateMachine((from, to) => this.emit('state', from, to));
    this.kafkaWait = new KafkaWaitTracker(
      (wait) => this.emit('kafkaWait', wait),
      (message) => {
        this.emit('warning', 'KAFKA_WAITING', message);
        o.logger.warn(`relay ${o.name}: ${message}; retrying`);
      },
    );
    this.purgeRisk = new PurgeRiskWatch(this.ports.binlogServer, (message) => {
      this.emit('warning', 'PURGE_RISK', message);
      o.logger.warn(
        `relay ${o.name}: PURGE RISK: ${message}; raise binlog_expire_logs_seconds / expire_logs_days or fix the relay's lag`,
      );
    });
    this.lag = new LagReader(this.ports.binlogServer);
    this.leadership = new LeadershipLoop(() => this.context());
  }

  get name(): string {
    return this.options.name;
  }
  get state(): RelayState {
    return this.sm.state;
  }
  get transactionalId(): string {
    return transactionalIdFor(this.options.name);
  }
  /** Last checkpoint committed to Kafka by this process (null before the first). */
  get lastCheckpoint(): RelayCheckpoint | null {
    return this.progress.checkpoint;
  }
  get queuedEvents(): number {
    return this.progress.queue?.queuedEvents ?? 0;
  }
  /** Source transactions with events read from the binlog and not yet committed to Kafka. */
  get queuedTransactions(): number {
    return this.progress.queue?.queuedTransactions ?? 0;
  }
  /**
   * Binlog transactions the server committed after this relay's last checkpoint (all of them,
   * with or without outbox rows); null before the first checkpoint. Asks the server at most
   * once a second, on the relay's background connection.
   */
  transactionsBehind(): Promise<number | null> {
    return this.lag.transactionsBehind(this.progress.checkpoint);
  }
  /** Seconds the publish in progress has been retrying what Kafka refused; 0 when not waiting. */
  get kafkaWaitingSeconds(): number {
    return this.kafkaWait.waitingSeconds;
  }
  get isPaused(): boolean {
    return this.progress.sourcePaused;
  }
  /** True when the binlog file holding the checkpoint may be purged soon (see assessPurgeRisk). */
  get binlogPurgeRisk(): boolean {
    return this.purgeRisk.atRisk;
  }
  /** The fatal error that ended the relay (fenced, purged binlog), if any. */
  get failure(): Error | null {
    return this.fatal;
  }

  /** Checks the server (preflight), then competes for leadership in the background. */
  async start(): Promise<void> {
    if (this.starting || this.sm.state !== 'idle') throw new Error(`relay already started (state ${this.sm.state})`);
    this.starting = this.begin();
    await this.starting;
  }

  private async begin(): Promise<void> {
    const o = this.options;
    if (o.preflight) {
      try {
        await this.ports.binlogServer.preflight();
      } catch (error) {
        this.fatal = error as Error;
        this.sm.transition('failed');
        this.settle(this.fatal);
        throw error;
      }
    }
    if (!o.transactions) {
      o.logger.warn(
        `relay ${o.name}: Kafka transactions are OFF (LOCKSTEP_RELAY_TRANSACTIONS=off): delivery is AT-LEAST-ONCE, a crash re-publishes the last batch`,
      );
    }
    const createMirror = this.ports.createCheckpointMirror;
    if (createMirror)
      this.mirror = new CheckpointMirrorWriter(createMirror(), (error) =>
        this.emit('warning', 'MIRROR_FAILED', describeError(error)),
      );
    // A stop() asked for during the preflight waits for this; the loop then ends at once, in 'stopped'.
    this.runPromise = this.run();
  }

  /** Resolves when the relay has stopped; rejects with the fatal error (e.g. RelayFencedError) if it died. */
  async closed(): Promise<void> {
    const fatal = await this.ended;
    if (fatal) throw fatal;
  }

  /** Graceful: lets the Kafka transaction in flight finish, stops the binlog, releases the lock. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopRequested = true;
    this.wake.notify();
    await this.starting?.catch(() => undefined);
    // run() ends in 'stopped'; a relay never started, or refused by its preflight, ends here.
    if (this.runPromise) await this.runPromise.catch(() => undefined);
    else this.enterStopped();
    this.settle(this.fatal);
    await this.mirror.close();
    await this.ports.binlogServer.close();
  }

  private enterStopped(): void {
    this.sm.transition('stopping');
    this.sm.transition('stopped');
  }

  private async run(): Promise<void> {
    try {
      await this.leadership.run();
    } catch (error) {
      this.fatal = error as Error;
      this.options.logger.error(`relay ${this.options.name}: ${(error as Error).message}`);
    } finally {
      this.enterStopped();
      this.settle(this.fatal);
    }
  }

  private context(): RelayRunContext {
    return {
      options: this.options,
      ports: this.ports,
      router: this.options.topicRouter ?? defaultTopicRouter(this.options.topicPrefix),
      state: this.sm,
      events: this,
      wake: this.wake,
      progress: this.progress,
      kafkaWait: this.kafkaWait,
      mirror: this.mirror,
      purgeRisk: this.purgeRisk,
      stopRequested: () => this.stopRequested,
      lockLost: () => this.leadership.lockLost,
    };
  }
}

import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DEFAULT_TOPIC_PREFIX, defaultTopicFor } from '@lockstep/core';
import { DataSource } from 'typeorm';
import type { OutboxPublishOptions } from './outbox-headers.builder.js';
import type { OutboxModuleOptions } from './outbox-module.options.js';
import type { OutboxRecord } from './outbox-record.js';
import { OutboxRetention, type OutboxRetentionResult } from './outbox-retention.js';
import type { OutboxTarget } from './outbox-transaction.js';
import { OutboxWriter } from './outbox-writer.js';
import { OUTBOX_MODULE_OPTIONS } from './outbox.module-definition.js';
import { OutboxConfigurationError } from './outbox.errors.js';
import { OutboxSubscriber } from './outbox.subscriber.js';

/**
 * The write side in a Nest app. `publish()` records events explicitly (QueryBuilder, raw SQL,
 * consumer handlers); entities extending RecordsEvents are written by the OutboxSubscriber this
 * service attaches to the configured DataSource(s).
 */
@Injectable()
export class OutboxService implements OnModuleInit {
  private readonly logger = new Logger('LockstepOutbox');
  readonly writer: OutboxWriter;
  private dataSources: DataSource[] = [];
  private retentions: OutboxRetention[] = [];

  constructor(
    @Inject(OUTBOX_MODULE_OPTIONS) readonly options: OutboxModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.writer = new OutboxWriter({
      table: options.table,
      maxPayloadBytes: options.maxPayloadBytes,
      validate: options.validate,
    });
  }

  onModuleInit(): void {
    const sources = options(this.options.dataSource);
    this.dataSources = sources.map((source) => this.resolve(source));
    for (const [i, dataSource] of this.dataSources.entries()) {
      const label = typeof sources[i] === 'string' ? sources[i] : 'given instance';
      // Idempotent: a second module instance on the same DataSource must not write events twice.
      if (!dataSource.subscribers.some((s) => s instanceof OutboxSubscriber)) {
        dataSource.subscribers.push(new OutboxSubscriber(this.writer));
      }
      this.logger.log(`recording events into ${this.writer.table} on DataSource ${label}`);
    }
    this.retentions = this.dataSources.map(
      (dataSource) => new OutboxRetention(dataSource, this.options.retention || {}, this.writer.table),
    );
  }

  /**
   * Writes `events` to the outbox in the transaction of `manager` (from
   * `dataSource.transaction()`, or `queryRunner.manager`). Outside a transaction it throws
   * OutboxNotInTransactionError; invalid events throw OutboxValidationError / OutboxPayloadError.
   */
  publish(manager: OutboxTarget, events: object | readonly object[], options?: OutboxPublishOptions): Promise<OutboxRecord[]> {
    return this.writer.write(manager, events, options);
  }

  /** The default topic of an aggregate type: `<topicPrefix>.<aggregate>`. */
  topicFor(aggregate: string): string {
    return defaultTopicFor(this.options.topicPrefix ?? DEFAULT_TOPIC_PREFIX, aggregate);
  }

  /** Runs retention once on every configured DataSource. */
  async runRetentionOnce(nowMs?: number): Promise<OutboxRetentionResult[]> {
    const results: OutboxRetentionResult[] = [];
    for (const retention of this.retentions) results.push(await retention.runOnce(nowMs));
    return results;
  }

  /** The retention jobs, one per DataSource (used by the scheduler). */
  retentionJobs(): readonly OutboxRetention[] {
    return this.retentions;
  }

  private resolve(source: string | DataSource): DataSource {
    if (source instanceof DataSource) return source;
    try {
      return this.moduleRef.get<DataSource>(getDataSourceToken(source), { strict: false });
    } catch (cause) {
      throw new OutboxConfigurationError(
        `OutboxModule found no TypeORM DataSource named "${source}"`,
        'import TypeOrmModule.forRoot(...) (with the same `name`) in your app, or pass the DataSource instance as `dataSource`',
      );
    }
  }
}

function options(value: OutboxModuleOptions['dataSource']): Array<string | DataSource> {
  if (value === undefined) return ['default'];
  return Array.isArray(value) ? value : [value];
}

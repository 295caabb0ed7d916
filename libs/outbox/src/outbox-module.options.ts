import type { DataSource } from 'typeorm';
import type { OutboxRetentionOptions } from './outbox-retention.js';

/** Options of `OutboxModule.forRoot()` / `forRootAsync()`. Every field is optional. */
export interface OutboxModuleOptions {
  /** Outbox table name. Default `lockstep_outbox`. */
  table?: string;
  /** Topic prefix, for `OutboxService.topicFor()` (the relay routes `<prefix>.<aggregate>`). Default `lockstep`. */
  topicPrefix?: string;
  /** Largest accepted payload in bytes (UTF-8 JSON). Default 4 MiB; a bigger payload fails its transaction with OutboxPayloadError. */
  maxPayloadBytes?: number;
  /** Validate events with class-validator before writing. Default true. */
  validate?: boolean;
  /**
   * The DataSource(s) whose entities record events: `@nestjs/typeorm` data source names
   * (`TypeOrmModule.forRoot({ name })`) or DataSource instances. The OutboxSubscriber is attached
   * to each, and retention runs on each. Default: the default `@nestjs/typeorm` DataSource.
   */
  dataSource?: string | DataSource | Array<string | DataSource>;
  /** Deleting published rows; `false` disables the scheduled job (`runRetentionOnce()` still works). Defaults: see OutboxRetentionOptions. */
  retention?: OutboxRetentionOptions | false;
}

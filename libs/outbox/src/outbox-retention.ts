import { DEFAULT_OUTBOX_TABLE, DEFAULT_RELAY_CHECKPOINT_TABLE, quoteIdent } from '@lockstep/core';
import type { DataSource } from 'typeorm';
import { utcDatetime6 } from './outbox-record.js';
import { OutboxConfigurationError } from './outbox.errors.js';

/** How long published outbox rows are kept (they serve `lockstep replay` and audits). */
export interface OutboxRetentionOptions {
  /** Minimum age of a row before it may be deleted, in ms. `0` = delete as soon as the relay has published it. Default 7 days. */
  periodMs?: number;
  /** Rows per DELETE statement (small batches keep locks and binlog events short). Default 1000. */
  batchSize?: number;
  /** Interval of the scheduled run in the Nest module, in ms; `0` disables the schedule. Default 60 000. */
  intervalMs?: number;
  /**
   * Only delete rows the relay has published, per the relay checkpoint mirror table. With no
   * checkpoint rows (no relay has published yet, or the table is missing) nothing is deleted.
   * Set `false` to delete by age alone. Default true.
   */
  requireRelayCheckpoint?: boolean;
  /** Name of the relay checkpoint mirror table. Default `lockstep_relay_checkpoint`. */
  relayCheckpointTable?: string;
}

/** What one run did. */
export interface OutboxRetentionResult {
  deleted: number;
  /** Rows with `created_at` below this (UTC) were eligible by age. */
  ageCutoff: string;
  /** The relays' published boundary, when one applies. */
  relayBoundary: string | null;
  /** Why nothing could be deleted, when that is the case. */
  skipped?: 'no-relay-checkpoint' | 'relay-has-not-published';
}

const DAY_MS = 24 * 60 * 60 * 1000;
const NO_SUCH_TABLE = 1146;

/**
 * Deletes old outbox rows in small batches:
 * `DELETE ... WHERE created_at < :ageCutoff AND created_at <= :relayBoundary ORDER BY created_at LIMIT n`,
 * repeated until a batch comes back short. `relayBoundary` is the minimum `last_event_created_at`
 * over all relays in the checkpoint mirror, so rows no relay has published yet stay.
 * Each batch is its own short autocommit transaction.
 */
export class OutboxRetention {
  readonly periodMs: number;
  readonly batchSize: number;
  readonly intervalMs: number;
  readonly requireRelayCheckpoint: boolean;
  private readonly outbox: string;
  private readonly checkpoints: string;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    options: OutboxRetentionOptions = {},
    table: string = DEFAULT_OUTBOX_TABLE,
  ) {
    this.periodMs = options.periodMs ?? 7 * DAY_MS;
    this.batchSize = options.batchSize ?? 1000;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.requireRelayCheckpoint = options.requireRelayCheckpoint ?? true;
    if (!(this.periodMs >= 0) || !(this.batchSize >= 1) || !(this.intervalMs >= 0)) {
      throw new OutboxConfigurationError('invalid retention options', 'periodMs >= 0, batchSize >= 1, intervalMs >= 0');
    }
    this.outbox = quoteIdent(table);
    this.checkpoints = quoteIdent(options.relayCheckpointTable ?? DEFAULT_RELAY_CHECKPOINT_TABLE);
  }

  /** Makes a running `runOnce()` return after its current batch. */
  stop(): void {
    this.stopping = true;
  }

  async runOnce(nowMs: number = Date.now()): Promise<OutboxRetentionResult> {
    const ageCutoff = utcDatetime6(nowMs - this.periodMs);
    const boundary = await this.relayBoundary();
    if (boundary.kind !== 'boundary' && (this.requireRelayCheckpoint || boundary.kind === 'unpublished')) {
      return {
        deleted: 0,
        ageCutoff,
        relayBoundary: null,
        skipped: boundary.kind === 'none' ? 'no-relay-checkpoint' : 'relay-has-not-published',
      };
    }
    const relayBoundary = boundary.kind === 'boundary' ? boundary.value : null;
    const sql = relayBoundary
      ? `DELETE FROM ${this.outbox} WHERE created_at < ? AND created_at <= ? ORDER BY created_at LIMIT ${this.batchSize}`
      : `DELETE FROM ${this.outbox} WHERE created_at < ? ORDER BY created_at LIMIT ${this.batchSize}`;
    const params = relayBoundary ? [ageCutoff, relayBoundary] : [ageCutoff];
    let deleted = 0;
    while (!this.stopping) {
      const result = await this.dataSource.query<{ affectedRows?: number }>(sql, params);
      const affected = result.affectedRows ?? 0;
      deleted += affected;
      if (affected < this.batchSize) break;
    }
    return { deleted, ageCutoff, relayBoundary };
  }

  private async relayBoundary(): Promise<{ kind: 'boundary'; value: string } | { kind: 'none' } | { kind: 'unpublished' }> {
    let rows: Array<{ relays: number | string; published: number | string; boundary: string | null }>;
    try {
      rows = await this.dataSource.query(
        `SELECT COUNT(*) AS relays, COUNT(last_event_created_at) AS published,
                DATE_FORMAT(MIN(last_event_created_at), '%Y-%m-%d %H:%i:%s.%f') AS boundary
           FROM ${this.checkpoints}`,
      );
    } catch (error) {
      const errno =
        (error as { errno?: number; driverError?: { errno?: number } }).driverError?.errno ?? (error as { errno?: number }).errno;
      if (errno === NO_SUCH_TABLE) return { kind: 'none' };
      throw error;
    }
    const row = rows[0];
    if (!row || Number(row.relays) === 0) return { kind: 'none' };
    // A relay that has published nothing yet holds everything back.
    if (Number(row.published) < Number(row.relays) || !row.boundary) return { kind: 'unpublished' };
    return { kind: 'boundary', value: row.boundary };
  }
}

import type { MysqlConnectionOptions } from '@lockstep/core';
import type { RunningProcess } from '../lib/proc.js';

/** What a system under test gets for one start. */
export interface RunConfig {
  /** Unique per start; used for names (relay name, transactional id, connector offsets). */
  runId: string;
  db: MysqlConnectionOptions & { name: string };
  /** The outbox table the binlog systems read (the polling relay reads `pollingTable`). */
  table: string;
  /** Kafka topic prefix; events go to `<prefix>.bench`. */
  topicPrefix: string;
  /** GTID position to start from (catch-up: before the backlog; live: now). */
  startGtid: string;
  /** A per-start scratch directory (logs, offsets). */
  workDir: string;
  /** Unique binlog replica server id for this start. */
  serverId: number;
  mode: 'catchup' | 'live';
}

export interface SystemAdapter {
  /** Short id used in tables (`lockstep`, `debezium`, …). */
  readonly id: string;
  readonly label: string;
  /** Delivery guarantee as configured here, for the tables. */
  readonly guarantee: string;
  /** null when usable, else why this system is skipped in this run. */
  available(): Promise<string | null>;
  /** Called once per database before its backlog is written (Debezium records its start offset here). */
  beforeBacklog?(config: RunConfig): Promise<void>;
  /** Table the live writers must write to for this system (default: config.table). */
  writeTable?(config: RunConfig): string;
  /** Called before each start: e.g. give the polling relay its own copy of the backlog. */
  prepare?(config: RunConfig): Promise<void>;
  /** Starts the system; resolves once the process is spawned (not necessarily ready). */
  start(config: RunConfig): Promise<RunningProcess>;
  /** Optional figures the system reports about itself, read just before it is stopped. */
  diagnostics?(config: RunConfig): Promise<Record<string, number>>;
  /** Exact settings, for the results file. */
  describe(): Record<string, string>;
}

import ZongJi from '@vlasky/zongji';
import type { MysqlConnectionOptions } from '@lockstep/core';
import type { BinlogSource, BinlogSourceHandlers } from '../../ports/binlog-source.js';
import { outboxRowFromBinlog } from '../../core/outbox-row.js';
import { BinlogStreamError } from '../../core/relay.errors.js';
import type { GtidPosition } from '../../core/relay-checkpoint.js';
import { TransactionAssembler, type CommitPosition } from '../../core/transaction-assembler.js';

export interface ZongjiBinlogSourceOptions {
  connection: MysqlConnectionOptions & { ssl?: unknown };
  /** Replica server id: unique among all replicas of this server, never 1 (the primary's). */
  serverId: number;
  database: string;
  table: string;
  /** Server heartbeat period; the watchdog restarts the stream after 3 silent periods. */
  heartbeatMs: number;
}

// Row events plus both GTID flavours (MySQL `gtid`, MariaDB `mariadbgtid`) to delimit
// transactions, `xid` for commits, `heartbeat` to prove the connection is alive.
const INCLUDE_EVENTS = ['tablemap', 'writerows', 'xid', 'gtid', 'mariadbgtid', 'rotate', 'heartbeat'];

interface ZongjiEvent {
  getEventName(): string;
  gtid?: string;
  tableMap?: Record<number, { parentSchema: string; tableName: string }>;
  tableId?: number;
  rows?: Record<string, unknown>[];
}

interface ZongjiInternals {
  gtidSet: string | undefined;
  options: { filename?: string; position?: number };
  connection: { pause(): void; resume(): void; query(sql: string, cb: (err: Error | null) => void): void } | null;
  on(event: string, handler: (...args: never[]) => void): void;
  removeAllListeners(): void;
  start(options: Record<string, unknown>): void;
  stop(): void;
}

/** BinlogSource over @vlasky/zongji: the only file that knows zongji exists. */
export class ZongjiBinlogSource implements BinlogSource {
  private zongji: ZongjiInternals | null = null;
  private stopped = true;
  private paused = false;
  private lastActivity = Date.now();
  private watchdog: NodeJS.Timeout | null = null;
  private failed = false;

  constructor(private readonly options: ZongjiBinlogSourceOptions) {
    if (!Number.isInteger(options.serverId) || options.serverId <= 1 || options.serverId >= 2 ** 32) {
      throw new RangeError(`serverId must be an integer in 2..2^32-1 and unique per binlog reader, got ${options.serverId}`);
    }
  }

  async start(from: GtidPosition, handlers: BinlogSourceHandlers): Promise<void> {
    if (!this.stopped) throw new Error('binlog source already started');
    this.stopped = false;
    this.failed = false;
    this.paused = false;
    const { database, table } = this.options;
    const zongji = new ZongJi({
      ...this.options.connection,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    } as never) as unknown as ZongjiInternals;
    this.zongji = zongji;

    const fail = (error: Error & { errno?: number }): void => {
      // zongji keeps emitting teardown noise after stop(): ignore anything once stopping.
      if (this.stopped || this.failed || this.zongji !== zongji) return;
      this.failed = true;
      handlers.onError(error);
    };
    const position = (): CommitPosition | undefined => {
      const gtidSet = zongji.gtidSet;
      if (gtidSet === undefined) return undefined;
      return {
        gtidSet: gtidSet as GtidPosition,
        binlogFile: zongji.options.filename ?? null,
        binlogPosition: zongji.options.position ?? null,
      };
    };
    const assembler = new TransactionAssembler((tx) => {
      if (!this.stopped && !this.failed) handlers.onTransaction(tx);
    });

    zongji.on('binlog', (event: ZongjiEvent) => {
      if (this.stopped || this.failed) return;
      this.lastActivity = Date.now();
      try {
        switch (event.getEventName()) {
          case 'gtid':
          case 'mariadbgtid':
            assembler.begin(event.gtid, position);
            break;
          case 'writerows': {
            const meta = event.tableMap?.[event.tableId ?? -1];
            if (!meta || meta.parentSchema !== database || meta.tableName !== table) break;
            assembler.add((event.rows ?? []).map((row) => outboxRowFromBinlog(row, table)));
            break;
          }
          case 'xid': {
            const p = position();
            if (!p) throw new BinlogStreamError('binlog stream has no GTID position after a commit (is GTID tracking on?)');
            assembler.commit(p);
            break;
          }
          default:
            break;
        }
      } catch (error) {
        fail(error as Error);
      }
    });

    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    let isReady = false;
    zongji.on('ready', () => {
      isReady = true;
      this.lastActivity = Date.now();
      // Heartbeats are off unless asked for on this very connection (nanoseconds).
      zongji.connection?.query(`SET @master_heartbeat_period = ${Math.round(this.options.heartbeatMs * 1e6)}`, () => undefined);
      readyResolve();
    });
    zongji.on('error', (error: Error & { errno?: number }) => {
      if (!isReady) readyReject(error);
      fail(error);
    });

    zongji.start({
      serverId: this.options.serverId,
      gtidSet: from,
      includeEvents: INCLUDE_EVENTS,
      includeSchema: { [database]: [table] },
    });
    await ready;

    this.watchdog = setInterval(
      () => {
        if (this.paused || this.stopped) return;
        const silentMs = Date.now() - this.lastActivity;
        if (silentMs > this.options.heartbeatMs * 3) {
          fail(
            new BinlogStreamError(`binlog connection silent for ${silentMs} ms (heartbeat every ${this.options.heartbeatMs} ms)`),
          );
        }
      },
      Math.max(250, Math.floor(this.options.heartbeatMs / 2)),
    );
    this.watchdog.unref();
  }

  pause(): void {
    if (this.paused || !this.zongji?.connection) return;
    this.paused = true;
    this.zongji.connection.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.lastActivity = Date.now();
    this.zongji?.connection?.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const zongji = this.zongji;
    this.zongji = null;
    if (!zongji) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      zongji.on('stopped', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        zongji.stop();
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
    zongji.removeAllListeners();
    zongji.on('error', () => undefined); // late teardown errors must not crash the process
  }
}

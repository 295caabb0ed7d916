import type { Connection } from 'mysql2/promise';

/** mysql2's [rows, fields] for a `SELECT … AS n` query. */
type CountResult = [Array<{ n: number | string }>, unknown];

export interface ProgressSample {
  written: number;
  published: number;
  applied: number;
  lagText: string;
}

/**
 * The live line of the demo: events written (outbox), published (relay checkpoint) and
 * applied (consumer inbox), and the lag from source commit to read-model commit over the
 * last 10 seconds (p50/p99), all read from MySQL.
 */
export class ProgressDisplay {
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();
  private notes: string[] = [];

  constructor(
    private readonly db: Connection,
    private readonly consumerName: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.render(), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  note(text: string): void {
    this.notes.push(text);
    process.stdout.write(`\n  [${this.elapsed()}] ${text}\n`);
  }

  async sample(): Promise<ProgressSample> {
    const [[w]] = (await this.db.query('SELECT COUNT(*) AS n FROM lockstep_outbox')) as CountResult;
    const [[p]] = (await this.db.query(
      'SELECT COALESCE(SUM(events_published), 0) AS n FROM lockstep_relay_checkpoint',
    )) as CountResult;
    const [[a]] = (await this.db.query('SELECT COUNT(*) AS n FROM lockstep_inbox WHERE consumer = ?', [
      this.consumerName,
    ])) as CountResult;
    const [lags] = (await this.db.query(
      `SELECT TIMESTAMPDIFF(MICROSECOND, o.created_at, i.processed_at) / 1000 AS ms
       FROM lockstep_inbox i JOIN lockstep_outbox o ON o.id = i.event_id
       WHERE i.consumer = ? ORDER BY i.processed_at DESC LIMIT 2000`,
      [this.consumerName],
    )) as [Array<{ ms: string }>, unknown];
    const ms = lags.map((r) => Number(r.ms)).sort((x, y) => x - y);
    const pct = (q: number) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(0) : '-');
    return {
      written: Number(w?.n),
      published: Number(p?.n),
      applied: Number(a?.n),
      lagText: ms.length ? `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (last ${ms.length} events)` : 'n/a',
    };
  }

  private elapsed(): string {
    return `${((Date.now() - this.startedAt) / 1000).toFixed(0).padStart(3)}s`;
  }

  private async render(): Promise<void> {
    try {
      const s = await this.sample();
      const line = `  [${this.elapsed()}] written ${s.written}  published ${s.published}  applied ${s.applied}  lag ${s.lagText}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(110)}`);
      else process.stdout.write(`${line}\n`);
    } catch {
      // a sample may fail while a table is being created; the next tick retries
    }
  }
}

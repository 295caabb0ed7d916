import type { BinlogServer } from '../ports/binlog-server.js';
import { assessPurgeRisk } from './purge-risk.js';
import { createdAtToMillis, type RelayCheckpoint } from './relay-checkpoint.js';

/**
 * At most once a minute, in the background: warns (warning + log, and the `binlogPurgeRisk`
 * metric) before the server purges the binlog file holding the checkpoint. Informational only.
 */
export class PurgeRiskWatch {
  private risk = false;
  private checkedAt = 0;
  private warnedAt = 0;

  constructor(
    private readonly server: BinlogServer,
    private readonly warn: (message: string) => void,
  ) {}

  get atRisk(): boolean {
    return this.risk;
  }

  check(c: RelayCheckpoint): void {
    const now = Date.now();
    if (now - this.checkedAt < 60_000) return;
    this.checkedAt = now;
    const age = c.lastEventCreatedAt ? (now - createdAtToMillis(c.lastEventCreatedAt)) / 1000 : null;
    this.server.retention().then(
      (facts) => {
        const risk = assessPurgeRisk(facts, c.binlogFile, age);
        this.risk = risk.atRisk;
        if (risk.atRisk && Date.now() - this.warnedAt > 600_000) {
          this.warnedAt = Date.now();
          this.warn(risk.message);
        }
      },
      () => undefined, // informational only
    );
  }
}

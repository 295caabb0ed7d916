/** What the server will purge, and when. */
export interface BinlogRetentionFacts {
  /** SHOW BINARY LOGS, oldest first. */
  files: string[];
  /** binlog_expire_logs_seconds, or expire_logs_days * 86400; 0/null = never purged automatically. */
  expireSeconds: number | null;
}

export interface PurgeRisk {
  atRisk: boolean;
  message: string;
}

/**
 * Pure: is the binlog file holding the checkpoint about to be purged? The server purges whole
 * files older than the expiry period, oldest first; a checkpoint in the oldest file(s) whose last
 * event is older than half the period is at risk — if the relay stopped now, it might not be able
 * to resume (BinlogPurgedError).
 */
export function assessPurgeRisk(
  facts: BinlogRetentionFacts,
  checkpointFile: string | null | undefined,
  lastEventAgeSeconds: number | null,
): PurgeRisk {
  if (!checkpointFile || !facts.expireSeconds) return { atRisk: false, message: 'no automatic purge or no checkpoint file' };
  const index = facts.files.indexOf(checkpointFile);
  if (index < 0) {
    return { atRisk: true, message: `the checkpoint's binlog file ${checkpointFile} is no longer on the server` };
  }
  const oldest = index <= 1;
  const age = lastEventAgeSeconds ?? 0;
  if (oldest && age > facts.expireSeconds / 2) {
    return {
      atRisk: true,
      message: `the checkpoint is in ${checkpointFile}, one of the two oldest binlog files, and its last event is ${Math.round(age)} s old (binlog expiry ${facts.expireSeconds} s): the server may purge it soon`,
    };
  }
  return { atRisk: false, message: 'ok' };
}

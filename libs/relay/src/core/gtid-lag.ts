/**
 * How many binlog transactions the server has committed after a checkpoint, from two GTID
 * positions alone (no binlog read). Both server flavours:
 * - MariaDB `gtid_binlog_pos`: `domain-server-seq` per domain; seq grows by one per
 *   transaction within a domain, so the lag is the seq difference per domain.
 * - MySQL `gtid_executed`: `uuid:1-100:105,uuid2:1-5`; the lag is the number of transaction
 *   numbers in the server's set that the checkpoint's set does not contain.
 * Counts every transaction in the binlog, with or without outbox rows.
 */
export function transactionsBehind(server: string, checkpoint: string): number {
  const s = server.replace(/\s/g, '');
  if (s === '') return 0;
  return isMariaDbGtid(s) ? mariaDbBehind(s, checkpoint.replace(/\s/g, '')) : mysqlBehind(s, checkpoint.replace(/\s/g, ''));
}

function isMariaDbGtid(position: string): boolean {
  return /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(position);
}

function mariaDbSeqByDomain(position: string): Map<string, bigint> {
  const byDomain = new Map<string, bigint>();
  for (const gtid of position.split(',').filter(Boolean)) {
    const [domain, , seq] = gtid.split('-');
    if (domain === undefined || seq === undefined) throw new RangeError(`not a MariaDB GTID: ${gtid}`);
    const n = BigInt(seq);
    if ((byDomain.get(domain) ?? -1n) < n) byDomain.set(domain, n);
  }
  return byDomain;
}

function mariaDbBehind(server: string, checkpoint: string): number {
  const done = mariaDbSeqByDomain(checkpoint);
  let behind = 0n;
  for (const [domain, seq] of mariaDbSeqByDomain(server)) {
    const d = seq - (done.get(domain) ?? 0n);
    if (d > 0n) behind += d;
  }
  return Number(behind);
}

type Intervals = [bigint, bigint][];

function mysqlSets(position: string): Map<string, Intervals> {
  const sets = new Map<string, Intervals>();
  for (const part of position.split(',').filter(Boolean)) {
    const [uuid, ...ranges] = part.split(':');
    if (!uuid || ranges.length === 0) throw new RangeError(`not a MySQL GTID set: ${part}`);
    const intervals = sets.get(uuid.toLowerCase()) ?? [];
    for (const r of ranges) {
      const [a, b] = r.split('-');
      intervals.push([BigInt(a), BigInt(b ?? a)]);
    }
    sets.set(uuid.toLowerCase(), intervals);
  }
  return sets;
}

function mysqlBehind(server: string, checkpoint: string): number {
  const done = mysqlSets(checkpoint);
  let behind = 0n;
  for (const [uuid, intervals] of mysqlSets(server)) {
    const covered = done.get(uuid) ?? [];
    for (const [a, b] of intervals) {
      let missing = b - a + 1n;
      for (const [c, d] of covered) {
        const lo = a > c ? a : c;
        const hi = b < d ? b : d;
        if (lo <= hi) missing -= hi - lo + 1n;
      }
      behind += missing;
    }
  }
  return Number(behind);
}

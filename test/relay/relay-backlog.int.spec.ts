import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkExactlyOnceInOrder,
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  spawnRelayProcess,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type RelayProcess,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

const EVENTS = Number(process.env.LOCKSTEP_RELAY_BACKLOG_EVENTS ?? 20_000);
const RSS_CAP_MB = Number(process.env.LOCKSTEP_RELAY_RSS_CAP_MB ?? 400);

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const rssMb = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
};

describe('relay drains a backlog with bounded memory', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  let relay: RelayProcess | null = null;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relaybacklog'));
  });
  afterAll(async () => {
    await relay?.kill9();
    await dropRelayTestDatabase({ db, relayUser });
  });

  it(
    `publishes a ${EVENTS}-event backlog exactly once, pausing the binlog, RSS under ${RSS_CAP_MB} MB`,
    { timeout: 900_000 },
    async () => {
      const prefix = uniqueName('lsbacklog');
      const admin = await db.admin();
      const startGtid = await gtidBinlogPos(admin);
      const expected = new Set<string>();
      const seq = new Map<string, number>();
      const pad = 'p'.repeat(440); // ~500-byte payloads
      try {
        for (let written = 0; written < EVENTS;) {
          const n = Math.min(500, EVENTS - written);
          const events = Array.from({ length: n }, (_, i) => {
            const id = `agg-${(written + i) % 50}`;
            const s = (seq.get(id) ?? 0) + 1;
            seq.set(id, s);
            return testOutboxEvent('bulk', id, { seq: s, pad });
          });
          await admin.beginTransaction();
          await insertOutboxRows(admin, events);
          await admin.commit();
          for (const e of events) expected.add(e.id);
          written += n;
        }
      } finally {
        await admin.end();
      }

      const port = await freePort();
      const started = Date.now();
      relay = spawnRelayProcess(
        {
          LOCKSTEP_MYSQL_URL: relayUser.url,
          LOCKSTEP_RELAY_NAME: prefix,
          LOCKSTEP_TOPIC_PREFIX: prefix,
          LOCKSTEP_RELAY_INITIAL_GTID: startGtid,
          LOCKSTEP_RELAY_MAX_QUEUED_EVENTS: '2000',
          LOCKSTEP_RELAY_HTTP_PORT: String(port),
        },
        join(tmpdir(), `${prefix}-relay.log`),
      );
      let maxRss = 0;
      let sawPaused = false;
      const sampler = setInterval(() => {
        void rssMb(relay!.pid).then(
          (mb) => (maxRss = Math.max(maxRss, mb)),
          () => undefined,
        );
        void fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .then(
            (t) => (sawPaused ||= /^lockstep_relay_source_paused 1$/m.test(t)),
            () => undefined,
          );
      }, 200);
      let published = 0;
      try {
        await waitFor(
          `${EVENTS} events published`,
          async () => {
            const r = await fetch(`http://127.0.0.1:${port}/metrics`).then((x) => x.text());
            published = Number(/^lockstep_relay_events_published_total (\d+)/m.exec(r)?.[1] ?? 0);
            return published >= EVENTS;
          },
          { timeoutMs: 840_000, intervalMs: 500 },
        );
      } finally {
        clearInterval(sampler);
      }
      const seconds = (Date.now() - started) / 1000;
      const records = await readAllCommitted([`${prefix}.bulk`]);
      const check = checkExactlyOnceInOrder(records, expected);
      console.log(
        `backlog: ${EVENTS} events in ${seconds.toFixed(1)} s incl. process start (${Math.round(EVENTS / seconds)}/s), max RSS ${maxRss.toFixed(0)} MB, paused=${sawPaused}`,
      );
      expect(published).toBe(EVENTS);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.unexpected).toEqual([]);
      expect(check.outOfOrder).toEqual([]);
      expect(sawPaused).toBe(true);
      expect(maxRss).toBeGreaterThan(0);
      expect(maxRss).toBeLessThan(RSS_CAP_MB);
      expect(await relay.terminate()).toBe(0);
    },
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OUTBOX_TABLE, kafkaConnectionFromEnv } from '@lockstep/core';
import { Relay, serverIdForRelayName, ZongjiBinlogSource } from '@lockstep/relay';
import {
  checkExactlyOnceInOrder,
  createRelayTestDatabase,
  dropRelayTestDatabase,
  gtidBinlogPos,
  readAllCommitted,
  startTcpProxy,
  uniqueName,
  waitFor,
  type RelayTestUser,
  type TcpProxy,
  type TestDatabase,
} from '@lockstep/testing';
import { startLoadWriter } from './fixtures/outbox-load-writer.js';

const HEARTBEAT_MS = 500;
/**
 * The watchdog restarts the stream after 3 silent heartbeat periods, checking every max(250 ms,
 * half a period): noticed in 3 to 3.5 periods. The bound allows as much again for a loaded machine;
 * a watchdog that waited for a TCP timeout or a much longer silence would fail it.
 */
const MAX_DETECTION_MS = 6 * HEARTBEAT_MS;
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A binlog connection that goes silent without closing (a stalled network path) gives the
 * client no error at all: only the heartbeat watchdog notices. The binlog connection runs
 * through a proxy that freezes it; MySQL and Kafka stay up.
 */
describe('relay with a frozen binlog connection (heartbeat watchdog)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;
  let proxy: TcpProxy;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('relaysilent'));
    proxy = await startTcpProxy({ host: db.options.host, port: db.options.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await dropRelayTestDatabase({ db, relayUser });
  });

  it(
    'notices the silence within a few heartbeats, reconnects and still publishes every event exactly once',
    { timeout: 180_000 },
    async () => {
      const prefix = uniqueName('lssilent');
      const name = uniqueName('relay');
      const admin = await db.admin();
      const start = await gtidBinlogPos(admin);
      await admin.end();
      const binlogVia = { ...relayUser.connection, host: proxy.host, port: proxy.port };
      const relay = new Relay({
        name,
        mysql: relayUser.connection, // lock, mirror, preflight: direct
        kafka: kafkaConnectionFromEnv(process.env),
        topicPrefix: prefix,
        initialPosition: { gtidSet: start },
        logger: quiet,
        createBinlogSource: () =>
          new ZongjiBinlogSource({
            connection: binlogVia,
            serverId: serverIdForRelayName(name),
            database: db.name,
            table: DEFAULT_OUTBOX_TABLE,
            heartbeatMs: HEARTBEAT_MS,
          }),
      });
      const restarts: string[] = [];
      relay.on('warning', (code, message) => {
        if (code === 'BINLOG_RESTART') restarts.push(message);
      });
      const writer = startLoadWriter(db, {
        writers: 2,
        aggregatesPerWriter: 4,
        aggregateTypes: ['acct'],
        maxRowsPerTx: 3,
        rollbackEvery: 5,
        paceMs: 10,
      });
      await relay.start();
      try {
        await waitFor('the relay publishing through the proxy', () => (relay.lastCheckpoint?.eventsPublished ?? 0) > 100, {
          timeoutMs: 60_000,
        });
        expect(proxy.openConnections).toBeGreaterThan(0); // zongji's binlog and control connections
        proxy.freeze();
        const frozenAt = Date.now();
        const silent = await waitFor('the watchdog to restart the silent stream', () => restarts.find((m) => /silent/.test(m)), {
          timeoutMs: 15_000,
          intervalMs: 50,
        });
        const noticedAfterMs = Date.now() - frozenAt;
        console.log(
          `silent binlog: noticed ${noticedAfterMs} ms after the freeze (heartbeat ${HEARTBEAT_MS} ms, bound ${MAX_DETECTION_MS} ms)`,
        );
        expect(noticedAfterMs, `watchdog delay after the freeze (heartbeat every ${HEARTBEAT_MS} ms)`).toBeLessThanOrEqual(
          MAX_DETECTION_MS,
        );
        const publishedAtRestart = relay.lastCheckpoint?.eventsPublished ?? 0;
        await waitFor(
          'publishing again on a new connection',
          () => (relay.lastCheckpoint?.eventsPublished ?? 0) > publishedAtRestart + 100,
          { timeoutMs: 60_000 },
        );
        await writer.stop();
        await waitFor(
          `all ${writer.committed.size} committed events published`,
          () => (relay.lastCheckpoint?.eventsPublished ?? 0) >= writer.committed.size,
          { timeoutMs: 60_000 },
        );
        const records = await readAllCommitted([`${prefix}.acct`]);
        const check = checkExactlyOnceInOrder(records, writer.committed);
        console.log(
          `silent binlog: watchdog fired after ${noticedAfterMs} ms ("${silent}"), ${writer.committed.size} committed, ${records.length} read`,
        );
        expect(check.missing).toEqual([]);
        expect(check.duplicates).toEqual([]);
        expect(check.unexpected).toEqual([]);
        expect(check.outOfOrder).toEqual([]);
        expect(records.filter((r) => writer.rolledBack.has(r.headers['lockstep-id'] ?? ''))).toEqual([]);
      } finally {
        await writer.stop();
        await relay.stop();
      }
    },
  );
});

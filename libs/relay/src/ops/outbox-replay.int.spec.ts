import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaConnectionFromEnv } from '@lockstep/core';
import { Relay, replayOutbox } from '@lockstep/relay';
import {
  createRelayTestDatabase,
  createTopics,
  dropRelayTestDatabase,
  gtidBinlogPos,
  insertOutboxRows,
  readAllCommitted,
  testKafka,
  testOutboxEvent,
  uniqueName,
  waitFor,
  type ReadRecord,
  type RelayTestUser,
  type TestDatabase,
} from '@lockstep/testing';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const byId = (records: ReadRecord[]) => new Map(records.map((r) => [r.headers['lockstep-id'], r]));

/** The broker's topics under `prefix.` (a reader error fails the test: nothing here is swallowed). */
async function topicsUnder(prefix: string): Promise<string[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
  } finally {
    await admin.disconnect();
  }
}

describe('replayOutbox (lockstep replay)', () => {
  let db: TestDatabase;
  let relayUser: RelayTestUser;

  beforeAll(async () => {
    ({ db, relayUser } = await createRelayTestDatabase('replay'));
  });
  afterAll(async () => {
    await dropRelayTestDatabase({ db, relayUser });
  });

  it('re-publishes the rows after an event id exactly as the relay published them, in order, and never the relay checkpoint', async () => {
    const admin = await db.admin();
    const start = await gtidBinlogPos(admin);
    const events = [1, 2, 3].flatMap((seq) => [
      testOutboxEvent('acct', 'a-1', { seq }, { traceparent: `00-${seq}-01` }),
      testOutboxEvent('acct', 'a-2', { seq }),
    ]);
    for (let i = 0; i < events.length; i += 2) {
      await admin.beginTransaction();
      await insertOutboxRows(admin, events.slice(i, i + 2));
      await admin.commit();
    }
    await admin.end();
    const ids = events.map((e) => e.id);

    // What the relay published for these rows.
    const live = uniqueName('lsreplive');
    // Created up front (3 partitions, as the relay would), so reading it can fail only for a real reason.
    await createTopics([`${live}.acct`], { partitions: 3 });
    const relay = new Relay({
      name: live,
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      topicPrefix: live,
      initialPosition: { gtidSet: start },
      logger: quiet,
    });
    await relay.start();
    let published: ReadRecord[];
    try {
      published = await waitFor(
        'the relay publishing 6 events',
        async () => {
          const r = await readAllCommitted([`${live}.acct`]);
          return r.length >= 6 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      await relay.stop();
    }
    const original = byId(published);

    // The replay of everything after the second event, to a topic prefix of its own.
    const again = uniqueName('lsreplay');
    const pages: number[] = [];
    const result = await replayOutbox({
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      after: ids[1],
      marginMs: 0,
      topicPrefix: again,
      pageSize: 3,
      onPage: (p) => pages.push(p.events),
    });
    expect(result).toMatchObject({ events: 4, firstId: ids[2], lastId: ids[5], topics: [`${again}.acct`] });
    expect(pages).toEqual([3, 1]);
    const replayed = await readAllCommitted([`${again}.acct`]);
    expect(replayed.map((r) => r.headers['lockstep-id']).sort()).toEqual(ids.slice(2).sort());
    for (const r of replayed) {
      const o = original.get(r.headers['lockstep-id'])!;
      expect({ key: r.key, value: r.value, headers: r.headers }).toEqual({ key: o.key, value: o.value, headers: o.headers });
    }
    for (const key of ['a-1', 'a-2']) {
      const seqs = replayed
        .filter((r) => r.key === key)
        .map((r) => (JSON.parse(r.value!.toString('utf8')) as { seq: number }).seq);
      expect(seqs).toEqual([2, 3]);
    }
    // The replay did not touch any relay checkpoint: the checkpoint topic it ensured is there, and empty.
    expect(await topicsUnder(again)).toEqual([`${again}.acct`, `${again}.relay-checkpoints`]);
    expect(await readAllCommitted([`${again}.relay-checkpoints`])).toEqual([]);

    // --until bounds the range; --dry-run publishes nothing.
    const bounded = await replayOutbox({
      mysql: relayUser.connection,
      kafka: kafkaConnectionFromEnv(process.env),
      after: ids[0],
      marginMs: 0,
      until: ids[2],
      topicPrefix: uniqueName('lsreplayb'),
    });
    expect(bounded).toMatchObject({ events: 2, firstId: ids[1], lastId: ids[2] });
    const dry = uniqueName('lsreplayd');
    expect(
      await replayOutbox({
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        after: ids[0],
        marginMs: 0,
        topicPrefix: dry,
        dryRun: true,
      }),
    ).toMatchObject({ events: 5 });
    // By default it starts a minute earlier than the id (a transaction may commit after a later-recorded event): all six.
    expect(
      await replayOutbox({
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        after: ids[5],
        topicPrefix: dry,
        dryRun: true,
      }),
    ).toMatchObject({ events: 6, firstId: ids[0] });
    // The dry runs created no topic at all, so they published nothing.
    expect(await topicsUnder(dry)).toEqual([]);
  });

  it('rejects what is not an event id before touching anything', async () => {
    await expect(
      replayOutbox({ mysql: relayUser.connection, kafka: kafkaConnectionFromEnv(process.env), after: '2026-11-24' }),
    ).rejects.toThrow(/--after must be an event id/);
    await expect(
      replayOutbox({
        mysql: relayUser.connection,
        kafka: kafkaConnectionFromEnv(process.env),
        after: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
        pageSize: 0,
      }),
    ).rejects.toThrow(/page size/);
  });
});

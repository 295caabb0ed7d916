import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { uuidToString, uuidv7Bytes } from '@lockstep/core';
import type { BinlogServer } from '../ports/binlog-server.js';
import type { BinlogSource, BinlogSourceHandlers } from '../ports/binlog-source.js';
import type { CheckpointMirror } from '../ports/checkpoint-mirror.js';
import type { LeaderLock } from '../ports/leader-lock.js';
import type { RelayPorts } from '../ports/relay-ports.js';
import type { TransactionalPublisher } from '../ports/transactional-publisher.js';
import type { OutboxRow } from './outbox-row.js';
import type { RelayRecord } from './record-router.js';
import type { GtidPosition, RelayCheckpoint } from './relay-checkpoint.js';
import { RelayEngine } from './relay-engine.js';
import type { RelayEventMap } from './relay-events.js';
import type { RelayState } from './relay-state-machine.js';
import { IllegalRelayTransitionError, OutboxRowError, RecordTooLargeError, RelayFencedError } from './relay.errors.js';
import type { RelayOptions } from './relay.options.js';
import type { SourceTransaction } from './transaction-assembler.js';

/*
 * The relay's loops (leadership, sessions, publish session, source feed) with fake ports: no
 * MySQL, no Kafka. The fakes keep the ports' contracts: a publish commits its records and its
 * checkpoint together or not at all; a new publisher reads the last committed checkpoint; a
 * binlog source delivers whole transactions after the position it was started from.
 */

const seqOf = (position: string): number => (position === '' ? 0 : Number(position.split('-')[2]));
const gtid = (n: number): GtidPosition => `0-1-${n}` as GtidPosition;

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The source server's binlog: transactions in commit order, positions 0-1-1, 0-1-2, ... */
class FakeBinlog {
  readonly transactions: SourceTransaction[] = [];
  /** Positions each source was started from, in order. */
  readonly starts: string[] = [];
  readonly sources: FakeBinlogSource[] = [];

  /** Commits a source transaction with `keys.length` outbox rows (aggregate ids `keys`). */
  commit(...keys: string[]): OutboxRow[] {
    const n = this.transactions.length + 1;
    const rows = keys.map((aggregateId): OutboxRow => ({
      id: uuidv7Bytes(),
      aggregateType: 'order',
      aggregateId,
      eventType: 'order.placed',
      payload: Buffer.from(JSON.stringify({ n })),
      headers: null,
      createdAt: '2026-12-01 10:00:00.000000',
    }));
    const tx: SourceTransaction = {
      gtid: gtid(n),
      rows,
      position: { gtidSet: gtid(n), binlogFile: 'binlog.000001', binlogPosition: n * 100 },
    };
    this.transactions.push(tx);
    for (const s of this.sources) s.deliver(tx);
    return rows;
  }

  source(): FakeBinlogSource {
    const s = new FakeBinlogSource(this);
    this.sources.push(s);
    return s;
  }
}

class FakeBinlogSource implements BinlogSource {
  private handlers: BinlogSourceHandlers | null = null;
  private from = 0;
  paused = false;
  readonly pauses: boolean[] = [];

  constructor(private readonly binlog: FakeBinlog) {}

  async start(from: GtidPosition, handlers: BinlogSourceHandlers): Promise<void> {
    this.binlog.starts.push(from);
    this.handlers = handlers;
    this.from = seqOf(from);
    // Like zongji: the backlog arrives after start() resolved.
    queueMicrotask(() => {
      for (const tx of this.binlog.transactions) this.deliver(tx);
    });
  }

  deliver(tx: SourceTransaction): void {
    if (!this.handlers || seqOf(tx.position.gtidSet) <= this.from) return;
    this.from = seqOf(tx.position.gtidSet);
    this.handlers.onTransaction(tx);
  }

  fail(error: Error & { errno?: number }): void {
    this.handlers?.onError(error);
  }

  pause(): void {
    this.paused = true;
    this.pauses.push(true);
  }

  resume(): void {
    this.paused = false;
    this.pauses.push(false);
  }

  async stop(): Promise<void> {
    this.handlers = null;
  }
}

/** Kafka as the relay sees it: committed transactions, each records + checkpoint. */
class FakeKafka {
  readonly transactions: { records: RelayRecord[]; checkpoint: RelayCheckpoint }[] = [];

  get checkpoint(): RelayCheckpoint | null {
    return this.transactions.at(-1)?.checkpoint ?? null;
  }

  /** Event ids in the order they were committed. */
  get eventIds(): string[] {
    return this.transactions.flatMap((t) => t.records.map((r) => r.headers['lockstep-id']));
  }
}

type PublishHook = (
  records: readonly RelayRecord[],
  checkpoint: RelayCheckpoint,
  publisher: FakePublisher,
) => Promise<void> | void;

class FakePublisher implements TransactionalPublisher {
  closed = false;

  constructor(
    private readonly kafka: FakeKafka,
    private readonly hook: PublishHook | undefined,
  ) {}

  async connect(): Promise<void> {}
  async readCheckpoint(): Promise<RelayCheckpoint | null> {
    return this.kafka.checkpoint;
  }
  async ensureTopics(): Promise<void> {}
  async publish(records: readonly RelayRecord[], checkpoint: RelayCheckpoint): Promise<void> {
    await this.hook?.(records, checkpoint, this); // a throw: nothing committed
    this.kafka.transactions.push({ records: [...records], checkpoint });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeLock implements LeaderLock {
  held = false;
  released = false;

  constructor(private readonly onLost: (cause: unknown) => void) {}

  async acquire(shouldStop: () => boolean): Promise<boolean> {
    this.held = !shouldStop();
    return this.held;
  }

  lose(): void {
    this.held = false;
    this.onLost(new Error('lock connection killed'));
  }

  async release(): Promise<void> {
    this.held = false;
    this.released = true;
  }
}

const fakeServer: BinlogServer = {
  preflight: async () => undefined,
  currentPosition: async () => gtid(0),
  binlogEnd: async () => gtid(0),
  retention: async () => ({ files: ['binlog.000001'], expireSeconds: null }),
  close: async () => undefined,
};

interface Harness {
  relay: RelayEngine;
  binlog: FakeBinlog;
  kafka: FakeKafka;
  publishers: FakePublisher[];
  locks: FakeLock[];
  mirrored: RelayCheckpoint[];
  states: RelayState[];
  warnings: string[];
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const running: RelayEngine[] = [];

/** A relay on fake ports. `publish` sees every publish of every publisher (the n-th publisher is `publishers.length - 1`). */
function harness(options: Partial<RelayOptions> & { publish?: PublishHook; binlogServer?: BinlogServer } = {}): Harness {
  const { publish, binlogServer = fakeServer, ...relayOptions } = options;
  const binlog = new FakeBinlog();
  const kafka = new FakeKafka();
  const publishers: FakePublisher[] = [];
  const locks: FakeLock[] = [];
  const mirrored: RelayCheckpoint[] = [];
  const mirror: CheckpointMirror = { write: async (c) => void mirrored.push(c), close: async () => undefined };
  const ports: RelayPorts = {
    createBinlogSource: () => binlog.source(),
    createPublisher: () => {
      const p = new FakePublisher(kafka, publish);
      publishers.push(p);
      return p;
    },
    createLeaderLock: (onLost) => {
      const l = new FakeLock(onLost);
      locks.push(l);
      return l;
    },
    createCheckpointMirror: () => mirror,
    binlogServer,
  };
  const relay = new RelayEngine(
    {
      name: 'unit',
      mysql: { host: 'mysql.invalid', port: 3306, user: 'u', password: 'p', database: 'shop' },
      kafka: { brokers: ['kafka.invalid:9092'], ssl: false },
      logger: quiet,
      ...relayOptions,
    },
    () => ports,
  );
  running.push(relay);
  const states: RelayState[] = [];
  const warnings: string[] = [];
  relay.on('state', (_from, to) => states.push(to));
  relay.on('warning', (code) => warnings.push(code));
  return { relay, binlog, kafka, publishers, locks, mirrored, states, warnings };
}

/** Resolves once `condition` holds, checked after each of the relay's events; rejects after `ms` (a deadline, not a pause). */
function until(relay: RelayEngine, what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const events: (keyof RelayEventMap)[] = ['state', 'batch', 'paused', 'warning', 'kafkaWait'];
    const check = (): void => {
      if (!condition()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      for (const e of events) relay.off(e, check);
    };
    for (const e of events) relay.on(e, check);
  });
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('RelayEngine session loop (fake ports)', () => {
  it('publishes events in commit order and moves the checkpoint only once their Kafka transaction committed', async () => {
    const inFlight = deferred();
    const gate = deferred();
    const h = harness({
      publish: async (records) => {
        if (records.length > 0) {
          inFlight.resolve();
          await gate.promise;
        }
      },
    });
    onTestFinished(() => gate.resolve()); // a failed assertion must not leave stop() waiting for the publish deadline
    const rows = [...h.binlog.commit('a', 'b'), ...h.binlog.commit('a')];
    await h.relay.start();
    await inFlight.promise;
    // In flight: nothing committed, the checkpoint is still the start position ('earliest' announced at once).
    expect(h.relay.lastCheckpoint?.gtidSet).toBe('');
    expect(h.kafka.eventIds).toEqual([]);
    expect(h.mirrored.map((c) => c.gtidSet)).not.toContain(gtid(2));

    gate.resolve();
    await until(h.relay, 'both transactions committed', () => h.relay.lastCheckpoint?.gtidSet === gtid(2));
    expect(h.kafka.eventIds).toEqual(rows.map((r) => uuidToString(r.id)));
    // The checkpoint travelled in the same transaction as the events it covers.
    const last = h.kafka.transactions.at(-1)!;
    expect(last.checkpoint).toMatchObject({ gtidSet: gtid(2), lastEventId: uuidToString(rows[2].id), eventsPublished: 3 });
    expect(last.records.map((r) => r.key)).toEqual(['a', 'b', 'a']);
    expect(h.relay.state).toBe('publishing');
    await until(h.relay, 'mirrored', () => h.mirrored.at(-1)?.gtidSet === gtid(2));

    await h.relay.stop();
    expect(h.relay.state).toBe('stopped');
    expect(h.locks[0].released).toBe(true);
    expect(h.publishers.every((p) => p.closed)).toBe(true);
  });

  it('a publisher that throws ends the session; the next one resumes from the last committed checkpoint, and every event is in Kafka once', async () => {
    const h = harness({
      publish: (records, _checkpoint, publisher) => {
        // The first producer fails on its second batch, after it started sending.
        if (publisher === h.publishers[0] && records.length > 0 && h.kafka.eventIds.length > 0)
          throw new Error('broker connection lost');
      },
    });
    const first = h.binlog.commit('a');
    await h.relay.start();
    await until(h.relay, 'first batch', () => h.relay.lastCheckpoint?.gtidSet === gtid(1));
    const second = h.binlog.commit('b');
    await until(h.relay, 'second batch through a new session', () => h.relay.lastCheckpoint?.gtidSet === gtid(2), 10_000);

    expect(h.publishers).toHaveLength(2);
    expect(h.publishers[0].closed).toBe(true);
    expect(h.warnings).toContain('RECOVERING');
    expect(h.states).toEqual(expect.arrayContaining(['publishing', 'recovering', 'starting']));
    // The second session's binlog started from the checkpoint the first one committed.
    expect(h.binlog.starts).toEqual(['', gtid(1)]);
    expect(h.kafka.eventIds).toEqual([uuidToString(first[0].id), uuidToString(second[0].id)]);
  });

  it('fenced: stops for good, closed() rejects with RelayFencedError, no new session', async () => {
    const h = harness({
      publish: (records) => {
        if (records.length > 0) throw new RelayFencedError('unit');
      },
    });
    h.binlog.commit('a');
    await h.relay.start();
    await expect(h.relay.closed()).rejects.toBeInstanceOf(RelayFencedError);
    expect(h.states.slice(-3)).toEqual(['fenced', 'stopping', 'stopped']);
    expect(h.relay.failure).toBeInstanceOf(RelayFencedError);
    expect(h.publishers).toHaveLength(1);
    expect(h.locks[0].released).toBe(true);
    expect(h.kafka.eventIds).toEqual([]);
  });

  it('an error that is not retriable (a bad outbox row, a bug) fails the relay; one awaiting an operator is retried loudly', async () => {
    const fatal = harness();
    await fatal.relay.start();
    await until(fatal.relay, 'publishing', () => fatal.relay.state === 'publishing');
    fatal.binlog.sources[0].fail(new OutboxRowError('outbox table lacks created_at'));
    await expect(fatal.relay.closed()).rejects.toBeInstanceOf(OutboxRowError);
    expect(fatal.states).toContain('failed');

    let refusals = 0;
    const loud = harness({
      publish: (records) => {
        if (records.length > 0 && refusals++ === 0) throw new RecordTooLargeError('e-1', 'lockstep.order', 2_000_000);
      },
    });
    const [row] = loud.binlog.commit('a');
    await loud.relay.start();
    await until(loud.relay, 'published after the retry', () => loud.kafka.eventIds.length === 1, 10_000);
    expect(loud.warnings).toContain('RECORD_TOO_LARGE');
    expect(loud.kafka.eventIds).toEqual([uuidToString(row.id)]);
  });

  it('backpressure: pauses the binlog above maxQueuedEvents and resumes it at half', async () => {
    const gate = deferred();
    const h = harness({
      maxQueuedEvents: 4,
      maxBatchEvents: 1,
      publish: async (records) => {
        if (records.length > 0) await gate.promise;
      },
    });
    onTestFinished(() => gate.resolve());
    h.binlog.commit('k0');
    await h.relay.start();
    await until(h.relay, 'publishing', () => h.relay.state === 'publishing');
    for (let i = 1; i <= 6; i++) h.binlog.commit(`k${i}`);
    await until(h.relay, 'paused', () => h.relay.isPaused);
    expect(h.binlog.sources[0].paused).toBe(true);

    gate.resolve();
    await until(h.relay, 'all published', () => h.kafka.eventIds.length === 7);
    expect(h.binlog.sources[0].pauses).toEqual([true, false]);
    expect(h.relay.isPaused).toBe(false);
  });

  it('losing the leader lock stops publishing, goes to standby and competes again', async () => {
    const h = harness();
    h.binlog.commit('a');
    await h.relay.start();
    await until(h.relay, 'first batch', () => h.kafka.eventIds.length === 1);
    h.locks[0].lose();
    await until(h.relay, 'second term', () => h.locks.length === 2 && h.relay.state === 'publishing');
    expect(h.warnings).toContain('LOCK_LOST');
    expect(h.locks[0].released).toBe(true);
    expect(h.states.filter((s) => s === 'standby')).toHaveLength(2);
    h.binlog.commit('b');
    await until(h.relay, 'second batch', () => h.kafka.eventIds.length === 2);
    expect(new Set(h.kafka.eventIds).size).toBe(2);
  });

  it('enforces its life cycle: start twice throws, stop is idempotent, an illegal transition is a bug error', async () => {
    const h = harness();
    await h.relay.start();
    await expect(h.relay.start()).rejects.toThrow(/already started/);
    await Promise.all([h.relay.stop(), h.relay.stop()]);
    expect(h.relay.state).toBe('stopped');
    await h.relay.stop();
    expect(h.states.slice(-2)).toEqual(['stopping', 'stopped']);

    // A state-machine bug surfacing inside a session is not retried: the relay fails, visibly.
    const bug = harness({
      publish: (records) => {
        if (records.length > 0) throw new IllegalRelayTransitionError('publishing', 'idle');
      },
    });
    bug.binlog.commit('a');
    await bug.relay.start();
    await expect(bug.relay.closed()).rejects.toBeInstanceOf(IllegalRelayTransitionError);
    expect(bug.states).toContain('failed');
    expect(bug.publishers).toHaveLength(1);
  });

  it('a stop during the preflight waits for it, then ends in stopped without leading', async () => {
    const preflight = deferred();
    const h = harness({ binlogServer: { ...fakeServer, preflight: () => preflight.promise } });
    const started = h.relay.start();
    const stopped = h.relay.stop();
    preflight.resolve();
    await started;
    await stopped;
    expect(h.relay.state).toBe('stopped');
    expect(h.locks.every((l) => l.released || !l.held)).toBe(true);
    expect(h.publishers).toHaveLength(0);
    await expect(h.relay.closed()).resolves.toBeUndefined();
  });
});

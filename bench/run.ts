/**
 * `npm run bench` (scripts/bench.sh): Lockstep's relay against Debezium, a polling outbox relay
 * and the machine's own limits, on the same MariaDB, the same broker and the same outbox rows.
 * Prints markdown tables, writes bench/results/<date>-<mode>.{md,json} and SVG plots.
 * Method and caveats: docs/benchmarks.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboxTableDdl, relayCheckpointTableDdl } from '@lockstep/core';
import { createTestDatabase, createTopics, type TestDatabase } from '@lockstep/testing';
import { writeBacklog, writeLive, writeMarker, type WrittenEvent } from './lib/data.js';
import {
  kafkaLimitBatch,
  kafkaSmallTxLatency,
  kafkaTxProduceRate,
  type SmallTxLatency,
  zongjiDecodeRate,
  KAFKA_LIMIT_BATCH,
  KAFKA_LIMIT_BATCH_BYTES,
  KAFKA_LIMIT_RETRY_MS,
} from './lib/limits.js';
import { describeMachine } from './lib/machine.js';
import { cpuSeconds, type RunningProcess } from './lib/proc.js';
import { BenchReader } from './lib/reader.js';
import { groupedBarChart } from './lib/svg.js';
import { deleteTopicsWithPrefix } from './lib/topics.js';
import { benchVerdict, type CheckedRun } from './lib/verdict.js';
import { fmt, fmtSpread, log, nowUs, percentile, sleep, spread, type Spread } from './lib/util.js';
import { debeziumAdapter } from './systems/debezium.js';
import { lockstepAdapter, lockstepNoTxAdapter, TOPIC_PARTITIONS } from './systems/lockstep.js';
import { pollingAdapter } from './systems/polling.js';
import type { RunConfig, SystemAdapter } from './systems/types.js';

// ---------------------------------------------------------------- settings

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
};
const quick = flag('quick');
const mode = quick ? 'quick' : 'full';

interface SizeCase {
  label: string;
  bytes: number;
  events: number;
  runs: number;
}

const SIZES: SizeCase[] = quick
  ? [{ label: '500 B', bytes: 500, events: 2_000, runs: 1 }]
  : [
      { label: '500 B', bytes: 500, events: 200_000, runs: 3 },
      { label: '100 B', bytes: 100, events: 100_000, runs: 3 },
      { label: '10 KB', bytes: 10_240, events: 20_000, runs: 3 },
    ];
const LIVE = {
  bytes: 500,
  rates: [200, 1000, 0] as number[], // 0 = as fast as 8 connections go
  seconds: quick ? 3 : 6,
  runs: quick ? 1 : Number(opt('live-runs') ?? 3),
};
const RUNS = opt('runs') ? Number(opt('runs')) : undefined;
const ONLY = opt('systems')?.split(',');
const SKIP_LIVE = flag('no-live');
const KEEP = flag('keep');
/** Re-render the tables and plots of an earlier run from its JSON (no measuring). */
const FROM_JSON = opt('from-json');
let commandArgs = argv;

const ALL_SYSTEMS: SystemAdapter[] = [lockstepAdapter, lockstepNoTxAdapter, debeziumAdapter, pollingAdapter];
const OUTBOX_TABLE = 'lockstep_outbox';
// LOCKSTEP_BENCH_RESULTS_DIR: where results go (the CI smoke run writes to a temp dir).
const resultsDir = process.env.LOCKSTEP_BENCH_RESULTS_DIR ?? 'bench/results';
const workRoot = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
let serverIdSeq = 600_000 + Math.floor(Math.random() * 100_000) * 10;

// ---------------------------------------------------------------- result types

interface CatchupResult {
  run: number;
  ok: boolean;
  note?: string;
  events: number;
  seen: number;
  steadyEventsPerSec: number;
  wallEventsPerSec: number;
  firstEventSec: number;
  cpuSec: number;
  cpuUsPerEvent: number;
  /** CPU seconds MariaDB and the Kafka broker used from spawn to the last event (shared servers: includes other clients). */
  dbCpuSec: number;
  brokerCpuSec: number;
  /** From the system's own metrics, when it has them (Lockstep): Kafka transactions, mean send+commit ms, mean events per transaction. */
  kafkaTransactions?: number;
  meanCommitMs?: number;
  meanBatchEvents?: number;
  peakRssMiB: number;
  missing: number;
  duplicates: number;
  orderViolations: number;
}

interface LiveResult {
  run: number;
  rate: number;
  ok: boolean;
  note?: string;
  written: number;
  achievedTxPerSec: number;
  p50: number;
  p99: number;
  max: number;
  missing: number;
  duplicates: number;
  /** Per-key order violations among this rate's events (absent in results saved before it was counted). */
  orderViolations?: number;
  kafkaTransactions?: number;
  meanCommitMs?: number;
  meanBatchEvents?: number;
}

interface Limits {
  dbTxPerSec: number;
  zongjiRowsPerSec: number;
  kafkaRecordsPerSec: number;
}

const catchup = new Map<string, Map<string, CatchupResult[]>>(); // size label -> system -> runs
const live = new Map<number, Map<string, LiveResult[]>>(); // rate -> system -> runs
const limits = new Map<string, Limits>();
let smallTx: SmallTxLatency[] = [];
const SMALL_TX_RETRY_MS = [50, 10];
const skipped = new Map<string, string>();
const failures: string[] = [];

function push<K, V>(m: Map<K, Map<string, V[]>>, k: K, sys: string, v: V): void {
  let inner = m.get(k);
  if (!inner) m.set(k, (inner = new Map<string, V[]>()));
  let list = inner.get(sys);
  if (!list) inner.set(sys, (list = []));
  list.push(v);
}

// ---------------------------------------------------------------- helpers

/** Kafka transactions, mean send+commit ms and mean events per transaction between two metric reads. */
function diagDelta(
  a: Record<string, number>,
  b: Record<string, number>,
): { kafkaTransactions?: number; meanCommitMs?: number; meanBatchEvents?: number } {
  if (b.commits === undefined || !Number.isFinite(b.commits)) return {};
  const commits = b.commits - (a.commits ?? 0);
  return {
    kafkaTransactions: commits,
    meanCommitMs: ((b.commitSeconds - (a.commitSeconds ?? 0)) / commits) * 1000,
    meanBatchEvents: (b.batchEvents - (a.batchEvents ?? 0)) / commits,
  };
}

/** CPU seconds of the private MariaDB and Kafka processes (pids from scripts/infra). */
function serverCpu(): { db: number; broker: number } {
  const pidOf = (name: string): number => {
    try {
      return Number(readFileSync(`.lockstep/run/${name}.pid`, 'utf8').trim());
    } catch {
      return NaN;
    }
  };
  return { db: cpuSeconds(pidOf('mariadb')), broker: cpuSeconds(pidOf('kafka')) };
}

async function gtidNow(db: TestDatabase): Promise<string> {
  const c = await db.admin();
  try {
    // MariaDB only, on purpose: the benchmark runs on the private MariaDB instance.
    const [rows] = (await c.query('SELECT @@gtid_binlog_pos AS g')) as unknown as [Array<{ g: string }>];
    return rows[0].g;
  } finally {
    await c.end();
  }
}

async function deleteTopics(prefix: string): Promise<void> {
  if (!KEEP) await deleteTopicsWithPrefix(prefix);
}

function runConfig(db: TestDatabase, sys: SystemAdapter, tag: string, startGtid: string, m: 'catchup' | 'live'): RunConfig {
  const runId = `${tag}-${sys.id}-${Math.random().toString(16).slice(2, 8)}`.replace(/[^A-Za-z0-9_-]/g, '');
  const workDir = join(workRoot, runId);
  mkdirSync(workDir, { recursive: true });
  return {
    runId,
    db: { ...db.options, name: db.name },
    table: OUTBOX_TABLE,
    topicPrefix: `lsb.${runId}`,
    startGtid,
    workDir,
    serverId: serverIdSeq++,
    mode: m,
  };
}

async function newBenchDatabase(tag: string): Promise<TestDatabase> {
  const db = await createTestDatabase(`bench_${tag}`);
  const c = await db.admin();
  try {
    await c.query(outboxTableDdl(OUTBOX_TABLE));
    await c.query(relayCheckpointTableDdl());
  } finally {
    await c.end();
  }
  return db;
}

/** Watches a started system: CPU at the first event, early exit. */
async function watchUntil(
  reader: BenchReader,
  proc: RunningProcess,
  predicate: () => boolean,
  timeoutMs: number,
): Promise<{ done: boolean; cpuAtFirst: number; exited: boolean }> {
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  let cpuAtFirst = NaN;
  const timer = setInterval(() => {
    if (Number.isNaN(cpuAtFirst) && reader.count > 0) cpuAtFirst = proc.sample().cpu;
  }, 50);
  try {
    const done = await reader.waitUntil(() => predicate() || exited, timeoutMs);
    return { done: done && predicate(), cpuAtFirst, exited };
  } finally {
    clearInterval(timer);
  }
}

// ---------------------------------------------------------------- scenarios

async function catchupRun(
  db: TestDatabase,
  sys: SystemAdapter,
  size: SizeCase,
  run: number,
  startGtid: string,
  events: WrittenEvent[],
): Promise<void> {
  const config = runConfig(db, sys, `c${size.bytes}r${run}`, startGtid, 'catchup');
  const topic = `${config.topicPrefix}.bench`;
  await createTopics([topic], { partitions: TOPIC_PARTITIONS });
  await sys.prepare?.(config);
  const reader = new BenchReader(topic);
  reader.expect(events);
  await reader.start();
  const n = events.length;
  log(`catch-up ${size.label} run ${run}: ${sys.id} (${n} events waiting)`);
  const servers0 = serverCpu();
  const t0 = nowUs();
  const proc = await sys.start(config);
  let result: CatchupResult;
  try {
    const w = await watchUntil(reader, proc, () => reader.count >= n, 60_000 + n / 2);
    const atLast = proc.sample();
    const servers1 = serverCpu();
    const diag = diagDelta({}, (await sys.diagnostics?.(config)) ?? {});
    await sleep(1000); // late duplicates
    const steadySec = (reader.lastAtUs - reader.firstAtUs) / 1e6;
    result = {
      run,
      ok: w.done,
      note: w.done
        ? undefined
        : w.exited
          ? `process exited early (log: ${config.workDir})`
          : `timed out with ${reader.count}/${n} (log: ${config.workDir})`,
      events: n,
      seen: reader.count,
      steadyEventsPerSec: w.done && steadySec > 0 ? (n - 1) / steadySec : NaN,
      wallEventsPerSec: w.done ? n / ((reader.lastAtUs - t0) / 1e6) : NaN,
      firstEventSec: reader.firstAtUs ? (reader.firstAtUs - t0) / 1e6 : NaN,
      cpuSec: atLast.cpu,
      cpuUsPerEvent: w.done ? ((atLast.cpu - w.cpuAtFirst) * 1e6) / n : NaN,
      dbCpuSec: servers1.db - servers0.db,
      brokerCpuSec: servers1.broker - servers0.broker,
      ...diag,
      peakRssMiB: proc.sample().rss,
      missing: reader.missing(),
      duplicates: reader.duplicates,
      orderViolations: reader.orderViolations,
    };
  } finally {
    await proc.stop();
    await reader.stop();
  }
  if (!result.ok) failures.push(`catch-up ${size.label} ${sys.id} run ${run}: ${result.note}`);
  log(
    `  ${sys.id}: ${fmt(result.steadyEventsPerSec)} ev/s steady, ${fmt(result.wallEventsPerSec)} incl. start, first after ${fmt(result.firstEventSec, 2)} s, ` +
      `cpu ${fmt(result.cpuSec, 1)} s (MariaDB ${fmt(result.dbCpuSec, 1)} s, broker ${fmt(result.brokerCpuSec, 1)} s), rss ${fmt(result.peakRssMiB)} MiB${result.kafkaTransactions !== undefined ? `, ${result.kafkaTransactions} Kafka transactions (mean ${fmt(result.meanCommitMs!, 1)} ms, ${fmt(result.meanBatchEvents!)} events)` : ''}, missing ${result.missing}, dup ${result.duplicates}, order ${result.orderViolations}`,
  );
  push(catchup, size.label, sys.id, result);
  await deleteTopics(config.topicPrefix);
}

async function liveRun(db: TestDatabase, sys: SystemAdapter, run: number): Promise<void> {
  const config = runConfig(db, sys, `live-r${run}`, await gtidNow(db), 'live');
  const topic = `${config.topicPrefix}.bench`;
  const table = sys.writeTable?.(config) ?? config.table;
  await createTopics([topic], { partitions: TOPIC_PARTITIONS });
  await sys.prepare?.(config);
  const reader = new BenchReader(topic);
  await reader.start();
  log(`live run ${run}: ${sys.id}`);
  const proc = await sys.start(config);
  try {
    // Ready = a marker row written now has come through.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const marker = await writeMarker(config.db, table, LIVE.bytes);
      if (await reader.waitUntil(() => reader.hasMarker(marker), 1000)) break;
      if (Date.now() > deadline) throw new Error(`${sys.id} never became ready (log: ${config.workDir})`);
    }
    let offset = 0;
    for (const rate of LIVE.rates) {
      const ids: string[] = [];
      const dupBefore = reader.duplicates;
      const orderBefore = reader.orderViolations;
      const diag0 = (await sys.diagnostics?.(config)) ?? {};
      const connections = rate === 0 ? 8 : rate <= 200 ? 2 : 4;
      const w = await writeLive(config.db, table, {
        rate,
        seconds: LIVE.seconds,
        size: LIVE.bytes,
        connections,
        offset,
        onWritten: (e) => {
          reader.expectOne(e);
          ids.push(e.eventId);
        },
      });
      offset += connections;
      const idSet = new Set(ids);
      const all = await reader.waitUntil(() => reader.latenciesMs(idSet).length >= ids.length, 90_000);
      await sleep(300);
      const lat = reader.latenciesMs(ids);
      const diag = diagDelta(diag0, (await sys.diagnostics?.(config)) ?? {});
      const r: LiveResult = {
        ...diag,
        run,
        rate,
        ok: all,
        note: all ? undefined : `only ${lat.length}/${ids.length} arrived`,
        written: w.written,
        achievedTxPerSec: w.achievedTxPerSecond,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        max: lat.length ? lat[lat.length - 1] : NaN,
        missing: ids.length - lat.length,
        duplicates: reader.duplicates - dupBefore,
        orderViolations: reader.orderViolations - orderBefore,
      };
      if (!r.ok) failures.push(`live ${rateLabel(rate)} ${sys.id} run ${run}: ${r.note}`);
      log(
        `  ${sys.id} @ ${rateLabel(rate)}: ${fmt(r.achievedTxPerSec)} tx/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms, missing ${r.missing}, dup ${r.duplicates}, order ${r.orderViolations}${r.kafkaTransactions !== undefined ? `; ${r.kafkaTransactions} Kafka transactions, mean ${fmt(r.meanCommitMs!, 1)} ms send+commit, ${fmt(r.meanBatchEvents!, 1)} events each` : ''}`,
      );
      push(live, rate, sys.id, r);
    }
  } finally {
    await proc.stop();
    await reader.stop();
    await deleteTopics(config.topicPrefix);
  }
}

const lowest = (l: Limits): number =>
  Math.min(...[l.dbTxPerSec, l.zongjiRowsPerSec, l.kafkaRecordsPerSec].filter(Number.isFinite));

const rateLabel = (rate: number): string => (rate === 0 ? 'max' : `${rate} tx/s`);

// ---------------------------------------------------------------- report

function ratioSpread(
  sysRuns: Array<{ run: number }>,
  baseRuns: Array<{ run: number }>,
  pick: (r: never) => number,
  extra?: (r: never) => string,
): Spread {
  const ratios: number[] = [];
  for (const r of sysRuns) {
    const b = baseRuns.find((x) => x.run === r.run && (!extra || extra(x as never) === extra(r as never)));
    if (b) ratios.push(pick(r as never) / pick(b as never));
  }
  return spread(ratios);
}

function report(systems: SystemAdapter[], machine: Record<string, string>, startedAt: Date, seconds: number): string {
  const lines: string[] = [];
  const p = (s = ''): void => {
    lines.push(s);
  };
  p(`# Lockstep benchmark — ${mode} run, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  p();
  p(`Command: \`npm run bench${commandArgs.length ? ` -- ${commandArgs.join(' ')}` : ''}\`; took ${fmt(seconds / 60, 1)} min.`);
  p(
    'Method: docs/benchmarks.md. Figures are medians over runs with (min–max); ratios to Lockstep are computed run by run (same run index) and then summarised the same way. Higher events/s is better; lower latency/CPU/RSS is better.',
  );
  p();
  p('## Summary');
  p();
  for (const line of summary(systems)) p(line);
  p();
  p('## Machine and versions');
  p();
  p('| | |');
  p('|---|---|');
  for (const [k, v] of Object.entries(machine)) p(`| ${k} | ${v} |`);
  p();
  p('## Systems and settings');
  p();
  for (const s of systems) {
    p(`- **${s.id}** — ${s.label}; ${s.guarantee}.${skipped.has(s.id) ? ` **Skipped: ${skipped.get(s.id)}**` : ''}`);
    for (const [k, v] of Object.entries(s.describe())) p(`  - ${k}: ${v}`);
  }
  p(
    `- **limits** — DB: the backlog's own write, single-row autocommit INSERTs on 8 connections; zongji: @vlasky/zongji decoding the backlog's write-rows events from the pre-backlog GTID, no Kafka; Kafka: kafkajs transactional producer alone, ${KAFKA_LIMIT_BATCH} records per transaction (at most ${KAFKA_LIMIT_BATCH_BYTES.toLocaleString('en-US')} bytes: ${kafkaLimitBatch(10_240)} for 10 KB), retry.initialRetryTime=${KAFKA_LIMIT_RETRY_MS} ms, ${TOPIC_PARTITIONS} partitions.`,
  );
  p(
    `- Event topic: \`<prefix>.bench\`, ${TOPIC_PARTITIONS} partitions, replication 1; keys = aggregate ids (1,000 aggregates), payload JSON of the stated size.`,
  );
  p();
  p('## Machine limits');
  p();
  p(
    '| payload | events | DB commits/s (8 conns, 1 row/tx) | zongji decode rows/s | kafkajs txn produce records/s | L = lowest |',
  );
  p('|---|---|---|---|---|---|');
  for (const size of SIZES) {
    const l = limits.get(size.label);
    if (!l) continue;
    const L = lowest(l);
    p(
      `| ${size.label} | ${fmt(size.events)} | ${fmt(l.dbTxPerSec)} | ${fmt(l.zongjiRowsPerSec)} | ${fmt(l.kafkaRecordsPerSec)} | ${fmt(L)} |`,
    );
  }
  if (smallTx.length) {
    p();
    p(
      `Back-to-back small Kafka transactions (kafkajs alone, 3 records of ${SIZES[0].label} each, one transaction at a time, no DB), what a relay under light load does. Kafka 4 answers CONCURRENT_TRANSACTIONS to a transaction begun right after a commit; kafkajs then waits \`retry.initialRetryTime\`:`,
    );
    p();
    p('| retry.initialRetryTime | transactions/s | begin→commit p50 ms | p99 ms | max ms |');
    p('|---|---|---|---|---|');
    for (const t of smallTx)
      p(`| ${t.initialRetryTime} ms | ${fmt(t.transactionsPerSec)} | ${fmt(t.p50, 1)} | ${fmt(t.p99, 1)} | ${fmt(t.max, 1)} |`);
  }
  p();
  p('## Catch-up (backlog committed before the system starts)');
  p();
  p(
    '"steady" = events / (last − first event read_committed-visible); "incl. start" = events / (last visible − process spawn); "first event" = spawn → first event visible (restart time with a backlog waiting). CPU = the process\'s utime+stime until the last event; CPU/event over first→last. MariaDB/broker CPU = those servers\' utime+stime from spawn to the last event (shared servers: other clients count too).',
  );
  for (const size of SIZES) {
    const bySys = catchup.get(size.label);
    if (!bySys) continue;
    const l = limits.get(size.label);
    const L = l ? lowest(l) : NaN;
    const base = bySys.get('lockstep') ?? [];
    p();
    p(`### ${size.label} payload, ${fmt(size.events)} events, ${size.runs} run(s)`);
    p();
    p(
      '| system | events/s steady | % of L | × Lockstep | events/s incl. start | first event (s) | CPU s | CPU µs/event | MariaDB CPU s | broker CPU s | peak RSS MiB | missing | duplicates | key-order violations |',
    );
    p('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of systems) {
      const rs = bySys.get(s.id);
      if (!rs) continue;
      const sp = (f: (r: CatchupResult) => number): Spread => spread(rs.map(f));
      const steady = sp((r) => r.steadyEventsPerSec);
      const ratio =
        s.id === 'lockstep'
          ? '1'
          : fmtSpread(
              ratioSpread(rs, base, (r: CatchupResult) => r.steadyEventsPerSec),
              2,
            );
      const sum = (f: (r: CatchupResult) => number): number => rs.reduce((a, r) => a + f(r), 0);
      p(
        `| ${s.id} | ${fmtSpread(steady)} | ${fmt((steady.median / L) * 100)}% | ${ratio} | ${fmtSpread(sp((r) => r.wallEventsPerSec))} | ${fmtSpread(
          sp((r) => r.firstEventSec),
          2,
        )} | ` +
          `${fmtSpread(
            sp((r) => r.cpuSec),
            1,
          )} | ${fmtSpread(
            sp((r) => r.cpuUsPerEvent),
            1,
          )} | ${fmtSpread(
            sp((r) => r.dbCpuSec),
            1,
          )} | ${fmtSpread(
            sp((r) => r.brokerCpuSec),
            1,
          )} | ${fmtSpread(sp((r) => r.peakRssMiB))} | ${sum((r) => r.missing)} | ${sum((r) => r.duplicates)} | ${sum((r) => r.orderViolations)} |`,
      );
    }
    if (base.length && systems.some((s) => s.id !== 'lockstep' && bySys.has(s.id))) {
      p();
      p("Each figure as a ratio to Lockstep's in the same run (median (min–max) of the per-run ratios):");
      p();
      p('| system | events/s steady | events/s incl. start | first event | CPU s | CPU µs/event | MariaDB CPU s | peak RSS |');
      p('|---|---|---|---|---|---|---|---|');
      for (const s of systems) {
        const rs = bySys.get(s.id);
        if (!rs || s.id === 'lockstep') continue;
        const x = (f: (r: CatchupResult) => number, d = 2): string => fmtSpread(ratioSpread(rs, base, f), d);
        p(
          `| ${s.id} | ${x((r) => r.steadyEventsPerSec)} | ${x((r) => r.wallEventsPerSec)} | ${x((r) => r.firstEventSec)} | ${x((r) => r.cpuSec)} | ` +
            `${x((r) => r.cpuUsPerEvent)} | ${x((r) => r.dbCpuSec)} | ${x((r) => r.peakRssMiB)} |`,
        );
      }
    }
  }
  if (live.size) {
    p();
    p(`## Live (writers at a fixed rate, ${LIVE.bytes} B payload, ${LIVE.seconds} s per rate, ${LIVE.runs} run(s))`);
    p();
    p(
      'Latency = reader receive time − writer clock just before the single-row autocommit INSERT, both in the harness process; the reader is a kafkajs consumer with readUncommitted=false.',
    );
    p();
    p('| rate | system | achieved tx/s | p50 ms | p99 ms | max ms | p50 × Lockstep | p99 × Lockstep | missing | duplicates |');
    p('|---|---|---|---|---|---|---|---|---|---|');
    for (const rate of LIVE.rates) {
      const bySys = live.get(rate);
      if (!bySys) continue;
      const base = bySys.get('lockstep') ?? [];
      for (const s of systems) {
        const rs = bySys.get(s.id);
        if (!rs) continue;
        const sp = (f: (r: LiveResult) => number): Spread => spread(rs.map(f));
        const x = (f: (r: LiveResult) => number): string => (s.id === 'lockstep' ? '1' : fmtSpread(ratioSpread(rs, base, f), 2));
        p(
          `| ${rateLabel(rate)} | ${s.id} | ${fmtSpread(sp((r) => r.achievedTxPerSec))} | ${fmtSpread(
            sp((r) => r.p50),
            1,
          )} | ${fmtSpread(
            sp((r) => r.p99),
            1,
          )} | ${fmtSpread(
            sp((r) => r.max),
            1,
          )} | ${x((r) => r.p50)} | ${x((r) => r.p99)} | ` +
            `${rs.reduce((a, r) => a + r.missing, 0)} | ${rs.reduce((a, r) => a + r.duplicates, 0)} |`,
        );
      }
    }
  }
  const diagRows: string[] = [];
  for (const s of systems) {
    for (const size of SIZES) {
      const rs = (catchup.get(size.label)?.get(s.id) ?? []).filter((r) => r.kafkaTransactions !== undefined);
      if (rs.length) diagRows.push(diagRow(s.id, `catch-up ${size.label}`, rs));
    }
    for (const rate of LIVE.rates) {
      const rs = (live.get(rate)?.get(s.id) ?? []).filter((r) => r.kafkaTransactions !== undefined);
      if (rs.length) diagRows.push(diagRow(s.id, `live ${rateLabel(rate)}`, rs));
    }
  }
  if (diagRows.length) {
    p();
    p("## The relay's own metrics (its /metrics endpoint, read before it was stopped)");
    p();
    p('| system | scenario | Kafka transactions | mean send+commit ms | mean events per transaction |');
    p('|---|---|---|---|---|');
    for (const row of diagRows) p(row);
  }
  p();
  p('## Problems in this run');
  p();
  if (!failures.length && !skipped.size) p('None.');
  for (const [id, why] of skipped) p(`- ${id} skipped: ${why}`);
  for (const f of failures) p(`- ${f}`);
  p();
  return lines.join('\n');
}

function diagRow(
  id: string,
  scenario: string,
  rs: Array<{ kafkaTransactions?: number; meanCommitMs?: number; meanBatchEvents?: number }>,
): string {
  const sp = (f: (r: (typeof rs)[number]) => number | undefined): Spread => spread(rs.map((r) => f(r) ?? NaN));
  return `| ${id} | ${scenario} | ${fmtSpread(sp((r) => r.kafkaTransactions))} | ${fmtSpread(
    sp((r) => r.meanCommitMs),
    1,
  )} | ${fmtSpread(
    sp((r) => r.meanBatchEvents),
    1,
  )} |`;
}

/** One line per system: the main case (first payload size) and live p99 at 1,000 tx/s. */
function summary(systems: SystemAdapter[]): string[] {
  const main = SIZES[0];
  const bySys = catchup.get(main.label);
  const l = limits.get(main.label);
  const out = [
    `Catch-up: ${main.label} payload, ${fmt(main.events)} events; live: ${LIVE.bytes} B at 1,000 tx/s. L = ${l ? fmt(lowest(l)) : 'n/a'} events/s (lowest machine limit). Consistency = missing / duplicates / key-order violations over all runs of the system in this file.`,
    '',
    '| system | guarantee | catch-up events/s | × Lockstep | % of L | first event after start (s) | CPU µs/event | peak RSS MiB | live p99 ms @ 1,000 tx/s | consistency |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of systems) {
    if (skipped.has(s.id)) {
      out.push(`| ${s.id} | ${s.guarantee} | skipped: ${skipped.get(s.id)} | | | | | | | |`);
      continue;
    }
    const rs = bySys?.get(s.id) ?? [];
    const steady = spread(rs.map((r) => r.steadyEventsPerSec));
    const base = bySys?.get('lockstep') ?? [];
    const ratio =
      s.id === 'lockstep'
        ? '1'
        : fmtSpread(
            ratioSpread(rs, base, (r: CatchupResult) => r.steadyEventsPerSec),
            2,
          );
    const lv = live.get(1000)?.get(s.id) ?? [];
    const allC = [...catchup.values()].flatMap((m) => m.get(s.id) ?? []);
    const allL = [...live.values()].flatMap((m) => m.get(s.id) ?? []);
    const miss = allC.reduce((a, r) => a + r.missing, 0) + allL.reduce((a, r) => a + r.missing, 0);
    const dup = allC.reduce((a, r) => a + r.duplicates, 0) + allL.reduce((a, r) => a + r.duplicates, 0);
    const order = allC.reduce((a, r) => a + r.orderViolations, 0);
    out.push(
      `| ${s.id} | ${s.guarantee} | ${fmtSpread(steady)} | ${ratio} | ${l ? fmt((steady.median / lowest(l)) * 100) : 'n/a'}% | ${fmtSpread(spread(rs.map((r) => r.firstEventSec)), 2)} | ` +
        `${fmtSpread(spread(rs.map((r) => r.cpuUsPerEvent)), 1)} | ${fmtSpread(spread(rs.map((r) => r.peakRssMiB)))} | ${fmtSpread(spread(lv.map((r) => r.p99)), 1)} | ${miss} / ${dup} / ${order} |`,
    );
  }
  return out;
}

function plots(systems: SystemAdapter[], stem: string): string[] {
  const files: string[] = [];
  const ids = systems.filter((s) => !skipped.has(s.id)).map((s) => s.id);
  const sizes = SIZES.filter((s) => catchup.has(s.label));
  if (sizes.length) {
    const svg = groupedBarChart({
      title: `Catch-up throughput (events/s, median; whiskers min–max) — ${mode}`,
      yLabel: 'events/s read_committed-visible',
      groups: sizes.map((s) => `${s.label}, ${fmt(s.events)} events`),
      series: ids.map((id) => {
        const per = sizes.map((s) => spread((catchup.get(s.label)?.get(id) ?? []).map((r) => r.steadyEventsPerSec)));
        return {
          name: id,
          values: per.map((x) => x.median),
          ranges: per.map((x) => (x.n ? ([x.min, x.max] as [number, number]) : null)),
        };
      }),
    });
    writeFileSync(`${stem}-catchup.svg`, svg);
    files.push(`${stem}-catchup.svg`);
  }
  if (live.size) {
    const rates = LIVE.rates.filter((r) => live.has(r));
    const svg = groupedBarChart({
      title: `Live commit → read_committed latency p99 (ms, log scale) — ${mode}`,
      yLabel: 'p99 latency ms',
      log: true,
      groups: rates.map(rateLabel),
      series: ids.map((id) => {
        const per = rates.map((r) => spread((live.get(r)?.get(id) ?? []).map((x) => x.p99)));
        return {
          name: id,
          values: per.map((x) => x.median),
          ranges: per.map((x) => (x.n ? ([x.min, x.max] as [number, number]) : null)),
        };
      }),
    });
    writeFileSync(`${stem}-latency.svg`, svg);
    files.push(`${stem}-latency.svg`);
  }
  return files;
}

// ---------------------------------------------------------------- main

async function sizeCase(size: SizeCase, active: SystemAdapter[], dbs: TestDatabase[]): Promise<void> {
  const runs = RUNS ?? size.runs;
  const db = await newBenchDatabase(`${size.bytes}`);
  dbs.push(db);
  const prime = await gtidNow(db);
  for (const s of active) {
    if (!s.beforeBacklog) continue;
    log(`${s.id}: recording its start position before the ${size.label} backlog`);
    try {
      await s.beforeBacklog(runConfig(db, s, `prime${size.bytes}`, prime, 'catchup'));
    } catch (error) {
      skipped.set(s.id, `could not prepare: ${(error as Error).message}`);
      log(`SKIP ${s.id}: ${(error as Error).message}`);
    }
  }
  const startGtid = await gtidNow(db);
  log(`writing the ${size.label} backlog: ${fmt(size.events)} single-row transactions on 8 connections`);
  const backlog = await writeBacklog(db.options, OUTBOX_TABLE, size.events, size.bytes, 8);
  log(`  ${fmt(backlog.txPerSecond)} commits/s`);
  const limit = async (what: string, f: () => Promise<number>): Promise<number> => {
    try {
      return await f();
    } catch (error) {
      failures.push(`limit ${what} ${size.label}: ${(error as Error).message}`);
      log(`FAIL limit ${what}: ${(error as Error).message}`);
      return NaN;
    }
  };
  const zongji = await limit('zongji', () =>
    zongjiDecodeRate({ ...db.options, name: db.name }, OUTBOX_TABLE, startGtid, size.events, serverIdSeq++),
  );
  log(`  zongji decode: ${fmt(zongji)} rows/s`);
  const limitPrefix = `lsb.limit${size.bytes}-${Math.random().toString(16).slice(2, 8)}`;
  const kafka = await limit('kafka', () => kafkaTxProduceRate(`${limitPrefix}.bench`, size.events, size.bytes, TOPIC_PARTITIONS));
  if (size === SIZES[0]) {
    try {
      smallTx = await kafkaSmallTxLatency(`${limitPrefix}.small`, size.bytes, quick ? 2 : 5, SMALL_TX_RETRY_MS);
    } catch (error) {
      failures.push(`limit small transactions: ${(error as Error).message}`);
    }
  }
  await deleteTopics(limitPrefix);
  limits.set(size.label, { dbTxPerSec: backlog.txPerSecond, zongjiRowsPerSec: zongji, kafkaRecordsPerSec: kafka });
  for (let run = 1; run <= runs; run++) {
    // Rotate the order so no system always runs first (cold caches) or last.
    const order = active.filter((s) => !skipped.has(s.id));
    const rotated = order.map((_, i) => order[(i + run - 1) % order.length]);
    for (const s of rotated) {
      try {
        await catchupRun(db, s, size, run, startGtid, backlog.events);
      } catch (error) {
        failures.push(`catch-up ${size.label} ${s.id} run ${run}: ${(error as Error).message}`);
        log(`FAIL ${s.id}: ${(error as Error).stack}`);
      }
    }
  }
}

interface SavedRun {
  startedAt: string;
  seconds: number;
  argv: string[];
  machine: Record<string, string>;
  systems: Array<{ id: string; skipped: string | null }>;
  limits: Record<string, Limits>;
  catchup: Record<string, Record<string, CatchupResult[]>>;
  live: Record<string, Record<string, LiveResult[]>>;
  failures: string[];
  smallTransactions?: SmallTxLatency[];
}

/** `--from-json bench/results/X.json`: rewrites X.md and X's plots from the saved figures. */
function rerender(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
  commandArgs = saved.argv;
  for (const [k, v] of Object.entries(saved.limits)) limits.set(k, v);
  smallTx = saved.smallTransactions ?? [];
  for (const [size, bySys] of Object.entries(saved.catchup))
    for (const [id, rs] of Object.entries(bySys)) for (const r of rs) push(catchup, size, id, r);
  for (const [label, bySys] of Object.entries(saved.live)) {
    const rate = label === 'max' ? 0 : Number.parseInt(label, 10);
    for (const [id, rs] of Object.entries(bySys)) for (const r of rs) push(live, rate, id, r);
  }
  for (const s of saved.systems) if (s.skipped) skipped.set(s.id, s.skipped);
  failures.push(...saved.failures);
  const systems = ALL_SYSTEMS.filter((s) => saved.systems.some((x) => x.id === s.id));
  const stem = file.replace(/\.json$/, '');
  const md = report(systems, saved.machine, new Date(saved.startedAt), saved.seconds);
  const svgs = plots(systems, stem);
  writeFileSync(`${stem}.md`, withPlots(md, svgs));
  log(`re-rendered ${stem}.md${svgs.length ? `, ${svgs.join(', ')}` : ''} from ${file}`);
}

const withPlots = (md: string, svgs: string[]): string =>
  md + (svgs.length ? `\n## Plots\n\n${svgs.map((f) => `![${f.split('/').pop()}](${f.split('/').pop()})`).join('\n\n')}\n` : '');

/**
 * Exit status of a measuring run: non-zero when any system lost, duplicated or reordered an event,
 * did not finish a run, or was skipped (bench/lib/verdict.ts). The machine limits (MariaDB, zongji,
 * a bare Kafka producer) are no system: their errors are listed in the report, not judged here.
 */
function judge(systems: SystemAdapter[]): boolean {
  const runs: CheckedRun[] = [
    ...[...catchup].flatMap(([size, bySys]) =>
      [...bySys].flatMap(([system, rs]) => rs.map((r) => ({ ...r, scenario: `catch-up ${size}`, system }))),
    ),
    ...[...live].flatMap(([rate, bySys]) =>
      [...bySys].flatMap(([system, rs]) =>
        rs.map((r) => ({ ...r, orderViolations: r.orderViolations ?? 0, scenario: `live ${rateLabel(rate)}`, system })),
      ),
    ),
  ];
  const verdict = benchVerdict({
    systems: systems.map((s) => s.id),
    skipped,
    runs,
    failures: failures.filter((f) => !f.startsWith('limit ')),
  });
  if (verdict.ok) {
    log(`VERDICT ok: ${verdict.checkedRuns} runs checked, no event lost, duplicated or reordered, no system skipped`);
  } else {
    log(`VERDICT FAILED (exit 1): ${verdict.problems.length} problem(s) in ${verdict.checkedRuns} checked runs:`);
    for (const p of verdict.problems) log(`  - ${p}`);
  }
  return verdict.ok;
}

async function main(): Promise<boolean> {
  if (FROM_JSON) {
    rerender(FROM_JSON);
    return true;
  }
  const startedAt = new Date();
  const machine = describeMachine();
  const systems = ALL_SYSTEMS.filter((s) => !ONLY || ONLY.includes(s.id));
  for (const s of systems) {
    const why = await s.available();
    if (why) {
      skipped.set(s.id, why);
      log(`SKIP ${s.id}: ${why}`);
    }
  }
  const active = systems.filter((s) => !skipped.has(s.id));
  const dbs: TestDatabase[] = [];
  try {
    for (const size of SIZES) {
      try {
        await sizeCase(size, active, dbs);
      } catch (error) {
        failures.push(`${size.label}: ${(error as Error).message}`);
        log(`FAIL ${size.label}: ${(error as Error).stack}`);
      }
    }
    if (!SKIP_LIVE) {
      const db = await newBenchDatabase('live');
      dbs.push(db);
      for (let run = 1; run <= (RUNS ?? LIVE.runs); run++) {
        const order = active.filter((s) => !skipped.has(s.id));
        const rotated = order.map((_, i) => order[(i + run - 1) % order.length]);
        for (const s of rotated) {
          try {
            await liveRun(db, s, run);
          } catch (error) {
            failures.push(`live ${s.id} run ${run}: ${(error as Error).message}`);
            log(`FAIL ${s.id}: ${(error as Error).stack}`);
          }
        }
      }
    }
  } finally {
    if (!KEEP) for (const db of dbs) await db.drop().catch(() => undefined);
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  mkdirSync(resultsDir, { recursive: true });
  // <date>-<mode>; a second run on the same day gets the start time too, so none is overwritten.
  let stem = `${resultsDir}/${startedAt.toISOString().slice(0, 10)}-${mode}`;
  if (existsSync(`${stem}.md`)) stem = `${stem}-${startedAt.toISOString().slice(11, 16).replace(':', '')}`;
  machine.load_at_end = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const md = report(systems, machine, startedAt, seconds);
  const svgs = plots(systems, stem);
  const mdWithPlots = withPlots(md, svgs);
  writeFileSync(`${stem}.md`, mdWithPlots);
  writeFileSync(
    `${stem}.json`,
    JSON.stringify(
      {
        mode,
        startedAt,
        seconds,
        argv,
        machine,
        systems: systems.map((s) => ({
          id: s.id,
          label: s.label,
          guarantee: s.guarantee,
          settings: s.describe(),
          skipped: skipped.get(s.id) ?? null,
        })),
        limits: Object.fromEntries(limits),
        smallTransactions: smallTx,
        catchup: Object.fromEntries([...catchup].map(([k, v]) => [k, Object.fromEntries(v)])),
        live: Object.fromEntries([...live].map(([k, v]) => [rateLabel(k), Object.fromEntries(v)])),
        failures,
      },
      null,
      2,
    ),
  );
  process.stdout.write(`${mdWithPlots}\n`);
  log(`wrote ${stem}.md, ${stem}.json${svgs.length ? `, ${svgs.join(', ')}` : ''} (work dir ${workRoot})`);
  return judge(systems);
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    log(`bench failed: ${(error as Error).stack}`);
    process.exit(1);
  },
);

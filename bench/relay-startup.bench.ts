/**
 * Relay start-up benchmark (issue #12): spawn -> first event visible to a read_committed reader,
 * and the relay process's peak RSS, for one or more *variants* of the relay command, measured in
 * the same invocation so they share the machine's noise (2 shared cores: compare ratios, not
 * absolute numbers across invocations). The relay is a black box: the harness only sets the
 * documented LOCKSTEP_* environment (docs/relay.md), writes outbox rows with plain SQL and reads
 * Kafka with kcat.
 *
 *   node --import @swc-node/register/esm-register bench/relay-startup.bench.ts \
 *     --variant 'before=/work/wt-before:node --import @swc-node/register/esm-register apps/relay/src/main.ts' \
 *     --variant 'after=/work/main:node_modules/.bin/lockstep relay' [--runs 5] [--events 1000]
 *
 * A variant is `name=cwd:command` (command split on spaces, quotes respected; leading KEY=VALUE
 * words are environment; a first word `node` runs this harness's own node binary), or a JSON file
 * `--variants file.json` = [{ "name", "cwd", "command": "…" | ["…"], "env": { … } }]. Commands and
 * env values may use {mysqlUrl} {brokers} {database} {table} {topicPrefix} {relayName} {serverId}
 * {initialGtid} {httpPort} if a variant takes flags instead of the LOCKSTEP_* variables. Without --variant:
 * this checkout's `node --import @swc-node/register/esm-register apps/relay/src/main.ts`.
 *
 * One run of a variant:
 *  1. commit --events outbox rows (one transaction, --payload-bytes each) to the variant's own
 *     outbox table, after reading the binlog position (@@gtid_binlog_pos) just before them;
 *  2. start kcat (-C, isolation.level=read_committed, from the beginning of the variant's event
 *     topic) and wait until it has reached the end of every partition;
 *  3. spawn the relay (own process group) with a fresh relay name (own transactional id, no
 *     checkpoint yet, LOCKSTEP_RELAY_INITIAL_GTID = the position of step 1), HTTP on a free port;
 *  4. start ms = spawn -> kcat prints the first of this run's events (matched by the lockstep-id
 *     header; payloads are never read or logged); CPU ms = user+system CPU of the process tree then;
 *  5. wait until all events are visible and the relay's MySQL checkpoint mirror names the last one
 *     (the batch's post-commit work is done), then read VmRSS (settled) and VmHWM (peak) from
 *     /proc of every process in the tree (the relay = the one with the largest VmHWM, so a
 *     wrapper such as npx is not what is measured);
 *  6. SIGTERM the process group, SIGKILL after --stop-timeout; stop ms and the exit code recorded.
 * Variants run round-robin, the order rotated every round; --warmup runs per variant first
 * (discarded: page cache, and the relay creates its checkpoint topic there).
 *
 * Flags: --runs N (5) --warmup N (1) --events N (1000) --payload-bytes N (500)
 *        --first-event-timeout MS (120000) --settle-timeout MS (15000) --stop-timeout MS (20000)
 *        --reuse-name (every run of a variant resumes one relay name's checkpoint instead: a restart;
 *        it re-reads all binlog since its last run, other agents' writes included)
 *        --no-http (LOCKSTEP_RELAY_HTTP_PORT=0; default: the relay's HTTP server on a free port, as deployed)
 *        --keep (keep database, user, topics) --label TEXT --no-write
 * A preview of the relay as built JavaScript for a checkout from before #12: bench/relay-startup.prebuild.mjs.
 * Output: a markdown table on stdout, bench/results/<date>-relay-startup[-label][-HHMM].{md,json}
 * (LOCKSTEP_BENCH_RESULTS_DIR overrides the folder). Servers: LOCKSTEP_MYSQL_URL (an admin account
 * that can create a database and a user) and LOCKSTEP_KAFKA_BROKERS, defaults as in docs/relay.md.
 * Dependencies on purpose: node, mysql2, kafkajs (topic admin only), kcat — nothing of Lockstep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { describeMachine } from './lib/machine.js';
import { fmt, fmtSpread, log, spread, type Spread } from './lib/util.js';

// ---------------------------------------------------------------- settings

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.slice(name.length + 3);
};
const opts = (name: string): string[] => {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === `--${name}` && argv[i + 1] !== undefined) out.push(argv[i + 1]);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  });
  return out;
};
const num = (name: string, dflt: number): number => {
  const v = opt(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
};

const RUNS = num('runs', 5);
const WARMUP = num('warmup', 1);
const EVENTS = Math.max(1, num('events', 1000));
const PAYLOAD_BYTES = num('payload-bytes', 500);
const FIRST_EVENT_TIMEOUT_MS = num('first-event-timeout', 120_000);
const SETTLE_TIMEOUT_MS = num('settle-timeout', 15_000);
const STOP_TIMEOUT_MS = num('stop-timeout', 20_000);
const REUSE_NAME = flag('reuse-name');
const KEEP = flag('keep');
const LABEL = opt('label');
const WRITE = !flag('no-write');
/** The relay's /health + /metrics server, on by default as in a deployment (a free port per run); --no-http sets port 0. */
const HTTP = !flag('no-http');
const PARTITIONS = 3;
const AGGREGATE_TYPE = 'bench';
const CHECKPOINT_TABLE = 'lockstep_relay_checkpoint';
const adminUrl = new URL(process.env.LOCKSTEP_MYSQL_URL || 'mysql://lockstep:lockstep@127.0.0.1:3307/lockstep');
const brokers = process.env.LOCKSTEP_KAFKA_BROKERS || '127.0.0.1:9092';
const resultsDir = process.env.LOCKSTEP_BENCH_RESULTS_DIR ?? 'bench/results';
const invocation = randomBytes(3).toString('hex');
const workRoot = mkdtempSync(join(tmpdir(), 'lockstep-bench-startup-'));

// ---------------------------------------------------------------- variants

interface Variant {
  name: string;
  cwd: string;
  command: string[];
  env: Record<string, string>;
}

/** Splits a command line on whitespace, honouring '…' and "…" (no other shell syntax). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function makeVariant(name: string, cwd: string, command: string[], env: Record<string, string> = {}): Variant {
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(name)) throw new TypeError(`variant name must match [A-Za-z0-9_-]{1,20}, got "${name}"`);
  const cmd = [...command];
  const e = { ...env };
  while (cmd.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd[0])) {
    const w = cmd.shift()!;
    e[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (cmd.length === 0) throw new TypeError(`variant ${name}: no command`);
  const dir = isAbsolute(cwd) ? cwd : resolve(cwd);
  if (!existsSync(dir)) throw new TypeError(`variant ${name}: cwd ${dir} does not exist`);
  return { name, cwd: dir, command: cmd, env: e };
}

function parseVariants(): Variant[] {
  const out: Variant[] = [];
  for (const file of opts('variants')) {
    const list = JSON.parse(readFileSync(file, 'utf8')) as Array<{
      name: string;
      cwd: string;
      command: string | string[];
      env?: Record<string, string>;
    }>;
    for (const v of list) out.push(makeVariant(v.name, v.cwd, Array.isArray(v.command) ? v.command : words(v.command), v.env));
  }
  for (const spec of opts('variant')) {
    const eq = spec.indexOf('=');
    const colon = spec.indexOf(':', eq + 1);
    if (eq <= 0 || colon < 0) throw new TypeError(`--variant must be name=cwd:command, got "${spec}"`);
    out.push(makeVariant(spec.slice(0, eq), spec.slice(eq + 1, colon), words(spec.slice(colon + 1))));
  }
  if (out.length === 0)
    out.push(
      makeVariant('current', process.cwd(), words('node --import @swc-node/register/esm-register apps/relay/src/main.ts')),
    );
  if (new Set(out.map((v) => v.name)).size !== out.length) throw new TypeError('variant names must be unique');
  return out;
}

// ---------------------------------------------------------------- conditions (no sleeps)

/** Wakes every waiter when something they may be waiting on changed (output, exit, a read record). */
class Changes {
  private waiters: Array<() => void> = [];
  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves true once `predicate` holds, false at the deadline. */
  async until(predicate: () => boolean, deadline: number): Promise<boolean> {
    while (!predicate()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return true;
  }
}
const changes = new Changes();

// ---------------------------------------------------------------- /proc

interface ProcSample {
  pid: number;
  hwmMiB: number;
  rssMiB: number;
}

const CLK_TCK = 100; // `getconf CLK_TCK` on Linux x86-64

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' '); // [0] = field 3 (state)
  } catch {
    return null;
  }
}

/** `root` and all its descendants (by parent pid, from /proc/<pid>/stat). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(Number(d));
    if (!f) continue;
    const ppid = Number(f[1]);
    (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(d));
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    if (statFields(p) === null) continue;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

function cpuMsOf(pids: number[]): number {
  let ticks = 0;
  for (const p of pids) {
    const f = statFields(p);
    if (f) ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  }
  return (ticks / CLK_TCK) * 1000;
}

function memOf(pid: number): ProcSample | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
    return { pid, hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** Memory of the tree: the process with the largest VmHWM is taken as the relay. */
function treeMemory(root: number): { relay: ProcSample | null; processes: number; treeRssMiB: number } {
  const samples = processTree(root)
    .map(memOf)
    .filter((x): x is ProcSample => x !== null && Number.isFinite(x.hwmMiB));
  const relay = samples.reduce<ProcSample | null>((a, b) => (a === null || b.hwmMiB > a.hwmMiB ? b : a), null);
  return { relay, processes: samples.length, treeRssMiB: samples.reduce((a, b) => a + b.rssMiB, 0) };
}

// ---------------------------------------------------------------- child processes

interface Child {
  child: ChildProcess;
  pid: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  firstOutputAt: number;
}

const liveGroups = new Set<number>();

function spawnGroup(
  command: string,
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; onStdout?: (s: string) => void; onStderr?: (s: string) => void; logFile?: string },
): Child {
  const child = spawn(command, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (!child.pid) throw new Error(`could not start ${command}`);
  const c: Child = { child, pid: child.pid, exit: null, firstOutputAt: NaN };
  liveGroups.add(c.pid);
  const logStream = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : null;
  const lines = (cb?: (s: string) => void): ((b: Buffer) => void) => {
    let rest = '';
    return (b: Buffer) => {
      if (Number.isNaN(c.firstOutputAt)) c.firstOutputAt = performance.now();
      logStream?.write(b);
      if (!cb) return;
      rest += b.toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        cb(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    };
  };
  child.stdout.on('data', lines(o.onStdout));
  child.stderr.on('data', lines(o.onStderr));
  child.on('exit', (code, signal) => {
    c.exit = { code, signal };
    changes.notify();
  });
  child.on('close', () => {
    logStream?.end();
    changes.notify();
  });
  return c;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the process group, SIGKILL to it after `graceMs`. Returns ms until every process of
 * the group was gone (a wrapper such as npx may exit before the relay it started) and whether
 * SIGKILL was needed.
 */
async function stopGroup(c: Child, graceMs: number): Promise<{ stopMs: number; killed: boolean }> {
  const t0 = performance.now();
  let killed = false;
  const gone = (): boolean => c.exit !== null && !groupAlive(c.pid);
  // Grandchildren exiting raise no event here: look again every 20 ms until the deadline.
  const tick = setInterval(() => changes.notify(), 20);
  try {
    if (!gone()) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      if (!(await changes.until(gone, t0 + graceMs))) {
        killed = true;
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await changes.until(gone, performance.now() + 10_000);
      }
    }
  } finally {
    clearInterval(tick);
  }
  liveGroups.delete(c.pid);
  return { stopMs: performance.now() - t0, killed };
}

function killAllGroups(): void {
  for (const g of liveGroups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  liveGroups.clear();
}

// ---------------------------------------------------------------- the independent reader (kcat)

/** kcat -C read_committed on one topic from the beginning; only the lockstep-id header is looked at. */
class KcatReader {
  private proc: Child | null = null;
  private readonly eof = new Set<number>();
  readonly seen = new Set<string>();
  duplicates = 0;
  firstAt = NaN;
  allAt = NaN;
  lastError = '';

  constructor(
    private readonly topic: string,
    private readonly want: Set<string>,
  ) {}

  start(logFile: string): void {
    this.proc = spawnGroup(
      'kcat',
      [
        '-C',
        '-b',
        brokers,
        '-t',
        this.topic,
        '-o',
        'beginning',
        '-u',
        '-X',
        'isolation.level=read_committed',
        '-X',
        'fetch.wait.max.ms=10',
        '-f',
        '%p %o %h\\n',
      ],
      {
        onStdout: (line) => this.onRecord(line),
        onStderr: (line) => {
          const m = /Reached end of topic \S+ \[(\d+)\]/.exec(line);
          if (m) this.eof.add(Number(m[1]));
          else if (/ERROR|error/.test(line)) this.lastError = line.slice(0, 300);
          changes.notify();
        },
        logFile,
      },
    );
  }

  private onRecord(line: string): void {
    const id = /(?:^|[ ,])lockstep-id=([0-9a-fA-F-]{36})/.exec(line)?.[1]?.toLowerCase();
    if (!id || !this.want.has(id)) return;
    if (this.seen.has(id)) {
      this.duplicates++;
      return;
    }
    const now = performance.now();
    this.seen.add(id);
    if (this.seen.size === 1) this.firstAt = now;
    if (this.seen.size === this.want.size) this.allAt = now;
    changes.notify();
  }

  /** At the end of every partition: anything printed from now on was committed after this. */
  async ready(timeoutMs: number): Promise<void> {
    const ok = await changes.until(() => this.eof.size >= PARTITIONS || this.proc?.exit != null, performance.now() + timeoutMs);
    if (!ok || this.proc?.exit)
      throw new Error(
        `kcat did not reach the end of ${this.topic} (${this.eof.size}/${PARTITIONS} partitions)${this.lastError ? `: ${this.lastError}` : ''}`,
      );
  }

  async stop(): Promise<void> {
    if (this.proc) await stopGroup(this.proc, 5_000);
  }
}

// ---------------------------------------------------------------- MySQL and Kafka set-up

const database = `bench_startup_${invocation}`;
const relayUser = `bstart_${invocation}`;
const relayPassword = randomBytes(9).toString('hex');
const tableOf = (v: Variant): string => `outbox_${v.name.replace(/-/g, '_')}`;
const prefixOf = (v: Variant): string => `bstart-${invocation}-${v.name}`;
const topicOf = (v: Variant): string => `${prefixOf(v)}.${AGGREGATE_TYPE}`;

function adminConnection(db?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: adminUrl.hostname,
    port: Number(adminUrl.port || 3306),
    user: decodeURIComponent(adminUrl.username),
    password: decodeURIComponent(adminUrl.password),
    ...(db ? { database: db } : {}),
  });
}

/** The outbox table as docs/relay.md's wire contract and the migrations define it (copied: the harness imports nothing of Lockstep). */
const outboxDdl = (table: string): string => `CREATE TABLE \`${table}\` (
  id BINARY(16) NOT NULL,
  aggregate_type VARCHAR(255) NOT NULL,
  aggregate_id VARCHAR(255) NOT NULL,
  event_type VARCHAR(255) NOT NULL,
  payload LONGBLOB NOT NULL,
  headers TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY \`${table}_created_at\` (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

const checkpointDdl = `CREATE TABLE \`${CHECKPOINT_TABLE}\` (
  relay_name VARCHAR(191) NOT NULL,
  gtid_set TEXT NOT NULL,
  binlog_file VARCHAR(255) NULL,
  binlog_position BIGINT NULL,
  last_event_id BINARY(16) NULL,
  last_event_created_at DATETIME(6) NULL,
  events_published BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (relay_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

let flavour: 'mariadb' | 'mysql' = 'mariadb';

async function setUp(variants: Variant[]): Promise<void> {
  const c = await adminConnection();
  try {
    const [[v]] = (await c.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    flavour = /mariadb/i.test(v.v) ? 'mariadb' : 'mysql';
    await c.query(`CREATE DATABASE \`${database}\``);
    await c.query(`USE \`${database}\``);
    for (const variant of variants) await c.query(outboxDdl(tableOf(variant)));
    await c.query(checkpointDdl);
    // The least-privilege relay user of scripts/sql/create-relay-user.sql, for every variant's table.
    await c.query(`CREATE USER '${relayUser}'@'%' IDENTIFIED BY '${relayPassword}'`);
    await c.query(
      `GRANT REPLICATION SLAVE, ${flavour === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT'} ON *.* TO '${relayUser}'@'%'`,
    );
    for (const variant of variants)
      await c.query(`GRANT SELECT ON \`${database}\`.\`${tableOf(variant)}\` TO '${relayUser}'@'%'`);
    await c.query(`GRANT SELECT, INSERT, UPDATE ON \`${database}\`.\`${CHECKPOINT_TABLE}\` TO '${relayUser}'@'%'`);
  } finally {
    await c.end();
  }
  // Event topics exist before the first run so kcat can be at their end before the relay starts
  // (the checkpoint topic is the relay's to create: that happens in the warm-up run).
  const admin = new Kafka({
    clientId: 'lockstep-bench-startup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: variants.map((v) => ({ topic: topicOf(v), numPartitions: PARTITIONS })),
    });
  } finally {
    await admin.disconnect();
  }
}

async function tearDown(variants: Variant[]): Promise<void> {
  if (KEEP) {
    log(
      `--keep: database ${database}, user ${relayUser}, topics ${variants.map((v) => `${prefixOf(v)}.*`).join(' ')} left in place`,
    );
    return;
  }
  try {
    const c = await adminConnection();
    try {
      await c.query(`DROP USER IF EXISTS '${relayUser}'@'%'`);
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await c.end();
    }
  } catch (error) {
    log(`could not drop ${database}/${relayUser}: ${(error as Error).message}`);
  }
  const admin = new Kafka({
    clientId: 'lockstep-bench-startup',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const prefixes = variants.map((v) => `${prefixOf(v)}.`);
    const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (topics.length) await admin.deleteTopics({ topics });
  } catch (error) {
    log(`could not delete the bench topics: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function uuidv7(): Buffer {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}
const uuidString = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Commits `EVENTS` rows in one transaction; returns the binlog position before them and their ids. */
async function writeEvents(variant: Variant): Promise<{ gtid: string; ids: string[]; lastId: Buffer }> {
  const c = await adminConnection(database);
  try {
    const [[row]] = (await c.query('SELECT @@GLOBAL.gtid_binlog_pos AS p')) as unknown as [[{ p: string }]];
    const ids: string[] = [];
    let lastId: Buffer = Buffer.alloc(0);
    await c.beginTransaction();
    for (let written = 0; written < EVENTS;) {
      const n = Math.min(500, EVENTS - written);
      const rows = Array.from({ length: n }, (_, i) => {
        const id = uuidv7();
        ids.push(uuidString(id));
        lastId = id;
        const seq = written + i;
        const head = `{"seq":${seq},"pad":"`;
        const payload = Buffer.from(`${head}${'x'.repeat(Math.max(0, PAYLOAD_BYTES - head.length - 2))}"}`, 'latin1');
        return [id, AGGREGATE_TYPE, `agg-${seq % 100}`, 'bench.started', payload, '{}', new Date()];
      });
      await c.query(
        `INSERT INTO \`${tableOf(variant)}\` (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at) VALUES ?`,
        [rows],
      );
      written += n;
    }
    await c.commit();
    return { gtid: String(row.p), ids, lastId };
  } finally {
    await c.end();
  }
}

/** The relay's checkpoint mirror names `lastId`: the last batch's post-commit work is done. */
async function waitForMirror(relayName: string, lastId: Buffer, deadline: number): Promise<boolean> {
  const c = await adminConnection(database);
  try {
    for (;;) {
      const [rows] = (await c.query(`SELECT last_event_id AS id FROM \`${CHECKPOINT_TABLE}\` WHERE relay_name = ?`, [
        relayName,
      ])) as unknown as [Array<{ id: Buffer | null }>];
      if (rows[0]?.id && Buffer.compare(rows[0].id, lastId) === 0) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 25)); // poll interval of a condition with a deadline
    }
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- one run

interface RunResult {
  variant: string;
  run: number;
  warmup: boolean;
  ok: boolean;
  note?: string;
  relayName: string;
  /** 1-minute load average when the relay was spawned (the machine is shared). */
  load1: number;
  startMs: number;
  firstOutputMs: number;
  allEventsMs: number;
  cpuMsAtFirstEvent: number;
  settledMirror: boolean;
  rssSettledMiB: number;
  peakRssMiB: number;
  treeProcesses: number;
  treeRssMiB: number;
  stopMs: number;
  killed: boolean;
  exitCode: number | null;
  exitSignal: string | null;
  events: number;
  seen: number;
  duplicates: number;
}

let serverIdSeq = 1_500_000_000 + Math.floor(Math.random() * 100_000_000);

/** A port nobody listens on right now (the relay binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function fill(s: string, vars: Record<string, string>): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

async function runOnce(variant: Variant, run: number, warmup: boolean): Promise<RunResult> {
  const relayName = REUSE_NAME
    ? `bstart-${invocation}-${variant.name}`
    : `bstart-${invocation}-${variant.name}-${warmup ? 'w' : 'r'}${run}`;
  const workDir = join(workRoot, `${variant.name}-${warmup ? 'w' : 'r'}${run}`);
  mkdirSync(workDir, { recursive: true });
  const { gtid, ids, lastId } = await writeEvents(variant);
  const reader = new KcatReader(topicOf(variant), new Set(ids));
  const result: RunResult = {
    variant: variant.name,
    run,
    warmup,
    ok: false,
    relayName,
    load1: NaN,
    startMs: NaN,
    firstOutputMs: NaN,
    allEventsMs: NaN,
    cpuMsAtFirstEvent: NaN,
    settledMirror: false,
    rssSettledMiB: NaN,
    peakRssMiB: NaN,
    treeProcesses: 0,
    treeRssMiB: NaN,
    stopMs: NaN,
    killed: false,
    exitCode: null,
    exitSignal: null,
    events: ids.length,
    seen: 0,
    duplicates: 0,
  };
  let relay: Child | null = null;
  try {
    reader.start(join(workDir, 'kcat.log'));
    await reader.ready(30_000);
    const vars: Record<string, string> = {
      mysqlUrl: `mysql://${relayUser}:${relayPassword}@${adminUrl.hostname}:${adminUrl.port || 3306}/${database}`,
      brokers,
      database,
      table: tableOf(variant),
      topicPrefix: prefixOf(variant),
      relayName,
      serverId: String(serverIdSeq++),
      initialGtid: gtid,
      httpPort: String(HTTP ? await freePort() : 0),
    };
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LOCKSTEP_')));
    Object.assign(env, {
      NO_COLOR: '1',
      LOCKSTEP_MYSQL_URL: vars.mysqlUrl,
      LOCKSTEP_KAFKA_BROKERS: brokers,
      LOCKSTEP_RELAY_NAME: relayName,
      LOCKSTEP_RELAY_SERVER_ID: vars.serverId,
      LOCKSTEP_OUTBOX_DATABASE: database,
      LOCKSTEP_OUTBOX_TABLE: vars.table,
      LOCKSTEP_RELAY_CHECKPOINT_TABLE: CHECKPOINT_TABLE,
      LOCKSTEP_TOPIC_PREFIX: vars.topicPrefix,
      LOCKSTEP_TOPIC_PARTITIONS: String(PARTITIONS),
      LOCKSTEP_RELAY_INITIAL_GTID: gtid,
      LOCKSTEP_RELAY_HTTP_PORT: vars.httpPort,
    });
    for (const [k, v] of Object.entries(variant.env)) env[k] = fill(v, vars);
    const [cmd, ...args] = variant.command.map((w) => fill(w, vars));
    result.load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const t0 = performance.now();
    relay = spawnGroup(cmd === 'node' ? process.execPath : cmd, args, {
      cwd: variant.cwd,
      env,
      logFile: join(workDir, 'relay.log'),
    });
    const r = relay;
    const deadline = t0 + FIRST_EVENT_TIMEOUT_MS;
    await changes.until(() => !Number.isNaN(reader.firstAt) || r.exit !== null, deadline);
    if (Number.isNaN(reader.firstAt)) {
      result.note = r.exit
        ? `relay exited (${r.exit.code ?? r.exit.signal}) before the first event; log ${workDir}/relay.log`
        : `no event within ${FIRST_EVENT_TIMEOUT_MS} ms; log ${workDir}/relay.log`;
      return result;
    }
    result.cpuMsAtFirstEvent = cpuMsOf(processTree(r.pid));
    result.startMs = reader.firstAt - t0;
    result.firstOutputMs = r.firstOutputAt - t0;
    if (
      !(await changes.until(() => !Number.isNaN(reader.allAt) || r.exit !== null, performance.now() + FIRST_EVENT_TIMEOUT_MS)) ||
      Number.isNaN(reader.allAt)
    ) {
      result.note = `${reader.seen.size}/${ids.length} events seen${r.exit ? `; relay exited (${r.exit.code ?? r.exit.signal})` : ''}`;
    } else {
      result.allEventsMs = reader.allAt - t0;
      result.settledMirror = await waitForMirror(relayName, lastId, performance.now() + SETTLE_TIMEOUT_MS);
      if (!result.settledMirror)
        result.note = `checkpoint mirror did not name the last event within ${SETTLE_TIMEOUT_MS} ms (RSS read anyway)`;
    }
    if (r.exit === null) {
      const mem = treeMemory(r.pid);
      result.rssSettledMiB = mem.relay?.rssMiB ?? NaN;
      result.peakRssMiB = mem.relay?.hwmMiB ?? NaN;
      result.treeProcesses = mem.processes;
      result.treeRssMiB = mem.treeRssMiB;
    }
    result.ok = !Number.isNaN(reader.allAt) && r.exit === null;
    return result;
  } catch (error) {
    result.note = (error as Error).message;
    return result;
  } finally {
    if (relay) {
      const stop = await stopGroup(relay, STOP_TIMEOUT_MS);
      result.stopMs = stop.stopMs;
      result.killed = stop.killed;
      result.exitCode = relay.exit?.code ?? null;
      result.exitSignal = relay.exit?.signal ?? null;
    }
    await reader.stop();
    result.seen = reader.seen.size;
    result.duplicates = reader.duplicates;
    if (result.duplicates > 0) result.note = `${result.note ? `${result.note}; ` : ''}${result.duplicates} duplicates seen`;
  }
}

// ---------------------------------------------------------------- report

interface Summary {
  variant: string;
  runs: number;
  ok: number;
  startMs: Spread;
  cpuMsAtFirstEvent: Spread;
  firstOutputMs: Spread;
  allEventsMs: Spread;
  peakRssMiB: Spread;
  rssSettledMiB: Spread;
  stopMs: Spread;
  exits: string;
}

function summarise(variant: Variant, results: RunResult[]): Summary {
  const rs = results.filter((r) => r.variant === variant.name && !r.warmup);
  const ok = rs.filter((r) => r.ok);
  const exits = new Map<string, number>();
  for (const r of rs) {
    const e = `${r.exitCode ?? r.exitSignal ?? '?'}${r.killed ? ' (SIGKILL)' : ''}`;
    exits.set(e, (exits.get(e) ?? 0) + 1);
  }
  return {
    variant: variant.name,
    runs: rs.length,
    ok: ok.length,
    startMs: spread(ok.map((r) => r.startMs)),
    cpuMsAtFirstEvent: spread(ok.map((r) => r.cpuMsAtFirstEvent)),
    firstOutputMs: spread(ok.map((r) => r.firstOutputMs)),
    allEventsMs: spread(ok.map((r) => r.allEventsMs)),
    peakRssMiB: spread(ok.map((r) => r.peakRssMiB)),
    rssSettledMiB: spread(ok.map((r) => r.rssSettledMiB)),
    stopMs: spread(ok.map((r) => r.stopMs)),
    exits: [...exits].map(([e, n]) => `${e} ×${n}`).join(', '),
  };
}

const ratio = (x: number, base: number): string =>
  Number.isFinite(x) && Number.isFinite(base) && base > 0 ? (x / base).toFixed(2) : 'n/a';

function report(
  variants: Variant[],
  summaries: Summary[],
  results: RunResult[],
  startedAt: Date,
  machine: Record<string, string>,
): string {
  const base = summaries[0];
  const p: string[] = [];
  p.push(`# Relay start-up — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${LABEL ? ` (${LABEL})` : ''}`);
  p.push('');
  p.push(
    `Spawn -> first of ${EVENTS} committed outbox events (${PAYLOAD_BYTES} B, one source transaction) visible to kcat \`read_committed\`;`,
  );
  p.push(`peak RSS = VmHWM of the relay process after all events were published and mirrored, just before SIGTERM.`);
  p.push(
    `${RUNS} measured run(s) per variant (+${WARMUP} warm-up, discarded), variants interleaved; relay HTTP server ${HTTP ? 'on (a free port per run)' : 'off (port 0)'}; ${REUSE_NAME ? 'one relay name per variant (restart from its checkpoint)' : 'a fresh relay name per run (no checkpoint: starts at the binlog position before the events)'}.`,
  );
  p.push(
    `${machine.cpus}, ${machine.memory}, Node ${machine.node}, load at start ${machine.load_at_start}; shared machine, medians (min–max); ratios vs \`${base.variant}\`.`,
  );
  p.push('');
  p.push(
    '| variant | ok | start ms | ratio | CPU ms to first event | ratio | peak RSS MiB | ratio | RSS settled MiB | stop ms | exit |',
  );
  p.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of summaries) {
    p.push(
      `| ${s.variant} | ${s.ok}/${s.runs} | ${fmtSpread(s.startMs)} | ${ratio(s.startMs.median, base.startMs.median)} | ${fmtSpread(s.cpuMsAtFirstEvent)} | ${ratio(s.cpuMsAtFirstEvent.median, base.cpuMsAtFirstEvent.median)} | ${fmtSpread(s.peakRssMiB, 1)} | ${ratio(s.peakRssMiB.median, base.peakRssMiB.median)} | ${fmtSpread(s.rssSettledMiB, 1)} | ${fmtSpread(s.stopMs)} | ${s.exits} |`,
    );
  }
  p.push('');
  p.push('Variants:');
  p.push('');
  for (const v of variants) {
    const env = Object.entries(v.env)
      .map(([k, val]) => `${k}=${val} `)
      .join('');
    p.push(`- \`${v.name}\`: \`${env}${v.command.join(' ')}\` in \`${v.cwd}\`${gitHead(v.cwd)}`);
  }
  p.push('');
  p.push('Per run (start ms / CPU ms / peak RSS MiB):');
  p.push('');
  for (const v of variants) {
    const rs = results.filter((r) => r.variant === v.name && !r.warmup);
    p.push(
      `- \`${v.name}\`: ${rs.map((r) => (r.ok ? `${fmt(r.startMs)}/${fmt(r.cpuMsAtFirstEvent)}/${fmt(r.peakRssMiB, 1)}` : `failed (${r.note ?? '?'})`)).join(', ')}`,
    );
  }
  const notes = results.filter((r) => r.note);
  if (notes.length) {
    p.push('');
    p.push('Notes:');
    p.push('');
    for (const r of notes) p.push(`- ${r.variant} ${r.warmup ? 'warm-up' : 'run'} ${r.run}: ${r.note}`);
  }
  p.push('');
  p.push(`Generated by \`bench/relay-startup.bench.ts ${argv.join(' ')}\`.`);
  p.push('');
  return p.join('\n');
}

function gitHead(cwd: string): string {
  try {
    const r = readFileSync(join(cwd, '.git'), 'utf8'); // a worktree: "gitdir: …"
    const dir = /gitdir: (.*)/.exec(r)?.[1]?.trim();
    const head = dir ? readFileSync(join(dir, 'HEAD'), 'utf8').trim() : '';
    return /^[0-9a-f]{40}$/.test(head) ? ` (detached at ${head.slice(0, 7)})` : '';
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- main

let activeVariants: Variant[] = [];

async function main(): Promise<void> {
  const variants = parseVariants();
  activeVariants = variants;
  const startedAt = new Date();
  const machine = describeMachine();
  log(
    `${variants.length} variant(s), ${WARMUP} warm-up + ${RUNS} runs each, ${EVENTS} events per run; database ${database}, work dir ${workRoot}`,
  );
  const results: RunResult[] = [];
  const skip = new Set<string>();
  await setUp(variants);
  try {
    const one = async (v: Variant, run: number, warmup: boolean): Promise<void> => {
      if (skip.has(v.name)) return;
      const r = await runOnce(v, run, warmup);
      results.push(r);
      log(
        `${v.name} ${warmup ? 'warm-up' : 'run'} ${run}: ${r.ok ? `start ${fmt(r.startMs)} ms, CPU ${fmt(r.cpuMsAtFirstEvent)} ms, peak RSS ${fmt(r.peakRssMiB, 1)} MiB, settled ${fmt(r.rssSettledMiB, 1)} MiB, stop ${fmt(r.stopMs)} ms, exit ${r.exitCode ?? r.exitSignal}` : 'FAILED'}${r.note ? ` (${r.note})` : ''}`,
      );
      if (warmup && !r.ok) {
        skip.add(v.name);
        log(`${v.name}: warm-up failed, variant skipped`);
      }
    };
    for (let w = 0; w < WARMUP; w++) for (const v of variants) await one(v, w + 1, true);
    for (let run = 0; run < RUNS; run++) {
      const order = variants.map((_, i) => variants[(i + run) % variants.length]);
      for (const v of order) await one(v, run + 1, false);
    }
  } finally {
    killAllGroups();
    await tearDown(variants);
  }
  machine.load_at_end = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const summaries = variants.map((v) => summarise(v, results));
  const md = report(variants, summaries, results, startedAt, machine);
  process.stdout.write(md);
  if (WRITE) {
    mkdirSync(resultsDir, { recursive: true });
    let stem = `${resultsDir}/${startedAt.toISOString().slice(0, 10)}-relay-startup${LABEL ? `-${LABEL.replace(/[^A-Za-z0-9_-]/g, '-')}` : ''}`;
    if (existsSync(`${stem}.md`)) stem = `${stem}-${startedAt.toISOString().slice(11, 16).replace(':', '')}`;
    writeFileSync(`${stem}.md`, md);
    writeFileSync(
      `${stem}.json`,
      `${JSON.stringify(
        {
          bench: 'relay-startup',
          startedAt: startedAt.toISOString(),
          seconds: (Date.now() - startedAt.getTime()) / 1000,
          argv,
          settings: {
            runs: RUNS,
            warmup: WARMUP,
            events: EVENTS,
            payloadBytes: PAYLOAD_BYTES,
            partitions: PARTITIONS,
            reuseName: REUSE_NAME,
            http: HTTP,
            reader: 'kcat -C isolation.level=read_committed fetch.wait.max.ms=10',
          },
          machine,
          variants: variants.map((v) => ({ ...v, git: gitHead(v.cwd).trim() || undefined })),
          summaries,
          runs: results,
        },
        null,
        2,
      )}\n`,
    );
    log(`wrote ${stem}.md and ${stem}.json`);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllGroups();
    log(`${sig}: relays stopped, dropping the bench database, user and topics`);
    void tearDown(activeVariants).finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    killAllGroups();
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

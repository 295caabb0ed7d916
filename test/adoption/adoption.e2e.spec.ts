import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayUser, createTestDatabase, readAllCommitted, testKafka, waitFor, type ReadRecord } from '@lockstep/testing';
import { repoRoot } from '../docs/doc-snippets.js';
import {
  builtMain,
  createNestApp,
  describeGeneratedApp,
  EXTRA_TYPESCRIPTS,
  installArgsFromDoc,
  npmEnv,
  packPackages,
  typecheck,
  writeDocFiles,
  type ModuleSystem,
} from './adoption-app.js';
import { freePort, run, startService, type Service } from './processes.js';

/**
 * Adopting Lockstep as a NestJS team would (docs/adopting.md), end to end:
 *
 * 1. `npm run pack`: build every package and `npm pack` it.
 * 2. A new Nest app in a temporary folder outside the repository: `nest new` (ESM, its default)
 *    and a CommonJS app (the other answer to its module-system prompt).
 * 3. `npm install` of the doc's install line: the packed tarballs plus public packages from the
 *    registry. No path alias, no TypeScript loader, no file of the repository.
 * 4. The doc's files written into the app, exactly as the doc shows them.
 * 5. `tsc --noEmit`, strict (strictPropertyInitialization too), with the TypeScript `nest new`
 *    installs (6.0.3 today) and with 5.9.3 and 7.0.2 (`npm install typescript` today); then
 *    `npm run build` (`nest build`, which refuses TypeScript 7: no compiler API before 7.1).
 * 6. `npx lockstep migrate`, `node_modules/.bin/lockstep relay` (a least-privilege relay user) and the app
 *    (`node dist/main.js`) against the test MariaDB and Kafka, in a database and with a topic
 *    prefix of their own.
 * 7. Orders placed and paid through the app's HTTP endpoint (and refused ones), then: kcat
 *    (`read_committed`) holds every committed event exactly once, nothing else; the read model
 *    equals the source; the inbox holds each event once; the chained event the handler records
 *    arrives once too; /health is up, /metrics counts the applied events; SIGTERM stops the app and
 *    the relay with exit code 0.
 *
 * The temporary folder stays on disk when a step fails (its path is printed), for a look at the app.
 */

const MODULE_SYSTEMS: ModuleSystem[] = (process.env.LOCKSTEP_ADOPTION_MODULES ?? 'esm,cjs')
  .split(',')
  .map((m) => m.trim() as ModuleSystem);

describe('adopting Lockstep in a new Nest app (docs/adopting.md)', () => {
  const work = mkdtempSync(join(tmpdir(), 'lockstep-adoption-'));
  let tarballs: Map<string, string>;
  let failed = false;

  beforeAll(async () => {
    if (work.startsWith(repoRoot)) throw new Error(`${work} is inside the repository`);
    // LOCKSTEP_ADOPTION_PACKAGES=<dir of .tgz> reuses packed packages (e.g. re-running after a fix in the test)
    tarballs = await packPackages(process.env.LOCKSTEP_ADOPTION_PACKAGES ?? join(work, 'packages'), {
      reuse: process.env.LOCKSTEP_ADOPTION_PACKAGES !== undefined,
    });
  }, 600_000);

  afterAll(() => {
    if (failed) console.log(`[adoption] kept ${work} for inspection`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('npm run pack produced a tarball of every package the doc installs: its build, README, no tests', async () => {
    expect([...tarballs.keys()].sort()).toEqual(
      expect.arrayContaining(['@lockstep/cli', '@lockstep/consumer', '@lockstep/core', '@lockstep/outbox', '@lockstep/relay']),
    );
    for (const [name, tarball] of tarballs) {
      const files = (await run('tar', ['-tzf', tarball], { cwd: work, timeoutMs: 30_000 })).output.split('\n').filter(Boolean);
      expect(files, name).toEqual(
        expect.arrayContaining(['package/package.json', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']),
      );
      expect(
        files.filter((f) => /\.spec\.|tsbuildinfo|(^|\/)(test|libs|node_modules)\//.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it.each(MODULE_SYSTEMS)(
    '%s app: installs from the tarballs, compiles the doc strictly, and every event arrives exactly once',
    async (moduleSystem) => {
      try {
        await adoptAndRun(moduleSystem);
      } catch (error) {
        failed = true;
        throw error;
      }
    },
    1_200_000,
  );

  async function adoptAndRun(moduleSystem: ModuleSystem): Promise<void> {
    const started = Date.now();
    const step = (what: string): void =>
      console.log(`[adoption ${moduleSystem}] ${((Date.now() - started) / 1000).toFixed(0)} s: ${what}`);

    // 2. the app
    const appDir = await createNestApp(join(work, moduleSystem), `shop-${moduleSystem}`, moduleSystem);
    const generated = describeGeneratedApp(appDir);
    step(
      `created: package.json type=${generated.packageType ?? '(none: CommonJS)'}, TypeScript ${generated.typescript}, module ${generated.tsModule}`,
    );
    expect(generated.packageType).toBe(moduleSystem === 'esm' ? 'module' : undefined);
    expect(generated.strict).toBe(true);

    // 3. install as the doc says
    await run('npm', ['install', ...installArgsFromDoc(tarballs)], { cwd: appDir, env: npmEnv(), timeoutMs: 600_000 });
    step('installed');

    // 4. the doc's files
    const files = writeDocFiles(appDir);
    expect(files).toEqual(expect.arrayContaining(['src/main.ts', 'src/app.module.ts']));

    // 5. compile, strict, with each TypeScript; build
    const versions = [await typecheck(appDir)];
    for (const ts of EXTRA_TYPESCRIPTS) versions.push(await typecheck(appDir, ts));
    step(`type-checked with ${versions.join(', ')}`);
    expect(versions[0]).toContain(generated.typescript);
    expect(versions.slice(1).map((v) => v.replace(/^Version /, ''))).toEqual(EXTRA_TYPESCRIPTS.map((t) => t.split('@')[1]));
    await run('npm', ['run', 'build'], { cwd: appDir, env: npmEnv(), timeoutMs: 300_000 });
    const main = builtMain(appDir);
    step('built');

    // the app's own test runner on the doc's handler test (and nest new's generated spec)
    const tests = await run('npm', ['test'], {
      cwd: appDir,
      env: npmEnv({ CI: 'true' }),
      timeoutMs: 300_000,
      allowFailure: true,
    });
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (moduleSystem === 'cjs' && (major < 24 || (major === 24 && minor < 9))) {
      // What docs/adopting.md says ("Testing a CommonJS app with Jest"): Jest loads ES modules
      // through require() only on Node >= 24.9; before, NestJS 12's own generated spec fails too.
      expect(tests.code, tests.output).not.toBe(0);
      expect(tests.output).toMatch(/Must use import to load ES Module: .*node_modules\/@nestjs\//);
      step(`npm test (Jest): fails on Node ${process.versions.node} as the doc says`);
    } else {
      expect(tests.code, tests.output).toBe(0);
      expect(tests.output).toMatch(/customer-totals\.handler\.spec\.ts/);
      step("npm test passed (the doc's handler test included)");
    }

    // 6. servers: a database, a relay user and a topic prefix of its own
    const db = await createTestDatabase('adopt');
    let relayUser: Awaited<ReturnType<typeof createRelayUser>> | undefined;
    const prefix = `adopt-${moduleSystem}-${randomBytes(3).toString('hex')}`;
    const consumerName = `${prefix}-customer-totals`;
    const topics = { order: `${prefix}.order`, customer: `${prefix}.customer`, checkpoints: `${prefix}.relay-checkpoints` };
    const services: Service[] = [];
    try {
      const common = {
        LOCKSTEP_KAFKA_BROKERS: process.env.LOCKSTEP_KAFKA_BROKERS ?? '127.0.0.1:9092',
        LOCKSTEP_TOPIC_PREFIX: prefix,
      };
      const migrate = await run('npx', ['--no-install', 'lockstep', 'migrate'], {
        cwd: appDir,
        env: npmEnv({ ...common, LOCKSTEP_MYSQL_URL: db.url }),
        timeoutMs: 120_000,
      });
      expect(migrate.output).toMatch(/migration\(s\) applied/);
      const again = await run('npx', ['--no-install', 'lockstep', 'migrate'], {
        cwd: appDir,
        env: npmEnv({ ...common, LOCKSTEP_MYSQL_URL: db.url }),
        timeoutMs: 120_000,
      });
      expect(again.output).toMatch(/up to date/);
      relayUser = await createRelayUser(db); // its grants name the tables migrate created
      // the doc's `npx lockstep doctor`, as the relay's user: server settings, grants, broker transactions
      const doctor = await run('npx', ['--no-install', 'lockstep', 'doctor'], {
        cwd: appDir,
        env: npmEnv({ ...common, LOCKSTEP_MYSQL_URL: relayUser.url }),
        timeoutMs: 120_000,
        allowFailure: true,
      });
      expect(doctor.code, doctor.output).toBe(0);

      const relayPort = await freePort();
      // As docs/adopting.md says to run it in production: the installed bin itself, not through
      // npx, which (npm 11) neither passes SIGTERM on nor returns the relay's exit code.
      const relay = startService(`relay (${moduleSystem})`, join(appDir, 'node_modules', '.bin', 'lockstep'), ['relay'], {
        cwd: appDir,
        env: npmEnv({
          ...common,
          LOCKSTEP_MYSQL_URL: relayUser.url,
          LOCKSTEP_RELAY_NAME: prefix,
          LOCKSTEP_RELAY_INITIAL_POSITION: 'current', // the shared test server's binlog is long; this relay's events all come later
          LOCKSTEP_RELAY_HTTP_PORT: String(relayPort),
        }),
      });
      services.push(relay);
      await waitFor(
        'the relay to report healthy (leader, publishing)',
        async () => (await fetch(`http://127.0.0.1:${relayPort}/health`)).ok,
        { timeoutMs: 90_000, intervalMs: 200 },
      );
      step('relay publishing');

      const appPort = await freePort();
      const app = startService(`app (${moduleSystem})`, process.execPath, [main], {
        cwd: appDir,
        env: npmEnv({ ...common, LOCKSTEP_MYSQL_URL: db.url, PORT: String(appPort) }),
      });
      services.push(app);
      const base = `http://127.0.0.1:${appPort}`;
      await waitFor('the app to answer HTTP', async () => (await fetch(`${base}/`)).ok, { timeoutMs: 90_000, intervalMs: 200 });
      step('app answering');

      // 7. writes through the app
      const customers = ['c-1', 'c-2', 'c-3'];
      const placed: Array<{ id: string; customerId: string; totalCents: number }> = [];
      for (let i = 0; i < 12; i++) {
        const body = { customerId: customers[i % 3], totalCents: 100 * (i + 1) + 7 };
        const res = await fetch(`${base}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(201);
        placed.push({ id: ((await res.json()) as { id: string }).id, ...body });
      }
      const paid = placed.filter((_, i) => i % 2 === 0);
      for (const o of paid) expect((await fetch(`${base}/orders/${o.id}/pay`, { method: 'POST' })).status).toBe(204);
      // refused requests record nothing: an invalid body (400), paying twice (409)
      expect(
        (
          await fetch(`${base}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ customerId: 'c-1', totalCents: 0 }),
          })
        ).status,
      ).toBe(400);
      expect((await fetch(`${base}/orders/${paid[0].id}/pay`, { method: 'POST' })).status).toBe(409);
      step(`${placed.length} orders placed, ${paid.length} paid`);

      const admin = await db.admin();
      try {
        // the consumer applied every event of the order topic (12 placed + 6 paid) ...
        const expectedApplied = placed.length + paid.length;
        await waitFor(
          `${expectedApplied} events in the inbox of ${consumerName}`,
          async () =>
            (await count(admin, 'SELECT COUNT(*) AS n FROM lockstep_inbox WHERE consumer = ?', [consumerName])) >=
            expectedApplied,
          { timeoutMs: 120_000, intervalMs: 250 },
        );
        // ... and the relay published the loyalty events its handler recorded (one per payment)
        await waitFor(
          `${paid.length} LoyaltyPointsEarned events readable in ${topics.customer}`,
          async () => (await readAllCommitted([topics.customer])).length >= paid.length,
          { timeoutMs: 120_000, intervalMs: 500 },
        );
        step('applied and published');

        // Kafka, read by kcat read_committed: each outbox event exactly once, nothing else
        const outbox = await admin.query<mysql.RowDataPacket[]>(
          "SELECT LOWER(CONCAT_WS('-', HEX(SUBSTR(id,1,4)), HEX(SUBSTR(id,5,2)), HEX(SUBSTR(id,7,2)), HEX(SUBSTR(id,9,2)), HEX(SUBSTR(id,11,6)))) AS id, aggregate_type, event_type FROM lockstep_outbox",
        );
        const rows = outbox[0] as Array<{ id: string; aggregate_type: string; event_type: string }>;
        expect(rows.filter((r) => r.event_type === 'order.placed')).toHaveLength(placed.length);
        expect(rows.filter((r) => r.event_type === 'order.paid')).toHaveLength(paid.length);
        expect(rows.filter((r) => r.event_type === 'customer.loyalty-points-earned')).toHaveLength(paid.length);
        expect(rows).toHaveLength(placed.length + 2 * paid.length);

        const records = await readAllCommitted([topics.order, topics.customer]);
        expect(
          exactlyOnce(
            records,
            rows.map((r) => r.id),
          ),
        ).toEqual({ missing: [], duplicates: [], unexpected: [] });
        expect(records.filter((r) => r.topic === topics.customer).map((r) => r.headers['lockstep-type'])).toEqual(
          paid.map(() => 'customer.loyalty-points-earned'),
        );
        // per order: placed before paid, both keyed by the order id
        for (const o of paid) {
          const ofOrder = records
            .filter((r) => r.topic === topics.order && r.key === o.id)
            .map((r) => r.headers['lockstep-type']);
          expect(ofOrder).toEqual(['order.placed', 'order.paid']);
        }

        // the read model equals the source (sums: applied twice, they would be off)
        const totals = (
          await admin.query<mysql.RowDataPacket[]>(
            'SELECT customer_id, orders_placed, cents_placed, cents_paid FROM customer_totals ORDER BY customer_id',
          )
        )[0];
        const expected = customers.map((c) => ({
          customer_id: c,
          orders_placed: placed.filter((o) => o.customerId === c).length,
          cents_placed: String(placed.filter((o) => o.customerId === c).reduce((s, o) => s + o.totalCents, 0)),
          cents_paid: String(paid.filter((o) => o.customerId === c).reduce((s, o) => s + o.totalCents, 0)),
        }));
        expect(totals.map((t) => ({ ...t, cents_placed: String(t.cents_placed), cents_paid: String(t.cents_paid) }))).toEqual(
          expected,
        );
        expect(await count(admin, 'SELECT COUNT(*) AS n FROM lockstep_inbox WHERE consumer = ?', [consumerName])).toBe(
          expectedApplied,
        );
        expect(await count(admin, "SELECT COUNT(*) AS n FROM orders WHERE status = 'paid'")).toBe(paid.length);
      } finally {
        await admin.end();
      }

      // health and metrics without code of the app's own beyond the doc's controller
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(appliedCount(metrics, consumerName)).toBe(placed.length + paid.length);
      step('health up, metrics counted');

      // Graceful stop. Nest's shutdown hooks close the app, then raise the signal again, so a
      // clean stop ends by SIGTERM; the consumer must have left its Kafka group on the way (a
      // killed member would stay in it until its session timed out, 10 s).
      expect(await app.terminate(30_000)).toEqual({ code: null, signal: 'SIGTERM' });
      const kafkaAdmin = testKafka().admin();
      await kafkaAdmin.connect();
      try {
        const { groups } = await kafkaAdmin.describeGroups([consumerName]);
        expect(groups[0]?.members ?? []).toEqual([]);
      } finally {
        await kafkaAdmin.disconnect();
      }
      // the relay (`lockstep relay`) finishes its Kafka transaction, releases its lock, exits 0
      expect(await relay.terminate(30_000)).toEqual({ code: 0, signal: null });
      step('stopped');
    } catch (error) {
      for (const s of services) console.log(`[adoption ${moduleSystem}] ${s.name} output tail:\n${s.output().slice(-3000)}`);
      throw error;
    } finally {
      await Promise.allSettled(services.map((s) => s.terminate(15_000)));
      await relayUser?.dropUser();
      await db.drop();
      const admin = testKafka().admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topics.order, topics.customer, topics.checkpoints] }).catch(() => undefined);
      await admin.disconnect();
    }
  }
});

async function count(c: mysql.Connection, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = await c.query<mysql.RowDataPacket[]>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

function exactlyOnce(
  records: ReadRecord[],
  expectedIds: string[],
): { missing: string[]; duplicates: string[]; unexpected: string[] } {
  const seen = new Map<string, number>();
  for (const r of records) {
    const id = r.headers['lockstep-id'] ?? '(no lockstep-id)';
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const expected = new Set(expectedIds);
  return {
    missing: expectedIds.filter((id) => !seen.has(id)),
    duplicates: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: [...seen.keys()].filter((id) => !expected.has(id)),
  };
}

/** Sum of `lockstep_consumer_events_total{consumer=…,outcome="applied"}` in Prometheus text. */
function appliedCount(metrics: string, consumer: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (
      line.startsWith('lockstep_consumer_events_total{') &&
      line.includes(`consumer="${consumer}"`) &&
      line.includes('outcome="applied"')
    ) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

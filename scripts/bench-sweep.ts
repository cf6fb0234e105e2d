/**
 * `npm run bench:sweep` (issue 3): how the clock scales. Prints figures, asserts nothing.
 *
 * 1. Loads 100,000 and then 1,000,000 tickets (10 % open, open ones with next_check_at
 *    spread over the next 30 days, 1,000 of them due now) into a fresh MariaDB database,
 *    prints the EXPLAIN of the sweep's query and times the query that finds the due tickets
 *    (the full keyset walk, as the sweep does it). Then 10,000 due at 1,000,000: the time
 *    should follow the number of due tickets, not the size of the table.
 * 2. Schedules 10,000 deadline timers due within the next minute (sign-for deadlines of
 *    dispatched tickets) on bull with one worker, and prints how late each fired
 *    (start of its check − deadline): p50, p99, max; and how long the checks took.
 *
 * Environment: DATABASE_URL (server; a database `bench_sweep_<time>` is created and dropped;
 * default mysql://root@127.0.0.1:3306), REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_TICKETS (default 1000000), BENCH_TIMERS (default 10000), BENCH_TIMER_WINDOW_S
 * (default 60), BENCH_CONCURRENCY (checks in parallel in the worker, default 8), BENCH_KEEP=1
 * keeps the database.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { boot } from '../src/boot';
import { createLogger } from '../src/logger';
import { dueTicketsQuery, SweepCursor } from '../src/jobs/sweep';
import { startWorkers } from '../src/jobs/runner';
import { bullTimers } from '../src/jobs/timers';
import { createQueueFactory } from '../src/jobs/queue';

const out = (s = '') => process.stdout.write(`${s}\n`);
const env = process.env;
const SERVER = env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOTAL = Number(env.BENCH_TICKETS ?? 1_000_000);
const TIMERS = Number(env.BENCH_TIMERS ?? 10_000);
const WINDOW_S = Number(env.BENCH_TIMER_WINDOW_S ?? 60);
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 8);
const DAY = 86_400_000;

/** A UUID-shaped id that sorts in loading order. */
const benchId = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (n: number) => n.toLocaleString('en-US');

async function main() {
  const dbName = `bench_sweep_${Date.now().toString(36)}`;
  const server = new URL(SERVER);
  const admin = await createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) });
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(SERVER);
  url.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-sweep-'));
  const deps = await boot(
    {
      DATABASE_URL: url.toString(),
      REDIS_URL: REDIS,
      QUEUE_PREFIX: `{bench-${Date.now().toString(36)}}`,
      JWT_SECRET: 'bench-secret-bench-secret-bench',
      EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'warn',
      MIGRATE_ON_START: '1',
      DATA_DIR: dataDir,
      BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-pw',
    },
    { log: createLogger('warn') },
  );
  const db = deps.db;
  out(`database ${dbName}; MariaDB ${(await db.query('SELECT VERSION() AS v'))[0].v}`);
  try {
    const now = new Date();
    let loaded = 0;
    const cols =
      'id, number, kind, channel, priority, state, cycle, department_code, title, description, anonymous, received_at, cycle_started_at, routing_clock_start, sign_by, reply_by, red_by, deadlines_provisional, next_check_at, escalation_level, closed_at, version, created_at, updated_at';
    const sqlTime = (d: Date) => d.toISOString().slice(0, 23).replace('T', ' ');
    /** Inserts `n` tickets: `open` of them in_progress (with `due` already due), the rest closed. */
    const load = async (n: number, open: number, due: number) => {
      const started = Date.now();
      const batch = 2000;
      for (let i = 0; i < n; i += batch) {
        const values: string[] = [];
        for (let j = i; j < Math.min(n, i + batch); j++) {
          const k = loaded + j;
          const isOpen = j < open;
          const isDue = j < due;
          const created = new Date(now.getTime() - 60 * DAY + (k % 50_000) * 1000);
          const next = isDue ? new Date(now.getTime() - 3_600_000 - (j % 3600) * 1000) : isOpen ? new Date(now.getTime() + 3_600_000 + ((k * 7919) % (30 * 86_400)) * 1000) : null;
          const reply = next ?? created;
          // ids in insertion order keep the clustered index appending while loading (the service uses random UUIDs)
          values.push(
            `('${benchId(k)}','B${k}','complaint','hotline','normal','${isOpen ? 'in_progress' : 'closed'}',1,'TAX','bench','bench',0,'${sqlTime(created)}','${sqlTime(created)}','${sqlTime(created)}',NULL,'${sqlTime(reply)}','${sqlTime(new Date(reply.getTime() + 7 * DAY))}',0,${next ? `'${sqlTime(next)}'` : 'NULL'},0,${isOpen ? 'NULL' : `'${sqlTime(created)}'`},1,'${sqlTime(created)}','${sqlTime(created)}')`,
          );
        }
        await db.query(`INSERT INTO ticket (${cols}) VALUES ${values.join(',')}`);
      }
      loaded += n;
      await db.query('ANALYZE TABLE ticket');
      return Date.now() - started;
    };
    const findDue = async () => {
      let after: SweepCursor | null = null;
      let n = 0;
      const started = process.hrtime.bigint();
      for (;;) {
        const rows: { id: string; at: unknown }[] = await dueTicketsQuery(db, new Date(), 500, after).getRawMany();
        n += rows.length;
        if (rows.length < 500) break;
        after = { at: rows[rows.length - 1].at, id: rows[rows.length - 1].id };
      }
      return { n, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const timeFind = async (label: string) => {
      const runs: number[] = [];
      let n = 0;
      for (let i = 0; i < 7; i++) {
        const r = await findDue();
        n = r.n;
        if (i > 0) runs.push(r.ms); // the first run warms the buffer pool
      }
      runs.sort((a, b) => a - b);
      out(`  ${label}: ${fmt(n)} due found in ${pct(runs, 50).toFixed(1)} ms (median of ${runs.length}; min ${runs[0].toFixed(1)}, max ${runs[runs.length - 1].toFixed(1)})`);
    };
    const explain = async () => {
      const [q, p] = dueTicketsQuery(db, new Date(), 500, null).getQueryAndParameters();
      const plan: Record<string, unknown>[] = await db.query(`EXPLAIN ${q}`, p);
      out(`  EXPLAIN ${q.replace(/\s+/g, ' ')}`);
      for (const r of plan) out(`    table=${r.table} type=${r.type} key=${r.key} rows=${r.rows} Extra=${r.Extra}`);
      const [qk, pk] = dueTicketsQuery(db, new Date(), 500, { at: new Date(now.getTime() - 2 * 3_600_000), id: '8' }).getQueryAndParameters();
      const planK: Record<string, unknown>[] = await db.query(`EXPLAIN ${qk}`, pk);
      for (const r of planK) out(`    (next page) table=${r.table} type=${r.type} key=${r.key} rows=${r.rows} Extra=${r.Extra}`);
    };

    out('\n1. Finding due tickets (sweep query, keyset pages of 500)');
    const first = Math.min(100_000, TOTAL);
    out(`  loading ${fmt(first)} tickets (10% open, 1,000 due)… ${fmt(await load(first, first / 10, 1000))} ms`);
    await explain();
    await timeFind(`${fmt(loaded)} tickets`);
    if (TOTAL > first) {
      const rest = TOTAL - first;
      out(`  loading ${fmt(rest)} more (10% open, none due)… ${fmt(await load(rest, rest / 10, 0))} ms`);
      await explain();
      await timeFind(`${fmt(loaded)} tickets, same 1,000 due`);
      await db.query(`UPDATE ticket SET next_check_at = ? WHERE state = 'in_progress' AND next_check_at > ? ORDER BY next_check_at LIMIT 9000`, [new Date(now.getTime() - 1800_000), now]);
      await timeFind(`${fmt(loaded)} tickets, 10,000 due`);
    }
    // Keep the timer phase clean: nothing else due.
    await db.query('UPDATE ticket SET next_check_at = NULL, state = ? WHERE next_check_at <= ?', ['closed', new Date()]);

    out(`\n2. ${fmt(TIMERS)} deadline timers due within ${WINDOW_S} s, one worker (bull, ${CONCURRENCY} checks in parallel)`);
    const late: number[] = [];
    let fired = 0;
    const jobs = await startWorkers(deps, {
      hook: false,
      sweepIntervalMs: 0,
      concurrency: CONCURRENCY,
      onTimer: (_t, lateMs) => {
        late.push(lateMs);
        fired++;
      },
    });
    // Dispatched tickets whose sign-for deadline falls in the next minute (the timer fires a
    // level-1 reminder). Rows first, then the deadlines, so that arming ends before the first is due.
    const ids: string[] = [];
    const values: string[] = [];
    const c = sqlTime(new Date(now.getTime() - DAY));
    for (let i = 0; i < TIMERS; i++) {
      const id = randomUUID();
      ids.push(id);
      values.push(
        `('${id}','T${i}','complaint','hotline','normal','dispatched',1,'TAX','bench','bench',0,'${c}','${c}','${c}',NULL,'${sqlTime(new Date(now.getTime() + 30 * DAY))}','${sqlTime(new Date(now.getTime() + 40 * DAY))}',0,NULL,0,NULL,1,'${c}','${c}')`,
      );
      if (values.length === 2000 || i === TIMERS - 1) {
        await db.query(`INSERT INTO ticket (${cols}) VALUES ${values.join(',')}`);
        values.length = 0;
      }
    }
    const stepMs = Math.max(1, Math.floor((WINDOW_S * 1000) / TIMERS));
    const t0 = Date.now() + 10_000;
    await db.query("UPDATE ticket SET sign_by = TIMESTAMPADD(MICROSECOND, CAST(SUBSTRING(number, 2) AS UNSIGNED) * ?, ?) WHERE number LIKE 'T%'", [stepMs * 1000, new Date(t0)]);
    await db.query("UPDATE ticket SET next_check_at = sign_by WHERE number LIKE 'T%'");
    const probe = Math.floor(TIMERS / 3);
    const stored = new Date((await db.query('SELECT sign_by AS s FROM ticket WHERE number = ?', [`T${probe}`]))[0].s).getTime();
    if (stored !== t0 + probe * stepMs) throw new Error(`deadline mismatch: ${stored} vs ${t0 + probe * stepMs}`);
    const factory = createQueueFactory(REDIS, deps.config.queuePrefix);
    const queue = factory.create('clock');
    const timers = bullTimers(queue, factory.redis, factory.prefix);
    const armStart = Date.now();
    for (let i = 0; i < TIMERS; i++) await timers.arm(ids[i], 1, [{ kind: 'sign', dueAt: new Date(t0 + i * stepMs) }], new Date());
    out(`  armed ${fmt(TIMERS)} timers in ${fmt(Date.now() - armStart)} ms, ${fmt(t0 - Date.now())} ms before the first is due; one due every ${stepMs} ms`);
    const deadline = t0 + TIMERS * stepMs + 120_000;
    while (fired < TIMERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const doneAt = Date.now();
    await factory.close();
    await jobs.close();
    late.sort((a, b) => a - b);
    out(`  fired ${fmt(fired)} of ${fmt(TIMERS)}; lateness p50 ${pct(late, 50)} ms, p99 ${pct(late, 99)} ms, max ${late[late.length - 1]} ms`);
    out(`  last check finished ${fmt(doneAt - (t0 + (TIMERS - 1) * stepMs))} ms after the last deadline`);
    const escalated = (await db.query("SELECT COUNT(*) AS n FROM escalation WHERE reason = 'sign_late'"))[0].n;
    out(`  level-1 escalations written: ${fmt(Number(escalated))}`);
  } finally {
    await db.destroy();
    if (env.BENCH_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench-sweep: ${e.stack ?? e}\n`);
  process.exit(1);
});

/**
 * `npm run bench:scale` (issue 15 item 1): the reads of the workbench and the reports at a
 * city's scale. Prints figures; asserts nothing.
 *
 *   1. Load (skipped with `--reuse`: the database is kept from a previous run): drops and
 *      creates the database of BENCH_DATABASE_URL (default
 *      mysql://root@127.0.0.1:3306/bench_scale; its name must start with "bench" or "<prefix>_bench"), runs the
 *      migrations and the seed as the service does (`boot`, MIGRATE_ON_START), creates the
 *      staff accounts through the project's own `createStaffUser`, then writes `--tickets N`
 *      (default 1,000,000) tickets with their whole lives (`loadScale`, scripts/scale-load.ts:
 *      events with their chain, contacts, messages, returns, extensions, pauses, escalations,
 *      oversight orders, integrity reports and vetoes, outbox rows; three years, every
 *      department, ~10 % open, some overdue) through LOAD DATA LOCAL INFILE, 5,000 tickets per
 *      transaction, the keys of the big tables added back after the load, and the derived rows
 *      (search tokens, maintained figures) computed by the loader with the service's functions
 *      in a second thread; then ANALYZE TABLE, and the maintained figures are compared with the
 *      report over the raw rows (this year and last; the run stops on a difference). With
 *      `--plain-load` the loader as it was: multi-row INSERTs of 2,000 tickets per transaction,
 *      then the derived-data steps (`DERIVED_STEPS`: the service's rebuild commands).
 *   2. Reads: the service as a child process (`node build/src/main.js`, ROLE=api) on that
 *      database; staff sign in through the API (`POST /api/v1/auth/login`) and the pages
 *      (`POST /account/sign-in`); each read is made once to warm up, then `--runs` times
 *      (default 7) one after the other, timed from send to the last byte: p50 and p99 (with a
 *      few runs p99 is the slowest). Every list filter of GET /api/v1/tickets (and paging),
 *      search (`q=`), the workbench list page, the department report for a month and a year,
 *      the TAX assessment, the veto register and the head's overview page.
 *   3. EXPLAIN of every SELECT each read issues: the same query functions called in this
 *      process with the same viewer, their SQL captured through TypeORM's logger and
 *      explained on the same database.
 *
 * Options: --tickets N / BENCH_TICKETS, --runs N / BENCH_RUNS, --reuse (BENCH_REUSE=1; new
 * migrations still run on the kept database), --derive (with --reuse: the derived-data steps
 * again), --load-only (stop after the load phase), --plain-load (the loader as before: INSERTs,
 * then the derived steps), --check-figures (with --reuse), --no-explain. The chain key and JWT secret are fixed for the benchmark (bench data only),
 * so that a reused database still verifies.
 */
import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import mysql from 'mysql2/promise';
import type { Logger, QueryRunner } from 'typeorm';
import { boot } from '../src/boot';
import { createLogger } from '../src/logger';
import type { AppDeps } from '../src/deps';
import type { UserActor } from '../src/domain/lifecycle';
import { User } from '../src/entities';
import { createStaffUser } from '../src/cli/users';
import { listTickets, TicketFilter } from '../src/queries/tickets';
import { workTickets } from '../src/queries/workbench';
import { departmentReport } from '../src/queries/reports';
import { departmentAssessment } from '../src/queries/assessment';
import { vetoRegister } from '../src/queries/vetoes';
import { departmentOverview } from '../src/queries/department-overview';
import { localDate, startOfLocalDay } from '../src/domain/deadline';
import { departmentsFigures, rawDepartmentsFigures } from '../src/commands/reports';
import { loadScale } from './scale-load';
import { reindexSearch } from '../src/commands/search-index';
import { rebuildFigures } from '../src/commands/figures';
import { inTransaction } from '../src/db';
import { freePort, option, pct, say, stopService, untilReady } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');
const TICKETS = Math.round(option('tickets', 'BENCH_TICKETS', 1_000_000));
const RUNS = Math.round(option('runs', 'BENCH_RUNS', 7));
const REUSE = process.argv.includes('--reuse') || process.env.BENCH_REUSE === '1';
const EXPLAIN = !process.argv.includes('--no-explain');
/** with --reuse: run the derived-data steps again (a database loaded before a step existed) */
const DERIVE = process.argv.includes('--derive');
/** stop after the load phase (its timings), without the reads */
const LOAD_ONLY = process.argv.includes('--load-only');
/** the loader as it was: multi-row INSERTs, then the derived-data steps (for comparing) */
const PLAIN = process.argv.includes('--plain-load');
const DATABASE_URL = process.env.BENCH_DATABASE_URL || 'mysql://root@127.0.0.1:3306/bench_scale';
const CHAIN_KEYS = `bench:${createHash('sha256').update('bench-scale chain key (benchmark data only)').digest('base64')}`;
const JWT_SECRET = 'bench-scale-jwt-secret-benchmark-only';
const PASSWORD = 'Bench-Scale-Pw-1!';
const ADMIN_PASSWORD = 'Bench-Scale-Admin-1!';
const fmt = (n: number) => n.toLocaleString('en-US');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * Derived data rebuilt after the bulk load (the loader writes only what the service's
 * commands write in their transactions): maintained report figures and the search index,
 * as their rebuild commands land in src/commands/.
 */
const DERIVED_STEPS: { name: string; run: (deps: AppDeps) => Promise<unknown> }[] = [
  {
    // the maintained report figures (issue 15 item 2): every ticket marked, then refreshed in batches
    name: 'report figures (rebuildFigures)',
    run: (deps) => rebuildFigures(deps.db, { tz: deps.config.businessTz, batch: 2000 }),
  },
  {
    // the search index (issue 15 item 3): 2,000 tickets per transaction, multi-row INSERTs
    name: 'search index (reindexSearch)',
    run: async (deps) => {
      let after: string | undefined;
      let tokens = 0;
      for (;;) {
        const r = await inTransaction(deps.db, (em) => reindexSearch(em, { after, limit: 2000 }));
        if (!r.last) return { tokens };
        tokens += r.tokens;
        after = r.last;
      }
    },
  },
];

/** CPU time (user + system) of a process so far, ms, from /proc/<pid>/stat; null when it cannot be read. */
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The MariaDB server's process id when it runs on this machine (its pid file), else null. */
async function mariadbPid(deps: AppDeps): Promise<number | null> {
  try {
    const [{ f }] = await deps.db.query('SELECT @@pid_file AS f');
    return Number(readFileSync(String(f), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

const server = (u: URL) => ({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });

async function freshDatabase(url: URL): Promise<void> {
  const name = url.pathname.replace(/^\//, '');
  if (!/^(\w+_)?bench\w*$/.test(name)) throw new Error(`refusing to drop "${name}": the benchmark database's name must start with "bench" (or "<prefix>_bench")`);
  const c = await mysql.createConnection(server(url));
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
}

function bootEnv(dataDir: string): NodeJS.ProcessEnv {
  return {
    DATABASE_URL,
    DATA_DIR: dataDir,
    JWT_SECRET,
    EVENT_CHAIN_KEYS: CHAIN_KEYS,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MIGRATE_ON_START: '1',
    LOG_LEVEL: 'warn',
  };
}

/** The staff of the benchmark: a coordinator, intake, a supervisor, a handler per department, the TAX head. */
async function ensureStaff(deps: AppDeps): Promise<Record<string, User>> {
  const now = new Date();
  const departments: { code: string; kind: string }[] = await deps.db.query("SELECT code, kind FROM department WHERE active = 1 AND kind <> 'discipline' ORDER BY code");
  const want: { username: string; role: string; departmentCode?: string; isHead?: boolean }[] = [
    { username: 'bench.coord', role: 'coordinator', departmentCode: 'SAMR' },
    { username: 'bench.intake', role: 'intake', departmentCode: 'SAMR' },
    { username: 'bench.sup', role: 'supervisor', departmentCode: 'DIS' },
    { username: 'bench.tax.head', role: 'handler', departmentCode: 'TAX', isHead: true },
    ...departments.map((d) => ({ username: `bench.${d.code.toLowerCase()}`, role: 'handler', departmentCode: d.code })),
  ];
  const out: Record<string, User> = {};
  for (const w of want) {
    const found = await deps.db.getRepository(User).findOneBy({ username: w.username });
    out[w.username] = found ?? (await createStaffUser(deps.db, { ...w, password: PASSWORD, name: w.username, email: `${w.username}@example.test` } as never, now));
  }
  return out;
}

const actorOf = (u: User): UserActor => ({ kind: 'user', userId: u.id, role: u.role as UserActor['role'], departmentCode: u.departmentCode, isHead: !!u.isHead });

async function loadPhase(deps: AppDeps, staff: Record<string, User>): Promise<void> {
  const cal = await deps.calendar.get(deps.db.manager);
  const handlers = Object.fromEntries(
    Object.values(staff)
      .filter((u) => u.role === 'handler' && !u.isHead)
      .map((u) => [u.departmentCode!, u.id]),
  );
  say(`\n1. Loading ${fmt(TICKETS)} tickets (load average ${load()})`);
  const started = Date.now();
  const dbPid = await mariadbPid(deps);
  const cpu0 = { node: process.cpuUsage(), db: dbPid ? cpuMs(dbPid) : null };
  const cpu = () => {
    const n = process.cpuUsage(cpu0.node);
    const d = dbPid && cpu0.db !== null ? cpuMs(dbPid) : null;
    return `CPU so far: loader ${((n.user + n.system) / 1e6).toFixed(0)} s, MariaDB ${d !== null && cpu0.db !== null ? ((d - cpu0.db) / 1000).toFixed(0) : '?'} s`;
  };
  let lastSay = 0;
  const counts = await loadScale(deps.db, {
    tickets: TICKETS,
    now: new Date(),
    cal,
    tz: deps.config.businessTz,
    prefix: deps.config.ticketPrefix,
    chunk: PLAIN ? 2000 : 5000,
    method: PLAIN ? 'insert' : 'infile',
    // the search tokens and figures computed by the loader (the service's functions), not the derived steps
    derived: !PLAIN,
    deferKeys: !process.argv.includes('--keep-keys'),
    actors: { coordinator: staff['bench.coord'].id, intake: staff['bench.intake'].id, supervisor: staff['bench.sup'].id, handlers },
    progress: (done, total, note) => {
      if (Date.now() - lastSay < 15_000 && done < total && !note) return;
      lastSay = Date.now();
      const s = (Date.now() - started) / 1000;
      say(`  ${fmt(done)} tickets in ${s.toFixed(0)} s (${fmt(Math.round(done / s))}/s)${note ? `: ${note}` : ''}, load average ${load()}; ${cpu()}`);
    },
  });
  const loadS = (Date.now() - started) / 1000;
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  say(`  loaded in ${loadS.toFixed(0)} s: ${fmt(rows)} rows (${fmt(Math.round(rows / loadS))} rows/s); ${cpu()}`);
  for (const [table, n] of Object.entries(counts)) say(`    ${table.padEnd(18)} ${fmt(n).padStart(12)}`);
  if (PLAIN) await derive(deps, cpu);
  const t0 = Date.now();
  for (const table of [...Object.keys(counts), 'ticket_search_token']) await deps.db.query(`ANALYZE TABLE \`${table}\``);
  say(`  ANALYZE TABLE in ${((Date.now() - t0) / 1000).toFixed(1)} s; load phase ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  await checkFigures(deps);
}

/**
 * The maintained figures against the report over the raw rows (the test oracle,
 * `rawDepartmentsFigures`) for this year and last year, every department, as of now:
 * printed, and the run stops when they differ.
 */
async function checkFigures(deps: AppDeps): Promise<void> {
  const t0 = Date.now();
  const tz = deps.config.businessTz;
  const cal = await deps.calendar.get(deps.db.manager);
  const codes = ((await deps.db.query('SELECT code FROM department ORDER BY code')) as { code: string }[]).map((d) => d.code);
  const now = new Date();
  const year = Number(localDate(now, tz).slice(0, 4));
  for (const y of [year - 1, year]) {
    const range = { from: startOfLocalDay(`${y}-01-01`, tz), to: startOfLocalDay(`${y + 1}-01-01`, tz) };
    const kept = await departmentsFigures(deps.db.manager, codes, range, cal, tz, now);
    const raw = await rawDepartmentsFigures(deps.db.manager, codes, range, cal, tz, now);
    if (!isDeepStrictEqual(kept, raw)) throw new Error(`the maintained figures of ${y} differ from the raw rows:\n${JSON.stringify(kept)}\n${JSON.stringify(raw)}`);
  }
  say(`  maintained figures = report over the raw rows for ${year - 1} and ${year}, every department (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

async function derive(deps: AppDeps, cpu?: () => string): Promise<void> {
  for (const step of DERIVED_STEPS) {
    const t0 = Date.now();
    await step.run(deps);
    say(`  derived data: ${step.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s (load average ${load()}); ${cpu?.() ?? ''}`);
  }
}

/** Sign-in through the API: a bearer token. */
async function token(base: string, username: string, password = PASSWORD): Promise<string> {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}

/** Sign-in through the page (`/account/sign-in` with its CSRF token): the cookies of the session. */
async function pageSession(base: string, username: string): Promise<string> {
  const form = await fetch(`${base}/account/sign-in`);
  const cookies = form.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no _csrf on the sign-in page');
  const r = await fetch(`${base}/account/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, phone: username, password: PASSWORD, next: '/work' }).toString(),
  });
  if (r.status !== 303) throw new Error(`page sign-in ${username}: ${r.status}`);
  const all = new Map(cookies.map((c) => [c.split('=')[0], c]));
  for (const c of r.headers.getSetCookie()) all.set(c.split('=')[0], c.split(';')[0]);
  return [...all.values()].join('; ');
}

interface Read {
  label: string;
  path: string;
  /** 'bearer' token or page cookies */
  auth: { authorization?: string; cookie?: string };
  /** the same read in this process, for its SQL */
  inProcess?: () => Promise<unknown>;
}

/** Captures the SQL TypeORM sends while `on`. */
class Capture implements Logger {
  on = false;
  readonly queries: { sql: string; params: unknown[] }[] = [];
  logQuery(query: string, parameters?: unknown[], _qr?: QueryRunner) {
    if (this.on) this.queries.push({ sql: query, params: parameters ?? [] });
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const url = new URL(DATABASE_URL);
  say(`bench:scale — ${REUSE ? 'reusing' : `loading ${fmt(TICKETS)} tickets into`} ${url.pathname.slice(1)}; load average ${load()}`);
  if (!REUSE) await freshDatabase(url);
  const deps = await boot(bootEnv(dataDir), { log: createLogger('warn') });
  let child: ChildProcess | undefined;
  try {
    say(`MariaDB ${(await deps.db.query('SELECT VERSION() AS v'))[0].v}`);
    const staff = await ensureStaff(deps);
    if (!REUSE) await loadPhase(deps, staff);
    else if (process.argv.includes('--check-figures')) await checkFigures(deps);
    else if (DERIVE) await derive(deps);
    if (LOAD_ONLY) return;
    const tickets = Number((await deps.db.query('SELECT COUNT(*) AS n FROM ticket'))[0].n);

    const port = await freePort();
    child = spawn(process.execPath, [join(ROOT, 'build', 'src', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...bootEnv(dataDir), ROLE: 'api', PORT: String(port), NODE_ENV: 'production', MIGRATE_ON_START: '0' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await untilReady(child, port);
    const base = `http://127.0.0.1:${port}`;
    const bearer = async (u: string) => ({ authorization: `Bearer ${await token(base, u)}` });
    const coord = await bearer('bench.coord');
    const taxH = await bearer('bench.tax');
    const sup = await bearer('bench.sup');
    const head = await bearer('bench.tax.head');
    const coordPage = { cookie: await pageSession(base, 'bench.coord') };
    const headPage = { cookie: await pageSession(base, 'bench.tax.head') };
    const A = { coord: actorOf(staff['bench.coord']), tax: actorOf(staff['bench.tax']), sup: actorOf(staff['bench.sup']), head: actorOf(staff['bench.tax.head']) };

    const now = new Date();
    const tz = deps.config.businessTz;
    const today = localDate(now, tz);
    const year = Number(today.slice(0, 4));
    const monthFrom = `${today.slice(0, 7)}-01`;
    const month = { from: new Date(`${monthFrom}T00:00:00+08:00`), to: now };
    const em = deps.db.manager;
    const sample: { number: string }[] = await deps.db.query("SELECT number FROM ticket WHERE department_code = 'TAX' ORDER BY id LIMIT 1 OFFSET 1000");
    const firstPage = (await (await fetch(`${base}/api/v1/tickets?departmentCode=TAX&limit=50`, { headers: coord })).json()) as { nextCursor: string | null };
    const list = (label: string, auth: Read['auth'], actor: UserActor, f: Omit<TicketFilter, 'limit'>, qs: string): Read => ({
      label,
      auth,
      path: `/api/v1/tickets?${qs}`,
      inProcess: () => listTickets(em, actor, { limit: 50, ...f }, now),
    });
    const reads: Read[] = [
      list('list TAX in_progress (coordinator)', coord, A.coord, { departmentCode: 'TAX', state: 'in_progress' }, 'departmentCode=TAX&state=in_progress'),
      list('list TAX in_progress (TAX handler)', taxH, A.tax, { state: 'in_progress' }, 'state=in_progress'),
      list('list state=in_progress', coord, A.coord, { state: 'in_progress' }, 'state=in_progress'),
      list('list state=registered', coord, A.coord, { state: 'registered' }, 'state=registered'),
      list('list overdue', coord, A.coord, { overdue: true }, 'overdue=true'),
      list('list TAX overdue', coord, A.coord, { departmentCode: 'TAX', overdue: true }, 'departmentCode=TAX&overdue=true'),
      list('list due soon', coord, A.coord, { dueSoon: true }, 'dueSoon=true'),
      list('list escalationLevel=2', coord, A.coord, { escalationLevel: 2 }, 'escalationLevel=2'),
      list('list received this month', coord, A.coord, { from: month.from, to: month.to }, `from=${encodeURIComponent(month.from.toISOString())}&to=${encodeURIComponent(month.to.toISOString())}`),
      list('list all, newest first', coord, A.coord, {}, ''),
      list('list TAX, page 2', coord, A.coord, { departmentCode: 'TAX', cursor: firstPage.nextCursor ?? undefined }, `departmentCode=TAX&cursor=${encodeURIComponent(firstPage.nextCursor ?? '')}`),
      list('search q=定额税 (matches)', coord, A.coord, { q: '定额税' }, `q=${encodeURIComponent('定额税')}`),
      list('search q=营商环境 (matches nothing)', coord, A.coord, { q: '营商环境' }, `q=${encodeURIComponent('营商环境')}`),
      list('search q=<number>', coord, A.coord, { q: sample[0]?.number ?? 'FL2026000001' }, `q=${sample[0]?.number ?? 'FL2026000001'}`),
      {
        label: 'page /work/tickets TAX in_progress (deadline sort + count)',
        auth: coordPage,
        path: '/work/tickets?departmentCode=TAX&state=in_progress',
        inProcess: () => workTickets(deps, A.coord, { departmentCode: 'TAX', state: 'in_progress' }, { limit: 50 }),
      },
      { label: 'page /work/tickets overdue', auth: coordPage, path: '/work/tickets?overdue=1', inProcess: () => workTickets(deps, A.coord, { overdue: true }, { limit: 50 }) },
      { label: 'page /work/tickets due soon', auth: coordPage, path: '/work/tickets?dueSoon=1', inProcess: () => workTickets(deps, A.coord, { dueSoon: true }, { limit: 50 }) },
      { label: 'page /work/tickets escalation level 3', auth: coordPage, path: '/work/tickets?escalationLevel=3', inProcess: () => workTickets(deps, A.coord, { escalationLevel: 3 }, { limit: 50 }) },
      {
        label: `report departments, month ${monthFrom}…${today}`,
        auth: coord,
        path: `/api/v1/reports/departments?from=${monthFrom}&to=${today}`,
        inProcess: () => departmentReport(deps, A.coord, { from: monthFrom, to: today }),
      },
      {
        label: `report departments, year ${year}`,
        auth: coord,
        path: `/api/v1/reports/departments?from=${year}-01-01&to=${year}-12-31`,
        inProcess: () => departmentReport(deps, A.coord, { from: `${year}-01-01`, to: `${year}-12-31` }),
      },
      { label: `assessment TAX ${year}`, auth: coord, path: `/api/v1/departments/TAX/assessment?year=${year}`, inProcess: () => departmentAssessment(deps, A.coord, 'TAX', year) },
      { label: 'veto register', auth: sup, path: '/api/v1/vetoes', inProcess: () => vetoRegister(deps, A.sup) },
      { label: 'head overview page /work/department', auth: headPage, path: '/work/department', inProcess: () => departmentOverview(deps, A.head) },
      {
        label: 'head report, own department, year',
        auth: head,
        path: `/api/v1/reports/departments?from=${year}-01-01&to=${year}-12-31`,
        inProcess: () => departmentReport(deps, A.head, { from: `${year}-01-01`, to: `${year}-12-31` }),
      },
    ];

    say(`\n2. Reads through the service (ROLE=api, MariaDB, ${fmt(tickets)} tickets); 1 warm-up + ${RUNS} sequential runs each; load average ${load()}`);
    say(`  ${'read'.padEnd(58)} ${'status'.padStart(6)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)}  load`);
    const results: { label: string; p50: number; p99: number }[] = [];
    for (const r of reads) {
      const times: number[] = [];
      let status = 0;
      for (let i = 0; i <= RUNS; i++) {
        const t0 = process.hrtime.bigint();
        const res = await fetch(base + r.path, { headers: r.auth, redirect: 'manual' });
        await res.arrayBuffer();
        status = res.status;
        if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      results.push({ label: r.label, p50: pct(times, 50), p99: pct(times, 99) });
      say(`  ${r.label.padEnd(58)} ${String(status).padStart(6)} ${pct(times, 50).toFixed(1).padStart(9)} ${pct(times, 99).toFixed(1).padStart(9)}  ${loadavg()[0].toFixed(2)}`);
    }

    if (EXPLAIN) {
      say('\n3. EXPLAIN of the SQL of each read (the same query functions, in this process)');
      const capture = new Capture();
      deps.db.setOptions({ logger: capture, logging: ['query'] });
      const conn = await mysql.createConnection({ ...server(url), database: url.pathname.slice(1), timezone: 'Z' });
      for (const r of reads) {
        if (!r.inProcess) continue;
        capture.queries.length = 0;
        capture.on = true;
        await r.inProcess();
        capture.on = false;
        say(`\n  ${r.label}`);
        const seen = new Set<string>();
        for (const q of capture.queries) {
          if (!/^\s*SELECT/i.test(q.sql) || seen.has(q.sql)) continue;
          if (!/`?(ticket|ticket_event|ticket_pause|escalation|oversight_order|veto|veto_cause)`?\s/i.test(q.sql)) continue;
          seen.add(q.sql);
          const plan = (await conn.query(`EXPLAIN ${q.sql}`, q.params))[0] as Record<string, unknown>[];
          // the column list of an entity read says nothing about the plan
          say(
            `    ${q.sql
              .replace(/\s+/g, ' ')
              .replace(/^SELECT (?:DISTINCT )?(`\w+`\.`\w+` AS `\w+`(?:, )?)+ FROM /, 'SELECT … FROM ')
              .slice(0, 600)}`,
          );
          for (const p of plan) say(`      table=${p.table} type=${p.type} key=${p.key} rows=${p.rows} Extra=${p.Extra ?? ''}`);
        }
      }
      await conn.end();
    }
    say(`\nload average at the end: ${load()}`);
  } finally {
    if (child) await stopService(child);
    await deps.db.destroy();
    await deps.storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench-scale: ${e.stack ?? e}\n`);
  process.exit(1);
});

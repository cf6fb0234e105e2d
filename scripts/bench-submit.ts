/**
 * `npm run bench:submit` (issue 2, "Performance"): ticket creation over HTTP against
 * MariaDB, next to the raw floor of the same rows written directly with mysql2.
 *
 *   1. a fresh database (`DATABASE_URL`, default mysql://root@127.0.0.1:3306/bench_grievance;
 *      its name must start with "bench" or "<prefix>_bench": it is dropped and created again);
 *   2. the service as a child process (`node build/src/main.js`, ROLE=api), so that the load
 *      generator does not share its event loop; C concurrent clients (fetch, keep-alive)
 *      create tickets as an intake user for D seconds after a short warm-up → tickets/s,
 *      p50/p99 latency;
 *   3. the raw floor: the same rows (the year's ticket_counter row, the ticket, its
 *      `created` and `dispatched` events, with --whole-job its outbox rows, and the rows
 *      the create derives: its search tokens and figure mark) inserted by C connections, one
 *      transaction per ticket, for D seconds → rows/s; then the floor as first measured
 *      (without the derived rows) and, for scale, without the counter row either;
 *   4. the ratio service / floor.
 *
 * Options (env or args): BENCH_DURATION_S / --duration (20), BENCH_CONCURRENCY /
 * --concurrency (32), BENCH_WARMUP_S / --warmup (2), BENCH_LOG_LEVEL (info: the service
 * logs every request, as in production; its stdout goes to /dev/null), BENCH_CPU_PROF=1
 * (the service runs with --cpu-prof, profiles under var/bench-prof/), BENCH_SKIP_FLOOR=1
 * (service phase only, for quick iterations), BENCH_SERVICE_LOG=<file> (the service's log appended
 * there instead of dropped), BENCH_SERVICE_ENV=`K=V …` (more environment for
 * the service, e.g. MALLOC_ARENA_MAX=2), BENCH_NODE_ARGS (more node flags). Each checkout's
 * service is started as its own `npm start` starts it (the node flags and environment of its
 * `start` script: `parseStartScript`), so a baseline is measured with its own launch. The
 * database's name starts with "bench" or is a prefix and "_bench…" (`mem_bench`, `h_memory_bench`). Prints
 * figures; asserts nothing.
 */
import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { freePort, option, pct, say, startScriptLaunch, stopService, untilReady } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');

const DURATION_S = option('duration', 'BENCH_DURATION_S', 20);
const CONCURRENCY = Math.round(option('concurrency', 'BENCH_CONCURRENCY', 32));
const WARMUP_S = option('warmup', 'BENCH_WARMUP_S', 2);
const DATABASE_URL = process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/bench_grievance';
const CATEGORIES = ['market_access', 'employment', 'tax_fees', 'financing', 'banking_service', 'social_insurance', 'premises', 'transport', 'commerce', 'fiscal_support'];

const ms = (v: number) => `${v.toFixed(1)} ms`;

function connectionOptions(url: URL, database?: string) {
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...(database ? { database } : {}),
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
  };
}

async function freshDatabase(url: URL): Promise<string> {
  const name = url.pathname.replace(/^\//, '');
  if (!/^(?:[a-z0-9_]+_)?bench\w*$/.test(name)) throw new Error(`refusing to drop "${name}": the benchmark database's name must start with "bench" (or a prefix and "_bench")`);
  const c = await mysql.createConnection(connectionOptions(url));
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const [vars] = await c.query("SHOW VARIABLES WHERE Variable_name IN ('version', 'innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')");
  await c.end();
  say(`database: ${url.host}/${name} (fresh); ${(vars as { Variable_name: string; Value: string }[]).map((v) => `${v.Variable_name}=${v.Value}`).join(', ')}`);
  return name;
}

/** BENCH_SERVICE_ENV=`K=V K2=V2`: more environment for the service (e.g. MALLOC_ARENA_MAX=2), both phases. */
function serviceEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (process.env.BENCH_SERVICE_ENV ?? '').split(' ').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`BENCH_SERVICE_ENV: "${kv}" is not K=V`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

async function startService(port: number, cpuProf: boolean, o: { root?: string; env?: Record<string, string>; preload?: string[] } = {}): Promise<ChildProcess> {
  const root = o.root ?? ROOT;
  const launch = startScriptLaunch(root);
  say(`  service ${join(root, 'build', 'src', 'main.js')} started as its npm start does: ${[...Object.entries(launch.env).map(([k, v]) => `${k}=${v}`), 'node', ...launch.args].join(' ')}`);
  // BENCH_NODE_ARGS: V8 flags for the service that NODE_OPTIONS does not take (e.g. --heap-growing-percent=50)
  const args = [...launch.args, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(o.preload ?? []).flatMap((p) => ['--require', p]), join(root, 'build', 'src', 'main.js')];
  if (cpuProf) {
    const dir = join(ROOT, 'var', 'bench-prof');
    mkdirSync(dir, { recursive: true });
    args.unshift('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL,
      JWT_SECRET: randomBytes(24).toString('base64url'),
      EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password',
      ROLE: 'api',
      PORT: String(port),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info',
      MIGRATE_ON_START: '1',
      NODE_ENV: 'production',
      DATA_DIR: join(ROOT, 'var', 'bench'),
      ...launch.env,
      ...serviceEnv(),
      ...o.env,
    },
    // BENCH_SERVICE_LOG=<file>: the service's log (stdout) appended there instead of dropped
    stdio: ['ignore', process.env.BENCH_SERVICE_LOG ? openSync(process.env.BENCH_SERVICE_LOG, 'a') : 'ignore', 'inherit'],
  });
  return untilReady(child, port);
}

async function post(base: string, path: string, body: unknown, token?: string) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
}

/** Runs `fn` in `CONCURRENCY` loops until `seconds` have passed; returns the latencies (ms) of successful calls and the failures. */
async function load(seconds: number, fn: (worker: number, i: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = performance.now();
        if (await fn(w, i)) latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failures, seconds: (performance.now() - started) / 1000 };
}

let phone = 13900000000;
function ticketBody(w: number, i: number, email?: string) {
  return {
    kind: 'complaint',
    channel: 'hotline',
    category: CATEGORIES[(w + i) % CATEGORIES.length],
    priority: 'normal',
    title: `压测工单 ${w}-${i}：门前道路施工围挡影响经营`,
    description: '店门前道路改造围挡已经四个月，顾客进不来，施工进度不公开，希望给出完工时间。'.repeat(2),
    owner: { name: '经营户压测', phone: String(phone++), businessName: '涪陵区示例商户', ...(email ? { email } : {}) },
  };
}

/** CPU time (user + system) of a process so far, ms, from /proc/<pid>/stat; null when it is gone. */
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
/** Resident set size of a process, MiB (VmRSS of /proc/<pid>/status). */
function rssMiB(pid: number): number {
  return rssParts(pid).rss;
}
/** VmRSS and its anonymous (heaps, malloc, mmap'd data) and file-backed (code, libraries) parts, MiB. */
function rssParts(pid: number): { rss: number; anon: number; file: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {}
  const kb = (k: string) => {
    const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) / 1024 : Number.NaN;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}
/** The pid of the MariaDB server behind `DATABASE_URL` (its pid file; the benchmark runs on the same machine). */
async function mariadbPid(): Promise<number | null> {
  const url = new URL(DATABASE_URL);
  const c = await mysql.createConnection(connectionOptions(url));
  try {
    const [[r]] = (await c.query('SELECT @@pid_file AS f')) as any;
    return Number(readFileSync(String(r.f), 'utf8').trim()) || null;
  } catch {
    return null;
  } finally {
    await c.end();
  }
}
/** The pid of the Redis server (INFO server). */
async function redisPid(redis: Redis): Promise<number | null> {
  const m = /process_id:(\d+)/.exec(await redis.info('server'));
  return m ? Number(m[1]) : null;
}
const CLK_TCK = Number(process.env.BENCH_CLK_TCK || 100);

/**
 * The SMTP sink of `--whole-job`: a real SMTP server (the `smtp-server` package, as the tests
 * use) on loopback that accepts everything and notes when a message for each recipient
 * arrived (end of DATA). It does not parse the messages (that would load the generator).
 */
async function startSink() {
  const arrived = new Map<string, number>();
  let messages = 0;
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    disableReverseLookup: true,
    onConnect(_s, cb) {
      connections++;
      cb();
    },
    onData(stream, session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const at = performance.now();
        messages++;
        for (const r of session.envelope.rcptTo) if (!arrived.has(r.address)) arrived.set(r.address, at);
        cb();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, arrived, stats: () => ({ messages, connections }), close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface ServiceFigures {
  rate: number;
  p50: number;
  p99: number;
  n: number;
  failures: number;
  /** CPU per ticket during the timed load (whole job: up to the last mail, below) */
  cpu: { name: string; msPerTicket: number | null }[];
  rss: number;
  /** the service's CPU ms per second with no load */
  idleMsPerS: number;
  /** --whole-job only */
  whole?: {
    cpu: { name: string; msPerTicket: number | null }[];
    mail: { delivered: number; expected: number; p50: number; p99: number; max: number; drainS: number; messages: number; connections: number };
    timers: { armed: number; tickets: number };
    rss: number;
    /** per ticket, the timed load and the mail drain */
    statements: StatementCounts;
  };
}

const WHOLE_JOB = process.argv.includes('--whole-job');
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';

/**
 * The service phase. Plain: ROLE=api, no Redis, no SMTP (today's bench:submit). `whole`:
 * ROLE=all with Redis, SMTP to the sink, submitters with an email, and the CPU of the service,
 * MariaDB and Redis per ticket, and the time from each request to its mail at the sink.
 */
async function benchService(o: { whole: boolean; root?: string; label: string }): Promise<ServiceFigures> {
  const port = await freePort();
  let sink: Awaited<ReturnType<typeof startSink>> | null = null;
  let redis: Redis | null = null;
  const env: Record<string, string> = {};
  const prefix = '{benchwj}';
  if (o.whole) {
    sink = await startSink();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    await redis.flushdb();
    Object.assign(env, { ROLE: 'all', REDIS_URL, SMTP_URL: sink.url, MAIL_FROM: 'bench@grievance.local', QUEUE_PREFIX: prefix });
  }
  // Statement, commit and Redis command counts of the service (scripts/bench-statements.ts, preloaded: any build)
  const stmtFile = join(ROOT, 'var', 'bench-stmts', `${o.label}-${process.pid}.json`);
  if (o.whole) {
    mkdirSync(join(ROOT, 'var', 'bench-stmts'), { recursive: true });
    env.BENCH_STATEMENTS_FILE = stmtFile;
  }
  const child = await startService(port, process.env.BENCH_CPU_PROF === '1', { root: o.root, env, preload: o.whole ? [join(ROOT, 'build', 'scripts', 'bench-statements.js')] : [] });
  const counts = async () => {
    const before = existsSync(stmtFile) ? statSync(stmtFile).mtimeMs : 0;
    child.kill('SIGUSR2');
    for (let i = 0; i < 50 && (!existsSync(stmtFile) || statSync(stmtFile).mtimeMs === before); i++) await new Promise((r) => setTimeout(r, 100));
    return JSON.parse(readFileSync(stmtFile, 'utf8')) as StatementCounts;
  };
  const base = `http://127.0.0.1:${port}/api/v1`;
  try {
    const admin = await post(base, '/auth/login', { username: 'admin', password: 'bench-admin-password' });
    if (admin.status !== 200) throw new Error(`admin login: ${admin.status} ${JSON.stringify(admin.body)}`);
    const uname = `bench.intake.${o.label}`;
    const u = await post(base, '/users', { username: uname, password: 'bench-intake-pw', name: '压测受理员', role: 'intake', departmentCode: 'SAMR' }, admin.body.token);
    if (u.status !== 201) throw new Error(`create intake: ${u.status} ${JSON.stringify(u.body)}`);
    const token = (await post(base, '/auth/login', { username: uname, password: 'bench-intake-pw' })).body.token as string;
    let shown = 0;
    let measuring = false;
    const sent = new Map<string, number>();
    const create = async (w: number, i: number) => {
      const email = o.whole ? `o.${o.label}.${measuring ? 'm' : 'w'}.${w}.${i}@bench.example` : undefined;
      const t0 = performance.now();
      const r = await fetch(`${base}/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(ticketBody(w, i, email)) });
      const text = await r.text();
      if (r.status !== 201) {
        if (shown++ < 3) process.stderr.write(`create: HTTP ${r.status} ${text.slice(0, 300)}\n`);
        return false;
      }
      if (email && measuring) sent.set(email, t0);
      return true;
    };
    await load(WARMUP_S, create);
    // the service's own CPU with no requests (timers, queue polling), for scale
    await new Promise((r) => setTimeout(r, 1000));
    const idle0 = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 3000));
    const idleMsPerS = ((cpuMs(child.pid!) ?? 0) - (idle0 ?? 0)) / 3;
    // the benchmark's own process too (its clients and, in the whole job, the SMTP sink): with
    // the others it is every CPU a ticket costs this machine, the figure the floor is compared with
    const procs = [
      { name: 'service', pid: child.pid! as number | null },
      { name: 'mariadbd', pid: await mariadbPid() },
      ...(redis ? [{ name: 'redis-server', pid: await redisPid(redis) }] : []),
      { name: o.whole ? 'bench (clients, SMTP sink)' : 'bench (clients)', pid: process.pid },
    ];
    const cpu0 = procs.map((p) => (p.pid ? cpuMs(p.pid) : null));
    const counts0 = o.whole ? await counts() : null;
    measuring = true;
    const res = await load(DURATION_S, create);
    measuring = false;
    const cpuPerTicket = (cpu1: (number | null)[]) => procs.map((p, i) => ({ name: p.name, msPerTicket: cpu0[i] === null || cpu1[i] === null ? null : (cpu1[i]! - cpu0[i]!) / res.latencies.length }));
    const out: ServiceFigures = {
      rate: res.latencies.length / res.seconds,
      p50: pct(res.latencies, 50),
      p99: pct(res.latencies, 99),
      n: res.latencies.length,
      failures: res.failures,
      cpu: cpuPerTicket(procs.map((p) => (p.pid ? cpuMs(p.pid) : null))),
      rss: rssMiB(child.pid!),
      idleMsPerS,
    };
    if (o.whole && sink && redis) {
      // Every measured ticket's mail at the sink (at most 120 s more); the CPU counted up to then.
      const drainStart = performance.now();
      const expected = sent.size;
      const delivered = () => [...sent.keys()].filter((k) => sink!.arrived.has(k)).length;
      while (delivered() < expected && performance.now() - drainStart < 120_000) await new Promise((r) => setTimeout(r, 100));
      const drainS = (performance.now() - drainStart) / 1000;
      const cpu1 = procs.map((p) => (p.pid ? cpuMs(p.pid) : null));
      const counts1 = await counts();
      const lat = [...sent]
        .filter(([k]) => sink!.arrived.has(k))
        .map(([k, t0]) => sink!.arrived.get(k)! - t0)
        .sort((a, b) => a - b);
      const cpu = cpuPerTicket(cpu1);
      // Timers armed: the ticket checks run by the workers leave delayed timer jobs and one hash per ticket.
      await new Promise((r) => setTimeout(r, 1000));
      const armedKeys = await countKeys(redis, `${prefix}:clock:armed:*`);
      out.whole = {
        cpu,
        mail: { delivered: lat.length, expected, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1] ?? Number.NaN, drainS, ...sink.stats() },
        timers: { armed: armedKeys, tickets: await ticketCount() },
        rss: rssMiB(child.pid!),
        statements: perTicket(counts0!, counts1, res.latencies.length),
      };
    }
    return out;
  } finally {
    await stopService(child);
    await sink?.close();
    redis?.disconnect();
  }
}

interface StatementCounts {
  statements: number;
  commits: number;
  sql: Record<string, number>;
  redis: Record<string, number>;
}

/** Per ticket: the difference of two counts divided by the tickets. */
function perTicket(a: StatementCounts, b: StatementCounts, n: number): StatementCounts {
  const diff = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(y)
        .map(([k, v]) => [k, (v - (x[k] ?? 0)) / n] as const)
        .filter(([, v]) => v > 0)
        .sort((p, q) => q[1] - p[1]),
    );
  return { statements: (b.statements - a.statements) / n, commits: (b.commits - a.commits) / n, sql: diff(a.sql, b.sql), redis: diff(a.redis, b.redis) };
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

async function ticketCount(): Promise<number> {
  const url = new URL(DATABASE_URL);
  const c = await mysql.createConnection(connectionOptions(url, url.pathname.slice(1)));
  try {
    const [[r]] = (await c.query("SELECT COUNT(*) AS n FROM ticket WHERE state = 'dispatched'")) as any;
    return Number(r.n);
  } finally {
    await c.end();
  }
}

/**
 * The raw floor: the service's own rows for one ticket, copied from a ticket it created, written with plain mysql2.
 * `derived` adds the rows the create also writes since issue 15 items 2 and 3, in the service's
 * statements: its search tokens (the words in one multi-row INSERT before the counter row, the
 * number after the ticket) and its figure mark (`figure_dirty`). With them the floor is "the same
 * rows" the issue compares against; without them it is the floor as first measured (issue 2).
 */
async function benchFloor(dbName: string, withCounter: boolean, derived = false) {
  const url = new URL(DATABASE_URL);
  const pool = mysql.createPool({ ...connectionOptions(url, dbName), connectionLimit: CONCURRENCY, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const [[template]] = (await pool.query("SELECT * FROM ticket WHERE state = 'dispatched' AND cycle = 1 LIMIT 1")) as any;
    if (!template) throw new Error('no ticket to copy (the service phase created none)');
    const [events] = (await pool.query('SELECT * FROM ticket_event WHERE ticket_id = ? ORDER BY seq', [template.id])) as any;
    // The whole job's rows include the ticket's outbox rows (its mail and text), written in the same transaction.
    const [outbox] = WHOLE_JOB ? ((await pool.query('SELECT * FROM outbox_message WHERE ticket_id = ?', [template.id])) as any) : [[]];
    const outboxCols = outbox.length ? Object.keys(outbox[0]) : [];
    const insertOutbox = outbox.length
      ? `INSERT INTO outbox_message (${outboxCols.map((c) => `\`${c}\``).join(', ')}) VALUES ${outbox.map(() => `(${outboxCols.map(() => '?').join(', ')})`).join(', ')}`
      : '';
    // the generated columns (the stored deadline keys) fill themselves: a value given for one is refused
    const [generated] = (await pool.query("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ticket' AND EXTRA LIKE '%GENERATED%'")) as any;
    const skip = new Set((generated as { c: string }[]).map((g) => g.c));
    const ticketCols = Object.keys(template).filter((c) => !skip.has(c));
    const eventCols = Object.keys(events[0]);
    const insertTicket = `INSERT INTO ticket (${ticketCols.map((c) => `\`${c}\``).join(', ')}) VALUES (${ticketCols.map(() => '?').join(', ')})`;
    const insertEvent = `INSERT INTO ticket_event (${eventCols.map((c) => `\`${c}\``).join(', ')}) VALUES (${eventCols.map(() => '?').join(', ')})`;
    const year = Number(String(template.number).slice(-10, -6));
    // the template's word tokens (its number token is replaced by the copy's own number)
    const numberToken = String(template.number).toLowerCase();
    const [tokenRows] = derived ? ((await pool.query('SELECT token FROM ticket_search_token WHERE ticket_id = ? ORDER BY token', [template.id])) as any) : [[]];
    const words = (tokenRows as { token: string }[]).map((r) => r.token).filter((t) => t !== numberToken);
    const insertWords = words.length ? `INSERT INTO ticket_search_token (token, created_at, ticket_id) VALUES ${words.map(() => '(?, ?, ?)').join(', ')}` : '';
    let serial = 0;
    const one = async (w: number, i: number) => {
      const c = await pool.getConnection();
      try {
        await c.beginTransaction();
        const id = randomUUID();
        const now = new Date();
        if (derived && insertWords)
          await c.query(
            insertWords,
            words.flatMap((w) => [w, now, id]),
          );
        let number: string;
        if (withCounter) {
          const [res] = (await c.query('INSERT INTO ticket_counter (year, last_value) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last_value = LAST_INSERT_ID(last_value + 1)', [
            year,
          ])) as any;
          number = `FL${year}${String(res.insertId).padStart(6, '0')}`;
        } else {
          number = `RAW${process.pid % 1000}${w}x${i}x${serial++}`;
        }
        const t = { ...template, id, number, source_id: null, title: `压测工单 raw ${w}-${i}`, created_at: now, updated_at: now, received_at: now };
        await c.execute(
          insertTicket,
          ticketCols.map((k) => t[k]),
        );
        let prev = '0'.repeat(64);
        for (const e of events) {
          const row = { ...e, id: randomUUID(), ticket_id: id, at: now, prev_hash: prev };
          row.hash = createHash('sha256')
            .update(JSON.stringify(eventCols.map((k) => row[k])))
            .digest('hex');
          prev = row.hash;
          await c.execute(
            insertEvent,
            eventCols.map((k) => row[k]),
          );
        }
        if (derived) {
          await c.query('INSERT INTO ticket_search_token (token, created_at, ticket_id) VALUES (?, ?, ?)', [number.toLowerCase(), now, id]);
          await c.query('INSERT INTO figure_dirty (ticket_id) VALUES (?) ON DUPLICATE KEY UPDATE ticket_id = ticket_id', [id]);
        }
        if (outbox.length) {
          // already sent, so that no worker of a later phase picks them up
          await c.execute(
            insertOutbox,
            outbox.flatMap((o: any) => {
              const r = {
                ...o,
                id: randomUUID(),
                ticket_id: id,
                ticket_number: number,
                source_key: `event:${randomUUID()}`,
                dedupe_key: createHash('sha256').update(randomUUID()).digest('hex'),
                state: 'sent',
                created_at: now,
                updated_at: now,
              };
              return outboxCols.map((k) => r[k]);
            }),
          );
        }
        await c.commit();
        return true;
      } catch (e) {
        await c.rollback().catch(() => undefined);
        process.stderr.write(`raw insert: ${(e as Error).message}\n`);
        return false;
      } finally {
        c.release();
      }
    };
    await load(Math.min(WARMUP_S, 1), one);
    const cpuProcs = [
      { name: 'mariadbd', pid: await mariadbPid() },
      { name: 'bench (clients)', pid: process.pid },
    ];
    const cpu0 = cpuProcs.map((p) => (p.pid ? cpuMs(p.pid) : null));
    const res = await load(DURATION_S, one);
    const cpu1 = cpuProcs.map((p) => (p.pid ? cpuMs(p.pid) : null));
    return {
      cpu: cpuProcs.map((p, i) => ({ name: p.name, msPerTicket: cpu0[i] === null || cpu1[i] === null ? null : (cpu1[i]! - cpu0[i]!) / res.latencies.length })),
      rate: res.latencies.length / res.seconds,
      p50: pct(res.latencies, 50),
      p99: pct(res.latencies, 99),
      n: res.latencies.length,
      failures: res.failures,
      events: events.length,
      outbox: outbox.length as number,
      tokens: derived ? words.length + 1 : 0,
      marks: derived ? 1 : 0,
    };
  } finally {
    await pool.end();
  }
}

const MIXED = process.argv.includes('--mixed');
const MIXED_RATE = option('rate', 'BENCH_RATE', 200);

/** What the mixed load does, with weights (of 100); BENCH_MIX=`report=0,list=30` changes some. */
const MIX: { name: string; weight: number }[] = [
  { name: 'create', weight: 20 },
  { name: 'list', weight: 20 },
  { name: 'read', weight: 20 },
  { name: 'events', weight: 10 },
  { name: 'search', weight: 10 },
  { name: 'report', weight: 5 },
  { name: 'home page', weight: 10 },
  { name: 'track page', weight: 5 },
];
for (const part of (process.env.BENCH_MIX ?? '').split(',').filter(Boolean)) {
  const [name, w] = part.split('=');
  const m = MIX.find((x) => x.name === name.replace(/_/g, ' '));
  if (!m || !(Number(w) >= 0)) throw new Error(`BENCH_MIX: unknown part "${part}"`);
  m.weight = Number(w);
}

/** Scrapes the service's own memory figures (prom-client's default metrics on /metrics), MiB. */
async function serviceMemory(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const get = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m ? Number(m[1]) / 1048576 : Number.NaN;
  };
  // time spent in V8's collections so far, by kind (prom-client's nodejs_gc_duration_seconds), ms
  const gc = (kind: string) => {
    const m = new RegExp(`^nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) * 1000 : 0;
  };
  return {
    heapUsed: get('nodejs_heap_size_used_bytes'),
    heapTotal: get('nodejs_heap_size_total_bytes'),
    external: get('nodejs_external_memory_bytes'),
    gcMinorMs: gc('minor'),
    gcMajorMs: gc('major') + gc('incremental'),
  };
}

/** The size of each V8 heap space (prom-client's nodejs_heap_space_size_total_bytes), MiB, as `space total/used`. */
async function heapSpaces(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const of = (metric: string) => new Map([...text.matchAll(new RegExp(`^${metric}\\{space="(\\w+)"\\} ([0-9.e+]+)$`, 'gm'))].map((m) => [m[1], Number(m[2]) / 1048576]));
  const total = of('nodejs_heap_space_size_total_bytes');
  const used = of('nodejs_heap_space_size_used_bytes');
  return [...total].map(([space, t]) => `${space} ${t.toFixed(1)}/${(used.get(space) ?? 0).toFixed(1)}`).join(', ');
}

/**
 * `--mixed` (issue 15 item 5): ROLE=api, no Redis, at a steady `--rate` requests/s (default
 * 200) for `--duration` s: creates, lists, reads, timelines, searches, a report, the home and
 * track pages. Every 10 s: the service's RSS (/proc), its V8 heap used/total and external
 * memory (its /metrics), the requests done and their p50/p99. Requests that would exceed 256
 * in flight are skipped and counted (the service is then slower than the rate).
 */
async function benchMixed(o: { root?: string; label: string }) {
  const port = await freePort();
  const heapSignal = process.env.BENCH_HEAPSNAP === '1';
  if (heapSignal) mkdirSync(join(ROOT, 'var', 'bench-heap'), { recursive: true });
  const nodeOptions = [process.env.BENCH_NODE_OPTIONS ?? '', heapSignal ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${join(ROOT, 'var', 'bench-heap')}` : ''].join(' ').trim();
  const child = await startService(port, false, { root: o.root, env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {} });
  const base = `http://127.0.0.1:${port}/api/v1`;
  try {
    const admin = (await post(base, '/auth/login', { username: 'admin', password: 'bench-admin-password' })).body.token as string;
    for (const [username, role] of [
      [`mix.intake.${o.label}`, 'intake'],
      [`mix.coord.${o.label}`, 'coordinator'],
    ]) {
      const u = await post(base, '/users', { username, password: 'bench-mixed-pw', name: '压测', role, departmentCode: 'SAMR' }, admin);
      if (u.status !== 201) throw new Error(`create ${role}: ${u.status} ${JSON.stringify(u.body)}`);
    }
    const intake = (await post(base, '/auth/login', { username: `mix.intake.${o.label}`, password: 'bench-mixed-pw' })).body.token as string;
    const coord = (await post(base, '/auth/login', { username: `mix.coord.${o.label}`, password: 'bench-mixed-pw' })).body.token as string;
    const tickets: { id: string; number: string; accessCode?: string }[] = [];
    const json = (token: string) => ({ authorization: `Bearer ${token}` });
    let n = 0;
    const year = new Date().getUTCFullYear();
    const one = async (kind: string): Promise<number> => {
      const pick = () => tickets[Math.floor(Math.random() * tickets.length)];
      switch (kind) {
        case 'create': {
          const r = await fetch(`${base}/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', ...json(intake) }, body: JSON.stringify(ticketBody(0, n++)) });
          const b = (await r.json()) as { id: string; number: string; accessCode?: string };
          if (r.status === 201) {
            tickets.push({ id: b.id, number: b.number, accessCode: b.accessCode });
            if (tickets.length > 5000) tickets.shift();
          }
          return r.status;
        }
        case 'list': {
          const dep = ['SAMR', 'TAX', 'HRSS', 'TRANSPORT'][n++ % 4];
          const r = await fetch(`${base}/tickets?departmentCode=${dep}&limit=20`, { headers: json(coord) });
          await r.arrayBuffer();
          return r.status;
        }
        case 'read':
        case 'events': {
          const t = pick();
          if (!t) return 0;
          const r = await fetch(`${base}/tickets/${t.id}${kind === 'events' ? '/events' : ''}`, { headers: json(coord) });
          await r.arrayBuffer();
          return r.status;
        }
        case 'search': {
          const r = await fetch(`${base}/tickets?q=${encodeURIComponent(['围挡', '施工', '不存在的词', '经营'][n++ % 4])}&limit=20`, { headers: json(coord) });
          await r.arrayBuffer();
          return r.status;
        }
        case 'report': {
          const r = await fetch(`${base}/reports/departments?from=${year}-01-01&to=${year}-12-31`, { headers: json(coord) });
          await r.arrayBuffer();
          return r.status;
        }
        case 'home page': {
          const r = await fetch(`http://127.0.0.1:${port}/`);
          await r.arrayBuffer();
          return r.status;
        }
        case 'track page': {
          const t = pick();
          if (!t?.accessCode) return 0;
          const r = await fetch(`http://127.0.0.1:${port}/track?number=${encodeURIComponent(t.number)}`);
          await r.arrayBuffer();
          return r.status;
        }
      }
      return 0;
    };
    const table: string[] = [];
    for (const m of MIX) for (let i = 0; i < m.weight; i++) table.push(m.name);
    let inFlight = 0;
    let skipped = 0;
    let errors = 0;
    const statuses = new Map<string, number>();
    const byKind = new Map<string, [number[], number[]]>();
    let window: number[] = [];
    const started = performance.now();
    const until = started + DURATION_S * 1000;
    const samples: {
      t: number;
      rss: number;
      anon: number;
      file: number;
      heapUsed: number;
      heapTotal: number;
      external: number;
      gcMinorMs: number;
      gcMajorMs: number;
      done: number;
      p50: number;
      p99: number;
    }[] = [];
    let cpuBefore = cpuMs(child.pid!) ?? Number.NaN;
    let cpuTotal = 0;
    let doneTotal = 0;
    const sample = async () => {
      const mem = await serviceMemory(port).catch(() => ({ heapUsed: Number.NaN, heapTotal: Number.NaN, external: Number.NaN, gcMinorMs: Number.NaN, gcMajorMs: Number.NaN }));
      const w = window.sort((a, b) => a - b);
      window = [];
      const cpuNow = cpuMs(child.pid!) ?? Number.NaN;
      const cpu = cpuNow - cpuBefore;
      cpuBefore = cpuNow;
      if (samples.length) {
        cpuTotal += cpu;
        doneTotal += w.length;
      }
      const parts = rssParts(child.pid!);
      const row = { t: Math.round((performance.now() - started) / 1000), ...parts, ...mem, done: w.length, p50: pct(w, 50), p99: pct(w, 99) } as (typeof samples)[number];
      samples.push(row);
      say(
        `  t=${String(row.t).padStart(3)} s  RSS ${row.rss.toFixed(0)} MiB (anon ${row.anon.toFixed(0)}, file ${row.file.toFixed(0)})  heap ${row.heapUsed.toFixed(0)}/${row.heapTotal.toFixed(0)} MiB  external ${row.external.toFixed(0)} MiB  ${(row.done / 10).toFixed(0)} req/s  p50 ${ms(row.p50)}  p99 ${ms(row.p99)}${w.length ? `  CPU ${(cpu / w.length).toFixed(2)} ms/req` : ''}`,
      );
    };
    say(`mixed load (${o.label}): ${MIXED_RATE} req/s for ${DURATION_S} s, ROLE=api, no Redis; ${MIX.map((m) => `${m.name} ${m.weight}%`).join(', ')}`);
    await sample();
    let next = performance.now();
    let nextSample = started + 10_000;
    let k = 0;
    while (performance.now() < until) {
      const now = performance.now();
      if (now >= nextSample) {
        nextSample += 10_000;
        await sample();
        continue;
      }
      if (now < next) {
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(next, nextSample) - now)));
        continue;
      }
      next += 1000 / MIXED_RATE;
      if (inFlight >= 256) {
        skipped++;
        continue;
      }
      const kind = table[(k++ * 37) % table.length];
      inFlight++;
      const t0 = performance.now();
      one(kind)
        .then(
          (status) => {
            const took = performance.now() - t0;
            window.push(took);
            // by kind and by half of the run: which request slows as the tables grow
            const half = t0 - started < (DURATION_S * 1000) / 2 ? 0 : 1;
            (byKind.get(kind) ?? byKind.set(kind, [[], []]).get(kind)!)[half].push(took);
            const key = `${kind} ${status}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          },
          () => {
            errors++;
          },
        )
        .finally(() => {
          inFlight--;
        });
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
    await sample();
    if (heapSignal) {
      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 8000));
    }
    say(`  V8 heap spaces at the end (total/used MiB): ${await heapSpaces(port).catch((e) => String(e))}`);
    const first = samples[0];
    const last = samples[samples.length - 1];
    say(
      `  V8 collections during the run: scavenges ${(last.gcMinorMs - first.gcMinorMs).toFixed(0)} ms, mark-compact ${(last.gcMajorMs - first.gcMajorMs).toFixed(0)} ms (main thread), ${(((last.gcMinorMs - first.gcMinorMs + last.gcMajorMs - first.gcMajorMs) / doneTotal) * 1000).toFixed(0)} µs per request`,
    );
    const tail = samples.slice(Math.floor(samples.length / 2)).map((x) => x.rss);
    say(
      `  RSS: start ${samples[0].rss.toFixed(0)} MiB, max ${Math.max(...samples.map((x) => x.rss)).toFixed(0)} MiB, second half ${Math.min(...tail).toFixed(0)}–${Math.max(...tail).toFixed(0)} MiB, end ${samples[samples.length - 1].rss.toFixed(0)} MiB; skipped ${skipped}, network errors ${errors}; service CPU ${(cpuTotal / doneTotal).toFixed(2)} ms per request over the run`,
    );
    say('  by kind, first half → second half of the run (answered requests, p50 / p99):');
    for (const [kind, halves] of [...byKind].sort()) {
      const [a, b] = halves.map((xs) => xs.sort((x, y) => x - y));
      say(`    ${kind.padEnd(11)} ${String(a.length).padStart(6)}  ${ms(pct(a, 50))} / ${ms(pct(a, 99))}  →  ${String(b.length).padStart(6)}  ${ms(pct(b, 50))} / ${ms(pct(b, 99))}`);
    }
    say(
      `  answers: ${[...statuses]
        .sort()
        .map(([k2, v]) => `${k2}: ${v}`)
        .join(', ')}`,
    );
  } finally {
    await stopService(child);
  }
}

function sayService(label: string, f: ServiceFigures) {
  say(`service${label}  POST /api/v1/tickets: ${f.n} tickets, ${f.rate.toFixed(1)} tickets/s, p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, ${f.failures} failed`);
  const w = f.whole;
  if (!w) {
    say(
      `  CPU per ticket during the load: ${f.cpu.map((c) => `${c.name} ${c.msPerTicket === null ? '?' : c.msPerTicket.toFixed(2)} ms`).join(', ')}; service idle ${f.idleMsPerS.toFixed(1)} ms/s; service RSS ${f.rss.toFixed(0)} MiB`,
    );
    return;
  }
  say(
    `  CPU per ticket, load and mail drain: ${w.cpu.map((c) => `${c.name} ${c.msPerTicket === null ? '?' : c.msPerTicket.toFixed(2)} ms`).join(', ')} (mariadbd and redis-server are shared with other users of this machine); service idle ${f.idleMsPerS.toFixed(1)} ms/s`,
  );
  say(
    `  mail at the sink (request sent → end of DATA): ${w.mail.delivered}/${w.mail.expected} delivered, p50 ${ms(w.mail.p50)}, p99 ${ms(w.mail.p99)}, max ${ms(w.mail.max)}; drained ${w.mail.drainS.toFixed(1)} s after the load; ${w.mail.messages} messages over ${w.mail.connections} SMTP connections`,
  );
  const st = w.statements;
  const top = (m: Record<string, number>) =>
    Object.entries(m)
      .filter(([, v]) => v >= 0.05)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
  say(
    `  per ticket (service process, load and mail drain): ${st.statements.toFixed(1)} SQL statements, ${st.commits.toFixed(2)} commits, ${Object.values(st.redis)
      .reduce((a, b) => a + b, 0)
      .toFixed(1)} Redis commands`,
  );
  say(`    SQL: ${top(st.sql)}`);
  say(`    Redis: ${top(st.redis)}`);
  say(`  timers armed: ${w.timers.armed} tickets with timers in Redis / ${w.timers.tickets} dispatched tickets; service RSS ${w.rss.toFixed(0)} MiB`);
}

async function main() {
  const [l1, l5] = loadavg();
  say(
    `bench:submit${WHOLE_JOB ? ' --whole-job' : ''}${MIXED ? ' --mixed' : ''} — ${CONCURRENCY} concurrent clients, ${DURATION_S} s per phase (warm-up ${WARMUP_S} s); node ${process.version}; load average ${l1.toFixed(2)} ${l5.toFixed(2)}`,
  );
  if (WHOLE_JOB) say(`whole job: ROLE=all, Redis ${REDIS_URL} (flushed), SMTP to a local smtp-server sink, submitters with an email and a mobile, timers armed by the workers`);
  const dbName = await freshDatabase(new URL(DATABASE_URL));
  const baseline = process.env.BENCH_BASELINE_ROOT;
  if (MIXED) {
    // each phase on a fresh database: the second would otherwise start with the first's tickets
    if (baseline) {
      await benchMixed({ root: resolve(baseline), label: 'base' });
      await freshDatabase(new URL(DATABASE_URL));
    }
    await benchMixed({ label: 'new' });
    const [e1, e5] = loadavg();
    say(`load average at the end: ${e1.toFixed(2)} ${e5.toFixed(2)}`);
    return;
  }
  if (baseline) sayService(' (baseline)', await benchService({ whole: WHOLE_JOB, root: resolve(baseline), label: 'base' }));
  const svc = await benchService({ whole: WHOLE_JOB, label: 'new' });
  sayService(baseline ? ' (this tree)' : '', svc);
  if (process.env.BENCH_SKIP_FLOOR === '1') return;
  // The floor the ratio is taken against: every row the create writes (issue 15: "the raw
  // floor of the same rows"), then the floor as first measured (without the search tokens and
  // the figure mark, which the create writes since items 2 and 3), then without the counter row.
  const floor = await benchFloor(dbName, true, true);
  const rows = (f: Awaited<ReturnType<typeof benchFloor>>) => 2 + f.events + f.outbox + f.tokens + f.marks;
  say(
    `raw floor, every row the create writes (counter row + ticket + ${floor.events} events${floor.outbox ? ` + ${floor.outbox} outbox rows` : ''} + ${floor.tokens} search tokens + ${floor.marks} figure mark, 1 tx each): ${floor.n} tickets, ${floor.rate.toFixed(1)} tickets/s (${(floor.rate * rows(floor)).toFixed(0)} rows/s), p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}`,
  );
  const first = await benchFloor(dbName, true);
  say(
    `raw floor as first measured (no search tokens, no figure mark): ${first.n} tickets, ${first.rate.toFixed(1)} tickets/s (${(first.rate * rows(first)).toFixed(0)} rows/s), p50 ${ms(first.p50)}, p99 ${ms(first.p99)}`,
  );
  const free = await benchFloor(dbName, false);
  say(`raw, no counter row, no derived rows (for scale): ${free.n} tickets, ${free.rate.toFixed(1)} tickets/s, p50 ${ms(free.p50)}, p99 ${ms(free.p99)}`);
  const ratio = svc.rate / floor.rate;
  say(
    `ratio service / raw floor of every row: ${ratio.toFixed(2)} (aim ≥ 0.50; against the first floor ${(svc.rate / first.rate).toFixed(2)}); p99 ${ms(svc.p99)} (aim < 100 ms; the floor's own p99 ${ms(floor.p99)}) → ${ratio >= 0.5 && svc.p99 < 100 ? 'met' : 'NOT met'}`,
  );
  say(cpuCeiling(svc, floor, cpus().length));
  const [e1, e5] = loadavg();
  say(`load average at the end: ${e1.toFixed(2)} ${e5.toFixed(2)}`);
}

/**
 * What the machine's CPU alone allows (issue 15 item 4): every CPU ms a ticket costs the
 * machine in the service phase (service, mariadbd, redis-server and the benchmark's own clients
 * and sink; the whole job's figure runs to the last mail) and in the floor (mariadbd and the
 * floor's clients). With `cores` cores fully used, `cost` ms per ticket cannot exceed
 * `cores × 1000 / cost` tickets/s sustained; that bound divided by the floor's measured rate is the
 * highest ratio this machine could keep up, whatever the service's latency. (The whole job's CPU runs
 * to the last mail, after the timed load: a create rate above the bound is a growing mail backlog.)
 */
function cpuCeiling(svc: ServiceFigures, floor: { rate: number; cpu: { name: string; msPerTicket: number | null }[] }, cores: number): string {
  const parts = svc.whole?.cpu ?? svc.cpu;
  const sum = (c: { msPerTicket: number | null }[]) => c.reduce((a, x) => a + (x.msPerTicket ?? Number.NaN), 0);
  const cost = sum(parts);
  const floorCost = sum(floor.cpu);
  const list = (c: { name: string; msPerTicket: number | null }[]) => c.map((x) => `${x.name} ${x.msPerTicket === null ? '?' : x.msPerTicket.toFixed(2)}`).join(' + ');
  const bound = (cores * 1000) / cost;
  const service = parts.find((x) => x.name === 'service')?.msPerTicket ?? Number.NaN;
  // the service's CPU per ticket at which the same job would reach half the floor on these cores
  const budget = (cores * 1000) / (0.5 * floor.rate) - (cost - service);
  return [
    `CPU per ticket on this machine (${cores} cores): service phase ${cost.toFixed(2)} ms (${list(parts)}); floor ${floorCost.toFixed(2)} ms (${list(floor.cpu)})`,
    `  → the CPU alone caps the service phase, sustained (creates with their mail and texts delivered: a faster create rate only grows the mail backlog), at ${bound.toFixed(0)} tickets/s (${(bound / floor.rate).toFixed(2)} × the floor); half the floor needs the service at ≤ ${budget.toFixed(2)} ms of CPU per ticket (now ${service.toFixed(2)}) with the rest unchanged`,
  ].join('\n');
}

main().catch((e) => {
  process.stderr.write(`bench:submit: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

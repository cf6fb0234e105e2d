/**
 * `npm run bench:submit` (issue 2, "Performance"): ticket creation over HTTP against
 * MariaDB, next to the raw floor of the same rows written directly with mysql2.
 *
 *   1. a fresh database (`DATABASE_URL`, default mysql://root@127.0.0.1:3306/bench_grievance;
 *      its name must start with "bench": it is dropped and created again);
 *   2. the service as a child process (`node build/src/main.js`, ROLE=api), so that the load
 *      generator does not share its event loop; C concurrent clients (fetch, keep-alive)
 *      create tickets as an intake user for D seconds after a short warm-up → tickets/s,
 *      p50/p99 latency;
 *   3. the raw floor: the same rows (the year's ticket_counter row, the ticket, its
 *      `created` and `dispatched` events) inserted by C connections, one transaction per
 *      ticket, for D seconds → rows/s; and, for scale, the same without the counter row;
 *   4. the ratio service / floor.
 *
 * Options (env or args): BENCH_DURATION_S / --duration (20), BENCH_CONCURRENCY /
 * --concurrency (32), BENCH_WARMUP_S / --warmup (2), BENCH_LOG_LEVEL (info: the service
 * logs every request, as in production; its stdout goes to /dev/null), BENCH_CPU_PROF=1
 * (the service runs with --cpu-prof, profiles under var/bench-prof/), BENCH_SKIP_FLOOR=1
 * (service phase only, for quick iterations). Prints figures;
 * asserts nothing.
 */
import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { freePort, option, pct, say, stopService, untilReady } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');


const DURATION_S = option('duration', 'BENCH_DURATION_S', 20);
const CONCURRENCY = Math.round(option('concurrency', 'BENCH_CONCURRENCY', 32));
const WARMUP_S = option('warmup', 'BENCH_WARMUP_S', 2);
const DATABASE_URL = process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/bench_grievance';
const CATEGORIES = ['market_access', 'employment', 'tax_fees', 'financing', 'banking_service', 'social_insurance', 'premises', 'transport', 'commerce', 'fiscal_support'];

const ms = (v: number) => `${v.toFixed(1)} ms`;


function connectionOptions(url: URL, database?: string) {
  return { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), ...(database ? { database } : {}), timezone: 'Z', charset: 'utf8mb4_unicode_ci' };
}

async function freshDatabase(url: URL): Promise<string> {
  const name = url.pathname.replace(/^\//, '');
  if (!/^bench[\w]*$/.test(name)) throw new Error(`refusing to drop "${name}": the benchmark database's name must start with "bench"`);
  const c = await mysql.createConnection(connectionOptions(url));
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const [vars] = await c.query("SHOW VARIABLES WHERE Variable_name IN ('version', 'innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')");
  await c.end();
  say(`database: ${url.host}/${name} (fresh); ${(vars as { Variable_name: string; Value: string }[]).map((v) => `${v.Variable_name}=${v.Value}`).join(', ')}`);
  return name;
}

async function startService(port: number, cpuProf: boolean): Promise<ChildProcess> {
  const args = [join(ROOT, 'build', 'src', 'main.js')];
  if (cpuProf) {
    const dir = join(ROOT, 'var', 'bench-prof');
    mkdirSync(dir, { recursive: true });
    args.unshift('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH, DATABASE_URL, JWT_SECRET: randomBytes(24).toString('base64url'), EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`, BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password',
      ROLE: 'api', PORT: String(port), LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info', MIGRATE_ON_START: '1', NODE_ENV: 'production',
      DATA_DIR: join(ROOT, 'var', 'bench'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return untilReady(child, port);
}


async function post(base: string, path: string, body: unknown, token?: string) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as any };
}

/** Runs `fn` in `CONCURRENCY` loops until `seconds` have passed; returns the latencies (ms) of successful calls and the failures. */
async function load(seconds: number, fn: (worker: number, i: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = 0; performance.now() < until; i++) {
      const t0 = performance.now();
      if (await fn(w, i)) latencies.push(performance.now() - t0);
      else failures++;
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), failures, seconds: (performance.now() - started) / 1000 };
}

let phone = 13900000000;
function ticketBody(w: number, i: number) {
  return {
    kind: 'complaint', channel: 'hotline', category: CATEGORIES[(w + i) % CATEGORIES.length], priority: 'normal',
    title: `压测工单 ${w}-${i}：门前道路施工围挡影响经营`,
    description: '店门前道路改造围挡已经四个月，顾客进不来，施工进度不公开，希望给出完工时间。'.repeat(2),
    owner: { name: '经营户压测', phone: String(phone++), businessName: '涪陵区示例商户' },
  };
}

async function benchService(): Promise<{ rate: number; p50: number; p99: number; n: number; failures: number }> {
  const port = await freePort();
  const child = await startService(port, process.env.BENCH_CPU_PROF === '1');
  const base = `http://127.0.0.1:${port}/api/v1`;
  try {
    const admin = await post(base, '/auth/login', { username: 'admin', password: 'bench-admin-password' });
    if (admin.status !== 200) throw new Error(`admin login: ${admin.status} ${JSON.stringify(admin.body)}`);
    const u = await post(base, '/users', { username: 'bench.intake', password: 'bench-intake-pw', name: '压测受理员', role: 'intake', departmentCode: 'SAMR' }, admin.body.token);
    if (u.status !== 201) throw new Error(`create intake: ${u.status} ${JSON.stringify(u.body)}`);
    const token = (await post(base, '/auth/login', { username: 'bench.intake', password: 'bench-intake-pw' })).body.token as string;
    let shown = 0;
    const create = async (w: number, i: number) => {
      const r = await fetch(`${base}/tickets`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(ticketBody(w, i)) });
      const text = await r.text();
      if (r.status !== 201) {
        if (shown++ < 3) process.stderr.write(`create: HTTP ${r.status} ${text.slice(0, 300)}\n`);
        return false;
      }
      return true;
    };
    await load(WARMUP_S, create);
    const res = await load(DURATION_S, create);
    return { rate: res.latencies.length / res.seconds, p50: pct(res.latencies, 50), p99: pct(res.latencies, 99), n: res.latencies.length, failures: res.failures };
  } finally {
    await stopService(child);
  }
}

/** The raw floor: the service's own rows for one ticket, copied from a ticket it created, written with plain mysql2. */
async function benchFloor(dbName: string, withCounter: boolean) {
  const url = new URL(DATABASE_URL);
  const pool = mysql.createPool({ ...connectionOptions(url, dbName), connectionLimit: CONCURRENCY, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const [[template]] = await pool.query("SELECT * FROM ticket WHERE state = 'dispatched' AND cycle = 1 LIMIT 1") as any;
    if (!template) throw new Error('no ticket to copy (the service phase created none)');
    const [events] = await pool.query('SELECT * FROM ticket_event WHERE ticket_id = ? ORDER BY seq', [template.id]) as any;
    const ticketCols = Object.keys(template);
    const eventCols = Object.keys(events[0]);
    const insertTicket = `INSERT INTO ticket (${ticketCols.map((c) => `\`${c}\``).join(', ')}) VALUES (${ticketCols.map(() => '?').join(', ')})`;
    const insertEvent = `INSERT INTO ticket_event (${eventCols.map((c) => `\`${c}\``).join(', ')}) VALUES (${eventCols.map(() => '?').join(', ')})`;
    const year = Number(String(template.number).slice(-10, -6));
    let serial = 0;
    const one = async (w: number, i: number) => {
      const c = await pool.getConnection();
      try {
        await c.beginTransaction();
        let number: string;
        if (withCounter) {
          const [res] = await c.query('INSERT INTO ticket_counter (year, last_value) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last_value = LAST_INSERT_ID(last_value + 1)', [year]) as any;
          number = `FL${year}${String(res.insertId).padStart(6, '0')}`;
        } else {
          number = `RAW${process.pid % 1000}${w}x${i}x${serial++}`;
        }
        const id = randomUUID();
        const now = new Date();
        const t = { ...template, id, number, source_id: null, title: `压测工单 raw ${w}-${i}`, created_at: now, updated_at: now, received_at: now };
        await c.execute(insertTicket, ticketCols.map((k) => t[k]));
        let prev = '0'.repeat(64);
        for (const e of events) {
          const row = { ...e, id: randomUUID(), ticket_id: id, at: now, prev_hash: prev };
          row.hash = createHash('sha256').update(JSON.stringify(eventCols.map((k) => row[k]))).digest('hex');
          prev = row.hash;
          await c.execute(insertEvent, eventCols.map((k) => row[k]));
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
    const res = await load(DURATION_S, one);
    return { rate: res.latencies.length / res.seconds, p50: pct(res.latencies, 50), p99: pct(res.latencies, 99), n: res.latencies.length, failures: res.failures, events: events.length };
  } finally {
    await pool.end();
  }
}

async function main() {
  say(`bench:submit — ${CONCURRENCY} concurrent clients, ${DURATION_S} s per phase (warm-up ${WARMUP_S} s); node ${process.version}`);
  const dbName = await freshDatabase(new URL(DATABASE_URL));
  const svc = await benchService();
  say(`service  POST /api/v1/tickets: ${svc.n} tickets, ${svc.rate.toFixed(1)} tickets/s, p50 ${ms(svc.p50)}, p99 ${ms(svc.p99)}, ${svc.failures} failed`);
  if (process.env.BENCH_SKIP_FLOOR === '1') return;
  const floor = await benchFloor(dbName, true);
  say(`raw floor (counter row + ticket + ${floor.events} events, 1 tx each): ${floor.n} tickets, ${floor.rate.toFixed(1)} tickets/s (${(floor.rate * (2 + floor.events)).toFixed(0)} rows/s), p50 ${ms(floor.p50)}, p99 ${ms(floor.p99)}`);
  const free = await benchFloor(dbName, false);
  say(`raw, no counter row (for scale):   ${free.n} tickets, ${free.rate.toFixed(1)} tickets/s, p50 ${ms(free.p50)}, p99 ${ms(free.p99)}`);
  const ratio = svc.rate / floor.rate;
  say(`ratio service / raw floor: ${ratio.toFixed(2)} (aim ≥ 0.50); p99 ${ms(svc.p99)} (aim < 100 ms) → ${ratio >= 0.5 && svc.p99 < 100 ? 'met' : 'NOT met'}`);
}

main().catch((e) => {
  process.stderr.write(`bench:submit: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

/**
 * `npm run bench:pages` (issue 9, "Tests": a benchmark, not a test): the server time of the
 * owner pages under load, next to a floor measured in the same run.
 *
 *   1. the service as a child process (`node build/src/main.js`, ROLE=api), so that the load
 *      generator does not share its event loop: on the embedded SQLite in a fresh data folder
 *      (var/bench-pages, emptied first), or on MariaDB with `BENCH_DATABASE_URL` (its name must
 *      start with "bench": it is dropped and created again);
 *   2. setup through the API: one web complaint per client (its number and access code);
 *   3. C concurrent clients (fetch, keep-alive), one phase of D seconds per page after a short
 *      warm-up, each request timed from send to the last byte of the body:
 *      - floor `GET /healthz` (HTTP, koa, the request log: everything but the page),
 *      - `GET /` home (open result notices, the calendar),
 *      - `GET /submit/complaint` the complaint form (categories, session and CSRF token),
 *      - `POST /track` the track page with number and access code (CSRF check, the attempt
 *        limiter, the code check, the ticket, its public timeline and files, the calendar);
 *      each client keeps its own cookies (a visitor: the CSRF binding cookie);
 *   4. per phase: requests, requests/s, the client's p50/p99 (send → last byte, queueing
 *      included), and the **server time** p50/p99: the `ms` of the service's own request log
 *      line (from the first middleware to the response, read from its stdout), the render
 *      time as the service sees it; with the floor's subtracted.
 *
 * Options (env or args): BENCH_DURATION_S / --duration (10), BENCH_CONCURRENCY /
 * --concurrency (32), BENCH_WARMUP_S / --warmup (2), BENCH_LOG_LEVEL (info: the service logs
 * every request, as in production; its stdout goes to /dev/null). Prints figures; asserts nothing.
 */
import 'reflect-metadata';
import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import mysql from 'mysql2/promise';
import { freePort, option, pct, say, stopService, untilReady } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');

const DURATION_S = option('duration', 'BENCH_DURATION_S', 10);
const CONCURRENCY = Math.round(option('concurrency', 'BENCH_CONCURRENCY', 32));
const WARMUP_S = option('warmup', 'BENCH_WARMUP_S', 2);
const DATABASE_URL = process.env.BENCH_DATABASE_URL || '';
const DATA_DIR = join(ROOT, 'var', 'bench-pages');

const ms = (v: number) => `${v.toFixed(1)} ms`;

async function freshDatabase(url: URL): Promise<void> {
  const name = url.pathname.replace(/^\//, '');
  if (!/^bench[\w]*$/.test(name)) throw new Error(`refusing to drop "${name}": the benchmark database's name must start with "bench"`);
  const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
}

/** Server times (ms) of the request log lines `METHOD path` → times, while `recording`. */
const serverTimes = new Map<string, number[]>();
let recording = false;

async function startService(port: number): Promise<ChildProcess> {
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  const child = spawn(process.execPath, [join(ROOT, 'build', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATA_DIR,
      JWT_SECRET: randomBytes(24).toString('base64url'),
      EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password',
      ROLE: 'api',
      PORT: String(port),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info',
      MIGRATE_ON_START: '1',
      NODE_ENV: 'production',
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!recording || !line.includes('"request"')) return;
    try {
      const e = JSON.parse(line) as { msg?: string; method?: string; path?: string; ms?: number };
      if (e.msg !== 'request' || typeof e.ms !== 'number') return;
      const key = `${e.method} ${e.path}`;
      const list = serverTimes.get(key) ?? [];
      list.push(e.ms);
      serverTimes.set(key, list);
    } catch {
      /* not a log line */
    }
  });
  return untilReady(child, port);
}

/** A visitor: its own cookie jar (the CSRF binding cookie), the CSRF token of the last form it read. */
class Visitor {
  private cookies = new Map<string, string>();
  csrf = '';
  constructor(private readonly base: string) {}
  async request(path: string, form?: Record<string, string>): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const r = await fetch(this.base + path, { method: form ? 'POST' : 'GET', headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [k, v] = c.split(';')[0].split('=');
      this.cookies.set(k, v);
    }
    const text = await r.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text);
    if (token) this.csrf = token[1];
    return { status: r.status, text };
  }
}

/** Runs one loop per client until `seconds` have passed; the latencies (ms) of the calls that answered as expected, and the others. */
async function load(seconds: number, fn: (worker: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        if (await fn(w)) latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failures, seconds: (performance.now() - started) / 1000 };
}

async function main() {
  say(
    `bench:pages — ${CONCURRENCY} concurrent clients, ${DURATION_S} s per page (warm-up ${WARMUP_S} s); node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (DATABASE_URL) await freshDatabase(new URL(DATABASE_URL));
  say(`database: ${DATABASE_URL ? new URL(DATABASE_URL).host + new URL(DATABASE_URL).pathname : 'embedded SQLite (var/bench-pages)'}`);
  const port = await freePort();
  const child = await startService(port);
  const base = `http://127.0.0.1:${port}`;
  try {
    // one ticket per client, as an owner submits it on the web (number and access code)
    const tickets: { number: string; code: string }[] = [];
    for (let w = 0; w < CONCURRENCY; w++) {
      const r = await fetch(`${base}/api/v1/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'complaint',
          channel: 'web',
          category: 'premises',
          title: `压测：门前道路施工围挡影响经营 ${w}`,
          description: '店门前道路改造围挡已经四个月，顾客进不来。',
          owner: { name: '经营户压测', phone: String(13900000000 + w) },
        }),
      });
      const body = (await r.json()) as { number?: string; accessCode?: string };
      if (r.status !== 201 || !body.number || !body.accessCode) throw new Error(`create: HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
      tickets.push({ number: body.number, code: body.accessCode });
    }
    const visitors = tickets.map(() => new Visitor(base));
    for (const v of visitors) await v.request('/track'); // the binding cookie and a form's token

    let shown = 0;
    const expect = (label: string, r: { status: number; text: string }, status: number, marker: string) => {
      if (r.status === status && r.text.includes(marker)) return true;
      if (shown++ < 3) process.stderr.write(`${label}: HTTP ${r.status} ${r.text.slice(0, 200)}\n`);
      return false;
    };
    const phases: [string, string, (w: number) => Promise<boolean>][] = [
      ['floor GET /healthz', 'GET /healthz', async (w) => expect('healthz', await visitors[w].request('/healthz'), 200, '"ok"')],
      ['GET / (home)', 'GET /', async (w) => expect('home', await visitors[w].request('/'), 200, '查询办理进度')],
      ['GET /submit/complaint', 'GET /submit/complaint', async (w) => expect('submit', await visitors[w].request('/submit/complaint'), 200, 'name="formKey"')],
      [
        'POST /track (number + code)',
        'POST /track',
        async (w) => {
          const v = visitors[w];
          return expect('track', await v.request('/track', { _csrf: v.csrf, number: tickets[w].number, code: tickets[w].code }), 200, '办理记录');
        },
      ],
    ];
    const flush = () => new Promise((r) => setTimeout(r, 1500)); // the service writes its log in batches every 0.5 s
    const rows: { label: string; n: number; rate: number; p50: number; p99: number; s50: number; s99: number; failures: number }[] = [];
    say(`${'page'.padEnd(30)} ${'requests'.padStart(8)} ${'per s'.padStart(6)}  client p50 / p99        server p50 / p99`);
    for (const [label, key, fn] of phases) {
      await load(WARMUP_S, fn);
      await flush();
      serverTimes.clear();
      recording = true;
      const r = await load(DURATION_S, fn);
      await flush();
      recording = false;
      const server = (serverTimes.get(key) ?? []).sort((a, b) => a - b);
      const row = {
        label,
        n: r.latencies.length,
        rate: r.latencies.length / r.seconds,
        p50: pct(r.latencies, 50),
        p99: pct(r.latencies, 99),
        s50: pct(server, 50),
        s99: pct(server, 99),
        failures: r.failures,
      };
      rows.push(row);
      say(
        `${label.padEnd(30)} ${String(row.n).padStart(8)} ${row.rate.toFixed(0).padStart(6)}  ${ms(row.p50).padStart(9)} / ${ms(row.p99).padStart(9)}  ${ms(row.s50).padStart(9)} / ${ms(row.s99).padStart(9)}  (${server.length} log lines, ${row.failures} failed)`,
      );
    }
    const floor = rows[0];
    say('');
    say(`server time above the floor's (${ms(floor.s50)} / ${ms(floor.s99)}), p50 / p99:`);
    for (const r of rows.slice(1)) say(`  ${r.label.padEnd(28)} +${ms(r.s50 - floor.s50)} / +${ms(r.s99 - floor.s99)}`);
    const worst = Math.max(...rows.slice(1).map((r) => r.s99));
    say(
      `worst page server p99 ${ms(worst)} (aim < 50 ms) → ${worst < 50 ? 'met' : 'NOT met'}; load average now ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    await stopService(child);
  }
}

main().catch((e) => {
  process.stderr.write(`bench:pages: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

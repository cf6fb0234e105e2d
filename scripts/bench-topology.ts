/**
 * `npm run bench:topology` (issue 14, "Benchmark"): whole-job ticket creation on the local
 * multi-node topology against one node, in one run, and the cost of the year's counter row
 * under multi-primary.
 *
 *   1. one node: a 1-node Galera "cluster" (the same mariadbd configuration as the nodes of
 *      step 2, so that only the replication differs), one Redis, one API process and one
 *      worker, SMTP to a local sink;
 *   2. the topology: a 3-node Galera cluster, Redis with a replica and three sentinels, two API
 *      processes (on nodes 1 and 2) behind haproxy, two workers (on nodes 3 and 1), the same
 *      sink;
 *   and for each: C clients (default 32) create hotline complaints with an email address for
 *   D seconds (default 20) as an intake user: the whole job (the ticket, its events, routing,
 *   the owner's mail in the outbox and delivered by the workers, the timers armed). Printed: tickets/s,
 *   p50/p99 latency, refusals by status and problem code, transaction retries per 1,000 creates (from
 *   `db_transaction_retries_total` of every API process: deadlocks and Galera certification
 *   failures, mostly on the counter row), and how long after the load the last mail arrived.
 *
 * Everything runs on loopback ports under a temporary directory (scripts/topology/local.ts);
 * the machine's own MariaDB and Redis are not touched. Options (env): BENCH_DURATION_S (20),
 * BENCH_CONCURRENCY (32). Prints figures; asserts nothing. Needs what `npm run test:topology`
 * needs (redis-server, mariadb-server, galera-4, haproxy, rsync).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { SMTPServer } from 'smtp-server';
import { LocalTopology, missingTools, until } from './topology/local';
import { pct, say } from './bench-common';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] || fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const DURATION_S = num('BENCH_DURATION_S', 20);
const CONCURRENCY = Math.round(num('BENCH_CONCURRENCY', 32));
const ADMIN_PASSWORD = 'Bench-Topology-Admin-1!';
const METRICS_TOKEN = 'bench-topology-metrics-0123456789';

/** An SMTP sink that accepts everything and counts messages (with the time of the last one). */
async function startSink() {
  const state = { count: 0, lastAt: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        state.count++;
        state.lastAt = performance.now();
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const r = await fetch(base + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, body: json, text };
}

async function retries(ports: number[]): Promise<number> {
  let n = 0;
  for (const p of ports) {
    const m = await (await fetch(`http://127.0.0.1:${p}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    for (const x of m.matchAll(/^db_transaction_retries_total\{[^}]*\} (\d+)/gm)) n += Number(x[1]);
  }
  return n;
}

interface Figures {
  label: string;
  created: number;
  rate: number;
  p50: number;
  p99: number;
  refused: Record<string, number>;
  retriesPer1000: number;
  mailLagS: number;
  mails: number;
}

/** The load: CONCURRENCY clients creating through `base` for DURATION_S. */
async function measure(label: string, base: string, apiPorts: number[], sink: Awaited<ReturnType<typeof startSink>>): Promise<Figures> {
  const admin = (await call(base, 'POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).body.token as string;
  const mk = await call(base, 'POST', '/api/v1/users', { username: 'intake1', password: 'Pw-intake1-123!', name: '接线员', role: 'intake', departmentCode: 'SAMR' }, admin);
  if (mk.status !== 201) throw new Error(`creating the intake user: ${mk.status} ${mk.text}`);
  const intake = (await call(base, 'POST', '/api/v1/auth/login', { username: 'intake1', password: 'Pw-intake1-123!' })).body.token as string;
  const before = await retries(apiPorts);
  const sentBefore = sink.state.count;
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let seq = 0;
  const started = performance.now();
  const end = started + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const i = seq++;
        const t0 = performance.now();
        try {
          const r = await call(
            base,
            'POST',
            '/api/v1/tickets',
            {
              kind: 'complaint',
              channel: 'hotline',
              category: 'tax_fees',
              title: `压测 ${i}：定额税核定偏高`,
              description: '今年营业额下降了三成，但定额没有调整。',
              owner: { name: '经营户', phone: `139${String(i).padStart(8, '0')}`, email: `owner${i}@example.test` },
            },
            intake,
          );
          if (r.status === 201) latencies.push(performance.now() - t0);
          else {
            const key = `${r.status} ${r.body?.code ?? ''}`.trim();
            refused[key] = (refused[key] ?? 0) + 1;
          }
        } catch (e) {
          refused[(e as Error).name] = (refused[(e as Error).name] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const loadEnded = performance.now();
  const created = latencies.length;
  // every created ticket mails its receipt to the owner (no department staff have mail here):
  // wait for those, then until nothing more arrives for 3 s
  await until(`${created} receipts delivered`, async () => sink.state.count - sentBefore >= created, 300_000, 200).catch(() => undefined);
  let seen = -1;
  await until(
    'the mail to settle',
    async () => {
      const settled = sink.state.count === seen;
      seen = sink.state.count;
      return settled;
    },
    60_000,
    3_000,
  ).catch(() => undefined);
  const after = await retries(apiPorts);
  latencies.sort((a, b) => a - b);
  return {
    label,
    created,
    rate: created / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    refused,
    retriesPer1000: created ? ((after - before) / created) * 1000 : 0,
    mailLagS: Math.max(0, (sink.state.lastAt - loadEnded) / 1000),
    mails: sink.state.count - sentBefore,
  };
}

const baseEnv = (dir: string): Record<string, string> => {
  mkdirSync(dir, { recursive: true });
  return {
    JWT_SECRET: 'bench-topology-secret-0123456789abcdef',
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    METRICS_TOKEN,
    EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    QUEUE_PREFIX: '{grievance}',
    DATA_DIR: dir,
    TRUST_PROXY: '1',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    MAIL_FROM: 'noreply@grievance.test',
  };
};

async function createDb(port: number) {
  const c = await createConnection({ host: '127.0.0.1', port, user: 'grv', password: 'grv' });
  await c.query('CREATE DATABASE grievance CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await c.end();
}

async function oneNode(sink: Awaited<ReturnType<typeof startSink>>): Promise<Figures> {
  const topo = new LocalTopology();
  try {
    const galera = await topo.galera(1);
    await createDb(galera.nodes[0].port);
    const redis = await topo.redis();
    const env = { ...baseEnv(join(topo.dir, 'data')), DATABASE_URL: galera.url(0, 'grievance'), REDIS_URL: redis.url, SMTP_URL: sink.url };
    const port = await topo.port();
    await topo.service('api', { ...env, ROLE: 'api', PORT: String(port) });
    await topo.service('worker', { ...env, ROLE: 'worker' });
    return await measure('one node: 1 API, 1 worker, 1 MariaDB, 1 Redis', `http://127.0.0.1:${port}`, [port], sink);
  } finally {
    await topo.stop();
  }
}

async function topology(sink: Awaited<ReturnType<typeof startSink>>): Promise<Figures> {
  const topo = new LocalTopology();
  try {
    const [sentinel, galera] = [await topo.redisSentinel(), await topo.galera(3)];
    await createDb(galera.nodes[0].port);
    const env = (name: string, node: number) => ({ ...baseEnv(join(topo.dir, 'data', name)), DATABASE_URL: galera.url(node, 'grievance'), REDIS_URL: sentinel.url, SMTP_URL: sink.url });
    const [portA, portB] = [await topo.port(), await topo.port()];
    await topo.service('api-a', { ...env('api-a', 0), ROLE: 'api', PORT: String(portA) }); // migrates and seeds first
    await topo.service('api-b', { ...env('api-b', 1), ROLE: 'api', PORT: String(portB) });
    await Promise.all([topo.service('worker-a', { ...env('worker-a', 2), ROLE: 'worker' }), topo.service('worker-b', { ...env('worker-b', 0), ROLE: 'worker' })]);
    const lb = await topo.haproxy([
      { name: 'a', port: portA },
      { name: 'b', port: portB },
    ]);
    return await measure('topology: 2 APIs behind haproxy, 2 workers, 3-node Galera, Sentinel', `http://127.0.0.1:${lb.port}`, [portA, portB], sink);
  } finally {
    await topo.stop();
  }
}

async function main() {
  const missing = missingTools();
  if (missing.length) throw new Error(`not installed: ${missing.join(', ')}`);
  say(`bench:topology — ${CONCURRENCY} clients, ${DURATION_S} s each, whole job (mail delivered, timers armed)`);
  const sink = await startSink();
  try {
    const rows = [await oneNode(sink), await topology(sink)];
    say();
    say('| setup | tickets 201 | tickets/s | p50 | p99 | refused | retries per 1,000 creates | mails | last mail after the load |');
    say('|---|---|---|---|---|---|---|---|---|');
    for (const f of rows) {
      const refused =
        Object.entries(f.refused)
          .map(([k, v]) => `${v}×${k}`)
          .join(', ') || 'none';
      say(
        `| ${f.label} | ${f.created} | ${f.rate.toFixed(1)} | ${f.p50.toFixed(0)} ms | ${f.p99.toFixed(0)} ms | ${refused} | ${f.retriesPer1000.toFixed(1)} | ${f.mails} | ${f.mailLagS.toFixed(1)} s |`,
      );
    }
    say(`ratio topology / one node: ${(rows[1].rate / rows[0].rate).toFixed(2)}`);
  } finally {
    await sink.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});

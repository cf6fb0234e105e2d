/**
 * bench:figures (issue 15 item 2): what maintaining the report figures costs the create
 * path, measured before choosing where they are maintained. Four variants of one create
 * transaction, written with plain mysql2 by 32 clients for 10 s each, in one run:
 *   1. floor: the year's counter row, a ticket row, two events (what every create writes);
 *   2. + mark: and one `figure_dirty` row of the ticket's own key (what was chosen);
 *   3. + bucket: and the (department, day) bucket row's `received + 1`, the figure kept in
 *      the creating transaction (the alternative), taken right after the counter row;
 *   4. + bucket first: the same with the bucket row taken before the ticket and events.
 * Departments are drawn as owners' tickets fall (SAMR 25%, TAX 20%, HRSS 10%, ten others
 * evenly), so the hottest bucket is SAMR's row of today. Prints tickets/s, p50/p99 and the
 * ratio to the floor of the same run. Tables are the minimal shapes of the service's, in a
 * scratch database (BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/bench_figures).
 * Options: --clients N (32), --seconds N (10), --rounds N (2: the four variants run twice, to show the noise).
 */
import mysql from 'mysql2/promise';
import { randomUUID } from 'node:crypto';
import { option, pct, say } from './bench-common';

const CLIENTS = option('clients', 'BENCH_CLIENTS', 32);
const SECONDS = option('seconds', 'BENCH_SECONDS', 10);
const ROUNDS = option('rounds', 'BENCH_ROUNDS', 2);
const URL_ = new URL(process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/bench_figures');
const DB = URL_.pathname.slice(1) || 'bench_figures';
const DEPTS = ['SAMR', 'TAX', 'HRSS', 'A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A09', 'A10'];
const WEIGHTS = [25, 20, 10, ...Array(10).fill(4.5)];

function dept(): string {
  let r = Math.random() * 100;
  for (const [i, w] of WEIGHTS.entries()) {
    r -= w;
    if (r < 0) return DEPTS[i];
  }
  return DEPTS[DEPTS.length - 1];
}

type Variant = 'floor' | 'mark' | 'bucket' | 'bucket-first';

async function main() {
  const admin = await mysql.createConnection({ host: URL_.hostname, port: Number(URL_.port || 3306), user: decodeURIComponent(URL_.username || 'root'), password: decodeURIComponent(URL_.password) });
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.query(`CREATE DATABASE \`${DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const pool = mysql.createPool({
    host: URL_.hostname,
    port: Number(URL_.port || 3306),
    user: decodeURIComponent(URL_.username || 'root'),
    password: decodeURIComponent(URL_.password),
    database: DB,
    connectionLimit: CLIENTS,
  });
  await pool.query('CREATE TABLE ticket_counter (year INT PRIMARY KEY, last_value INT NOT NULL)');
  await pool.query(
    'CREATE TABLE ticket (id VARCHAR(36) PRIMARY KEY, number VARCHAR(20) NOT NULL UNIQUE, department_code VARCHAR(16), title VARCHAR(200), description TEXT, received_at DATETIME(3), KEY idx_dept (department_code))',
  );
  await pool.query(
    'CREATE TABLE ticket_event (id VARCHAR(36) PRIMARY KEY, ticket_id VARCHAR(36) NOT NULL, seq INT NOT NULL, type VARCHAR(32), at DATETIME(3), payload TEXT, prev_hash CHAR(64), hash CHAR(64), UNIQUE KEY uq (ticket_id, seq))',
  );
  await pool.query('CREATE TABLE figure_dirty (ticket_id VARCHAR(36) PRIMARY KEY)');
  await pool.query('CREATE TABLE report_figure (department_code VARCHAR(16), day VARCHAR(10), accused VARCHAR(16), received INT NOT NULL DEFAULT 0, PRIMARY KEY (department_code, day, accused))');

  const hash = 'f'.repeat(64);
  const bucket = (c: mysql.PoolConnection, d: string) =>
    c.query("INSERT INTO report_figure (department_code, day, accused, received) VALUES (?, ?, '', 1) ON DUPLICATE KEY UPDATE received = received + 1", [d, '2026-12-03']);
  const one = async (variant: Variant) => {
    const c = await pool.getConnection();
    try {
      await c.beginTransaction();
      const id = randomUUID();
      const d = dept();
      const now = new Date();
      if (variant === 'bucket-first') await bucket(c, d);
      // the counter row is taken last among the ticket's own rows, as the service does (docs/performance.md)
      await c.query('INSERT INTO ticket_event (id, ticket_id, seq, type, at, payload, prev_hash, hash) VALUES (?, ?, 1, ?, ?, ?, ?, ?), (?, ?, 2, ?, ?, ?, ?, ?)', [
        randomUUID(),
        id,
        'created',
        now,
        '{"channel":"hotline"}',
        '0'.repeat(64),
        hash,
        randomUUID(),
        id,
        'dispatched',
        now,
        `{"departmentCode":"${d}"}`,
        hash,
        hash,
      ]);
      if (variant === 'mark') await c.query('INSERT INTO figure_dirty (ticket_id) VALUES (?) ON DUPLICATE KEY UPDATE ticket_id = ticket_id', [id]);
      const [res] = (await c.query('INSERT INTO ticket_counter (year, last_value) VALUES (2026, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last_value = LAST_INSERT_ID(last_value + 1)')) as [
        mysql.ResultSetHeader,
        unknown,
      ];
      if (variant === 'bucket') await bucket(c, d);
      await c.query('INSERT INTO ticket (id, number, department_code, title, description, received_at) VALUES (?, ?, ?, ?, ?, ?)', [
        id,
        `FL2026${String(res.insertId).padStart(6, '0')}`,
        d,
        '压测工单',
        '经营场所附近施工噪音扰民，影响营业。',
        now,
      ]);
      await c.commit();
      return true;
    } catch (e) {
      await c.rollback().catch(() => undefined);
      process.stderr.write(`${variant}: ${(e as Error).message}\n`);
      return false;
    } finally {
      c.release();
    }
  };
  const run = async (variant: Variant) => {
    const latencies: number[] = [];
    let failures = 0;
    const until = Date.now() + SECONDS * 1000;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) {
          const t0 = performance.now();
          if (await one(variant)) latencies.push(performance.now() - t0);
          else failures++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return { rate: latencies.length / ((Date.now() - started) / 1000), p50: pct(latencies, 50), p99: pct(latencies, 99), failures };
  };
  const [ver] = (await pool.query('SELECT VERSION() AS v')) as [{ v: string }[], unknown];
  say(`bench:figures — ${CLIENTS} clients, ${SECONDS} s per variant, ${ROUNDS} round(s), MariaDB ${ver[0].v}`);
  // a short warm-up, not counted
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < 20; i++) await one('floor');
    }),
  );
  for (let round = 1; round <= ROUNDS; round++) {
    let floor = 0;
    for (const v of ['floor', 'mark', 'bucket', 'bucket-first'] as const) {
      const r = await run(v);
      if (v === 'floor') floor = r.rate;
      say(
        `${round} ${v.padEnd(13)} ${r.rate.toFixed(1).padStart(8)} tickets/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ratio to floor ${(r.rate / floor).toFixed(2)}${r.failures ? `  ${r.failures} failed` : ''}`,
      );
    }
  }
  await pool.end();
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

/**
 * `npm run bench:search` (issue 15 item 3): `GET /tickets?q=` before and after the search
 * index. Prints figures and plans, asserts nothing.
 *
 * Loads N tickets (default 200,000; Chinese titles and descriptions from a small vocabulary,
 * every department, a few integrity reports, a caller's phone each) as bulk rows, builds the
 * index with `reindexSearch` (timed), then times each query as the coordinator and as a TAX
 * handler: "before" is today's main's query (`search_title LIKE '%word%' OR number = …`, now over `title`: the column is dropped),
 * "after" is `listTickets` through the index; and prints the EXPLAIN of each.
 *
 * Environment: DATABASE_URL (a MariaDB server: a database `bench_search_<time>` is created and
 * dropped; without it the embedded SQLite in a temporary directory), BENCH_TICKETS (default
 * 200000), BENCH_RUNS (timed runs per query, default 15), BENCH_KEEP=1 keeps the database.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { boot } from '../src/boot';
import { createLogger } from '../src/logger';
import { searchForm } from '../src/domain/text';
import type { UserActor } from '../src/domain/lifecycle';
import { reindexSearch } from '../src/commands/search-index';
import { countTickets, criteriaQuery, listTickets, newestFirst } from '../src/queries/tickets';
import { visibilityScope } from '../src/queries/visibility';
import { Ticket } from '../src/entities';
import { inTransaction, isMysql } from '../src/db';
import { option, pct, say } from './bench-common';

const env = process.env;
const TOTAL = option('tickets', 'BENCH_TICKETS', 200_000);
const RUNS = option('runs', 'BENCH_RUNS', 15);
const DAY = 86_400_000;

const PLACES = ['餐馆', '面馆', '超市', '菜市场', '药店', '网吧', '理发店', '五金店', '火锅店', '便利店', '农贸市场', '加油站'];
const PROBLEMS = ['乱收费', '噪音扰民', '油烟污染', '占道经营', '营业执照办理太慢', '虚假宣传', '食品安全问题', '消防隐患', '停车难', '路灯坏了', '退款难', '缺斤短两'];
const SENTENCES = [
  '晚上十点以后还在施工',
  '多次反映没有结果',
  '工作人员态度不好',
  '希望尽快处理',
  '周边居民意见很大',
  '窗口排队两个小时',
  '要求补交材料',
  '价格没有明码标价',
  '门口堆放杂物',
  '发票开具不规范',
];
const DEPTS = ['TAX', 'HRSS', 'SAMR', 'TRN', 'COM', 'HOUS', 'ENV', 'EDU'];
const benchId = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`;
const sqlTime = (d: Date) => d.toISOString().slice(0, 23).replace('T', ' ');
const q1 = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main() {
  const server = env.DATABASE_URL;
  let dbName: string | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-search-'));
  const config: NodeJS.ProcessEnv = {
    JWT_SECRET: 'bench-secret-bench-secret-bench',
    EVENT_CHAIN_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: '1',
    DATA_DIR: dataDir,
    BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-pw',
  };
  let admin: Awaited<ReturnType<typeof createConnection>> | undefined;
  if (server) {
    const u = new URL(server);
    admin = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    dbName = `bench_search_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    u.pathname = `/${dbName}`;
    config.DATABASE_URL = u.toString();
  }
  const deps = await boot(config, { log: createLogger('warn') });
  const db = deps.db;
  const mysql = isMysql(db);
  say(
    `backend: ${mysql ? `MariaDB ${(await db.query('SELECT VERSION() AS v'))[0].v} (${dbName})` : 'SQLite (embedded)'}; ${TOTAL.toLocaleString('en-US')} tickets; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  try {
    const now = new Date();
    const started = Date.now();
    const cols =
      'id, number, kind, channel, priority, state, cycle, department_code, title, description, anonymous, contact, received_at, cycle_started_at, accused_department_code, escalation_level, deadlines_provisional, version, created_at, updated_at';
    for (let i = 0; i < TOTAL; i += 2000) {
      const values: string[] = [];
      for (let k = i; k < Math.min(TOTAL, i + 2000); k++) {
        const integrity = k % 97 === 0;
        // a rare word: about 1 ticket in 1,000
        const title = `${PLACES[k % PLACES.length]}${PROBLEMS[(k * 7) % PROBLEMS.length]}${k % 1000 === 3 ? '冷链' : ''}`;
        const description = `${SENTENCES[k % SENTENCES.length]}，${SENTENCES[(k * 3 + 1) % SENTENCES.length]}。${PLACES[(k * 5) % PLACES.length]}在${k % 20}号。`;
        const created = new Date(now.getTime() - 3 * 365 * DAY + Math.floor((k / TOTAL) * 3 * 365 * DAY));
        const contact = JSON.stringify({ name: '经营户', phone: `139${String(k).padStart(8, '0')}` });
        values.push(
          `(${q1(benchId(k))},'B${String(k).padStart(10, '0')}',${integrity ? "'integrity_report'" : "'complaint'"},'hotline','normal','closed',1,${q1(integrity ? 'DIS' : DEPTS[Math.floor(k / 3) % DEPTS.length])},${q1(title)},${q1(description)},0,${q1(contact)},'${sqlTime(created)}','${sqlTime(created)}',${integrity ? q1(DEPTS[k % DEPTS.length]) : 'NULL'},0,0,1,'${sqlTime(created)}','${sqlTime(created)}')`,
        );
      }
      await db.query(`INSERT INTO ticket (${cols}) VALUES ${values.join(',')}`);
    }
    say(`loaded ${TOTAL.toLocaleString('en-US')} ticket rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const ixStart = Date.now();
    let after: string | undefined;
    let tokens = 0;
    for (;;) {
      const r = await inTransaction(db, (em) => reindexSearch(em, { after, limit: 2000 }));
      if (!r.last) break;
      tokens += r.tokens;
      after = r.last;
    }
    const ixS = (Date.now() - ixStart) / 1000;
    say(
      `reindexSearch: ${tokens.toLocaleString('en-US')} tokens (${(tokens / TOTAL).toFixed(1)} per ticket) in ${ixS.toFixed(1)} s (${Math.round(TOTAL / ixS).toLocaleString('en-US')} tickets/s); load ${loadavg()[0].toFixed(2)}`,
    );
    await db.query(mysql ? 'ANALYZE TABLE ticket, ticket_search_token' : 'ANALYZE');

    const coord: UserActor = { kind: 'user', userId: 'bench-coord', role: 'coordinator', departmentCode: 'SAMR', isHead: false };
    const tax: UserActor = { kind: 'user', userId: 'bench-tax', role: 'handler', departmentCode: 'TAX', isHead: false };
    const number = `B${String(Math.floor(TOTAL / 2)).padStart(10, '0')}`;
    const phone = `139${String(Math.floor(TOTAL / 3)).padStart(8, '0')}`;
    const queries: [string, string][] = [
      ['a word that matches nothing', '飞机'],
      ['a rare word (1 in 1,000)', '冷链'],
      ['a common 2-character word', '噪音'],
      ['two words', '火锅店 噪音'],
      ['a ticket number', number],
      ['a phone number', phone],
    ];
    /** main before issue 15: a substring of the title as searched, or the exact number (the column `search_title` is gone since 1797900000000; the bench's titles are already in their searched form, so the title gives the same matches and the same plan) */
    const before = (a: UserActor, q: string) => {
      const qb = db.getRepository(Ticket).createQueryBuilder('t');
      visibilityScope(qb, a);
      const like = `%${searchForm(q).replace(/[%_!]/g, (c) => `!${c}`)}%`;
      qb.andWhere(`(t.title LIKE :q ESCAPE '!' OR t.number = :num)`, { q: like, num: q.trim().toUpperCase() });
      return qb.orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').limit(21);
    };
    const time = async (fn: () => Promise<unknown>) => {
      const ms: number[] = [];
      await fn();
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      ms.sort((a, b) => a - b);
      return `p50 ${pct(ms, 50).toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`;
    };
    const explain = async (db: DataSource, sql: string, params: unknown[]) => {
      if (mysql) {
        const plan: Record<string, unknown>[] = await db.query(`EXPLAIN ${sql}`, params);
        return plan.map((r) => `      ${r.table}: type=${r.type} key=${r.key} rows=${r.rows}${r.Extra ? ` (${r.Extra})` : ''}`).join('\n');
      }
      const plan: { detail: string }[] = await db.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      return plan.map((r) => `      ${r.detail}`).join('\n');
    };
    for (const [label, q] of queries) {
      say(`\n${label}: q=${q}`);
      for (const [who, a] of [
        ['coordinator', coord],
        ['TAX handler', tax],
      ] as const) {
        const old = before(a, q);
        const found = (await listTickets(db.manager, a, { q, limit: 20 }, now)).items.length;
        const oldFound = (await old.getMany()).length;
        say(
          `  ${who}: before ${await time(() => old.getMany())} (${oldFound} on the page); after ${await time(() => listTickets(db.manager, a, { q, limit: 20 }, now))} (${found} on the page; count ${await countTickets(db.manager, a, { q }, now)}, ${await time(() => countTickets(db.manager, a, { q }, now))}); load ${loadavg()[0].toFixed(2)}`,
        );
        if (who === 'coordinator') {
          const [os, op] = old.getQueryAndParameters();
          say(`    EXPLAIN before:\n${await explain(db, os, op)}`);
        }
      }
      const [ns, np] = afterSql(db, coord, q, now);
      say(`    EXPLAIN after:\n${await explain(db, ns, np)}`);
    }
  } finally {
    await db.destroy();
    if (admin && dbName && env.BENCH_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The SQL `listTickets` runs for `q`, newest first (its default order). */
function afterSql(db: DataSource, a: UserActor, q: string, now: Date): [string, unknown[]] {
  return newestFirst(criteriaQuery(db.manager, a, { q }, now), undefined)
    .limit(21)
    .getQueryAndParameters();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});

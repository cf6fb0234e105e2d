/**
 * The plan of a search for a word most tickets have (`GET /tickets?q=经营`), on MariaDB: it
 * must start at the word's index rows, newest first, and stop at the page's end — never read
 * every ticket and sort the matches (src/db.ts `limitPreferringPlans`; issue 15, the mixed load
 * that slowed as the run created tickets). The same query on a connection without the session
 * setting is planned the other way, which is what the setting is for. SQLite: skipped (its plan
 * is the one bench:search prints).
 */
import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { criteriaQuery, newestFirst } from '../../src/queries/tickets';
import type { UserActor } from '../../src/domain/lifecycle';

let h: Harness;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
});
test.after.always(async () => {
  await h?.close();
});

type Row = { table: string; type: string; key: string | null; Extra: string };

test.serial('a search for a common word reads the search index first, newest first, with no filesort; without the session setting it scans the tickets', async (t) => {
  if (h.dialect !== 'mysql') return t.pass('SQLite: no such planner setting');
  const [{ ratio }] = await h.deps.db.query('SELECT @@optimizer_join_limit_pref_ratio AS ratio');
  t.is(Number(ratio), 100, 'every pooled connection has the setting');
  const s = await standardStaff(h);
  for (let i = 0; i < 150; i++) {
    const r = await s.intake.post('/api/v1/tickets', {
      kind: 'complaint',
      channel: 'hotline',
      category: 'tax_fees',
      title: `经营场所门前施工第${i}次`,
      description: '围挡影响经营，顾客进不来。',
      owner: { name: '赵六', phone: `1380013${String(8000 + i)}` },
    });
    if (r.status !== 201) throw new Error(`${r.status} ${r.text}`);
    h.clock.advance(1000);
  }
  // 30 older copies of each (ticket rows and their index rows, written as SQL: 4,650 tickets in a
  // second, where the API would take minutes), so that the table is as large as the mixed load's
  // when its searches went wrong
  const cols = (
    (await h.deps.db.query(
      "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'ticket' AND extra NOT LIKE '%GENERATED%' ORDER BY ordinal_position",
    )) as { c: string }[]
  ).map((r) => r.c);
  const copy = (c: string) =>
    c === 'id'
      ? "CONCAT('c', k.n, '-', SUBSTR(id, 1, 30))"
      : c === 'number'
        ? "CONCAT(number, '-', k.n)"
        : c === 'source_id'
          ? 'NULL'
          : c === 'created_at'
            ? 'DATE_SUB(created_at, INTERVAL k.n * 1000 SECOND)'
            : `\`${c}\``;
  const copies = 'SELECT seq AS n FROM seq_1_to_30';
  await h.deps.db.query(`INSERT INTO ticket (${cols.map((c) => `\`${c}\``).join(', ')}) SELECT ${cols.map(copy).join(', ')} FROM ticket CROSS JOIN (${copies}) k`);
  await h.deps.db.query(
    `INSERT INTO ticket_search_token (token, created_at, ticket_id) SELECT token, DATE_SUB(created_at, INTERVAL k.n * 1000 SECOND), CONCAT('c', k.n, '-', SUBSTR(ticket_id, 1, 30)) FROM ticket_search_token CROSS JOIN (${copies}) k`,
  );
  await h.deps.db.query('ANALYZE TABLE ticket, ticket_search_token');
  const coord: UserActor = { kind: 'user', userId: 'plan-coord', role: 'coordinator', departmentCode: 'SAMR', isHead: false };
  const [sql, params] = newestFirst(criteriaQuery(h.deps.db.manager, coord, { q: '经营' }, h.clock.now()), undefined)
    .limit(21)
    .getQueryAndParameters();
  const plan = ((await h.deps.db.query(`EXPLAIN ${sql}`, params)) as Row[]).map((r) => ({ table: r.table, type: r.type, key: r.key, filesort: /filesort/.test(r.Extra) }));
  t.deepEqual(plan, [
    { table: 's0', type: 'ref', key: 'PRIMARY', filesort: false },
    { table: 't', type: 'eq_ref', key: 'PRIMARY', filesort: false },
  ]);
  // the answer is the page of the newest 20 (the API's own)
  const page = await s.coord.get(`/api/v1/tickets?limit=20&q=${encodeURIComponent('经营')}`);
  t.is(page.status, 200);
  t.deepEqual(
    page.body.items.map((x: { title: string }) => x.title),
    Array.from({ length: 20 }, (_, k) => `经营场所门前施工第${149 - k}次`),
  );
  // the control: one connection with the setting off plans the scan and the sort
  const qr = h.deps.db.createQueryRunner();
  try {
    await qr.query('SET SESSION optimizer_join_limit_pref_ratio = 0');
    const off = ((await qr.query(`EXPLAIN ${sql}`, params)) as Row[]).map((r) => ({ table: r.table, type: r.type, filesort: /filesort/.test(r.Extra) }));
    t.deepEqual(off[0], { table: 't', type: 'ALL', filesort: true }, 'without the setting: every ticket read, then sorted');
  } finally {
    await qr.query('SET SESSION optimizer_join_limit_pref_ratio = 100');
    await qr.release();
  }
});

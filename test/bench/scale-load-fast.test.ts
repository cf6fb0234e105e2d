import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { loadScale, ScaleLoadOptions } from '../../scripts/scale-load';
import { rebuildFigures } from '../../src/commands/figures';
import { reindexSearch } from '../../src/commands/search-index';
import { inTransaction, isMysql } from '../../src/db';

// issue 15 item 1, the fast loader: on MariaDB it writes through LOAD DATA, with the big
// tables' keys dropped for the load and added back, and (with `derived`) computes the search
// tokens and the maintained figures itself. Each must write exactly what the slower way
// writes: the service's own rebuild commands for the derived rows, multi-row INSERTs for the
// rest, and the tables' definitions as the migrations made them.
let h: Harness;
let options: ScaleLoadOptions;
const showCreate = new Map<string, string>();
const LOADED = [
  'ticket',
  'ticket_event',
  'ticket_message',
  'outbox_message',
  'ticket_return',
  'ticket_extension',
  'ticket_pause',
  'escalation',
  'oversight_order',
  'veto',
  'veto_cause',
  'veto_history',
  'ticket_counter',
];
const DERIVED = ['ticket_search_token', 'ticket_figure', 'report_figure'];

/** Every row of each table, in a fixed order. */
async function dump(tables: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows: Record<string, unknown>[] = await h.deps.db.query(`SELECT * FROM ${table}`);
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

test.before(async () => {
  h = await startHarness({ start: '2026-11-20T10:00:00+08:00' });
  const s = await standardStaff(h);
  if (isMysql(h.deps.db.manager)) for (const table of [...LOADED, ...DERIVED]) showCreate.set(table, (await h.deps.db.query(`SHOW CREATE TABLE ${table}`))[0]['Create Table']);
  options = {
    tickets: 300,
    now: h.clock.now(),
    cal: await h.deps.calendar.get(h.deps.db.manager),
    tz: h.deps.config.businessTz,
    chunk: 70,
    seed: 11,
    derived: true,
    actors: { coordinator: s.coord.id, intake: s.intake.id, supervisor: s.sup.id, handlers: { TAX: s.tax.id, HRSS: s.hrss.id, SAMR: s.samr.id } },
  };
  await loadScale(h.deps.db, options);
});
test.after.always(async () => {
  await h?.close();
});

test.serial('MariaDB: the keys dropped for the load are back exactly as the migrations made them', async (t) => {
  if (!isMysql(h.deps.db.manager)) return t.pass('SQLite loads through INSERTs, keys untouched');
  for (const [table, before] of showCreate) t.is((await h.deps.db.query(`SHOW CREATE TABLE ${table}`))[0]['Create Table'], before, table);
});

test.serial('the derived rows are those reindexSearch and rebuildFigures write', async (t) => {
  const db = h.deps.db;
  const loaded = await dump(DERIVED);
  t.true(loaded.ticket_search_token.length > 300 * 10, `${loaded.ticket_search_token.length} tokens`);
  t.true(loaded.ticket_figure.length > 250 && loaded.report_figure.length > 100);
  for (const table of DERIVED) await db.query(`DELETE FROM ${table}`);
  let after: string | undefined;
  for (;;) {
    const r = await inTransaction(db, (em) => reindexSearch(em, { after, limit: 128 }));
    if (!r.last) break;
    after = r.last;
  }
  await rebuildFigures(db, { tz: options.tz, batch: 97, now: options.now });
  t.deepEqual(await dump(DERIVED), loaded);
});

test.serial('MariaDB: LOAD DATA writes the same rows as multi-row INSERTs', async (t) => {
  if (!isMysql(h.deps.db.manager)) return t.pass('SQLite has only the INSERT path');
  const db = h.deps.db;
  const viaInfile = await dump([...LOADED, ...DERIVED]);
  for (const table of [...LOADED, ...DERIVED]) await db.query(`DELETE FROM ${table}`);
  await loadScale(db, { ...options, method: 'insert' });
  t.deepEqual(await dump([...LOADED, ...DERIVED]), viaInfile);
});

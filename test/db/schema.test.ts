import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness } from '../helpers/harness';

// The schema comes only from migrations/: after running them, TypeORM must find nothing
// to change between the entities and the database (STYLE convention 7). Meaningful on
// MariaDB (DATABASE_URL set); on SQLite it checks the same migrations run there too.
test('entities and migrations agree', async (t) => {
  const h = await startHarness();
  try {
    // TypeORM's SQLite diff always reports datetime(3) columns as changed (SQLite has no
    // precision), so the comparison is made where it means something: MariaDB/MySQL.
    if (h.dialect === 'mysql')
      t.deepEqual(
        (await h.deps.db.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query),
        [],
      );
    const migrations = await h.deps.db.query('SELECT name FROM migrations ORDER BY id');
    // every file in migrations/ ran, in order: names end with the file's timestamp
    const stamps = readdirSync(join(__dirname, '..', '..', 'migrations'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.split('-')[0])
      .sort();
    t.deepEqual(
      migrations.map((m: { name: string }) => m.name.match(/\d{13}$/)?.[0]),
      stamps,
    );
  } finally {
    await h.close();
  }
});

test('every migration has a working down: revert all, then run again', async (t) => {
  const h = await startHarness();
  try {
    const ds = h.deps.db;
    const n = (await ds.query('SELECT name FROM migrations')).length;
    for (let i = 0; i < n; i++) await ds.undoLastMigration({ transaction: 'each' });
    t.is((await ds.query('SELECT name FROM migrations')).length, 0);
    const ran = await ds.runMigrations({ transaction: 'each' });
    t.is(ran.length, n);
    if (h.dialect === 'mysql')
      t.deepEqual(
        (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query),
        [],
      );
  } finally {
    await h.close();
  }
});

import test from 'ava';
import { createConnection } from 'mysql2/promise';
import { startHarness, Harness, scratchDatabaseName } from '../helpers/harness';
import { parseConfig } from '../../src/config';
import { openDatabase } from '../../src/db';
import { metrics } from '../../src/metrics';

// Read replicas for lag-tolerant reads (issue 14 item 2). The "replica" here is a second,
// migrated but empty database on the same MariaDB: a replica that lags behind by everything,
// so a list that shows nothing was read from it and one that shows the ticket from the
// primary. Read-your-writes: whoever just changed something reads from the primary.

const mariaTest = process.env.DATABASE_URL ? test.serial : test.skip;
const base = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
const replicaDb = scratchDatabaseName('rep');
const harnesses: Harness[] = [];

async function admin(sql: string) {
  const conn = await createConnection({ host: base!.hostname, port: Number(base!.port || 3306), user: decodeURIComponent(base!.username), password: decodeURIComponent(base!.password) });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}
const replicaUrl = (db: string, port = base?.port || '3306') => `mysql://${base!.username}${base!.password ? `:${base!.password}` : ''}@${base!.hostname}:${port}/${db}`;
const reads = async () => {
  const m = (await metrics.getSingleMetric('db_lag_tolerant_reads_total')!.get()).values;
  return Object.fromEntries(m.map((v) => [String(v.labels.target), v.value]));
};

test.before(async () => {
  if (!base) return;
  await admin(`CREATE DATABASE \`${replicaDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const u = new URL(base.toString());
  u.pathname = `/${replicaDb}`;
  const ds = await openDatabase(parseConfig({ DATABASE_URL: u.toString() }), { migrate: true });
  await ds.destroy();
});
test.after.always(async () => {
  for (const h of harnesses) await h.close();
  if (base) await admin(`DROP DATABASE IF EXISTS \`${replicaDb}\``);
});

mariaTest('lists come from the replica, except for a user who just changed something; commands and single reads use the primary', async (t) => {
  const h = await startHarness({ env: { DATABASE_REPLICA_URLS: replicaUrl(replicaDb), REPLICA_STICKY_MS: '60000' } });
  harnesses.push(h);
  const coord = await h.staff('coord1', 'coordinator', 'SAMR'); // created by the admin: the coordinator wrote nothing
  const owner = await h.owner();
  const created = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', title: '门前占道', description: '商铺门前被占。' });
  t.is(created.status, 201);
  const before = await reads();

  t.deepEqual(
    (await owner.get('/api/v1/tickets')).body.items.map((i: { id: string }) => i.id),
    [created.body.id],
    'the owner just wrote: the primary',
  );
  t.deepEqual((await coord.get('/api/v1/tickets')).body.items, [], 'the coordinator wrote nothing: the replica (which lags)');
  t.is((await coord.get(`/api/v1/tickets/${created.body.id}`)).status, 200, 'one ticket is read from the primary');
  t.deepEqual((await coord.get('/api/v1/vetoes')).body.items, []);

  const dispatched = await coord.post(`/api/v1/tickets/${created.body.id}/dispatch`, { departmentCode: 'TAX' });
  t.is(dispatched.status, 200, dispatched.text);
  const mine = await coord.get('/api/v1/tickets');
  t.deepEqual(
    mine.body.items.map((i: { id: string; state: string }) => [i.id, i.state]),
    [[created.body.id, 'dispatched']],
    'after a change the coordinator reads from the primary',
  );

  const after = await reads();
  t.is((after.replica ?? 0) - (before.replica ?? 0), 2);
  t.is((after.primary ?? 0) - (before.primary ?? 0), 2);
});

mariaTest('a replica that does not answer: lists fall back to the primary', async (t) => {
  const h = await startHarness({ env: { DATABASE_REPLICA_URLS: replicaUrl(replicaDb, '1') } });
  harnesses.push(h);
  const coord = await h.staff('coord1', 'coordinator', 'SAMR');
  const owner = await h.owner();
  const created = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', title: '门前占道', description: '商铺门前被占。' });
  const before = await reads();
  const list = await coord.get('/api/v1/tickets');
  t.is(list.status, 200);
  t.deepEqual(
    list.body.items.map((i: { id: string }) => i.id),
    [created.body.id],
  );
  t.is(((await reads())['primary-fallback'] ?? 0) - (before['primary-fallback'] ?? 0), 1);
});

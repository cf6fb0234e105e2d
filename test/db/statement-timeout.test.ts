import test from 'ava';
import { QueryFailedError } from 'typeorm';
import { startHarness } from '../helpers/harness';
import { inTransaction, withStatementTimeout } from '../../src/db';
import { DatabaseUnavailable, isCommitInDoubt, isDatabaseUnavailable } from '../../src/db-errors';
import { Department } from '../../src/entities';

// The statement bound of src/db.ts (DATABASE_STATEMENT_TIMEOUT_MS for requests): a statement
// without an answer within it fails as "database unavailable" and its connection is not used
// again. MariaDB only (SLEEP stands for a server that does not answer); the embedded SQLite
// has no network and no bound.
const mariaTest = process.env.DATABASE_URL ? test.serial : test.serial.skip;

const connectionId = async (q: (sql: string) => Promise<{ id: string }[]>) => String((await q('SELECT CONNECTION_ID() AS id'))[0].id);

mariaTest('a statement past its bound fails as unavailable, inside a transaction too, and its connection is replaced; no bound outside, or where null is asked for', async (t) => {
  const h = await startHarness();
  try {
    const ds = h.deps.db;
    const e = await t.throwsAsync(withStatementTimeout(300, () => ds.query('SELECT SLEEP(3)')));
    t.is((e as QueryFailedError & { driverError: { code?: string } }).driverError.code, 'PROTOCOL_SEQUENCE_TIMEOUT');
    t.true(isDatabaseUnavailable(e));
    t.false(isCommitInDoubt(e));

    // in a transaction: the statement after the insert times out; the ROLLBACK fails at once
    // on the destroyed connection (the server rolls back when it sees it close); the insert is not there
    let txConnection = '';
    const tx = await t.throwsAsync(
      withStatementTimeout(300, () =>
        inTransaction(ds, async (em) => {
          txConnection = await connectionId((s) => em.query(s));
          await em.insert(Department, { code: 'ZZSTALL', nameZh: '停顿', nameEn: 'stalled', kind: 'department', active: true });
          await em.query('SELECT SLEEP(3)');
        }),
      ),
    );
    t.true(isDatabaseUnavailable(tx));
    t.is(await ds.getRepository(Department).countBy({ code: 'ZZSTALL' }), 0);
    // the pool goes on with other connections, never the destroyed one
    const after = await Promise.all(Array.from({ length: 6 }, () => withStatementTimeout(300, () => inTransaction(ds, (em) => connectionId((s) => em.query(s))))));
    t.false(after.includes(txConnection));

    // no bound: outside any unit, inside one that asks for none, and for work a bounded unit left running
    t.is((await ds.query('SELECT SLEEP(0.6) AS s'))[0].s, 0);
    t.is((await withStatementTimeout(300, () => withStatementTimeout(null, () => ds.query('SELECT SLEEP(0.6) AS s'))))[0].s, 0);
    let later!: Promise<{ s: number }[]>;
    await withStatementTimeout(300, async () => {
      later = new Promise((r) => setTimeout(r, 50)).then(() => ds.query('SELECT SLEEP(0.6) AS s'));
    });
    t.is((await later)[0].s, 0);
  } finally {
    await h.close();
  }
});

test('an unavailable database at COMMIT is in doubt: 503 database-unavailable with outcome unknown; elsewhere a plain 503', (t) => {
  const timedOut = () => Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
  const atCommit = new DatabaseUnavailable(new QueryFailedError('COMMIT', [], timedOut()));
  t.deepEqual([atCommit.status, atCommit.code, atCommit.inDoubt, atCommit.extra], [503, 'database-unavailable', true, { retryAfter: 5, outcome: 'unknown' }]);
  const lost = new QueryFailedError('COMMIT', [], Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }));
  t.true(isCommitInDoubt(lost));
  const atInsert = new DatabaseUnavailable(new QueryFailedError('INSERT INTO `ticket` VALUES (?)', [1], timedOut()));
  t.deepEqual([atInsert.status, atInsert.code, atInsert.inDoubt, atInsert.extra], [503, 'database-unavailable', false, { retryAfter: 5 }]);
  // a COMMIT refused for a conflict is not an outage (it is retried whole, src/db.ts)
  t.false(isCommitInDoubt(new QueryFailedError('COMMIT', [], Object.assign(new Error('Deadlock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 }))));
});

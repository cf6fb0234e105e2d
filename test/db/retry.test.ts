import test from 'ava';
import type { EntityManager } from 'typeorm';
import { startHarness, Harness } from '../helpers/harness';
import { configureTransactions, ConflictsExhausted, inTransaction } from '../../src/db';
import { Department } from '../../src/entities';
import { metrics } from '../../src/metrics';
import { afterCommit, attachOutboxSink } from '../../src/notifications/outbox-hook';

// The one transaction runner retries a whole unit of work on a deadlock (also what a Galera
// certification conflict looks like) a bounded number of times, and only committed work
// reaches the outbox hand-over. Real InnoDB deadlocks on MariaDB; SQLite has none.

const mariaTest = process.env.DATABASE_URL ? test.serial : test.skip;
let h: Harness;
test.before(async () => {
  if (process.env.DATABASE_URL) h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

/** Two transactions that lock two rows in opposite orders, each waiting for the other's first lock: InnoDB kills one. */
async function deadlock(codes: [string, string], onAttempt: (who: 'a' | 'b') => void, enqueue: (em: EntityManager, who: string) => void) {
  const ds = h.deps.db;
  const first: Record<string, () => void> = {};
  const locked = {
    a: new Promise<void>((r) => {
      first.a = r;
    }),
    b: new Promise<void>((r) => {
      first.b = r;
    }),
  };
  const run = (who: 'a' | 'b', mine: string, theirs: string) =>
    inTransaction(ds, async (em) => {
      onAttempt(who);
      await em.query('UPDATE department SET name_en = ? WHERE code = ?', [`by ${who}`, mine]);
      first[who]();
      await locked[who === 'a' ? 'b' : 'a'];
      enqueue(em, who);
      await em.query('UPDATE department SET name_en = ? WHERE code = ?', [`by ${who}`, theirs]);
      return who;
    });
  return Promise.allSettled([run('a', codes[0], codes[1]), run('b', codes[1], codes[0])]);
}

mariaTest('a deadlock victim is run again from the start and commits; what it handed over in the failed attempt is dropped', async (t) => {
  const ds = h.deps.db;
  for (const code of ['ZRA', 'ZRB']) await ds.getRepository(Department).insert({ code, nameZh: '试', nameEn: code, kind: 'department', active: true });
  const attempts = { a: 0, b: 0 };
  const enqueued: string[] = [];
  attachOutboxSink(ds, { enqueue: (rows) => enqueued.push(...rows.map((r) => r.id)) });
  const r = await deadlock(
    ['ZRA', 'ZRB'],
    (who) => attempts[who]++,
    (em, who) => afterCommit(em, [{ id: `${who}-${attempts[who as 'a' | 'b']}`, channel: 'email' }]),
  );
  t.deepEqual(
    r.map((x) => x.status),
    ['fulfilled', 'fulfilled'],
  );
  t.is(attempts.a + attempts.b, 3, 'one of the two ran twice');
  const victim = attempts.a === 2 ? 'a' : 'b';
  const survivor = victim === 'a' ? 'b' : 'a';
  t.deepEqual(enqueued.sort(), [`${survivor}-1`, `${victim}-2`].sort(), 'the rolled-back attempt handed nothing over');
  const names = (await ds.getRepository(Department).find({ where: [{ code: 'ZRA' }, { code: 'ZRB' }] })).map((d) => d.nameEn);
  t.deepEqual(names, [`by ${victim}`, `by ${victim}`], 'the retried one committed last, over both rows');
  const m = await metrics.getSingleMetricAsString('db_transaction_retries_total');
  t.regex(m, /db_transaction_retries_total\{reason="deadlock"\} [1-9]/);
});

mariaTest('when the retries are used up: ConflictsExhausted, a 503 with Retry-After', async (t) => {
  const ds = h.deps.db;
  for (const code of ['ZRC', 'ZRD']) await ds.getRepository(Department).insert({ code, nameZh: '试', nameEn: code, kind: 'department', active: true });
  configureTransactions(ds, { retries: 0 });
  try {
    const r = await deadlock(
      ['ZRC', 'ZRD'],
      () => undefined,
      () => undefined,
    );
    const failed = r.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    t.is(failed.length, 1);
    const e = failed[0].reason as ConflictsExhausted;
    t.true(e instanceof ConflictsExhausted);
    t.is(e.status, 503);
    t.is(e.code, 'database-conflict');
    t.deepEqual(e.extra, { retryAfter: 1 });
  } finally {
    configureTransactions(ds, { retries: 8 });
  }
});

import test from 'ava';
import { startHarness } from '../helpers/harness';
import { inTransaction } from '../../src/db';
import { Department } from '../../src/entities';

// Concurrent transactions must not see or undo each other's work, on either database
// (the embedded SQLite driver shares one connection and is serialized by src/db.ts).
test('concurrent transactions: a rollback undoes only its own writes; plain writes beside it survive', async (t) => {
  const h = await startHarness();
  try {
    const ds = h.deps.db;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const failing = inTransaction(ds, async (em) => {
      await em.insert(Department, { code: 'ZZFAIL', nameZh: '回滚', nameEn: 'rolled back', kind: 'department', active: true });
      await sleep(50);
      throw new Error('boom');
    });
    const others = Array.from({ length: 10 }, (_, i) =>
      inTransaction(ds, async (em) => {
        await sleep(5);
        await em.insert(Department, { code: `ZZOK${i}`, nameZh: '提交', nameEn: 'committed', kind: 'department', active: true });
      }),
    );
    const plain = (async () => {
      await sleep(10);
      await ds.getRepository(Department).insert({ code: 'ZZPLAIN', nameZh: '直接', nameEn: 'plain', kind: 'department', active: true });
    })();
    await t.throwsAsync(failing, { message: 'boom' });
    await Promise.all([...others, plain]);
    const codes = (await ds.getRepository(Department).find())
      .map((d) => d.code)
      .filter((c) => c.startsWith('ZZ'))
      .sort();
    t.deepEqual(codes, ['ZZOK0', 'ZZOK1', 'ZZOK2', 'ZZOK3', 'ZZOK4', 'ZZOK5', 'ZZOK6', 'ZZOK7', 'ZZOK8', 'ZZOK9', 'ZZPLAIN']);
  } finally {
    await h.close();
  }
});

import type { DataSource } from 'typeorm';
import { TestClock } from '../entities';
import type { ClockStore } from '../clock';
import { insertUnlessDuplicate } from '../db';

const ROW = 'main';

/**
 * Keeps the test clock's offset (DESIGN §13, `TEST_CLOCK=1` only) in the database, so that
 * `ROLE=api` and `ROLE=worker` processes of one deployment agree on "now": the process
 * that serves `PUT /test/clock` saves it, the others read it before each request or job.
 * The offset only grows (the test clock never moves backwards).
 */
export function databaseClockStore(db: DataSource): ClockStore {
  return {
    async load() {
      try {
        const row = await db.getRepository(TestClock).findOneBy({ id: ROW });
        return row ? row.offsetMs : null;
      } catch {
        return null; // schema not migrated yet (MIGRATE_ON_START=0): no shared offset
      }
    },
    async save(offsetMs: number) {
      const repo = db.getRepository(TestClock);
      const row = await repo.findOneBy({ id: ROW });
      // Another process may insert the row first: that duplicate is the one failure ignored.
      if (!row) await insertUnlessDuplicate(db.manager, TestClock, { id: ROW, offsetMs, updatedAt: new Date() });
      // Conditional: a concurrent smaller move never wins over a larger one.
      await repo.createQueryBuilder().update(TestClock).set({ offsetMs, updatedAt: new Date() }).where('id = :id AND offset_ms < :o', { id: ROW, o: offsetMs }).execute();
    },
  };
}

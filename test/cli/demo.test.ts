import test from 'ava';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../src/cli/demo';
import { parseConfig } from '../../src/config';
import { openDatabase } from '../../src/db';
import { TicketEvent } from '../../src/entities';
import { verifyChain } from '../../src/commands/events';

// The demo always runs on the embedded SQLite database (it ignores DATABASE_URL), so this
// test is the same on both backends.
const dir = mkdtempSync(join(tmpdir(), 'grievance-demo-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const DEPARTMENTS = [
  ['SAMR', 6, 6, 0, 5, 0],
  ['HRSS', 5, 5, 0, 5, 0],
  ['HUD', 3, 3, 0, 3, 0],
  ['COM', 2, 2, 0, 2, 0],
  ['DRC', 2, 2, 0, 2, 0],
  ['EIT', 2, 2, 0, 1, 0],
  ['FIN', 2, 2, 0, 2, 0],
  ['PBC', 2, 2, 0, 2, 0],
  ['TAX', 2, 2, 0, 2, 0],
  ['TRN', 2, 1, 0, 1, 1],
  ['JUS', 1, 1, 1, 1, 0],
  ['NFRA', 1, 1, 0, 1, 0],
];

test.serial('the demo imports the sample, runs the closed loop through the API and prints the summary; a second run changes nothing', async (t) => {
  const first = await runDemo({ dataDir: dir, quiet: true });
  t.is(first.asOf, '2026-11-26T10:00:00.000Z');
  t.deepEqual(first.import, { imported: 30, skipped: 0, rejected: 0, batches: 16 });
  t.is(first.actions, 90);
  t.deepEqual(first.totals, { received: 30, answered: 29, answeredLate: 1, closed: 27, overdue: 1 });
  t.deepEqual(
    first.departments.map((d) => [d.code, d.received, d.answered, d.answeredLate, d.closed, d.overdue]),
    DEPARTMENTS,
  );
  t.deepEqual(first.reopened, ['FL2026000010 (cycle 2, closed, rated very_satisfied)']);
  t.deepEqual(first.awaitingRating, ['FL2026000029', 'FL2026000030']);
  t.deepEqual(first.overdueTickets, ['FL2026000028 (TRN, in_progress)']);
  // the clock acted during the replay: a late sign-for (reminder) and two missed reply deadlines (yellow card)
  t.deepEqual(first.escalations, ['FL2026000009 level 1 (sign_late)', 'FL2026000014 level 2 (reply_late)', 'FL2026000028 level 2 (reply_late)']);
  t.true(first.mailFiles > 0);
  t.is(first.sqlitePath, join(dir, 'grievance.sqlite'));
  t.is(first.outboxDir, join(dir, 'outbox'));
  t.true(first.lines.includes('  total        30        29       1      27        1  '));
  t.true(first.lines.some((l) => l.startsWith('Import (16 batches, registered by demo.intake): 30 imported, 0 skipped (already imported), 0 rejected.')));
  t.true(first.lines.some((l) => l.includes(`SQLite database ${join(dir, 'grievance.sqlite')}`)));
  t.true(existsSync(join(dir, 'demo-access-codes.json')));

  const again = await runDemo({ dataDir: dir, quiet: true });
  t.deepEqual(again.import, { imported: 0, skipped: 30, rejected: 0, batches: 16 });
  t.is(again.actions, 0);
  t.deepEqual(again.totals, first.totals);
  t.deepEqual(again.departments, first.departments);
  t.deepEqual(again.escalations, first.escalations);
  t.is(again.mailFiles, first.mailFiles);

  // The events written are exactly the loop's, and every chain verifies.
  const db = await openDatabase(parseConfig({ DATA_DIR: dir }), { migrate: false });
  try {
    const rows: { type: string; n: number }[] = await db.query('SELECT type, COUNT(*) AS n FROM ticket_event GROUP BY type ORDER BY type');
    const counts = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    t.like(counts, { created: 30, dispatched: 30, signed: 31, replied: 30, rated: 28, reopened: 1, escalated: 3 });
    const viaCode = await db.getRepository(TicketEvent).findBy({ type: 'rated' });
    t.true(viaCode.every((e) => e.actorRole === 'access_code'));
    const ids: { ticket_id: string }[] = await db.query('SELECT DISTINCT ticket_id FROM ticket_event');
    for (const { ticket_id } of ids) t.true((await verifyChain(db.manager, ticket_id)).ok);
  } finally {
    await db.destroy();
  }
});

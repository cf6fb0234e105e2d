/**
 * The stored deadline keys (migration 1798000000000, queries/deadline-keys.ts) against the
 * domain rule they store (domain/owed.ts), on the backend under test: for every state × which
 * of the dispatch, sign-for, reply and rating deadlines are set × their order × whether
 * `dueSoonAt` is set, the database's `list_deadline` is `listDeadline` (or `NO_DEADLINE`),
 * `due_soon_key` is `dueSoonAt` while owing, and the overdue and due-soon conditions (and their
 * negations) select exactly the tickets `isOverdue` / `isDueSoon` name at instants before,
 * on and after each deadline. The rows are written by TypeORM's insert (which must not write
 * the generated columns) and then changed by a raw UPDATE (which the database must follow);
 * and the deadline cursor pages through those rows (ties, NO_DEADLINE) in listDeadline order.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { Ticket } from '../../src/entities';
import type { TicketState } from '../../src/domain/lifecycle';
import { earliestOwedDeadline, isDueSoon, isOverdue, listDeadline, OWED_IN_STATE, OWING_STATES } from '../../src/domain/owed';
import { deadlineKeySql } from '../../src/queries/deadline-keys';
import { dueSoonSql, listDeadlineSql, listTickets, overdueSql } from '../../src/queries/tickets';
import { NO_DEADLINE } from '../../src/queries/cursor';
import { DEADLINE_KEYS_1798000000000 } from '../../migrations/1798000000000-ticket-deadline-keys';

const STATES = Object.keys(OWED_IN_STATE) as TicketState[];
const A = new Date('2026-11-10T01:00:00.123Z');
const B = new Date('2026-11-12T08:30:00.000Z');
const SOON = new Date('2026-11-09T16:00:00.000Z');
const CHOICES = [null, A, B] as const;
/** instants before, on and after each deadline (a deadline on `now` has come) */
const NOWS = [new Date('2026-11-01T00:00:00Z'), SOON, new Date('2026-11-10T00:00:00Z'), A, new Date('2026-11-11T00:00:00Z'), B, new Date('2026-11-20T00:00:00Z')];

interface Facts {
  state: TicketState;
  dispatchBy: Date | null;
  signBy: Date | null;
  replyBy: Date | null;
  rateBy: Date | null;
  dueSoonAt: Date | null;
}

/** states × 3⁴ deadline settings × dueSoonAt set or not */
function combinations(): Facts[] {
  const out: Facts[] = [];
  for (const state of STATES)
    for (const dispatchBy of CHOICES)
      for (const signBy of CHOICES)
        for (const replyBy of CHOICES) for (const rateBy of CHOICES) for (const dueSoonAt of [null, SOON]) out.push({ state, dispatchBy, signBy, replyBy, rateBy, dueSoonAt });
  return out;
}

const asDate = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));

let h: Harness;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
});
test.after.always(async () => {
  await h?.close();
});

test('the migration holds the expressions the domain tables generate today (a new rule needs a new migration)', (t) => {
  t.deepEqual(deadlineKeySql('mysql'), { ...DEADLINE_KEYS_1798000000000.mysql });
  t.deepEqual(deadlineKeySql('sqlite'), { ...DEADLINE_KEYS_1798000000000.sqlite });
});

test.serial('stored keys and the SQL conditions equal the domain functions for every state and deadline setting', async (t) => {
  const s = await standardStaff(h);
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: '模板', description: '内容', category: 'tax_fees', owner: { name: '赵六', phone: '13812345678' } });
  t.is(r.status, 201, r.text);
  const repo = h.deps.db.getRepository(Ticket);
  const template = await repo.findOneByOrFail({ id: r.body.id });
  const rows = combinations();
  const ids = rows.map(() => randomUUID());
  const entities = rows.map((f, i) => ({ ...template, ...f, id: ids[i], number: `DK${String(i).padStart(6, '0')}`, sourceId: null }));
  for (let i = 0; i < entities.length; i += 50) await repo.insert(entities.slice(i, i + 50));

  const check = async (facts: Facts[], phase: string) => {
    const byId = new Map<string, Facts>(ids.map((id, i) => [id, facts[i]]));
    const stored: Record<string, unknown>[] = await repo
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .addSelect(listDeadlineSql(), 'list_deadline')
      .addSelect('t.due_soon_key', 'due_soon_key')
      .where('t.id IN (:...ids)', { ids })
      .getRawMany();
    t.is(stored.length, ids.length);
    const bad: string[] = [];
    for (const row of stored) {
      const f = byId.get(String(row.id)) as Facts;
      const note = `${phase} ${JSON.stringify(f)}`;
      const want = listDeadline(f) ?? NO_DEADLINE;
      const got = asDate(row.list_deadline);
      if (got?.getTime() !== want.getTime()) bad.push(`${note}: list_deadline ${got?.toISOString()} ≠ ${want.toISOString()}`);
      // in an owing state the list deadline is the earliest owed one: the keys' premise
      if (OWING_STATES.includes(f.state) && got?.getTime() !== (earliestOwedDeadline(f)?.dueAt ?? NO_DEADLINE).getTime()) bad.push(`${note}: not the earliest owed deadline`);
      const soon = OWING_STATES.includes(f.state) ? f.dueSoonAt : null;
      if (asDate(row.due_soon_key)?.getTime() !== soon?.getTime()) bad.push(`${note}: due_soon_key ${String(row.due_soon_key)}`);
    }
    for (const now of NOWS) {
      const selected = async (cond: string) =>
        new Set((await repo.createQueryBuilder('t').select('t.id', 'id').where('t.id IN (:...ids)', { ids }).andWhere(cond, { now }).getRawMany()).map((x: { id: string }) => x.id));
      const [overdue, notOverdue, dueSoon, notDueSoon] = await Promise.all([overdueSql(), `NOT ${overdueSql()}`, dueSoonSql(), `NOT ${dueSoonSql()}`].map(selected));
      for (const [id, f] of byId) {
        const note = `${phase} now ${now.toISOString()} ${JSON.stringify(f)}`;
        const o = isOverdue(f, now);
        const d = isDueSoon(f, now);
        if (overdue.has(id) !== o || notOverdue.has(id) === o) bad.push(`${note}: overdue should be ${o}`);
        if (dueSoon.has(id) !== d || notDueSoon.has(id) === d) bad.push(`${note}: due soon should be ${d}`);
      }
    }
    t.deepEqual(bad.slice(0, 10), [], `${phase}: ${bad.length} mismatches`);
  };

  await check(rows, 'inserted');
  // a raw UPDATE of the state (no command, no entity): the database recomputes the keys
  const next = (s: TicketState) => STATES[(STATES.indexOf(s) + 1) % STATES.length];
  for (const state of STATES) await h.deps.db.query(`UPDATE ticket SET state = '${next(state)}' WHERE state = '${state}' AND number LIKE 'DK%' AND version >= 0`);
  // the loop above moved each row one state on, possibly more than once: read the states back
  const states: { id: string; state: TicketState }[] = await repo.createQueryBuilder('t').select('t.id', 'id').addSelect('t.state', 'state').where('t.id IN (:...ids)', { ids }).getRawMany();
  const stateOf = new Map(states.map((x) => [x.id, x.state]));
  await check(
    rows.map((f, i) => ({ ...f, state: stateOf.get(ids[i]) as TicketState })),
    'after a raw UPDATE',
  );
});

test.serial('the deadline cursor walks every ticket once, in (listDeadline, id) order, through ties and the tickets without a deadline', async (t) => {
  // the rows of the previous test: three instants and NO_DEADLINE, so most keys are tied
  const all = await h.deps.db.getRepository(Ticket).find();
  t.true(all.length > 1000);
  const key = (x: Ticket) => (listDeadline(x) ?? NO_DEADLINE).getTime();
  const want = [...all].sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.id);
  for (const [label, filter, now] of [
    ['all', {}, NOWS[0]],
    ['overdue', { overdue: true }, NOWS[4]],
  ] as const) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 200; pages++) {
      const page = await listTickets(h.deps.db.manager, { kind: 'system' }, { ...filter, limit: 97, cursor, sort: 'deadline' }, now);
      seen.push(...page.items.map((x) => x.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const expected = label === 'all' ? want : want.filter((id) => isOverdue(all.find((x) => x.id === id) as Ticket, now));
    t.true(expected.length > 50, label);
    t.deepEqual(seen, expected, label);
  }
});

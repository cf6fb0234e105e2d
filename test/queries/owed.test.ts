/**
 * One table for the deadline-owed rule (DESIGN §4) across every place that applies it: the
 * presenter (`overdue`, `dueSoon` of `GET /tickets/:id`), the SQL list filters
 * (`GET /tickets?overdue=…&dueSoon=…`), the clock's ladder (`planClock` escalates an overdue
 * ticket and sends the due-soon notice) and the sweep (`nextCheckAt` ≤ now and
 * `dueTicketsQuery` finds the ticket). Each row sets a ticket's state and stored deadlines directly.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { Ticket } from '../../src/entities';
import { planClock } from '../../src/domain/escalation';
import { nextCheckAt, Schedule } from '../../src/domain/schedule';
import { dueTicketsQuery } from '../../src/jobs/sweep';
import type { TicketState } from '../../src/domain/lifecycle';

const NOW = new Date('2026-11-10T02:00:00Z');
const P = '2026-11-10T01:00:00Z'; // passed
const S = '2026-11-11T00:00:00Z'; // tomorrow: due soon when dueSoonAt has come
const F = '2026-11-20T00:00:00Z'; // far
type Row = [note: string, state: TicketState, d: { dispatchBy?: string; signBy?: string; replyBy?: string; dueSoonAt?: string; redBy?: string }, overdue: boolean, dueSoon: boolean];
const ROWS: Row[] = [
  ['registered, dispatch deadline passed', 'registered', { dispatchBy: P, replyBy: F, redBy: F, dueSoonAt: P }, true, false],
  ['registered, dispatch deadline tomorrow', 'registered', { dispatchBy: S, replyBy: F, redBy: F, dueSoonAt: P }, false, true],
  ['registered, nothing near', 'registered', { dispatchBy: F, replyBy: F, redBy: F, dueSoonAt: F }, false, false],
  ['registered, reply deadline passed before the dispatch one', 'registered', { dispatchBy: F, replyBy: P, redBy: F, dueSoonAt: P }, true, false],
  ['dispatched, sign-for passed', 'dispatched', { signBy: P, replyBy: F, redBy: F, dueSoonAt: P }, true, false],
  ['dispatched, sign-for tomorrow', 'dispatched', { signBy: S, replyBy: F, redBy: F, dueSoonAt: P }, false, true],
  ['dispatched, a stale dispatch deadline does not count', 'dispatched', { dispatchBy: P, signBy: F, replyBy: F, redBy: F, dueSoonAt: F }, false, false],
  ['in_progress, reply passed', 'in_progress', { signBy: P, replyBy: P, redBy: F, dueSoonAt: P }, true, false],
  ['in_progress, reply tomorrow', 'in_progress', { replyBy: S, redBy: F, dueSoonAt: P }, false, true],
  ['in_progress, the old sign-for deadline does not count', 'in_progress', { signBy: P, replyBy: F, redBy: F, dueSoonAt: F }, false, false],
  ['awaiting_info: the reply clock is paused', 'awaiting_info', { replyBy: P, redBy: P }, false, false],
  ['replied: nothing owed', 'replied', { replyBy: P, redBy: P }, false, false],
  ['closed: nothing owed', 'closed', { replyBy: P, redBy: P }, false, false],
];

let h: Harness;
const ids: string[] = [];

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  const s = await standardStaff(h);
  for (const [note] of ROWS) {
    const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: note, description: '内容', category: 'tax_fees', owner: { name: '赵六', phone: '13812345678' } });
    if (r.status !== 201) throw new Error(r.text);
    ids.push(r.body.id);
  }
  h.clock.set(NOW);
  for (const [i, [, state, d]] of ROWS.entries()) {
    const at = (x?: string) => (x ? new Date(x) : null);
    const schedule: Schedule = {
      dispatchBy: at(d.dispatchBy),
      signBy: at(d.signBy),
      replyBy: at(d.replyBy),
      redBy: at(d.redBy),
      rateBy: null,
      infoWaitBy: null,
      dueSoonAt: at(d.dueSoonAt),
      provisional: false,
    };
    const { infoWaitBy: _unused, provisional: _p, ...stored } = schedule;
    await h.deps.db
      .getRepository(Ticket)
      .update({ id: ids[i] }, { state, ...stored, deadlinesProvisional: false, nextCheckAt: nextCheckAt(state, schedule), pausedAt: state === 'awaiting_info' ? NOW : null } as never);
  }
});
test.after.always(async () => {
  await h?.close();
});

test('presenter, SQL filters, ladder and sweep agree on every row', async (t) => {
  const listed = async (q: string) => new Set((await h.admin.get(`/api/v1/tickets?limit=200&${q}`)).body.items.map((x: { id: string }) => x.id));
  const [overdue, notOverdue, dueSoon, notDueSoon] = await Promise.all(['overdue=true', 'overdue=false', 'dueSoon=true', 'dueSoon=false'].map(listed));
  const swept = new Set((await dueTicketsQuery(h.deps.db, NOW, 1000).getRawMany()).map((r: { id: string }) => r.id));
  for (const [i, [note, , , wantOverdue, wantDueSoon]] of ROWS.entries()) {
    const id = ids[i];
    const v = (await h.admin.get(`/api/v1/tickets/${id}`)).body;
    t.is(v.overdue, wantOverdue, `${note}: presenter overdue`);
    t.is(v.dueSoon, wantDueSoon, `${note}: presenter dueSoon`);
    t.is(overdue.has(id), wantOverdue, `${note}: ?overdue=true`);
    t.is(notOverdue.has(id), !wantOverdue, `${note}: ?overdue=false`);
    t.is(dueSoon.has(id), wantDueSoon, `${note}: ?dueSoon=true`);
    t.is(notDueSoon.has(id), !wantDueSoon, `${note}: ?dueSoon=false`);
    const row = await h.deps.db.getRepository(Ticket).findOneByOrFail({ id });
    const plan = planClock({
      ticket: { kind: row.kind, state: row.state, cycle: row.cycle, departmentCode: row.departmentCode, accusedDepartmentCode: null },
      deadlines: { dispatchBy: row.dispatchBy, signBy: row.signBy, replyBy: row.replyBy, redBy: row.redBy, rateBy: null, infoWaitBy: null, dueSoonAt: row.dueSoonAt },
      firedLevels: [],
      orders: [],
      dueSoonSent: [],
      now: NOW,
    });
    t.is(
      plan.steps.some((s) => s.step === 'escalate'),
      wantOverdue,
      `${note}: the ladder escalates`,
    );
    t.is(
      plan.steps.some((s) => s.step === 'due_soon'),
      wantDueSoon,
      `${note}: the due-soon notice`,
    );
    t.is(swept.has(id), wantOverdue || wantDueSoon, `${note}: the sweep finds it`);
  }
});

import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { loadScale, ScaleLoadSummary } from '../../scripts/scale-load';
import { rebuildFigures } from '../../src/commands/figures';
import { departmentsFigures, rawDepartmentsFigures } from '../../src/commands/reports';
import { startOfLocalDay } from '../../src/domain/deadline';
import { Department, Escalation, OutboxMessage, OversightOrder, Ticket, TicketCounter, TicketEvent } from '../../src/entities';

// issue 15 item 1: the realistic loader of bench:scale, at a small N, on the backend of this
// run (SQLite by default, MariaDB with DATABASE_URL): chains verify through the API, and the
// rows agree with each other as the service's own writes would.
let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let summary: ScaleLoadSummary;
const N = 400;

test.before(async () => {
  h = await startHarness({ start: '2026-11-20T10:00:00+08:00' });
  s = await standardStaff(h);
  const cal = await h.deps.calendar.get(h.deps.db.manager);
  summary = await loadScale(h.deps.db, {
    tickets: N,
    now: h.clock.now(),
    cal,
    tz: h.deps.config.businessTz,
    chunk: 150,
    seed: 7,
    actors: { coordinator: s.coord.id, intake: s.intake.id, supervisor: s.sup.id, handlers: { TAX: s.tax.id, HRSS: s.hrss.id, SAMR: s.samr.id } },
  });
});
test.after.always(async () => {
  await h?.close();
});

test.serial('the same seed writes the same rows on either backend', (t) => {
  t.deepEqual(summary, {
    ticket: N,
    ticket_event: 2155,
    ticket_message: 429,
    outbox_message: 1222,
    ticket_return: 21,
    ticket_extension: 19,
    ticket_pause: 20,
    escalation: 88,
    oversight_order: 70,
  });
});

test.serial('a sample of chains verifies through the API, and a rewritten event breaks its chain', async (t) => {
  const ids = (await h.deps.db.getRepository(Ticket).find({ select: { id: true }, order: { id: 'ASC' } })).map((x) => x.id);
  t.is(ids.length, N);
  for (const id of ids.filter((_, i) => i % 37 === 0)) {
    const n = await h.deps.db.getRepository(TicketEvent).countBy({ ticketId: id });
    t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: n }, id);
  }
  const victim = ids[5];
  await h.deps.db.query("UPDATE ticket_event SET actor_role = 'admin' WHERE ticket_id = ? AND seq = 1", [victim]);
  t.like((await s.coord.get(`/api/v1/tickets/${victim}/events/verify`)).body, { ok: false, brokenAt: 1, reason: 'hash' });
});

test.serial('rows agree: versions, states, escalations, orders, outbox, counters', async (t) => {
  const db = h.deps.db;
  const tickets = await db.getRepository(Ticket).find();
  const events = await db.getRepository(TicketEvent).find({ order: { ticketId: 'ASC', seq: 'ASC' } });
  const byTicket = new Map<string, TicketEvent[]>();
  for (const e of events) byTicket.set(e.ticketId, [...(byTicket.get(e.ticketId) ?? []), e]);
  const escalations = await db.getRepository(Escalation).find();
  const orders = await db.getRepository(OversightOrder).find();
  const bad: string[] = [];
  for (const tk of tickets) {
    const list = byTicket.get(tk.id) ?? [];
    if (list.map((e) => e.seq).join() !== list.map((_, i) => i + 1).join()) bad.push(`${tk.number} seq`);
    if (list[0]?.type !== 'created') bad.push(`${tk.number} first ${list[0]?.type}`);
    if (tk.version !== list.length) bad.push(`${tk.number} version ${tk.version}/${list.length}`);
    for (let i = 1; i < list.length; i++) if (list[i].at < list[i - 1].at) bad.push(`${tk.number} time order at ${i + 1}`);
    // the state the last state-changing event leaves is the ticket's
    const lastMove = [...list].reverse().find((e) => e.fromState !== e.toState);
    if (lastMove?.toState !== tk.state) bad.push(`${tk.number} state ${tk.state} vs ${lastMove?.toState}`);
    const mine = escalations.filter((e) => e.ticketId === tk.id);
    if (mine.length !== list.filter((e) => e.type === 'escalated').length) bad.push(`${tk.number} escalations`);
    const top = Math.max(0, ...mine.filter((e) => e.cycle === tk.cycle).map((e) => e.level));
    if (top !== tk.escalationLevel) bad.push(`${tk.number} level ${tk.escalationLevel} vs ${top}`);
    if (['closed', 'rejected', 'withdrawn'].includes(tk.state) !== (tk.closedAt !== null)) bad.push(`${tk.number} closedAt`);
  }
  const stateOf = new Map(tickets.map((x) => [x.id, x.state]));
  for (const o of orders) {
    // a ticket that ended closes its open orders (main 00e90b7)
    if (o.state === 'open' && ['closed', 'rejected', 'withdrawn', 'merged'].includes(stateOf.get(o.ticketId)!)) bad.push(`open order ${o.id} of an ended ticket`);
    const e = escalations.find((x) => x.id === o.escalationId);
    if (!e || e.orderId !== o.id || e.level !== o.level || e.ticketId !== o.ticketId) bad.push(`order ${o.id}`);
  }
  t.deepEqual(bad, []);
  const eventIds = new Set(events.map((e) => e.id));
  const outbox = await db.getRepository(OutboxMessage).find();
  t.deepEqual(
    outbox.filter((m) => !eventIds.has(m.sourceKey.replace(/^event:/, ''))).map((m) => m.id),
    [],
  );
  // open tickets, some overdue, spread over every department that handles tickets
  const open = tickets.filter((x) => ['registered', 'dispatched', 'in_progress', 'awaiting_info', 'replied'].includes(x.state));
  t.true(open.length > N * 0.05 && open.length < N * 0.15, `${open.length} open`);
  t.true(tickets.some((x) => x.state === 'in_progress' && x.replyBy && x.replyBy <= h.clock.now()));
  const departments = await db.getRepository(Department).countBy({ active: true });
  t.is(new Set(tickets.map((x) => x.departmentCode).filter(Boolean)).size, departments);
  t.is(new Set(tickets.map((x) => x.receivedAt.getUTCFullYear())).size, 4);
  // numbers go on from the year counters: a ticket created now gets the next one
  const counter = await db.getRepository(TicketCounter).findOneByOrFail({ year: 2026 });
  t.is(tickets.filter((x) => x.number.startsWith('FL2026')).length, counter.lastValue);
  const created = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '装载后新建',
    description: '内容',
    owner: { name: '王先生', phone: '13800009999' },
  });
  t.is(created.status, 201, created.text);
  t.is(created.body.number, `FL2026${String(counter.lastValue + 1).padStart(6, '0')}`);
});

// issue 15 item 2: on the loaded history (three years, every kind of life), the maintained
// figures rebuilt from it agree exactly with the computation over the raw rows, for every
// department, for each viewer department (integrity reports hidden from the accused), for
// years, months and single days, as of the loader's instant.
test.serial('maintained figures agree with the raw rows on the loaded history', async (t) => {
  const db = h.deps.db;
  const tz = h.deps.config.businessTz;
  const r = await rebuildFigures(db, { tz, batch: 97 });
  t.is(r.remaining, false);
  t.true(r.tickets >= N);
  const codes = (await db.getRepository(Department).find({ order: { code: 'ASC' } })).map((d) => d.code);
  const cal = await h.deps.calendar.get(db.manager);
  const accused = [...new Set((await db.getRepository(Ticket).findBy({ kind: 'integrity_report' })).map((x) => x.accusedDepartmentCode))];
  t.true(accused.length >= 1, 'the history has integrity reports');
  const periods: [string, string][] = [
    ['2024-01-01', '2025-01-01'],
    ['2025-01-01', '2026-01-01'],
    ['2026-01-01', '2027-01-01'],
    ['2026-11-01', '2026-12-01'],
    ['2025-06-01', '2025-07-01'],
    ['2026-11-19', '2026-11-20'],
  ];
  let compared = 0;
  for (const [a, b] of periods) {
    const range = { from: startOfLocalDay(a, tz), to: startOfLocalDay(b, tz) };
    for (const hide of [null, ...accused]) {
      const kept = await departmentsFigures(db.manager, codes, range, cal, tz, h.clock.now(), { hideAccusedOf: hide });
      t.deepEqual(kept, await rawDepartmentsFigures(db.manager, codes, range, cal, tz, h.clock.now(), { hideAccusedOf: hide }), `${a}..${b} viewer ${hide}`);
      compared += kept.filter((f) => f.received > 0).length;
    }
  }
  t.true(compared > 20, `${compared} non-empty department figures compared`);
});

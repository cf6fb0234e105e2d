/**
 * The escalation ladder (DESIGN §5) driven by the sweep, on the real November–December 2026
 * calendar: for each level's trigger the exact `escalated` event, the oversight order and
 * its deadline; exactly once per (ticket, cycle, level); manual escalation; the second
 * reopening; a new cycle does not inherit the old one's breaches. The clock only moves
 * forward, so the tests run in calendar order. Runs on the in-process runner, or on bull
 * when REDIS_URL is set.
 */
import test from 'ava';
import { standardStaff, Harness } from '../helpers/harness';
import { JobRunner } from '../../src/jobs/runner';
import { startClockHarness, Z, act, taxComplaint, timeline, escalatedEvents, escalationRows, orders, dueSoonNotices, CALLER } from './clock-helpers';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let jobs: JobRunner;
test.before(async () => {
  ({ h, s, jobs } = await startClockHarness());
});
test.after.always(async () => {
  await jobs?.close();
  await h?.close();
});

const setNow = (local: string) => h.clock.set(new Date(local));
const sweep = () => jobs.sweep();

test.serial('a late-recorded call past every deadline climbs levels 1, 2 and 3 in one sweep, each once', async (t) => {
  // Received Mon Oct 12: sign-for Oct 13 → Oct 14 00:00; reply Oct 13–16, 19 → Oct 20 00:00; N+5 → Oct 27 00:00.
  const tk = await taxComplaint(s.intake, { receivedAt: '2026-10-12T09:00:00+08:00' });
  t.is(tk.deadlines.signBy, Z('2026-10-14T00:00:00+08:00'));
  t.is(tk.deadlines.replyBy, Z('2026-10-20T00:00:00+08:00'));
  t.is(tk.deadlines.escalateBy, Z('2026-10-27T00:00:00+08:00'));
  await sweep();
  const now = Z('2026-11-02T09:00:00+08:00');
  t.deepEqual(await escalatedEvents(s.coord, tk.id), [
    [1, 1, 'sign_late', 'system', now],
    [1, 2, 'reply_late', 'system', now],
    [1, 3, 'reply_missing', 'system', now],
  ]);
  const rows = await escalationRows(h, tk.id);
  t.deepEqual(
    rows.map((r) => [r.level, r.target, r.departmentCode, r.triggeredAt]),
    [
      [1, 'department_head', 'TAX', Z('2026-10-14T00:00:00+08:00')],
      [2, 'department', 'TAX', Z('2026-10-20T00:00:00+08:00')],
      [3, 'supervisors', 'TAX', Z('2026-10-27T00:00:00+08:00')],
    ],
  );
  // Both cards are orders to the department, due in 2 working days: Nov 3, 4 → Nov 5 00:00.
  t.deepEqual(
    (await orders(h, tk.id)).map((o) => [o.cycle, o.level, o.reason, o.departmentCode, o.state, o.respondBy]),
    [
      [1, 2, 'reply_late', 'TAX', 'open', Z('2026-11-05T00:00:00+08:00')],
      [1, 3, 'reply_missing', 'TAX', 'open', Z('2026-11-05T00:00:00+08:00')],
    ],
  );
  t.deepEqual(
    rows.map((r) => r.orderId),
    [null, ...(await orders(h, tk.id)).map((o) => o.id)],
  );
  const view = await s.coord.get(`/api/v1/tickets/${tk.id}`);
  t.is(view.body.escalationLevel, 3);
  t.is(view.body.overdue, true);
  // Sweeping again (or a timer firing late) changes nothing.
  await sweep();
  await jobs.check([tk.id]);
  t.is((await escalatedEvents(s.coord, tk.id)).length, 3);
});

test.serial('over time: due soon, level 1 at the sign-for deadline, level 2 at the reply deadline, level 3 when the order goes unanswered', async (t) => {
  setNow('2026-11-02T09:00:00+08:00');
  const tk = await taxComplaint(s.intake); // Mon 09:00 → sign-for Nov 4 00:00, reply Nov 10 00:00
  t.is(tk.deadlines.signBy, Z('2026-11-04T00:00:00+08:00'));
  t.is(tk.deadlines.replyBy, Z('2026-11-10T00:00:00+08:00'));
  await jobs.check([tk.id]); // what deps.onTicketsChanged does after every change: arms the due-soon timer
  t.deepEqual(
    (await jobs.armed(tk.id)).map((x) => [x.kind, x.dueAt.toISOString()]),
    [
      ['due_soon', Z('2026-11-03T00:00:00+08:00')],
      ['sign', Z('2026-11-04T00:00:00+08:00')],
      ['reply', Z('2026-11-10T00:00:00+08:00')],
      ['red', Z('2026-11-17T00:00:00+08:00')],
    ],
  );
  await sweep();
  t.deepEqual(await dueSoonNotices(h, tk.id), []);

  setNow('2026-11-03T10:00:00+08:00'); // the last working day before the sign-for deadline
  await sweep();
  await sweep();
  t.deepEqual(await dueSoonNotices(h, tk.id), [[1, 'sign', Z('2026-11-04T00:00:00+08:00')]]);
  t.deepEqual(await escalatedEvents(s.coord, tk.id), []);

  setNow('2026-11-04T00:00:00+08:00'); // the very instant of the deadline
  await sweep();
  t.deepEqual(await escalatedEvents(s.coord, tk.id), [[1, 1, 'sign_late', 'system', Z('2026-11-04T00:00:00+08:00')]]);
  t.deepEqual(
    (await escalationRows(h, tk.id)).map((r) => [r.level, r.target]),
    [[1, 'department_head']],
  );

  setNow('2026-11-04T10:00:00+08:00');
  const signed = await act(s.tax, tk.id, 'sign');
  t.is(signed.escalationLevel, 1);
  await jobs.check([tk.id]); // what deps.onTicketsChanged does after every change: re-arms for the reply's due-soon

  setNow('2026-11-09T10:00:00+08:00'); // due soon for the reply
  await sweep();
  t.deepEqual(await dueSoonNotices(h, tk.id), [
    [1, 'sign', Z('2026-11-04T00:00:00+08:00')],
    [1, 'reply', Z('2026-11-10T00:00:00+08:00')],
  ]);

  setNow('2026-11-10T00:00:00+08:00');
  await sweep();
  // Yellow card: order to TAX, response in 2 working days from Tue Nov 10: Nov 11, 12 → Nov 13 00:00.
  const [yellow] = await orders(h, tk.id);
  t.deepEqual({ ...yellow, id: undefined }, { id: undefined, cycle: 1, level: 2, reason: 'reply_late', departmentCode: 'TAX', state: 'open', respondBy: Z('2026-11-13T00:00:00+08:00'), late: false });

  // The order as the coordinator, the department and the supervisors see it; not other departments.
  const list = await s.coord.get(`/api/v1/oversight?ticketId=${tk.id}`);
  t.is(list.status, 200);
  t.deepEqual(
    list.body.items.map((o: any) => [o.level, o.state, o.overdue, o.departmentCode, o.ticketNumber]),
    [[2, 'open', false, 'TAX', tk.number]],
  );
  t.is((await s.tax.get(`/api/v1/oversight?ticketId=${tk.id}`)).body.items.length, 1);
  t.is((await s.sup.get(`/api/v1/oversight?ticketId=${tk.id}&level=2&state=open`)).body.items.length, 1);
  t.is((await s.hrss.get(`/api/v1/oversight?ticketId=${tk.id}`)).body.items.length, 0);
  t.is((await s.intake.get('/api/v1/oversight')).status, 403);
  t.deepEqual(
    (await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items.map((o: any) => o.id),
    [yellow.id],
  );

  setNow('2026-11-13T00:00:00+08:00'); // the order's deadline passes unanswered
  await sweep();
  await sweep();
  t.deepEqual(await escalatedEvents(s.coord, tk.id), [
    [1, 1, 'sign_late', 'system', Z('2026-11-04T00:00:00+08:00')],
    [1, 2, 'reply_late', 'system', Z('2026-11-10T00:00:00+08:00')],
    [1, 3, 'oversight_late', 'system', Z('2026-11-13T00:00:00+08:00')],
  ]);
  // Red card order: Fri Nov 13 → Nov 16, 17 → Nov 18 00:00.
  t.deepEqual(
    (await orders(h, tk.id)).map((o) => [o.level, o.reason, o.state, o.respondBy, o.late]),
    [
      [2, 'reply_late', 'open', Z('2026-11-13T00:00:00+08:00'), true],
      [3, 'oversight_late', 'open', Z('2026-11-18T00:00:00+08:00'), false],
    ],
  );
  const overdue = await s.coord.get(`/api/v1/oversight?ticketId=${tk.id}&overdue=true`);
  t.deepEqual(
    overdue.body.items.map((o: any) => o.level),
    [2],
  );
  t.true((await s.coord.get('/api/v1/tickets?escalationLevel=3&limit=200')).body.items.some((x: any) => x.id === tk.id));

  // The department answers the red card late-free; another department may not; the coordinator closes.
  const red = (await orders(h, tk.id))[1];
  t.is((await s.hrss.post(`/api/v1/oversight/${red.id}/respond`, { message: '不是我们' })).status, 404);
  t.is((await s.coord.post(`/api/v1/oversight/${red.id}/respond`, { message: 'x' })).status, 403);
  setNow('2026-11-16T10:00:00+08:00');
  const resp = await s.taxHead.post(`/api/v1/oversight/${red.id}/respond`, { message: '已约谈经办人，本周内答复' });
  t.is(resp.status, 200);
  t.is(resp.body.state, 'responded');
  t.is(resp.body.response, '已约谈经办人，本周内答复');
  t.is((await s.tax.post(`/api/v1/oversight/${red.id}/respond`, { message: '再答一次' })).body.code, 'oversight-not-open');
  t.is((await s.tax.post(`/api/v1/oversight/${red.id}/close`, {})).status, 403);
  const closed = await s.coord.post(`/api/v1/oversight/${red.id}/close`, { note: '已整改' });
  t.deepEqual([closed.status, closed.body.state, closed.body.closeNote], [200, 'closed', '已整改']);
  t.is((await s.coord.post(`/api/v1/oversight/${red.id}/close`, {})).status, 409);
  const tl = await timeline(s.coord, tk.id);
  t.deepEqual(
    tl.map(([type, cycle]) => [type, cycle]),
    [
      ['created', 1],
      ['dispatched', 1],
      ['escalated', 1],
      ['signed', 1],
      ['escalated', 1],
      ['escalated', 1],
      ['oversight_responded', 1],
    ],
  );
  t.deepEqual(tl[6][2], { orderId: red.id, level: 3, onTime: true });
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${tk.id}/events/verify`)).body, { ok: true, checked: 7 });
});

test.serial('red card at N + 5 working days when the reply is still missing, though the yellow card was answered', async (t) => {
  setNow('2026-11-16T10:00:00+08:00'); // Mon: sign-for Nov 18 00:00, reply Nov 24 00:00, N+5 Dec 1 00:00
  const tk = await taxComplaint(s.intake);
  t.is(tk.deadlines.escalateBy, Z('2026-12-01T00:00:00+08:00'));
  setNow('2026-11-16T10:30:00+08:00');
  await act(s.tax, tk.id, 'sign');
  setNow('2026-11-24T00:00:00+08:00');
  await sweep();
  const [yellow] = await orders(h, tk.id);
  t.is(yellow.respondBy, Z('2026-11-27T00:00:00+08:00')); // Nov 25, 26
  setNow('2026-11-25T10:00:00+08:00');
  t.is((await s.tax.post(`/api/v1/oversight/${yellow.id}/respond`, { message: '正在核实，预计下周答复' })).status, 200);
  setNow('2026-11-27T00:00:00+08:00');
  await sweep();
  t.is((await escalatedEvents(s.coord, tk.id)).length, 1);
  setNow('2026-12-01T00:00:00+08:00');
  await sweep();
  t.deepEqual(await escalatedEvents(s.coord, tk.id), [
    [1, 2, 'reply_late', 'system', Z('2026-11-24T00:00:00+08:00')],
    [1, 3, 'reply_missing', 'system', Z('2026-12-01T00:00:00+08:00')],
  ]);
  t.deepEqual(
    (await timeline(s.coord, tk.id)).map(([type]) => type),
    ['created', 'dispatched', 'signed', 'escalated', 'oversight_responded', 'escalated'],
  );
});

test.serial('a registered ticket not dispatched within 1 working day: level 1 to the coordinator office, once per cycle', async (t) => {
  setNow('2026-12-01T09:00:00+08:00'); // Tue; category "other" has no department
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'other', title: '其他问题', description: '不知道找谁', owner: CALLER });
  t.is(r.body.state, 'registered');
  t.is(r.body.deadlines.dispatchBy, Z('2026-12-03T00:00:00+08:00'));
  setNow('2026-12-03T00:00:00+08:00');
  await sweep();
  t.deepEqual(await escalationRows(h, r.body.id), [
    { cycle: 1, level: 1, reason: 'dispatch_late', target: 'coordinator_office', departmentCode: null, triggeredAt: Z('2026-12-03T00:00:00+08:00'), orderId: null },
  ]);
  setNow('2026-12-03T09:00:00+08:00');
  const d = await act(s.coord, r.body.id, 'dispatch', { departmentCode: 'TAX' });
  t.is(d.deadlines.signBy, Z('2026-12-05T00:00:00+08:00'));
  setNow('2026-12-05T00:00:00+08:00'); // the new department is late to sign too: level 1 already happened this cycle
  await sweep();
  t.deepEqual(
    (await escalatedEvents(s.coord, r.body.id)).map((e) => e.slice(0, 3)),
    [[1, 1, 'dispatch_late']],
  );
});

let integrity: any;
test.serial('an integrity report escalates straight to the supervisors: level 3 on its first breach, no order, once', async (t) => {
  setNow('2026-12-07T09:00:00+08:00'); // Mon
  const r = await s.intake.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'hotline',
    title: '检查时索要财物',
    description: '执法人员暗示需要“意思一下”',
    owner: CALLER,
    accused: { departmentCode: 'TAX', demand: 'property', occurredOn: '2026-12-01' },
  });
  t.is(r.status, 201);
  integrity = r.body;
  t.is(r.body.departmentCode, 'DIS');
  setNow(r.body.deadlines.signBy);
  await sweep();
  await sweep();
  t.deepEqual(await escalationRows(h, r.body.id), [
    { cycle: 1, level: 3, reason: 'sign_late', target: 'supervisors', departmentCode: 'DIS', triggeredAt: Z('2026-12-09T00:00:00+08:00'), orderId: null },
  ]);
  t.deepEqual(await orders(h, r.body.id), []);
  t.deepEqual(
    (await escalatedEvents(s.sup, r.body.id)).map((e) => e.slice(0, 3)),
    [[1, 3, 'sign_late']],
  );
});

test.serial('manual escalation by the coordinator and a supervisor: each level once per cycle, only upwards', async (t) => {
  setNow('2026-12-09T09:00:00+08:00'); // Wed: sign-for Dec 11 00:00
  const tk = await taxComplaint(s.intake);
  t.is((await s.tax.post(`/api/v1/tickets/${tk.id}/escalate`, { level: 2, note: '自己督办自己' })).status, 403);
  const e = await act(s.coord, tk.id, 'escalate', { level: 2, note: '群众反映强烈，请从速办理' });
  t.deepEqual([e.state, e.escalationLevel], ['dispatched', 2]);
  const [yellow] = await orders(h, tk.id);
  t.deepEqual([yellow.level, yellow.reason, yellow.respondBy], [2, 'manual', Z('2026-12-12T00:00:00+08:00')]); // Dec 10, 11 → Dec 12 00:00
  const again = await s.coord.post(`/api/v1/tickets/${tk.id}/escalate`, { level: 2, note: '再催' });
  t.deepEqual([again.status, again.body.code, again.body.escalationLevel], [409, 'already-escalated', 2]);
  h.clock.advance(60_000);
  const red = await act(s.sup, tk.id, 'escalate', { level: 3, note: '移送纪检' });
  t.is(red.escalationLevel, 3);
  t.deepEqual(
    (await escalatedEvents(s.coord, tk.id)).map((x) => x.slice(0, 4)),
    [
      [1, 2, 'manual', 'coordinator'],
      [1, 3, 'manual', 'supervisor'],
    ],
  );
  const list = await s.coord.get(`/api/v1/oversight?ticketId=${tk.id}`);
  t.deepEqual(
    list.body.items.map((o: any) => [o.level, o.note]),
    [
      [3, '移送纪检'],
      [2, '群众反映强烈，请从速办理'],
    ],
  );
  // The sign-for deadline passing later raises nothing: the ladder only climbs.
  setNow('2026-12-11T00:00:00+08:00');
  await sweep();
  t.is((await escalatedEvents(s.coord, tk.id)).length, 2);
  // An integrity report is escalated only to the supervisors (level 3).
  const bad = await s.sup.post(`/api/v1/tickets/${integrity.id}/escalate`, { level: 2, note: '督办' });
  t.deepEqual([bad.status, bad.body.errors?.[0]?.field], [422, 'level']);
});

test.serial('second reopening: the third cycle starts with a level-2 order; the first reopening does not', async (t) => {
  setNow('2026-12-14T09:00:00+08:00'); // Mon
  const tk = await taxComplaint(s.intake);
  for (let cycle = 1; cycle <= 2; cycle++) {
    await act(s.tax, tk.id, 'sign');
    await act(s.tax, tk.id, 'reply', { outcome: 'explained', message: `第${cycle}次答复` });
    const rated = await act(s.intake, tk.id, 'rate', { rating: 'dissatisfied', via: 'callback' });
    t.is(rated.cycle, cycle + 1);
  }
  const tl = await timeline(s.coord, tk.id);
  t.deepEqual(
    tl.slice(-3).map(([type, cycle, p]) => [type, cycle, type === 'escalated' ? p : null]),
    [
      ['rated', 2, null],
      ['reopened', 3, null],
      ['escalated', 3, { level: 2, reason: 'second_reopening' }],
    ],
  );
  t.false(tl.some(([type, cycle]) => type === 'escalated' && cycle === 2));
  // Order to TAX from Mon Dec 14: Dec 15, 16 → Dec 17 00:00.
  t.deepEqual(
    (await orders(h, tk.id)).map((o) => [o.cycle, o.level, o.reason, o.respondBy]),
    [[3, 2, 'second_reopening', Z('2026-12-17T00:00:00+08:00')]],
  );
  const view = await s.coord.get(`/api/v1/tickets/${tk.id}`);
  t.deepEqual([view.body.cycle, view.body.escalationLevel, view.body.state], [3, 2, 'dispatched']);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${tk.id}/events/verify`)).body.ok, true);
});

test.serial("reopening a late ticket: the new cycle does not escalate at once; the old cycle's open order never raises level 3", async (t) => {
  setNow('2026-12-14T09:00:00+08:00');
  const tk = await taxComplaint(s.intake); // reply: Dec 15–18, 21 → Dec 22 00:00
  t.is(tk.deadlines.replyBy, Z('2026-12-22T00:00:00+08:00'));
  await act(s.tax, tk.id, 'sign');
  setNow('2026-12-22T00:00:00+08:00');
  await sweep();
  t.deepEqual(
    (await escalatedEvents(s.coord, tk.id)).map((e) => e.slice(0, 3)),
    [[1, 2, 'reply_late']],
  );
  setNow('2026-12-22T10:00:00+08:00');
  await act(s.tax, tk.id, 'reply', { outcome: 'resolved', message: '迟到的答复' });
  const reopened = await act(s.intake, tk.id, 'rate', { rating: 'very_dissatisfied', via: 'callback' });
  t.deepEqual([reopened.cycle, reopened.state, reopened.escalationLevel, reopened.overdue], [2, 'dispatched', 0, false]);
  await sweep();
  await jobs.check([tk.id]);
  t.deepEqual(
    (await escalatedEvents(s.coord, tk.id)).map((e) => e.slice(0, 3)),
    [[1, 2, 'reply_late']],
  );
  await act(s.tax, tk.id, 'sign');
  // The cycle-1 order (due Dec 25 00:00: Dec 23, 24) goes late unanswered in cycle 2: marked late, no red card.
  setNow('2026-12-25T00:00:00+08:00');
  await sweep();
  t.deepEqual(
    (await orders(h, tk.id)).map((o) => [o.cycle, o.level, o.respondBy, o.late]),
    [[1, 2, Z('2026-12-25T00:00:00+08:00'), true]],
  );
  t.deepEqual(
    (await escalatedEvents(s.coord, tk.id)).map((e) => e.slice(0, 3)),
    [[1, 2, 'reply_late']],
  );
});

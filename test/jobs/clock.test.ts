/**
 * The clock's own transitions (DESIGN §3) and its timers (issue 3): an unanswered
 * information request resumes after 5 working days, an unrated reply closes after 3; a
 * timer fires without any sweep; a deadline that moves (extension, pause, calendar edit,
 * policy edit) moves to the exact instant and its timer is replaced. November 2026, the
 * clock only moves forward. In-process runner, or bull with REDIS_URL.
 */
import test from 'ava';
import Bull from 'bull';
import { standardStaff, Harness } from '../helpers/harness';
import { JobRunner, CLOCK_QUEUE } from '../../src/jobs/runner';
import { TicketPause } from '../../src/entities';
import { startClockHarness, Z, act, taxComplaint, timeline, escalatedEvents, eventually } from './clock-helpers';

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
const armed = async (id: string) => (await jobs.armed(id)).map((x) => [x.kind, x.dueAt.toISOString()]);

test.serial('no supplement within 5 working days: the system resumes the clock at the end of the wait; the reply deadline moves by the pause', async (t) => {
  setNow('2026-11-02T09:00:00+08:00');
  const tk = await taxComplaint(s.intake);
  await act(s.tax, tk.id, 'sign');
  setNow('2026-11-02T10:00:00+08:00');
  const p = await act(s.tax, tk.id, 'request-info', { message: '请提供近三个月流水' });
  t.is(p.state, 'awaiting_info');
  await jobs.check([tk.id]);
  // Nov 3, 4, 5, 6, 9 → Nov 10 00:00; nothing else runs while the clock is paused.
  t.deepEqual(await armed(tk.id), [['info_wait', Z('2026-11-10T00:00:00+08:00')]]);
  setNow('2026-11-09T23:59:59+08:00');
  await jobs.sweep();
  t.is((await s.coord.get(`/api/v1/tickets/${tk.id}`)).body.state, 'awaiting_info');
  setNow('2026-11-10T00:00:00+08:00');
  await jobs.sweep();
  const v = (await s.coord.get(`/api/v1/tickets/${tk.id}`)).body;
  t.is(v.state, 'in_progress');
  // The pause adds the working days in (Nov 2, Nov 10] = 6: 11 working days from Nov 2 → Nov 18 00:00.
  t.is(v.deadlines.replyBy, Z('2026-11-18T00:00:00+08:00'));
  const last = (await timeline(s.coord, tk.id)).pop()!;
  t.deepEqual(last, ['supplemented', 1, { timeout: true, waitedUntil: Z('2026-11-10T00:00:00+08:00') }]);
  const ev = (await s.coord.get(`/api/v1/tickets/${tk.id}/events`)).body.items.pop();
  t.deepEqual([ev.actor.role, ev.fromState, ev.toState], ['system', 'awaiting_info', 'in_progress']);
  const pauses = await h.deps.db.getRepository(TicketPause).findBy({ ticketId: tk.id });
  t.deepEqual(
    pauses.map((x) => [x.pausedAt.toISOString(), x.resumedAt?.toISOString()]),
    [[Z('2026-11-02T10:00:00+08:00'), Z('2026-11-10T00:00:00+08:00')]],
  );
  t.deepEqual(
    (await armed(tk.id)).map(([k]) => k),
    ['due_soon', 'reply', 'red'],
  );
  t.deepEqual(await escalatedEvents(s.coord, tk.id), []);
});

test.serial('a reply not rated within 3 working days closes with rating none', async (t) => {
  setNow('2026-11-10T09:00:00+08:00'); // Tue
  const tk = await taxComplaint(s.intake);
  await act(s.tax, tk.id, 'sign');
  const r = await act(s.tax, tk.id, 'reply', { outcome: 'resolved', message: '已调整' });
  t.is(r.deadlines.rateBy, Z('2026-11-14T00:00:00+08:00')); // Nov 11, 12, 13
  await jobs.check([tk.id]);
  t.deepEqual(await armed(tk.id), [['rate', Z('2026-11-14T00:00:00+08:00')]]);
  setNow('2026-11-14T00:00:00+08:00');
  await jobs.sweep();
  await jobs.sweep();
  const v = (await s.coord.get(`/api/v1/tickets/${tk.id}`)).body;
  t.deepEqual([v.state, v.rating, v.closedAt], ['closed', 'none', Z('2026-11-14T00:00:00+08:00')]);
  const tl = await timeline(s.coord, tk.id);
  t.deepEqual(tl.slice(-1), [['closed', 1, { rating: 'none', reason: 'rating_window_expired', rateBy: Z('2026-11-14T00:00:00+08:00') }]]);
  t.is(tl.filter(([type]) => type === 'closed').length, 1);
  t.deepEqual(await armed(tk.id), []);
});

test.serial('a timer fires at its deadline without any sweep', async (t) => {
  setNow('2026-11-16T09:00:00+08:00'); // Mon: sign-for Nov 18 00:00
  const tk = await taxComplaint(s.intake);
  t.is(tk.deadlines.signBy, Z('2026-11-18T00:00:00+08:00'));
  h.clock.set(new Date(new Date(tk.deadlines.signBy).getTime() - 400));
  await jobs.check([tk.id]);
  t.deepEqual((await armed(tk.id))[0], ['sign', Z('2026-11-18T00:00:00+08:00')]);
  h.clock.advance(400); // the manual clock stands still; the timer's real delay is the 400 ms
  t.true(await eventually(async () => (await escalatedEvents(s.coord, tk.id)).length === 1, 10_000));
  t.deepEqual(await escalatedEvents(s.coord, tk.id), [[1, 1, 'sign_late', 'system', Z('2026-11-18T00:00:00+08:00')]]);
});

test.serial('deadlines that move (extension, pause, calendar edit, policy edit) land on the exact instant and their timers are replaced', async (t) => {
  setNow('2026-11-18T09:00:00+08:00'); // Wed
  const tk = await taxComplaint(s.intake);
  await act(s.tax, tk.id, 'sign');
  await jobs.check([tk.id]);
  // reply: Nov 19, 20, 23, 24, 25 → Nov 26 00:00
  t.deepEqual((await armed(tk.id)).slice(0, 2), [
    ['due_soon', Z('2026-11-25T00:00:00+08:00')],
    ['reply', Z('2026-11-26T00:00:00+08:00')],
  ]);
  const oldReply = (await jobs.armed(tk.id)).find((x) => x.kind === 'reply')!;

  const expectReply = async (local: string) => {
    const v = (await s.coord.get(`/api/v1/tickets/${tk.id}`)).body;
    t.is(v.deadlines.replyBy, Z(local));
    await jobs.check([tk.id]); // what deps.onTicketsChanged does after each change
    const a = await armed(tk.id);
    t.deepEqual(
      a.find(([k]) => k === 'reply'),
      ['reply', Z(local)],
    );
    t.deepEqual(
      a.find(([k]) => k === 'red'),
      ['red', v.deadlines.escalateBy],
    );
  };

  // Extension of 2 working days approved: 7 → Nov 27 is the 7th → Nov 28 00:00.
  await act(s.tax, tk.id, 'request-extension', { workingDays: 2, reason: '需现场核查' });
  await act(s.coord, tk.id, 'decide-extension', { approve: true });
  await expectReply('2026-11-28T00:00:00+08:00');
  if (process.env.REDIS_URL) {
    // the old delayed job is gone from Redis, the new one is there
    const q = new Bull(CLOCK_QUEUE, process.env.REDIS_URL, { prefix: h.deps.config.queuePrefix });
    try {
      t.is(await q.getJob(oldReply.jobId), null);
      const now = (await jobs.armed(tk.id)).find((x) => x.kind === 'reply')!;
      t.is(now.jobId, `timer:${tk.id}:1:reply:${new Date('2026-11-28T00:00:00+08:00').getTime()}`);
      t.truthy(await q.getJob(now.jobId));
    } finally {
      await q.close();
    }
  }

  // Paused over the weekend (Fri 10:00 → Mon 10:00): adds the working days in (Nov 20, Nov 23] = 1.
  setNow('2026-11-20T10:00:00+08:00');
  await act(s.tax, tk.id, 'request-info', { message: '请补充材料' });
  await jobs.check([tk.id]);
  t.deepEqual(await armed(tk.id), [['info_wait', Z('2026-11-28T00:00:00+08:00')]]);
  setNow('2026-11-23T10:00:00+08:00');
  await act(s.intake, tk.id, 'supplement', { message: '已补充' });
  await expectReply('2026-12-01T00:00:00+08:00');

  // Calendar edit: Fri Nov 27 becomes a holiday → 8 working days end Tue Dec 1 → Dec 2 00:00.
  const cal = await h.admin.put('/api/v1/calendar/days/2026-11-27', { type: 'holiday', note: '临时调休（测试）' });
  t.is(cal.status, 200);
  t.true(cal.body.recomputedTickets >= 1);
  await expectReply('2026-12-02T00:00:00+08:00');

  // Policy edit: complaints get 6 working days → 9 → Dec 3 00:00.
  const pol = await h.admin.put('/api/v1/sla-policies', { items: [{ kind: 'complaint', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 6, replyUnit: 'working_days' }] });
  t.is(pol.status, 200);
  await expectReply('2026-12-03T00:00:00+08:00');
  const recomputed = (await timeline(s.coord, tk.id)).filter(([type]) => type === 'deadlines_recomputed');
  t.is(recomputed.length, 2);
  t.is(recomputed[1][2].after && (recomputed[1][2].after as any).replyBy, Z('2026-12-03T00:00:00+08:00'));
});

test.serial('a reply not rated within 3 working days closes with rating none and closes the open oversight order (system, reason closed)', async (t) => {
  setNow('2026-12-01T09:00:00+08:00'); // Tue (after the other tests: the test clock only moves forward)
  const tk = await taxComplaint(s.intake);
  await act(s.coord, tk.id, 'escalate', { level: 2, note: '请加快办理' });
  const [order] = (await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items;
  await act(s.tax, tk.id, 'sign');
  const r = await act(s.tax, tk.id, 'reply', { outcome: 'resolved', message: '已调整' });
  t.is(r.deadlines.rateBy, Z('2026-12-05T00:00:00+08:00')); // Dec 2, 3, 4
  setNow('2026-12-05T00:00:00+08:00');
  await jobs.sweep();
  await jobs.sweep();
  const ev = (await s.coord.get(`/api/v1/tickets/${tk.id}/events`)).body.items as any[];
  const tail = ev.slice(ev.findIndex((e) => e.type === 'replied') + 1);
  const after = ((await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items as any[]).sort((a, b) => a.level - b.level);
  t.is(after[0].id, order.id);
  // the same sweep first finds the level-2 order unanswered (level 3), then closes the ticket and both orders
  t.deepEqual(
    tail.map((e) => [e.type, e.actor.role, e.fromState, e.toState, e.payload]),
    [
      ['escalated', 'system', 'replied', 'replied', { level: 3, reason: 'oversight_late' }],
      ['closed', 'system', 'replied', 'closed', { rating: 'none', reason: 'rating_window_expired', rateBy: Z('2026-12-05T00:00:00+08:00') }],
      ['oversight_closed', 'system', 'closed', 'closed', { orderId: order.id, level: 2, departmentCode: 'TAX', reason: 'closed' }],
      ['oversight_closed', 'system', 'closed', 'closed', { orderId: after[1].id, level: 3, departmentCode: 'TAX', reason: 'closed' }],
    ],
  );
  t.deepEqual(
    after.map((o) => [o.level, o.state, o.closeNote]),
    [
      [2, 'closed', '工单已办结，督办结束'],
      [3, 'closed', '工单已办结，督办结束'],
    ],
  );
});

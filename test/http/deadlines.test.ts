/**
 * Pauses and extensions through the HTTP API, on the real 2026 calendar (DESIGN §4):
 * a pause adds the working days in (pause date, resume date]; an approved extension adds
 * its working days; hour clocks (urgent) move by the exact paused duration. The clock only
 * moves forward, so the tests run in calendar order: Labour Day, National Day, November.
 */
import test from 'ava';
import { act, startHarness, standardStaff, Harness, Client } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };
test.before(async () => {
  h = await startHarness({ start: '2026-04-28T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  owner = await h.owner();
});
test.after.always(async () => {
  await h?.close();
});

const Z = (local: string) => new Date(local).toISOString();
const setNow = (local: string) => h.clock.set(new Date(local));
const CALLER = { name: '李四', phone: '13612345678' };

async function events(c: Client, id: string) {
  return (await c.get(`/api/v1/tickets/${id}/events`)).body.items as any[];
}

test.serial('Labour Day 2026: paused Thu Apr 30, supplemented by access code on Sun May 10 → +4 working days (May 6, 7, 8 and the adjusted Sat May 9)', async (t) => {
  setNow('2026-04-28T10:00:00+08:00'); // Tue
  const c = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '发票申领', description: '申领受阻', owner: CALLER });
  t.is(c.status, 201);
  const tk = c.body;
  // reply: Apr 29, 30, May 6, 7, 8 → May 9 00:00
  t.is(tk.deadlines.replyBy, Z('2026-05-09T00:00:00+08:00'));
  t.is(tk.deadlines.signBy, Z('2026-04-30T00:00:00+08:00'));
  setNow('2026-04-28T11:00:00+08:00');
  await act(s.tax, tk.id, 'sign');

  setNow('2026-04-30T09:00:00+08:00');
  const p = await act(s.tax, tk.id, 'request-info', { message: '请提供营业执照复印件' });
  t.is(p.state, 'awaiting_info');
  t.is(p.deadlines.replyBy, Z('2026-05-09T00:00:00+08:00')); // nothing paused yet

  setNow('2026-05-10T10:00:00+08:00'); // Sunday
  const r = await h.http.post(`/api/v1/track/${tk.number}/supplement`, { code: tk.accessCode, message: '已补充营业执照' });
  t.is(r.status, 200);
  t.is(r.body.state, 'in_progress');
  // 5 + 4 = 9 working days: Apr 29, 30, May 6, 7, 8, 9, 11, 12, 13 → May 14 00:00
  t.is(r.body.deadlines.replyBy, Z('2026-05-14T00:00:00+08:00'));
  const full = await s.coord.get(`/api/v1/tickets/${tk.id}`);
  t.is(full.body.deadlines.replyBy, Z('2026-05-14T00:00:00+08:00'));
  // level 3 at N + 5 working days, same start and pause: May 14, 15, 18, 19, 20 → May 21 00:00
  t.is(full.body.deadlines.escalateBy, Z('2026-05-21T00:00:00+08:00'));
  const ev = await events(s.coord, tk.id);
  t.deepEqual(
    ev.slice(3).map((e) => [e.type, e.fromState, e.toState, e.actor.role, e.at]),
    [
      ['info_requested', 'in_progress', 'awaiting_info', 'handler', Z('2026-04-30T09:00:00+08:00')],
      ['supplemented', 'awaiting_info', 'in_progress', 'access_code', Z('2026-05-10T10:00:00+08:00')],
    ],
  );
});

test.serial('a pause that starts and ends on the same day moves nothing; a second pause in the cycle adds up', async (t) => {
  setNow('2026-05-11T09:00:00+08:00'); // Mon
  const tk = (await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '退税', description: '退税进度' })).body;
  // May 12, 13, 14, 15, 18 → May 19 00:00
  t.is(tk.deadlines.replyBy, Z('2026-05-19T00:00:00+08:00'));
  await act(s.tax, tk.id, 'sign');
  await act(s.tax, tk.id, 'request-info', { message: '请提供账号' });
  setNow('2026-05-11T17:00:00+08:00');
  const same = await act(owner, tk.id, 'supplement', { message: '账号已提供' });
  t.is(same.deadlines.replyBy, Z('2026-05-19T00:00:00+08:00'));
  // second pause: Fri May 15 → Mon May 18 adds one working day (May 18); the weekend does not count
  setNow('2026-05-15T16:00:00+08:00');
  await act(s.tax, tk.id, 'request-info', { message: '请提供身份证明' });
  setNow('2026-05-18T08:30:00+08:00');
  const second = await act(s.intake, tk.id, 'supplement', { message: '来电补充身份证明' });
  t.is(second.deadlines.replyBy, Z('2026-05-20T00:00:00+08:00'));
});

test.serial('National Day 2026: paused Tue Sep 29, resumed Fri Oct 9 → +3 working days; extension approved +3, denied leaves it; too late after the deadline', async (t) => {
  setNow('2026-09-28T10:00:00+08:00'); // Mon
  const tk = (await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '社保缴费', description: '缴费基数' })).body;
  // reply: Sep 29, 30, Oct 8, 9, 10 (adjusted Sat) → Oct 11 00:00
  t.deepEqual(tk.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-09-30T00:00:00+08:00'),
    replyBy: Z('2026-10-11T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-10-17T00:00:00+08:00'),
    provisional: false,
  });
  setNow('2026-09-28T11:00:00+08:00');
  await act(s.tax, tk.id, 'sign');
  setNow('2026-09-29T10:00:00+08:00');
  await act(s.tax, tk.id, 'request-info', { message: '请提供缴费凭证' });
  setNow('2026-10-09T09:00:00+08:00');
  const r = await act(owner, tk.id, 'supplement', { message: '凭证已上传' });
  // (Sep 29, Oct 9] holds Sep 30, Oct 8, Oct 9: 8 working days from Sep 28 → Oct 15 00:00
  t.is(r.deadlines.replyBy, Z('2026-10-15T00:00:00+08:00'));
  t.is(r.deadlines.escalateBy, Z('2026-10-22T00:00:00+08:00'));

  setNow('2026-10-12T09:00:00+08:00');
  const req = await act(s.tax, tk.id, 'request-extension', { workingDays: 3, reason: '需外调核实' });
  t.is(req.state, 'in_progress');
  t.is(req.deadlines.replyBy, Z('2026-10-15T00:00:00+08:00')); // a request alone moves nothing
  const dup = await s.tax.post(`/api/v1/tickets/${tk.id}/request-extension`, { workingDays: 1, reason: '再延' });
  t.is(dup.status, 409);
  t.is(dup.body.code, 'extension-pending');
  t.is((await s.tax.post(`/api/v1/tickets/${tk.id}/decide-extension`, { approve: true })).status, 403);
  setNow('2026-10-12T10:00:00+08:00');
  const ok = await act(s.coord, tk.id, 'decide-extension', { approve: true, note: '同意延期' });
  // + 3 working days: Oct 15, 16, 19 → Oct 20 00:00
  t.is(ok.deadlines.replyBy, Z('2026-10-20T00:00:00+08:00'));
  t.is(ok.deadlines.escalateBy, Z('2026-10-27T00:00:00+08:00'));
  const none = await s.coord.post(`/api/v1/tickets/${tk.id}/decide-extension`, { approve: true });
  t.is(none.status, 409);
  t.is(none.body.code, 'no-pending-extension');

  setNow('2026-10-13T09:00:00+08:00');
  await act(s.tax, tk.id, 'request-extension', { workingDays: 2, reason: '仍需核实' });
  const denied = await act(s.coord, tk.id, 'decide-extension', { approve: false, note: '不同意' });
  t.is(denied.deadlines.replyBy, Z('2026-10-20T00:00:00+08:00'));

  const ev = await events(s.coord, tk.id);
  const ext = ev.filter((e) => e.type.startsWith('extension_'));
  t.deepEqual(
    ext.map((e) => [e.type, e.fromState, e.toState, e.payload.workingDays, e.payload.approved]),
    [
      ['extension_requested', 'in_progress', 'in_progress', 3, undefined],
      ['extension_decided', 'in_progress', 'in_progress', 3, true],
      ['extension_requested', 'in_progress', 'in_progress', 2, undefined],
      ['extension_decided', 'in_progress', 'in_progress', 2, false],
    ],
  );
  t.is(ext[0].payload.extensionId, ext[1].payload.extensionId);
  // the owner is told why (the decision note is not internal)
  const msgs = (await owner.get(`/api/v1/tickets/${tk.id}/messages`)).body.items;
  t.deepEqual(
    msgs.filter((m: any) => m.kind === 'extension_decision').map((m: any) => m.body),
    ['同意延期', '不同意'],
  );

  // at the reply deadline itself it is too late to ask
  setNow('2026-10-20T00:00:00+08:00');
  const late = await s.tax.post(`/api/v1/tickets/${tk.id}/request-extension`, { workingDays: 1, reason: '来不及' });
  t.is(late.status, 422);
  t.is(late.body.code, 'extension-too-late');
  t.deepEqual(
    late.body.errors.map((e: any) => e.field),
    ['workingDays'],
  );
  setNow('2026-10-20T09:00:00+08:00');
  const rep = await act(s.tax, tk.id, 'reply', { outcome: 'explained', message: '已核实并说明' });
  t.is(rep.state, 'replied');
  t.like((await events(s.coord, tk.id)).pop().payload, { outcome: 'explained', onTime: false });
});

test.serial('the extension decision may come while the ticket waits for information', async (t) => {
  setNow('2026-11-02T09:00:00+08:00'); // Mon
  const tk = (await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '延期', description: '延期' })).body;
  await act(s.tax, tk.id, 'sign');
  await act(s.tax, tk.id, 'request-extension', { workingDays: 2, reason: '需调查' });
  await act(s.tax, tk.id, 'request-info', { message: '请补充' });
  const ok = await act(s.coord, tk.id, 'decide-extension', { approve: true });
  t.is(ok.state, 'awaiting_info');
  // Nov 3, 4, 5, 6, 9 is 5, + 2 (Nov 10, 11) → Nov 12 00:00 (the pause has not added anything yet)
  t.is(ok.deadlines.replyBy, Z('2026-11-12T00:00:00+08:00'));
});

test.serial('urgent complaint: hour clocks; a pause adds its exact duration', async (t) => {
  setNow('2026-11-03T09:00:00+08:00');
  const tk = (await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', priority: 'urgent', title: '紧急', description: '今日停业', owner: CALLER })).body;
  t.is(tk.deadlines.signBy, Z('2026-11-03T11:00:00+08:00'));
  t.is(tk.deadlines.replyBy, Z('2026-11-04T09:00:00+08:00'));
  setNow('2026-11-03T09:30:00+08:00');
  await act(s.tax, tk.id, 'sign');
  setNow('2026-11-03T10:00:00+08:00');
  await act(s.tax, tk.id, 'request-info', { message: '请提供现场照片' });
  setNow('2026-11-03T13:30:00+08:00');
  const r = await act(s.intake, tk.id, 'supplement', { message: '照片已收到' });
  t.is(r.deadlines.replyBy, Z('2026-11-04T12:30:00+08:00'));
});

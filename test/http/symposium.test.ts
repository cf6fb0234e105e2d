/**
 * Symposiums (DESIGN §8): one call records the meeting and several issues raised there;
 * more issues can be added; the symposium's view lists each issue's state and answer,
 * which is the feedback owed to the attendees.
 */
import test from 'ava';
import { act, startHarness, standardStaff, Harness } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const Z = (local: string) => new Date(local).toISOString();
const ATTENDEES = [
  { name: '孙八', phone: '13912340001', email: 'sun@example.test', businessName: '孙记早点' },
  { name: '周九', phone: '13912340002' },
];

test.serial('a symposium with three issues in one call; more added later; the view follows each issue to its answer', async (t) => {
  const r = await s.intake.post('/api/v1/symposiums', {
    title: '个体工商户座谈会（十月）',
    heldOn: '2026-10-30',
    hostDepartmentCode: 'SAMR',
    place: '区市场监管局三楼会议室',
    attendees: ATTENDEES,
    issues: [
      { kind: 'complaint', title: '定额税偏高', description: '多户反映定额未随营业额调整', category: 'tax_fees', owner: { name: '孙八', phone: '13912340001' } },
      { title: '希望增加技能培训', description: '建议开设电商培训', category: 'training', owner: { name: '周九', phone: '13912340002' } },
      { title: '其他建议', description: '建议简化年报', anonymous: true },
    ],
  });
  t.is(r.status, 201, r.text.slice(0, 300));
  t.like(r.body, { title: '个体工商户座谈会（十月）', heldOn: '2026-10-30', hostDepartmentCode: 'SAMR', place: '区市场监管局三楼会议室' });
  t.deepEqual(r.body.attendees, ATTENDEES);
  const [a, b, c] = r.body.issues;
  t.is(r.body.issues.length, 3);
  t.deepEqual(
    r.body.issues.map((i: any) => [i.title, i.state, i.departmentCode, i.outcome, i.answer]),
    [
      ['定额税偏高', 'dispatched', 'TAX', null, null],
      ['希望增加技能培训', 'dispatched', 'HRSS', null, null],
      ['其他建议', 'registered', null, null, null],
    ],
  );
  // each issue gets its own number and access code, shown once (DESIGN §1)
  for (const i of r.body.issues) {
    t.regex(i.number, /^FL2026\d{6}$/);
    t.regex(i.accessCode, /^[A-Z2-9]{10}$/);
  }
  t.is(new Set(r.body.issues.map((i: any) => i.number)).size, 3);
  // the meeting is the receipt: noon of Fri Oct 30 → complaint reply by Sat Nov 7 00:00, suggestion (15) by Sat Nov 21 00:00
  t.deepEqual(a.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-11-03T00:00:00+08:00'),
    replyBy: Z('2026-11-07T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-14T00:00:00+08:00'),
    provisional: false,
  });
  t.is(b.deadlines.replyBy, Z('2026-11-21T00:00:00+08:00'));
  t.is(c.deadlines.dispatchBy, Z('2026-11-03T00:00:00+08:00'));
  const ta = (await s.coord.get(`/api/v1/tickets/${a.id}`)).body;
  t.like(ta, { channel: 'symposium', kind: 'complaint', symposiumId: r.body.id, receivedAt: Z('2026-10-30T12:00:00+08:00') });
  t.is((await s.coord.get(`/api/v1/tickets/${b.id}`)).body.kind, 'suggestion'); // the default kind of a symposium issue
  const ev = (await s.coord.get(`/api/v1/tickets/${a.id}/events`)).body.items;
  t.deepEqual(
    ev.map((e: any) => [e.type, e.fromState, e.toState]),
    [
      ['created', null, 'registered'],
      ['dispatched', 'registered', 'dispatched'],
    ],
  );
  t.like(ev[0].payload, { channel: 'symposium', symposiumId: r.body.id });

  // the GET view never shows access codes again
  const v0 = (await s.coord.get(`/api/v1/symposiums/${r.body.id}`)).body;
  t.false(v0.issues.some((i: any) => 'accessCode' in i));

  // one more issue, later
  h.clock.set(new Date('2026-11-02T10:00:00+08:00'));
  const more = await s.coord.post(`/api/v1/symposiums/${r.body.id}/issues`, {
    issues: [{ kind: 'complaint', title: '夜市摊位', description: '摊位费', category: 'commerce', owner: { name: '周九', phone: '13912340002' } }],
  });
  t.is(more.status, 201, more.text.slice(0, 300));
  t.is(more.body.issues.length, 4);
  t.deepEqual(
    more.body.issues.map((i: any) => 'accessCode' in i),
    [false, false, false, true],
  );
  const d = more.body.issues[3];
  t.like(d, { title: '夜市摊位', state: 'dispatched', departmentCode: 'COM' });

  // handle them: TAX answers, HRSS is still working, the coordinator dispatches the third, COM returns the fourth
  h.clock.set(new Date('2026-11-03T09:00:00+08:00'));
  await act(s.tax, a.id, 'sign');
  await act(s.tax, a.id, 'reply', { outcome: 'resolved', message: '已重新核定定额。' });
  await act(s.hrss, b.id, 'sign');
  await act(s.coord, c.id, 'dispatch', { departmentCode: 'SAMR' });
  const com = await h.staff('com1', 'handler', 'COM');
  await act(com, d.id, 'return', { reason: '属市场管理' });

  const v = (await s.intake.get(`/api/v1/symposiums/${r.body.id}`)).body;
  t.deepEqual(
    v.issues.map((i: any) => [i.title, i.state, i.departmentCode, i.outcome, i.answer?.body ?? null]),
    [
      ['定额税偏高', 'replied', 'TAX', 'resolved', '已重新核定定额。'],
      ['希望增加技能培训', 'in_progress', 'HRSS', null, null],
      ['其他建议', 'dispatched', 'SAMR', null, null],
      ['夜市摊位', 'registered', null, null, null],
    ],
  );
  t.is(v.issues[0].answer.at, Z('2026-11-03T09:00:00+08:00'));

  // an attendee rates the answer with the access code from the symposium response
  const rated = await h.http.post(`/api/v1/track/${a.number}/rate`, { code: a.accessCode, rating: 'very_satisfied' });
  t.is(rated.status, 200);
  t.is((await s.coord.get(`/api/v1/symposiums/${r.body.id}`)).body.issues[0].state, 'closed');

  // handlers see only their department's issues, and attendees' phones masked
  const hv = (await s.tax.get(`/api/v1/symposiums/${r.body.id}`)).body;
  t.deepEqual(
    hv.issues.map((i: any) => i.title),
    ['定额税偏高'],
  );
  t.deepEqual(
    hv.attendees.map((x: any) => [x.name, x.phone, x.email]),
    [
      ['孙八', '139****0001', undefined],
      ['周九', '139****0002', undefined],
    ],
  );

  const list = (await s.coord.get('/api/v1/symposiums')).body.items;
  t.deepEqual(
    list.map((x: any) => [x.id, x.attendeeCount]),
    [[r.body.id, 2]],
  );
});

test.serial('a symposium held today: issues are received now; one bad issue refuses the whole call (nothing written)', async (t) => {
  h.clock.set(new Date('2026-11-04T10:30:00+08:00'));
  const r = await s.coord.post('/api/v1/symposiums', {
    title: '今日座谈',
    heldOn: '2026-11-04',
    issues: [{ title: '议题', description: '内容', category: 'employment', owner: { name: '甲', phone: '13900000001' } }],
  });
  t.is(r.status, 201);
  t.is((await s.coord.get(`/api/v1/tickets/${r.body.issues[0].id}`)).body.receivedAt, Z('2026-11-04T10:30:00+08:00'));
  const before = (await s.coord.get('/api/v1/symposiums')).body.items.length;
  const tickets = Number((await h.deps.db.query('SELECT COUNT(*) AS n FROM ticket'))[0].n);
  const bad = await s.coord.post('/api/v1/symposiums', {
    title: '出错的座谈',
    heldOn: '2026-11-04',
    issues: [
      { title: '好议题', description: '内容', owner: { name: '甲', phone: '13900000001' } },
      { title: '坏议题', description: '内容', category: 'nope', owner: { name: '乙', phone: '13900000002' } },
    ],
  });
  t.is(bad.status, 422);
  t.deepEqual(
    bad.body.errors.map((e: any) => e.field),
    ['issues.1.category'],
  );
  t.is((await s.coord.get('/api/v1/symposiums')).body.items.length, before);
  t.is(Number((await h.deps.db.query('SELECT COUNT(*) AS n FROM ticket'))[0].n), tickets);
  t.is((await s.coord.post('/api/v1/symposiums/00000000-0000-4000-8000-000000000000/issues', { issues: [{ title: 't', description: 'd', anonymous: true }] })).status, 404);
  t.is((await s.coord.get('/api/v1/symposiums/00000000-0000-4000-8000-000000000000')).status, 404);
});

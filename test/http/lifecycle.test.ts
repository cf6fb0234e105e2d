/**
 * The lifecycle of DESIGN §3 through the HTTP API: exact states, events (type, cycle,
 * from/to, payload), deadlines (exact instants, §4) and error codes. Tests run serially
 * because the manual clock only moves forward; each sets the clock to its own day of
 * November 2026 (no holidays: plain Monday–Friday), later than the test before.
 */
import test from 'ava';
import { act, startHarness, standardStaff, OWNER, Harness, Client } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  owner = await h.owner();
});
test.after.always(async () => {
  await h?.close();
});

/** UTC ISO string of an instant written with its offset */
const Z = (local: string) => new Date(local).toISOString();
const setNow = (local: string) => h.clock.set(new Date(local));
const CALLER = { name: '张三', phone: '13912345678', businessName: '张三五金店' };

async function timeline(c: Client, id: string) {
  const r = await c.get(`/api/v1/tickets/${id}/events`);
  return (r.body.items as any[]).map((e) => [e.type, e.cycle, e.fromState, e.toState]);
}
async function events(c: Client, id: string) {
  return (await c.get(`/api/v1/tickets/${id}/events`)).body.items as any[];
}
async function hotline(body: Record<string, unknown> = {}) {
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '来电反映', description: '来电内容', owner: CALLER, ...body });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.body;
}
async function ownerTicket(body: Record<string, unknown> = {}) {
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '网上反映', description: '网上内容', ...body });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.body;
}
/** a TAX ticket signed and replied */
async function replied(create: () => Promise<any> = () => ownerTicket(), outcome = 'resolved') {
  const tk = await create();
  await act(s.tax, tk.id, 'sign');
  const r = await act(s.tax, tk.id, 'reply', { outcome, message: '已处理完毕。' });
  return { ...tk, ...r, accessCode: tk.accessCode };
}
async function countRows(table: string) {
  const r = await h.deps.db.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(r[0].n);
}

test.serial('hotline complaint by intake with receivedAt: routed at once (created + dispatched), clocks from the call, access code shown once', async (t) => {
  setNow('2026-11-02T09:00:00+08:00');
  const r = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税偏高',
    description: '来电称定额未随营业额调整',
    owner: CALLER,
    receivedAt: '2026-10-30T16:00:00+08:00',
  });
  t.is(r.status, 201);
  t.is(r.headers.get('location'), `/api/v1/tickets/${r.body.id}`);
  t.is(r.headers.get('etag'), '"1"');
  t.like(r.body, { kind: 'complaint', channel: 'hotline', category: 'tax_fees', state: 'dispatched', cycle: 1, departmentCode: 'TAX', version: 1, receivedAt: Z('2026-10-30T16:00:00+08:00') });
  // received Fri Oct 30: sign for by the end of Mon Nov 2, reply by the end of Fri Nov 6
  t.deepEqual(r.body.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-11-03T00:00:00+08:00'),
    replyBy: Z('2026-11-07T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-14T00:00:00+08:00'),
    provisional: false,
  });
  t.regex(r.body.accessCode, /^[A-Z2-9]{10}$/);
  t.regex(r.body.number, /^FL2026\d{6}$/);
  t.deepEqual(r.body.contact, CALLER);
  const ev = await events(s.coord, r.body.id);
  t.deepEqual(
    ev.map((e) => [e.type, e.cycle, e.fromState, e.toState, e.actor.role]),
    [
      ['created', 1, null, 'registered', 'intake'],
      ['dispatched', 1, 'registered', 'dispatched', 'system'],
    ],
  );
  t.deepEqual(ev[0].payload, { kind: 'complaint', channel: 'hotline', categoryCode: 'tax_fees', priority: 'normal', receivedAt: Z('2026-10-30T16:00:00+08:00'), anonymous: false, symposiumId: null });
  t.deepEqual(ev[1].payload, { departmentCode: 'TAX', auto: true });
  t.is(ev[0].at, Z('2026-11-02T09:00:00+08:00'));
  // the code works for tracking; it is never shown again
  const tr = await h.http.get(`/api/v1/track/${r.body.number}?code=${r.body.accessCode}`);
  t.is(tr.status, 200);
  t.like(tr.body, { number: r.body.number, state: 'dispatched', departmentCode: 'TAX' });
  const again = await s.intake.get(`/api/v1/tickets/${r.body.id}`);
  t.is(again.body.accessCode, undefined);
});

test.serial('letter and symposium tickets by intake; receivedAt defaults to now; the number follows the year of receipt', async (t) => {
  setNow('2026-11-02T09:05:00+08:00');
  const letter = await hotline({ channel: 'letter', category: 'employment' });
  t.like(letter, { channel: 'letter', state: 'dispatched', departmentCode: 'HRSS', receivedAt: Z('2026-11-02T09:05:00+08:00') });
  t.regex(letter.accessCode, /^[A-Z2-9]{10}$/);
  const sym = await hotline({ channel: 'symposium', kind: 'suggestion', category: 'training' });
  t.like(sym, { channel: 'symposium', kind: 'suggestion', state: 'dispatched', departmentCode: 'HRSS' });
  // suggestion: 15 working days (Nov 3 … Nov 23)
  t.is(sym.deadlines.replyBy, Z('2026-11-24T00:00:00+08:00'));
  const old = await hotline({ receivedAt: '2025-12-31T10:00:00+08:00' });
  t.regex(old.number, /^FL2025\d{6}$/);
  t.is(old.receivedAt, Z('2025-12-31T10:00:00+08:00'));
});

test.serial('account-less web complaint (no login, with contact): access code, tracking, contact kept', async (t) => {
  setNow('2026-11-02T09:10:00+08:00');
  const r = await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'commerce', title: '市场摊位费', description: '收费无依据', owner: CALLER });
  t.is(r.status, 201);
  t.like(r.body, { state: 'dispatched', departmentCode: 'COM', anonymous: false, reporter: 'masked', contact: null });
  t.regex(r.body.accessCode, /^[A-Z2-9]{10}$/);
  const c = await s.coord.get(`/api/v1/tickets/${r.body.id}`);
  t.deepEqual(c.body.contact, CALLER);
  const ev = await timeline(s.coord, r.body.id);
  t.deepEqual(ev, [
    ['created', 1, null, 'registered'],
    ['dispatched', 1, 'registered', 'dispatched'],
  ]);
  t.is((await events(s.coord, r.body.id))[0].actor.role, 'anonymous');
  // lower-case code works too; a wrong one is 404
  t.is((await h.http.get(`/api/v1/track/${r.body.number}?code=${r.body.accessCode.toLowerCase()}`)).status, 200);
  t.is((await h.http.get(`/api/v1/track/${r.body.number}?code=AAAAAAAAAA`)).status, 404);
  // a signed-in owner's ticket has no access code
  const mine = await ownerTicket();
  t.is(mine.accessCode, undefined);
  t.deepEqual(mine.contact, { name: OWNER.name, phone: OWNER.phone, creditCode: OWNER.creditCode, businessName: OWNER.businessName, email: OWNER.email });
});

test.serial('answer at intake: created replied (outcome explained, not routed), rating window from the answer; rated by access code it closes', async (t) => {
  setNow('2026-11-02T09:20:00+08:00');
  const r = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '咨询定额申报时间',
    description: '来电咨询',
    owner: CALLER,
    answerAtIntake: { message: '每月15日前申报。' },
  });
  t.is(r.status, 201);
  t.like(r.body, { state: 'replied', outcome: 'explained', departmentCode: null, repliedAt: Z('2026-11-02T09:20:00+08:00') });
  // rating window: 3 working days (Nov 3, 4, 5)
  t.deepEqual(r.body.deadlines, { dispatchBy: null, signBy: null, replyBy: null, rateBy: Z('2026-11-06T00:00:00+08:00'), escalateBy: null, provisional: false });
  const ev = await events(s.coord, r.body.id);
  t.deepEqual(
    ev.map((e) => [e.type, e.cycle, e.fromState, e.toState]),
    [
      ['created', 1, null, 'registered'],
      ['replied', 1, 'registered', 'replied'],
    ],
  );
  t.like(ev[1].payload, { outcome: 'explained', atIntake: true });
  const tr = await h.http.get(`/api/v1/track/${r.body.number}?code=${r.body.accessCode}`);
  t.deepEqual(
    tr.body.answers.map((a: any) => [a.kind, a.body]),
    [['intake_answer', '每月15日前申报。']],
  );
  const rate = await h.http.post(`/api/v1/track/${r.body.number}/rate`, { code: r.body.accessCode, rating: 'satisfied' });
  t.is(rate.status, 200);
  t.like(rate.body, { state: 'closed', rating: 'satisfied', closedAt: Z('2026-11-02T09:20:00+08:00') });
  const ev2 = await events(s.coord, r.body.id);
  t.deepEqual(
    ev2.slice(2).map((e) => [e.type, e.cycle, e.fromState, e.toState, e.actor.role, e.payload.rating, e.payload.via]),
    [['rated', 1, 'replied', 'closed', 'access_code', 'satisfied', 'access_code']],
  );

  // only intake answers at first contact, and only complaints and suggestions
  const coordAnswer = await s.coord.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: 'x', description: 'y', owner: CALLER, answerAtIntake: { message: 'z' } });
  t.is(coordAnswer.status, 422);
  t.is(coordAnswer.body.errors[0].field, 'answerAtIntake');
});

test.serial('answered at intake, then badly rated: cycle 2 waits for the coordinator (no department yet)', async (t) => {
  setNow('2026-11-02T09:30:00+08:00');
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: '咨询', description: '来电咨询', owner: CALLER, answerAtIntake: { message: '答复' } });
  const bad = await s.intake.post(`/api/v1/tickets/${r.body.id}/rate`, { rating: 'dissatisfied', via: 'callback' });
  t.is(bad.status, 200);
  t.like(bad.body, { state: 'registered', cycle: 2, departmentCode: null });
  t.is(bad.body.deadlines.dispatchBy, Z('2026-11-04T00:00:00+08:00'));
  t.is(bad.body.deadlines.replyBy, Z('2026-11-10T00:00:00+08:00'));
  t.deepEqual(await timeline(s.coord, r.body.id), [
    ['created', 1, null, 'registered'],
    ['replied', 1, 'registered', 'replied'],
    ['rated', 1, 'replied', 'replied'],
    ['reopened', 2, 'replied', 'registered'],
  ]);
  const d = await act(s.coord, r.body.id, 'dispatch', { departmentCode: 'TAX' });
  t.like(d, { state: 'dispatched', cycle: 2, departmentCode: 'TAX' });
});

test.serial('registered (category other) → dispatch → 改派 restarts only the sign-for clock → sign → return → dispatched back → must be handled', async (t) => {
  setNow('2026-11-03T09:00:00+08:00'); // Tue
  const tk = await hotline({ category: 'other' });
  t.like(tk, { state: 'registered', departmentCode: null });
  t.deepEqual(tk.deadlines, {
    dispatchBy: Z('2026-11-05T00:00:00+08:00'),
    signBy: null,
    replyBy: Z('2026-11-11T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-18T00:00:00+08:00'),
    provisional: false,
  });
  t.deepEqual(tk.allowedActions, ['note']);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${tk.id}`)).body.allowedActions, ['dispatch', 'reject', 'merge', 'note', 'escalate']);

  setNow('2026-11-04T09:00:00+08:00');
  const d1 = await act(s.coord, tk.id, 'dispatch', { departmentCode: 'TAX', note: '请税务局办理' });
  t.like(d1, { state: 'dispatched', departmentCode: 'TAX', version: 2 });
  t.deepEqual(d1.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-11-06T00:00:00+08:00'),
    replyBy: Z('2026-11-11T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-18T00:00:00+08:00'),
    provisional: false,
  });

  setNow('2026-11-05T10:00:00+08:00');
  const d2 = await act(s.coord, tk.id, 'dispatch', { departmentCode: 'HRSS' });
  t.like(d2, { state: 'dispatched', departmentCode: 'HRSS' });
  t.is(d2.deadlines.signBy, Z('2026-11-07T00:00:00+08:00')); // restarted at the re-dispatch
  t.is(d2.deadlines.replyBy, Z('2026-11-11T00:00:00+08:00')); // the owner's wait is not reset
  t.is((await s.tax.get(`/api/v1/tickets/${tk.id}`)).status, 404);
  t.false((await s.tax.get('/api/v1/tickets?limit=200')).body.items.some((x: any) => x.id === tk.id));

  setNow('2026-11-05T11:00:00+08:00');
  const signed = await act(s.hrss, tk.id, 'sign');
  t.like(signed, { state: 'in_progress', departmentCode: 'HRSS' });

  setNow('2026-11-05T14:00:00+08:00');
  const ret = await act(s.hrss, tk.id, 'return', { reason: '不属于本部门职责' });
  t.like(ret, { state: 'registered', departmentCode: null });
  t.is(ret.deadlines.dispatchBy, Z('2026-11-07T00:00:00+08:00')); // the coordinator owes a new dispatch in 1 working day
  t.is(ret.deadlines.replyBy, Z('2026-11-11T00:00:00+08:00'));
  t.is((await s.hrss.get(`/api/v1/tickets/${tk.id}`)).status, 404);

  setNow('2026-11-06T09:00:00+08:00');
  const d3 = await act(s.coord, tk.id, 'dispatch', { departmentCode: 'HRSS' });
  t.like(d3, { state: 'dispatched', departmentCode: 'HRSS' });
  t.is(d3.deadlines.signBy, Z('2026-11-10T00:00:00+08:00')); // Fri → Mon Nov 9
  const again = await s.hrss.post(`/api/v1/tickets/${tk.id}/return`, { reason: '仍不属于' });
  t.is(again.status, 409);
  t.is(again.body.code, 'already-returned');
  t.is(again.body.state, 'dispatched');
  t.deepEqual(again.body.allowed, ['sign', 'note']);
  await act(s.hrss, tk.id, 'sign');
  const again2 = await s.hrss.post(`/api/v1/tickets/${tk.id}/return`, { reason: '仍不属于' });
  t.is(again2.status, 409);
  t.deepEqual(again2.body.allowed, ['request-info', 'request-extension', 'reply', 'note']);

  const ev = await events(s.coord, tk.id);
  t.deepEqual(
    ev.map((e) => [e.type, e.cycle, e.fromState, e.toState]),
    [
      ['created', 1, null, 'registered'],
      ['dispatched', 1, 'registered', 'dispatched'],
      ['dispatched', 1, 'dispatched', 'dispatched'],
      ['signed', 1, 'dispatched', 'in_progress'],
      ['returned', 1, 'in_progress', 'registered'],
      ['dispatched', 1, 'registered', 'dispatched'],
      ['signed', 1, 'dispatched', 'in_progress'],
    ],
  );
  t.like(ev[1].payload, { departmentCode: 'TAX', previousDepartmentCode: null, redispatch: false });
  t.regex(ev[1].payload.messageId, /^[0-9a-f-]{36}$/);
  t.deepEqual(ev[2].payload, { departmentCode: 'HRSS', previousDepartmentCode: 'TAX', redispatch: true });
  t.deepEqual(ev[3].payload, { signBy: Z('2026-11-07T00:00:00+08:00'), onTime: true });
  t.is(ev[4].payload.departmentCode, 'HRSS');
  t.deepEqual(ev[5].payload, { departmentCode: 'HRSS', previousDepartmentCode: null, redispatch: false });
  // the return reason is visible to staff; the dispatch note is internal
  const msgs = (await s.coord.get(`/api/v1/tickets/${tk.id}/messages`)).body.items;
  t.deepEqual(
    msgs.map((m: any) => [m.kind, m.internal, m.body]),
    [
      ['note', true, '请税务局办理'],
      ['return_reason', false, '不属于本部门职责'],
    ],
  );
});

test.serial('dispatch refusals: unknown department 422, closed ticket 409 with allowed, handlers may not dispatch (403)', async (t) => {
  setNow('2026-11-09T09:00:00+08:00');
  const tk = await hotline({ category: 'other' });
  const unknown = await s.coord.post(`/api/v1/tickets/${tk.id}/dispatch`, { departmentCode: 'XYZ' });
  t.is(unknown.status, 422);
  t.deepEqual(
    unknown.body.errors.map((e: any) => e.field),
    ['departmentCode'],
  );
  const byHandler = await s.tax.post(`/api/v1/tickets/${(await hotline()).id}/dispatch`, { departmentCode: 'HRSS' });
  t.is(byHandler.status, 403);
  t.is(byHandler.body.code, 'forbidden');
  const rep = await replied();
  await act(owner, rep.id, 'rate', { rating: 'satisfied' });
  const late = await s.coord.post(`/api/v1/tickets/${rep.id}/dispatch`, { departmentCode: 'HRSS' });
  t.is(late.status, 409);
  t.like(late.body, { code: 'illegal-transition', state: 'closed' });
  t.deepEqual(late.body.allowed, ['reopen', 'note']);
});

test.serial('reply with each outcome; onTime in the event; the answer reaches the tracking view', async (t) => {
  setNow('2026-11-09T10:00:00+08:00');
  for (const outcome of ['resolved', 'explained', 'unresolvable']) {
    const tk = await hotline();
    await act(s.tax, tk.id, 'sign');
    const r = await act(s.tax, tk.id, 'reply', { outcome, message: `答复：${outcome}` });
    t.like(r, { state: 'replied', outcome, repliedAt: Z('2026-11-09T10:00:00+08:00') });
    // rating window: Nov 10, 11, 12
    t.is(r.deadlines.rateBy, Z('2026-11-13T00:00:00+08:00'));
    const ev = await events(s.coord, tk.id);
    t.deepEqual(
      ev.map((e) => e.type),
      ['created', 'dispatched', 'signed', 'replied'],
    );
    t.like(ev[3].payload, { outcome, onTime: true });
    const tr = await h.http.get(`/api/v1/track/${tk.number}?code=${tk.accessCode}`);
    t.deepEqual(
      tr.body.answers.map((a: any) => [a.kind, a.body]),
      [['reply', `答复：${outcome}`]],
    );
  }
  const bad = await s.tax.post(`/api/v1/tickets/${(await hotline()).id}/reply`, { outcome: 'resolved', message: 'x' });
  t.is(bad.status, 409);
  t.deepEqual(bad.body.allowed, ['sign', 'return', 'note']);
});

test.serial('rating: by the owner, by access code, by intake after a callback; each good rating closes', async (t) => {
  setNow('2026-11-10T09:00:00+08:00');
  const a = await replied();
  const ra = await act(owner, a.id, 'rate', { rating: 'very_satisfied', comment: '很满意' });
  t.like(ra, { state: 'closed', rating: 'very_satisfied', closedAt: Z('2026-11-10T09:00:00+08:00'), cycle: 1 });
  t.is(ra.deadlines.rateBy, Z('2026-11-14T00:00:00+08:00'));

  const b = await replied(() => hotline());
  const rb = await h.http.post(`/api/v1/track/${b.number}/rate`, { code: b.accessCode, rating: 'basically_satisfied' });
  t.is(rb.status, 200);
  t.like(rb.body, { state: 'closed', rating: 'basically_satisfied' });

  // a callback rating is for a ticket without an owner account (issue 13 item 8)
  const c = await replied(() => hotline());
  const rc = await act(s.intake, c.id, 'rate', { rating: 'satisfied', via: 'callback' });
  t.like(rc, { state: 'closed', rating: 'satisfied' });

  const rated = async (id: string) => (await events(s.coord, id)).filter((e) => e.type === 'rated').map((e) => [e.actor.role, e.fromState, e.toState, e.payload.rating, e.payload.via]);
  t.deepEqual(await rated(a.id), [['owner', 'replied', 'closed', 'very_satisfied', 'owner']]);
  t.deepEqual(await rated(b.id), [['access_code', 'replied', 'closed', 'basically_satisfied', 'access_code']]);
  t.deepEqual(await rated(c.id), [['intake', 'replied', 'closed', 'satisfied', 'callback']]);
  // the comment is stored as a message, the event only refers to it
  const msgs = (await owner.get(`/api/v1/tickets/${a.id}/messages`)).body.items;
  t.deepEqual(
    msgs.filter((m: any) => m.kind === 'rating_comment').map((m: any) => m.body),
    ['很满意'],
  );

  // a second rating is refused; an owner cannot pretend to be a callback
  const twice = await owner.post(`/api/v1/tickets/${a.id}/rate`, { rating: 'satisfied' });
  t.is(twice.status, 409);
  t.deepEqual(twice.body.allowed, []);
  const d = await replied();
  const fake = await owner.post(`/api/v1/tickets/${d.id}/rate`, { rating: 'satisfied', via: 'callback' });
  t.is(fake.status, 422);
  t.deepEqual(
    fake.body.errors.map((e: any) => e.field),
    ['via'],
  );
  t.is((await owner.get(`/api/v1/tickets/${d.id}`)).body.state, 'replied');
});

test.serial('a bad rating opens cycle 2 in the same department with fresh deadlines; rated (cycle 1) precedes reopened (cycle 2)', async (t) => {
  setNow('2026-11-10T10:00:00+08:00');
  const tk = await replied();
  setNow('2026-11-11T15:00:00+08:00'); // Wed
  const r = await act(owner, tk.id, 'rate', { rating: 'dissatisfied', comment: '问题依旧' });
  t.like(r, { state: 'dispatched', cycle: 2, departmentCode: 'TAX', outcome: null, repliedAt: null, rating: 'dissatisfied', closedAt: null, escalationLevel: 0 });
  // fresh clocks from the rating: sign for by Thu Nov 12, reply in 5 working days (Nov 12, 13, 16, 17, 18)
  t.deepEqual(r.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-11-13T00:00:00+08:00'),
    replyBy: Z('2026-11-19T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-26T00:00:00+08:00'),
    provisional: false,
  });
  const ev = await events(owner, tk.id);
  t.deepEqual(
    ev.slice(4).map((e) => [e.type, e.cycle, e.fromState, e.toState]),
    [
      ['rated', 1, 'replied', 'replied'],
      ['reopened', 2, 'replied', 'dispatched'],
    ],
  );
  t.deepEqual(ev[5].payload, { cycle: 2, reason: 'bad_rating' });
  // cycle 2 is handled again by TAX, which may return it once in this cycle
  await act(s.tax, tk.id, 'sign');
  const r2 = await act(s.tax, tk.id, 'reply', { outcome: 'resolved', message: '再次处理' });
  t.like(r2, { state: 'replied', cycle: 2 });
  const closed = await act(owner, tk.id, 'rate', { rating: 'satisfied' });
  t.like(closed, { state: 'closed', cycle: 2, rating: 'satisfied' });
  const ver = await s.coord.get(`/api/v1/tickets/${tk.id}/events/verify`);
  t.deepEqual(ver.body, { ok: true, checked: 9 });
});

test.serial('coordinator closes a replied ticket and reopens a closed one as a new cycle', async (t) => {
  setNow('2026-11-12T09:00:00+08:00');
  const tk = await replied();
  const noReopen = await s.coord.post(`/api/v1/tickets/${tk.id}/reopen`, { reason: '复查' });
  t.is(noReopen.status, 409);
  t.deepEqual(noReopen.body.allowed, ['merge', 'close', 'note', 'escalate']);
  const c = await act(s.coord, tk.id, 'close', { note: '电话确认已解决' });
  t.like(c, { state: 'closed', closedAt: Z('2026-11-12T09:00:00+08:00'), rating: null });
  setNow('2026-11-13T09:00:00+08:00'); // Fri
  const re = await act(s.coord, tk.id, 'reopen', { reason: '群众再次来电' });
  t.like(re, { state: 'dispatched', cycle: 2, departmentCode: 'TAX', closedAt: null });
  t.deepEqual(re.deadlines, {
    dispatchBy: null,
    signBy: Z('2026-11-17T00:00:00+08:00'),
    replyBy: Z('2026-11-21T00:00:00+08:00'),
    rateBy: null,
    escalateBy: Z('2026-11-28T00:00:00+08:00'),
    provisional: false,
  });
  const ev = await events(s.coord, tk.id);
  t.deepEqual(
    ev.slice(4).map((e) => [e.type, e.cycle, e.fromState, e.toState]),
    [
      ['closed', 1, 'replied', 'closed'],
      ['reopened', 2, 'closed', 'dispatched'],
    ],
  );
  t.like(ev[5].payload, { cycle: 2, reason: 'coordinator' });
  t.is((await s.tax.post(`/api/v1/tickets/${tk.id}/close`, {})).status, 403);
});

test.serial('reject with a ground, only from registered or dispatched', async (t) => {
  setNow('2026-11-13T10:00:00+08:00');
  const reg = await hotline({ category: 'other' });
  const r1 = await act(s.coord, reg.id, 'reject', { ground: 'older_than_3_years', detail: '事发于2020年' });
  t.like(r1, { state: 'rejected', rejectGround: 'older_than_3_years', closedAt: Z('2026-11-13T10:00:00+08:00') });
  const dis = await hotline();
  const r2 = await act(s.coord, dis.id, 'reject', { ground: 'outside_remit', detail: '属于法院管辖' });
  t.like(r2, { state: 'rejected', rejectGround: 'outside_remit' });
  const ev = await events(s.coord, dis.id);
  t.deepEqual(
    ev.slice(2).map((e) => [e.type, e.fromState, e.toState, e.payload.ground]),
    [['rejected', 'dispatched', 'rejected', 'outside_remit']],
  );
  // the ground's detail is public (the caller is told why)
  const tr = await h.http.get(`/api/v1/track/${dis.number}?code=${dis.accessCode}`);
  t.is(tr.body.state, 'rejected');
  const inProgress = await hotline();
  await act(s.tax, inProgress.id, 'sign');
  const r3 = await s.coord.post(`/api/v1/tickets/${inProgress.id}/reject`, { ground: 'other', detail: 'x' });
  t.is(r3.status, 409);
  t.like(r3.body, { code: 'illegal-transition', state: 'in_progress' });
  t.deepEqual(r3.body.allowed, ['decide-extension', 'merge', 'note', 'escalate']);
  const noGround = await s.coord.post(`/api/v1/tickets/${(await hotline()).id}/reject`, { ground: 'because', detail: 'x' });
  t.is(noGround.status, 400);
  t.deepEqual(
    noGround.body.errors.map((e: any) => e.field),
    ['ground'],
  );
});

test.serial('withdraw by the owner before the reply; 409 after; nobody else may withdraw', async (t) => {
  setNow('2026-11-13T11:00:00+08:00');
  const a = await ownerTicket();
  t.is((await s.intake.post(`/api/v1/tickets/${a.id}/withdraw`, {})).status, 403);
  t.is((await s.tax.post(`/api/v1/tickets/${a.id}/withdraw`, {})).status, 403);
  const other = await h.owner('13700000001');
  t.is((await other.post(`/api/v1/tickets/${a.id}/withdraw`, {})).status, 404);
  const w = await act(owner, a.id, 'withdraw', { reason: '已自行解决' });
  t.like(w, { state: 'withdrawn', closedAt: Z('2026-11-13T11:00:00+08:00') });
  t.deepEqual((await timeline(owner, a.id)).slice(2), [['withdrawn', 1, 'dispatched', 'withdrawn']]);
  const b = await replied();
  const late = await owner.post(`/api/v1/tickets/${b.id}/withdraw`, {});
  t.is(late.status, 409);
  t.like(late.body, { code: 'illegal-transition', state: 'replied' });
  t.deepEqual(late.body.allowed, ['rate']);
  const c = await ownerTicket();
  await act(s.tax, c.id, 'sign');
  await act(s.tax, c.id, 'request-info', { message: '请提供凭证' });
  t.like(await act(owner, c.id, 'withdraw'), { state: 'withdrawn' });
});

test.serial('merge a duplicate into another open ticket', async (t) => {
  setNow('2026-11-16T09:00:00+08:00');
  const primary = await hotline();
  const dup = await ownerTicket();
  const m = await act(s.coord, dup.id, 'merge', { intoTicketId: primary.id });
  t.like(m, { state: 'merged', mergedIntoId: primary.id, closedAt: Z('2026-11-16T09:00:00+08:00') });
  const ev = await events(owner, dup.id);
  t.deepEqual(
    ev.slice(2).map((e) => [e.type, e.fromState, e.toState]),
    [['merged', 'dispatched', 'merged']],
  );
  t.deepEqual(ev[2].payload, { intoTicketId: primary.id, intoNumber: primary.number });
  const self = await s.coord.post(`/api/v1/tickets/${primary.id}/merge`, { intoTicketId: primary.id });
  t.is(self.status, 422);
  t.deepEqual(
    self.body.errors.map((e: any) => e.field),
    ['intoTicketId'],
  );
  const intoMerged = await s.coord.post(`/api/v1/tickets/${(await hotline()).id}/merge`, { intoTicketId: dup.id });
  // into a ticket that is itself merged: refused, so merges never chain (issue 13 item 1)
  t.is(intoMerged.status, 409);
  t.like(intoMerged.body, { code: 'merge-into-merged', intoTicketId: dup.id, mergedIntoId: primary.id });
  const missing = await s.coord.post(`/api/v1/tickets/${primary.id}/merge`, { intoTicketId: '00000000-0000-4000-8000-000000000000' });
  t.is(missing.status, 422);
  const again = await s.coord.post(`/api/v1/tickets/${dup.id}/merge`, { intoTicketId: primary.id });
  t.is(again.status, 409);
  t.is((await s.tax.post(`/api/v1/tickets/${primary.id}/merge`, { intoTicketId: dup.id })).status, 403);
});

test.serial('internal notes: visible to staff, hidden from the owner (messages and events) and from tracking', async (t) => {
  setNow('2026-11-16T10:00:00+08:00');
  const tk = await ownerTicket();
  // (messages are ordered by time: the clock moves a minute between them)
  await act(s.tax, tk.id, 'note', { text: '内部：请核实该户纳税记录' });
  setNow('2026-11-16T10:01:00+08:00');
  await act(s.coord, tk.id, 'note', { text: '内部：督办关注' });
  setNow('2026-11-16T10:02:00+08:00');
  await act(s.intake, tk.id, 'note', { text: '内部：来电催问' });
  setNow('2026-11-16T10:03:00+08:00');
  await act(s.sup, tk.id, 'note', { text: '内部：纪检关注' });
  setNow('2026-11-16T10:04:00+08:00');
  t.is((await owner.post(`/api/v1/tickets/${tk.id}/note`, { text: 'x' })).status, 403);
  t.is((await h.admin.post(`/api/v1/tickets/${tk.id}/note`, { text: 'x' })).status, 403);
  await act(s.tax, tk.id, 'sign');
  await act(s.tax, tk.id, 'request-info', { message: '请提供完税证明' });
  const staff = (await s.tax.get(`/api/v1/tickets/${tk.id}/messages`)).body.items;
  t.deepEqual(
    staff.map((m: any) => [m.kind, m.internal, m.authorRole]),
    [
      ['note', true, 'handler'],
      ['note', true, 'coordinator'],
      ['note', true, 'intake'],
      ['note', true, 'supervisor'],
      ['info_request', false, 'handler'],
    ],
  );
  const mine = (await owner.get(`/api/v1/tickets/${tk.id}/messages`)).body.items;
  t.deepEqual(
    mine.map((m: any) => [m.kind, m.body]),
    [['info_request', '请提供完税证明']],
  );
  const ownerEvents = await timeline(owner, tk.id);
  t.deepEqual(ownerEvents, [
    ['created', 1, null, 'registered'],
    ['dispatched', 1, 'registered', 'dispatched'],
    ['signed', 1, 'dispatched', 'in_progress'],
    ['info_requested', 1, 'in_progress', 'awaiting_info'],
  ]);
  const staffEvents = await timeline(s.coord, tk.id);
  t.deepEqual(
    staffEvents.map((e) => e[0]),
    ['created', 'dispatched', 'note', 'note', 'note', 'note', 'signed', 'info_requested'],
  );
  t.deepEqual(staffEvents[2], ['note', 1, 'dispatched', 'dispatched']);
  // event payloads carry no text, only the message id
  const notes = (await events(s.coord, tk.id)).filter((e) => e.type === 'note');
  for (const n of notes) t.deepEqual(Object.keys(n.payload), ['messageId']);
});

test.serial('supplement by the owner, by access code, by intake; each resumes the ticket', async (t) => {
  setNow('2026-11-16T11:00:00+08:00');
  const a = await ownerTicket();
  await act(s.tax, a.id, 'sign');
  await act(s.tax, a.id, 'request-info', { message: '请补充材料' });
  t.is((await s.tax.post(`/api/v1/tickets/${a.id}/supplement`, { message: 'x' })).status, 403);
  t.like(await act(owner, a.id, 'supplement', { message: '材料已上传' }), { state: 'in_progress' });

  const b = await hotline();
  await act(s.tax, b.id, 'sign');
  await act(s.tax, b.id, 'request-info', { message: '请补充材料' });
  const tr = await h.http.get(`/api/v1/track/${b.number}?code=${b.accessCode}`);
  t.is(tr.body.state, 'awaiting_info');
  t.deepEqual(
    tr.body.answers.map((x: any) => [x.kind, x.body]),
    [['info_request', '请补充材料']],
  );
  const sup = await h.http.post(`/api/v1/track/${b.number}/supplement`, { code: b.accessCode, message: '补充：发票号码123' });
  t.is(sup.status, 200);
  t.is(sup.body.state, 'in_progress');
  const again = await h.http.post(`/api/v1/track/${b.number}/supplement`, { code: b.accessCode, message: '再补充' });
  t.is(again.status, 409);
  t.is(again.body.code, 'illegal-transition');

  const c = await hotline();
  await act(s.tax, c.id, 'sign');
  await act(s.tax, c.id, 'request-info', { message: '请补充材料' });
  t.like(await act(s.intake, c.id, 'supplement', { message: '来电补充' }), { state: 'in_progress' });
  const ev = await events(s.coord, c.id);
  t.deepEqual(
    ev.slice(3).map((e) => [e.type, e.fromState, e.toState, e.actor.role]),
    [
      ['info_requested', 'in_progress', 'awaiting_info', 'handler'],
      ['supplemented', 'awaiting_info', 'in_progress', 'intake'],
    ],
  );
});

test.serial("a return takes the department's undecided extension request with it; the next department asks for its own", async (t) => {
  setNow('2026-11-16T14:00:00+08:00');
  const tk = await hotline();
  await act(s.tax, tk.id, 'sign');
  await act(s.tax, tk.id, 'request-extension', { workingDays: 5, reason: '需调查' });
  await act(s.tax, tk.id, 'return', { reason: '属社保事项' });
  const ev = await events(s.coord, tk.id);
  const ret = ev.find((e) => e.type === 'returned');
  t.is(ret.payload.cancelledExtensionId, ev.find((e) => e.type === 'extension_requested').payload.extensionId);
  await act(s.coord, tk.id, 'dispatch', { departmentCode: 'HRSS' });
  await act(s.hrss, tk.id, 'sign');
  const none = await s.coord.post(`/api/v1/tickets/${tk.id}/decide-extension`, { approve: true });
  t.is(none.status, 409);
  t.is(none.body.code, 'no-pending-extension');
  const own = await act(s.hrss, tk.id, 'request-extension', { workingDays: 2, reason: '需核实' });
  t.is(own.state, 'in_progress');
  const ok = await act(s.coord, tk.id, 'decide-extension', { approve: true });
  // received Mon Nov 16 14:00: Nov 17 … 23 is 5 working days, + 2 → Nov 26 00:00
  t.is(ok.deadlines.replyBy, Z('2026-11-26T00:00:00+08:00'));
});

test.serial('If-Match: a stale version is 412 and writes nothing; a current one passes; a malformed one is 400', async (t) => {
  setNow('2026-11-17T09:00:00+08:00');
  const tk = await hotline();
  const before = await countRows('ticket_event');
  const stale = await s.tax.post(`/api/v1/tickets/${tk.id}/sign`, {}, { 'if-match': '"7"' });
  t.is(stale.status, 412);
  t.is(stale.body.code, 'version-mismatch');
  t.is(await countRows('ticket_event'), before);
  const bad = await s.tax.post(`/api/v1/tickets/${tk.id}/sign`, {}, { 'if-match': 'yesterday' });
  t.is(bad.status, 400);
  t.deepEqual(
    bad.body.errors.map((e: any) => e.field),
    ['If-Match'],
  );
  const ok = await s.tax.post(`/api/v1/tickets/${tk.id}/sign`, {}, { 'if-match': 'W/"1"' });
  t.is(ok.status, 200);
  t.is(ok.headers.get('etag'), '"2"');
});

test.serial('hash chain: verify ok; editing one event row directly is detected at its seq', async (t) => {
  setNow('2026-11-17T10:00:00+08:00');
  const tk = await replied();
  const ok = await s.coord.get(`/api/v1/tickets/${tk.id}/events/verify`);
  t.deepEqual(ok.body, { ok: true, checked: 4 });
  await h.deps.db.query('UPDATE ticket_event SET payload = ? WHERE ticket_id = ? AND seq = ?', ['{"departmentCode":"HRSS","auto":true}', tk.id, 2]);
  const broken = await s.coord.get(`/api/v1/tickets/${tk.id}/events/verify`);
  t.deepEqual(broken.body, { ok: false, checked: 4, brokenAt: 2, reason: 'hash' });
  // a deleted event breaks the chain too
  const tk2 = await replied();
  await h.deps.db.query('DELETE FROM ticket_event WHERE ticket_id = ? AND seq = ?', [tk2.id, 3]);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${tk2.id}/events/verify`)).body, { ok: false, checked: 3, brokenAt: 4, reason: 'sequence' });
  // a changed timestamp too
  const tk3 = await replied();
  await h.deps.db.query('UPDATE ticket_event SET actor_role = ? WHERE ticket_id = ? AND seq = ?', ['coordinator', tk3.id, 4]);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${tk3.id}/events/verify`)).body, { ok: false, checked: 4, brokenAt: 4, reason: 'hash' });
});

test.serial('Idempotency-Key: same key and body → same ticket (and access code); different body → 422; a refused request stores no key; keys expire after 24 h', async (t) => {
  setNow('2026-11-18T09:00:00+08:00');
  const body = { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '重复提交', description: '网络重试', owner: CALLER };
  const first = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0001' });
  t.is(first.status, 201);
  const tickets = await countRows('ticket');
  const second = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0001' });
  t.is(second.status, 201);
  t.is(second.body.id, first.body.id);
  t.is(second.body.number, first.body.number);
  t.is(second.body.accessCode, first.body.accessCode);
  t.is(second.headers.get('idempotent-replayed'), 'true');
  t.is(await countRows('ticket'), tickets);
  const reused = await s.intake.post('/api/v1/tickets', { ...body, title: '另一件事' }, { 'idempotency-key': 'call-0001' });
  t.is(reused.status, 422);
  t.is(reused.body.code, 'idempotency-key-reused');
  t.deepEqual(
    reused.body.errors.map((e: any) => e.field),
    ['Idempotency-Key'],
  );
  // keys are per caller: the coordinator's key of the same name is another key
  const coord = await s.coord.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0001' });
  t.is(coord.status, 201);
  t.not(coord.body.id, first.body.id);

  // account-less: the access code comes back again on the retry
  const web = { kind: 'complaint', channel: 'web', category: 'commerce', title: '匿名重试', description: '内容', anonymous: true };
  const w1 = await h.http.post('/api/v1/tickets', web, { 'idempotency-key': 'web-1' });
  const w2 = await h.http.post('/api/v1/tickets', web, { 'idempotency-key': 'web-1' });
  t.is(w2.status, 201);
  t.is(w2.body.id, w1.body.id);
  t.regex(w1.body.accessCode, /^[A-Z2-9]{10}$/);
  t.is(w2.body.accessCode, w1.body.accessCode);

  // refused requests (400 schema, 422 rule) store no key: the corrected retry creates the ticket
  const keysBefore = await countRows('idempotency_key');
  const invalid = await s.intake.post('/api/v1/tickets', { ...body, title: '' }, { 'idempotency-key': 'call-0002' });
  t.is(invalid.status, 400);
  const future = await s.intake.post('/api/v1/tickets', { ...body, receivedAt: '2027-01-01T00:00:00+08:00' }, { 'idempotency-key': 'call-0002' });
  t.is(future.status, 422);
  t.is(await countRows('idempotency_key'), keysBefore);
  const retry = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0002' });
  t.is(retry.status, 201);
  t.not(retry.body.id, first.body.id);

  const badKey = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'x'.repeat(129) });
  t.is(badKey.status, 400);
  t.deepEqual(
    badKey.body.errors.map((e: any) => e.field),
    ['Idempotency-Key'],
  );

  // after 24 h the key is forgotten: the same key creates a new ticket
  setNow('2026-11-19T09:00:01+08:00');
  const later = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0001' });
  t.is(later.status, 201);
  t.not(later.body.id, first.body.id);
  const laterAgain = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': 'call-0001' });
  t.is(laterAgain.body.id, later.body.id);
});

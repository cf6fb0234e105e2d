import test from 'ava';
import { startHarness, standardStaff, OWNER, Harness, Client } from '../helpers/harness';
import { scanEndpoints, leaks } from './endpoint-scan';

// One timeline (the test clock only moves forward). Notice A: published Tue 2026-09-29,
// default window of 5 working days counting the publication day: Sep 29, 30, (National Day
// Oct 1–7 inside the window), Oct 8, 9 and the adjusted working Saturday Oct 10 → open
// 2026-09-29T00:00+08:00 until 2026-10-11T00:00+08:00.
const ENTRIES = [
  { creditCode: '92500102EUHUXQEEG7', businessName: '涪陵区江东01号榨菜加工坊', category: 'famous', sector: '榨菜加工坊', operatorMasked: '张**' },
  { creditCode: '92500102UJ65RGFLKP', businessName: '涪陵区崇义02号小面馆', category: 'specialty' },
  { creditCode: '92500102R53E942HRX', businessName: '涪陵区荔枝03号豆花饭店', category: 'quality' },
];
const EXCLUDED = '92500102WNL1KCYELE'; // on no list: an excluded applicant
const CALLER = { name: '异议人乙', phone: '13700001111', email: 'objector2@example.test' };

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let objector: Client & { id: string };
let subject: Client & { id: string };
let noticeId: string;
let entryIds: string[];
const objections: Record<string, { id: string; number: string; accessCode?: string }> = {};

test.before(async () => {
  // Tokens follow the service clock: long-lived ones survive the jumps through the window.
  h = await startHarness({ start: '2026-09-28T12:00:00+08:00', env: { TOKEN_TTL_HOURS: '100000' } });
  s = await standardStaff(h);
  objector = await h.owner();
  // The business objected to: an owner whose credit code is entry 1's.
  subject = await h.owner('13900005678', { name: '被异议经营户', creditCode: ENTRIES[0].creditCode, businessName: ENTRIES[0].businessName, email: 'subject@example.test' });
});
test.after.always(async () => {
  await h?.close();
});

const at = (iso: string) => h.clock.set(new Date(iso));
const objection = (extra: Record<string, unknown>) => ({ kind: 'objection', channel: 'web', title: '对认定结果有异议', description: '该户不符合认定条件。', resultNoticeId: noticeId, ...extra });

test.serial('create: validation, then a notice with its default window', async (t) => {
  const body = { title: '2026年度名特优新个体工商户认定结果公示', publishedOn: '2026-09-29', entries: ENTRIES };
  t.is((await s.samr.post('/api/v1/result-notices', body)).status, 403);
  const bad = await s.coord.post('/api/v1/result-notices', { ...body, entries: [{ ...ENTRIES[0], creditCode: '92500102EUHUXQEEG8' }] });
  t.is(bad.status, 400);
  t.is(bad.body.errors[0].field, 'entries.0.creditCode');
  const dup = await s.coord.post('/api/v1/result-notices', { ...body, entries: [ENTRIES[0], { ...ENTRIES[1], creditCode: ENTRIES[0].creditCode }] });
  t.is(dup.status, 422);
  t.deepEqual(
    dup.body.errors.map((e: any) => [e.field, e.code]),
    [['entries.1.creditCode', 'duplicate']],
  );
  const early = await s.coord.post('/api/v1/result-notices', { ...body, windowFrom: '2026-09-28', windowUntil: '2026-10-09' });
  t.deepEqual([early.status, early.body.errors[0].field, early.body.errors[0].code], [422, 'windowFrom', 'before_publication']);
  const both = await s.coord.post('/api/v1/result-notices', { ...body, windowWorkingDays: 5, windowFrom: '2026-09-29', windowUntil: '2026-10-09' });
  t.deepEqual([both.status, both.body.errors[0].field], [422, 'windowWorkingDays']);
  const dep = await s.coord.post('/api/v1/result-notices', { ...body, handlingDepartmentCode: 'NOPE' });
  t.deepEqual([dep.status, dep.body.errors[0].field], [422, 'handlingDepartmentCode']);
  const cat = await s.coord.post('/api/v1/result-notices', { ...body, entries: [{ ...ENTRIES[0], category: 'best' }] });
  t.deepEqual([cat.status, cat.body.errors[0].field], [400, 'entries.0.category']);
  t.is((await h.http.get('/api/v1/result-notices')).body.items.length, 0, 'nothing written by refused requests');

  const r = await s.coord.post('/api/v1/result-notices', body);
  t.is(r.status, 201);
  noticeId = r.body.id;
  entryIds = r.body.entries.map((e: any) => e.id);
  t.is(r.headers.get('location'), `/api/v1/result-notices/${noticeId}`);
  t.deepEqual(r.body.window, { workingDays: 5, firstDay: '2026-09-29', lastDay: '2026-10-10', opensAt: '2026-09-28T16:00:00.000Z', closesAt: '2026-10-10T16:00:00.000Z', provisional: false });
  t.is(r.body.status, 'upcoming');
  t.is(r.body.handlingDepartmentCode, 'SAMR');
  t.deepEqual(
    r.body.entries.map((e: any) => [e.position, e.creditCode, e.category, e.status]),
    [
      [1, ENTRIES[0].creditCode, 'famous', 'listed'],
      [2, ENTRIES[1].creditCode, 'specialty', 'listed'],
      [3, ENTRIES[2].creditCode, 'quality', 'listed'],
    ],
  );
  t.is(r.body.entries[0].operatorMasked, '张**');
  t.deepEqual(r.body.objections, []);

  // A 公示 is public: anyone reads it, without the staff-only parts.
  const pub = await h.http.get(`/api/v1/result-notices/${noticeId}`);
  t.is(pub.status, 200);
  t.is(pub.body.objections, undefined);
  const list = await h.http.get('/api/v1/result-notices');
  t.deepEqual(
    list.body.items.map((n: any) => [n.id, n.status, n.entryCount]),
    [[noticeId, 'upcoming', 3]],
  );

  // A publication on a Saturday opens that day but counts from the next working day.
  const sat = await s.coord.post('/api/v1/result-notices', { ...body, title: '周六公示', publishedOn: '2026-11-07' });
  t.deepEqual(sat.body.window, { workingDays: 5, firstDay: '2026-11-07', lastDay: '2026-11-13', opensAt: '2026-11-06T16:00:00.000Z', closesAt: '2026-11-13T16:00:00.000Z', provisional: false });
  const explicit = await s.coord.post('/api/v1/result-notices', { ...body, title: '指定日期公示', windowFrom: '2026-09-30', windowUntil: '2026-10-09', handlingDepartmentCode: 'COM' });
  t.deepEqual(explicit.body.window, {
    workingDays: null,
    firstDay: '2026-09-30',
    lastDay: '2026-10-09',
    opensAt: '2026-09-29T16:00:00.000Z',
    closesAt: '2026-10-09T16:00:00.000Z',
    provisional: false,
  });
});

test.serial('window edges: refused just before the first day, accepted from 00:00 on it', async (t) => {
  at('2026-09-28T23:59:59.999+08:00');
  const before = await objector.post('/api/v1/tickets', objection({ resultEntryId: entryIds[0] }));
  t.is(before.status, 422);
  t.is(before.body.code, 'objection-window-closed');
  t.is(before.body.opensAt, '2026-09-28T16:00:00.000Z');
  t.is(before.body.closesAt, '2026-10-10T16:00:00.000Z');

  at('2026-09-29T00:00:00+08:00');
  const r = await objector.post('/api/v1/tickets', objection({ resultEntryId: entryIds[0] }));
  t.is(r.status, 201);
  t.is(r.body.state, 'dispatched');
  t.is(r.body.departmentCode, 'SAMR');
  t.is(r.body.resultNoticeId, noticeId);
  t.is(r.body.resultEntryId, entryIds[0]);
  t.is(r.body.subjectCreditCode, ENTRIES[0].creditCode);
  // objection SLA: sign for in 1 working day, reply in 10 (Sep 30, Oct 8–10, 12–16, 19)
  t.is(r.body.deadlines.signBy, '2026-09-30T16:00:00.000Z');
  t.is(r.body.deadlines.replyBy, '2026-10-19T16:00:00.000Z');
  objections.upheld = { id: r.body.id, number: r.body.number };

  const n = await s.coord.get(`/api/v1/result-notices/${noticeId}`);
  t.is(n.body.status, 'open');
  t.deepEqual(
    n.body.entries.map((e: any) => e.status),
    ['disputed', 'listed', 'listed'],
  );
  t.deepEqual(n.body.counts, { entries: 3, listed: 2, disputed: 1, revoked: 0 });
  t.deepEqual(n.body.objections, [{ ticketId: r.body.id, number: r.body.number, resultEntryId: entryIds[0], state: 'dispatched', decision: null }]);
});

test.serial('filing rules: real-name, names an entry of this notice or a credit code', async (t) => {
  const anon = await h.http.post('/api/v1/tickets', objection({ resultEntryId: entryIds[1], anonymous: true }));
  t.deepEqual([anon.status, anon.body.errors[0].field, anon.body.errors[0].code], [422, 'anonymous', 'objection_real_name']);
  const nameless = await h.http.post('/api/v1/tickets', objection({ resultEntryId: entryIds[1] }));
  t.deepEqual([nameless.status, nameless.body.errors[0].field], [422, 'owner']);
  const none = await objector.post('/api/v1/tickets', objection({}));
  t.deepEqual([none.status, none.body.errors[0].field], [422, 'resultEntryId']);
  const noNotice = await objector.post('/api/v1/tickets', objection({ resultNoticeId: undefined, resultEntryId: entryIds[1] }));
  t.deepEqual([noNotice.status, noNotice.body.errors[0].field], [422, 'resultNoticeId']);
  const unknown = await objector.post('/api/v1/tickets', objection({ resultEntryId: '00000000-0000-4000-8000-000000000000' }));
  t.deepEqual([unknown.status, unknown.body.errors[0].field, unknown.body.errors[0].code], [422, 'resultEntryId', 'unknown']);
  const mismatch = await objector.post('/api/v1/tickets', objection({ resultEntryId: entryIds[1], subjectCreditCode: ENTRIES[2].creditCode }));
  t.deepEqual([mismatch.status, mismatch.body.errors[0].field], [422, 'subjectCreditCode']);
  const badCode = await objector.post('/api/v1/tickets', objection({ subjectCreditCode: '92500102WNL1KCYELF' }));
  t.deepEqual([badCode.status, badCode.body.errors[0].field], [400, 'subjectCreditCode']);
  const accused = await objector.post('/api/v1/tickets', objection({ resultEntryId: entryIds[1], accused: { departmentCode: 'TAX', demand: 'fee', occurredOn: '2026-09-01' } }));
  t.deepEqual([accused.status, accused.body.errors[0].field], [422, 'accused']);

  // Account-less but real-name: an excluded applicant named by credit code; gets an access code.
  const ex = await h.http.post('/api/v1/tickets', objection({ subjectCreditCode: EXCLUDED, owner: CALLER, title: '申请未入选有异议' }));
  t.is(ex.status, 201);
  t.is(ex.body.resultEntryId, null);
  t.is(ex.body.subjectCreditCode, EXCLUDED);
  t.regex(ex.body.accessCode, /^[A-Z2-9]{10}$/);
  objections.excluded = { id: ex.body.id, number: ex.body.number, accessCode: ex.body.accessCode };

  // A credit code that is on the list is resolved to its entry.
  const byCode = await objector.post('/api/v1/tickets', objection({ subjectCreditCode: ENTRIES[2].creditCode }));
  t.is(byCode.status, 201);
  t.is(byCode.body.resultEntryId, entryIds[2]);
  objections.third = { id: byCode.body.id, number: byCode.body.number };
});

test.serial('finalize is refused while the window is open', async (t) => {
  t.is((await s.samr.post(`/api/v1/result-notices/${noticeId}/finalize`)).status, 403);
  const r = await s.coord.post(`/api/v1/result-notices/${noticeId}/finalize`);
  t.is(r.status, 409);
  t.is(r.body.code, 'objection-window-open');
  t.is(r.body.closesAt, '2026-10-10T16:00:00.000Z');
});

test.serial('window edges: the last day (an adjusted working Saturday after the holiday) until 24:00, then closed', async (t) => {
  at('2026-10-10T23:59:59.999+08:00');
  const last = await s.intake.post('/api/v1/tickets', { ...objection({ resultEntryId: entryIds[1] }), channel: 'hotline', owner: { name: '来电人丙', phone: '13600002222' } });
  t.is(last.status, 201);
  objections.dismissed = { id: last.body.id, number: last.body.number };

  at('2026-10-11T00:00:00+08:00');
  const late = await objector.post('/api/v1/tickets', objection({ resultEntryId: entryIds[1] }));
  t.is(late.status, 422);
  t.is(late.body.code, 'objection-window-closed');
  t.is((await s.coord.get(`/api/v1/result-notices/${noticeId}`)).body.status, 'closed');
  // A letter received on the last day and registered later counts by its receipt.
  const letter = await s.intake.post('/api/v1/tickets', {
    ...objection({ resultEntryId: entryIds[1] }),
    channel: 'letter',
    owner: { name: '写信人丁', phone: '13500003333' },
    receivedAt: '2026-10-10T15:00:00+08:00',
  });
  t.is(letter.status, 201);
  objections.letter = { id: letter.body.id, number: letter.body.number };
  const n = await s.coord.get(`/api/v1/result-notices/${noticeId}`);
  t.deepEqual(
    n.body.entries.map((e: any) => e.status),
    ['disputed', 'disputed', 'disputed'],
  );
});

test.serial('finalize is refused while objections are open', async (t) => {
  const r = await s.coord.post(`/api/v1/result-notices/${noticeId}/finalize`);
  t.is(r.status, 409);
  t.is(r.body.code, 'objections-open');
  t.deepEqual(
    r.body.openObjections.map((o: any) => o.number).sort(),
    Object.values(objections)
      .map((o) => o.number)
      .sort(),
  );
});

test.serial('deciding: upheld revokes, dismissed leaves; the objector is answered either way', async (t) => {
  const decide = (c: Client, id: string, outcome: string) => c.post(`/api/v1/tickets/${id}/decide`, { outcome, reason: outcome === 'upheld' ? '经核查，异议成立。' : '经核查，异议不成立。' });
  t.is((await decide(s.samr, objections.upheld.id, 'upheld')).status, 409, 'not signed yet');
  t.is((await decide(s.tax, objections.upheld.id, 'upheld')).status, 404, 'another department does not see it');
  t.is((await decide(s.coord, objections.upheld.id, 'upheld')).status, 403);
  for (const o of Object.values(objections)) t.is((await s.samr.post(`/api/v1/tickets/${o.id}/sign`)).status, 200);

  const up = await decide(s.samr, objections.upheld.id, 'upheld');
  t.is(up.status, 200);
  t.is(up.body.state, 'replied');
  t.is(up.body.decision, 'upheld');
  const ev = (await s.coord.get(`/api/v1/tickets/${objections.upheld.id}/events`)).body.items.at(-1);
  t.is(ev.type, 'decided');
  t.deepEqual(ev.payload, { outcome: 'upheld', messageId: ev.payload.messageId, resultNoticeId: noticeId, resultEntryId: entryIds[0], subject: 'entry', entryStatus: 'revoked', onTime: true });

  t.is((await decide(s.samr, objections.dismissed.id, 'dismissed')).status, 200);
  let n = await s.coord.get(`/api/v1/result-notices/${noticeId}`);
  t.deepEqual(
    n.body.entries.map((e: any) => e.status),
    ['revoked', 'disputed', 'disputed'],
    'entry 2 is still disputed by the letter',
  );
  t.is(n.body.entries[0].revokedAt, '2026-10-10T16:00:00.000Z');
  const letter = await decide(s.samr, objections.letter.id, 'dismissed');
  t.is((await s.coord.get(`/api/v1/tickets/${objections.letter.id}/events`)).body.items.at(-1).payload.entryStatus, 'listed');
  t.is(letter.status, 200);
  t.is((await decide(s.samr, objections.third.id, 'dismissed')).status, 200);
  const ex = await decide(s.samr, objections.excluded.id, 'upheld');
  t.is(ex.status, 200);
  const exEv = (await s.coord.get(`/api/v1/tickets/${objections.excluded.id}/events`)).body.items.at(-1);
  t.deepEqual(exEv.payload, { outcome: 'upheld', messageId: exEv.payload.messageId, resultNoticeId: noticeId, resultEntryId: null, subject: 'excluded_applicant', reviewFlagged: true, onTime: true });

  n = await s.coord.get(`/api/v1/result-notices/${noticeId}`);
  t.deepEqual(
    n.body.entries.map((e: any) => e.status),
    ['revoked', 'listed', 'listed'],
  );
  t.deepEqual(n.body.reviews, [{ creditCode: EXCLUDED, ticketId: objections.excluded.id, number: objections.excluded.number }]);
  t.deepEqual((await h.http.get(`/api/v1/result-notices/${noticeId}`)).body.counts, { entries: 3, listed: 2, disputed: 0, revoked: 1 });

  // The objectors see the answer: by access code, and on their own ticket.
  const tr = await h.http.get(`/api/v1/track/${objections.excluded.number}?code=${objections.excluded.accessCode}`);
  t.deepEqual(
    tr.body.answers.map((a: any) => [a.kind, a.body]),
    [['decision', '经核查，异议成立。']],
  );
  const mine = await objector.get(`/api/v1/tickets/${objections.third.id}/messages`);
  t.deepEqual(
    mine.body.items.map((m: any) => [m.kind, m.body]),
    [['decision', '经核查，异议不成立。']],
  );
});

test.serial('finalize: refused while a decided objection awaits its rating, then allowed; the list is frozen', async (t) => {
  const r = await s.coord.post(`/api/v1/result-notices/${noticeId}/finalize`);
  t.is(r.status, 409);
  t.is(r.body.code, 'objections-open');
  t.deepEqual(
    r.body.openObjections.map((o: any) => o.state),
    ['replied', 'replied', 'replied', 'replied', 'replied'],
  );
  t.is((await objector.post(`/api/v1/tickets/${objections.upheld.id}/rate`, { rating: 'satisfied' })).status, 200);
  for (const o of [objections.dismissed, objections.letter, objections.third, objections.excluded]) {
    t.is((await s.coord.post(`/api/v1/tickets/${o.id}/close`, { note: '公示期满办结' })).status, 200);
  }
  const f = await s.coord.post(`/api/v1/result-notices/${noticeId}/finalize`);
  t.is(f.status, 200);
  t.is(f.body.status, 'finalized');
  t.is(f.body.finalizedAt, '2026-10-10T16:00:00.000Z');
  t.deepEqual(
    f.body.entries.map((e: any) => e.status),
    ['revoked', 'listed', 'listed'],
  );
  t.is((await s.coord.post(`/api/v1/result-notices/${noticeId}/finalize`)).body.code, 'already-finalized');
  const after = await s.intake.post('/api/v1/tickets', {
    ...objection({ resultEntryId: entryIds[1] }),
    channel: 'letter',
    owner: { name: '写信人戊', phone: '13500004444' },
    receivedAt: '2026-10-10T15:00:00+08:00',
  });
  t.is(after.status, 409);
  t.is(after.body.code, 'notice-finalized');
});

test.serial("the business objected to never sees the objector's identity, on any endpoint it can call", async (t) => {
  // What the subject itself may legitimately see: its own account.
  t.is((await subject.get('/api/v1/me')).body.creditCode, ENTRIES[0].creditCode);
  const own = await subject.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'commerce', title: '认定结果被撤销', description: '请说明理由' });
  t.is(own.status, 201);
  const ids = Object.values(objections).map((o) => o.id);
  const hits = await scanEndpoints(
    h,
    subject,
    { id: [noticeId, ...entryIds, ...ids, own.body.id], number: Object.values(objections).map((o) => o.number), code: ['SAMR'] },
    (p) => p.startsWith('/api/v1/tickets/{id}/') || p.startsWith('/api/v1/result-notices/{id}/'),
  );
  t.true(hits.length > 100, `scanned ${hits.length} requests`);
  t.true(
    hits.some((x) => x.url === `/api/v1/result-notices/${noticeId}` && x.status === 200),
    'the public notice is read',
  );
  const identity = [
    OWNER.name,
    OWNER.phone,
    '138****1234',
    OWNER.email,
    OWNER.creditCode,
    CALLER.name,
    CALLER.phone,
    '137****1111',
    CALLER.email,
    '来电人丙',
    '13600002222',
    '写信人丁',
    '13500003333',
    objector.id,
  ];
  t.deepEqual(leaks(hits, identity), []);
  // Nor does it learn which objections exist.
  t.deepEqual(leaks(hits, [...ids, ...Object.values(objections).map((o) => o.number)]), []);
  for (const id of ids) t.is((await subject.get(`/api/v1/tickets/${id}`)).status, 404);
  // Positive control: the same scan as the objector does find the objector's identity.
  t.true(leaks(await scanEndpoints(h, objector, { id: [objections.upheld.id], number: [], code: [] }), [OWNER.phone]).length > 0);
});

import test from 'ava';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';
import { scanEndpoints, leaks } from '../objections/endpoint-scan';

// Reports accusing SAMR — the coordinator office itself, so the coordinator and intake staff
// are users of the accused department too (DESIGN §1) —, one accusing TAX, one accusing DIS.
const CALLER = { name: '举报人乙', phone: '13700001111', email: 'reporter2@example.test' };
const report = (accused: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  kind: 'integrity_report',
  channel: 'web',
  title: '办事人员索要费用',
  description: '窗口人员要求另交材料费才给办理。',
  accused,
  ...extra,
});

type Staff = Awaited<ReturnType<typeof standardStaff>>;
let h: Harness;
let s: Staff & { samrHead: Client & { id: string }; comIntake: Client & { id: string } };
let owner: Client & { id: string };
let symposiumId: string;
const r: Record<string, { id: string; number: string; accessCode?: string }> = {};

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = { ...(await standardStaff(h)), samrHead: await h.staff('samrhead', 'handler', 'SAMR', { isHead: true }), comIntake: await h.staff('intake2', 'intake', 'COM') };
  owner = await h.owner();
});
test.after.always(async () => {
  await h?.close();
});

const samrUsers = () => ({ coord: s.coord, intake: s.intake, samr: s.samr, samrHead: s.samrHead });

test.serial('filing: fields checked, amounts exact, always routed to DIS (a report on DIS is held)', async (t) => {
  const bad: [Record<string, unknown>, number, string][] = [
    [{ departmentCode: 'SAMR', demand: 'fee', amountYuan: 0.1 + 0.2, occurredOn: '2026-10-20' }, 400, 'accused.amountYuan'],
    [{ departmentCode: 'SAMR', demand: 'fee', amountYuan: '1.005', occurredOn: '2026-10-20' }, 400, 'accused.amountYuan'],
    [{ departmentCode: 'SAMR', demand: 'fee', amountYuan: '-1', occurredOn: '2026-10-20' }, 400, 'accused.amountYuan'],
    [{ departmentCode: 'SAMR', demand: 'bribe', occurredOn: '2026-10-20' }, 400, 'accused.demand'],
    [{ departmentCode: 'SAMR', demand: 'fee', occurredOn: '2026-11-03' }, 422, 'accused.occurredOn'],
    [{ departmentCode: 'NOPE', demand: 'fee', occurredOn: '2026-10-20' }, 422, 'accused.departmentCode'],
  ];
  for (const [accused, status, field] of bad) {
    const x = await owner.post('/api/v1/tickets', report(accused));
    t.is(x.status, status, JSON.stringify(accused));
    t.true(
      x.body.errors.some((e: any) => e.field === field),
      JSON.stringify(x.body.errors),
    );
  }
  const noAccused = await owner.post('/api/v1/tickets', report(undefined as never));
  t.deepEqual([noAccused.status, noAccused.body.errors[0].field], [422, 'accused']);
  const notice = await owner.post('/api/v1/tickets', report({ departmentCode: 'SAMR', demand: 'fee', occurredOn: '2026-10-20' }, { resultNoticeId: '00000000-0000-4000-8000-000000000000' }));
  t.deepEqual([notice.status, notice.body.errors[0].field], [422, 'resultNoticeId']);

  const r1 = await owner.post('/api/v1/tickets', report({ departmentCode: 'SAMR', person: '王某某', demand: 'fee', amountYuan: '0.1', occurredOn: '2026-10-20' }));
  t.is(r1.status, 201);
  t.is(r1.body.state, 'dispatched');
  t.is(r1.body.departmentCode, 'DIS');
  t.deepEqual(r1.body.accused, { departmentCode: 'SAMR', person: '王某某', demand: 'fee', amountYuan: '0.10', occurredOn: '2026-10-20' });
  t.is(r1.body.deadlines.signBy, '2026-11-03T16:00:00.000Z');
  t.is(r1.body.deadlines.replyBy, '2026-11-23T16:00:00.000Z'); // 15 working days
  r.one = { id: r1.body.id, number: r1.body.number };

  const r2 = await h.http.post(
    '/api/v1/tickets',
    report({ departmentCode: 'SAMR', demand: 'levy', amountYuan: '0.2', occurredOn: '2026-03-01' }, { anonymous: true, description: '摊派赞助费，不交就不给年检。' }),
  );
  t.is(r2.status, 201);
  t.is(r2.body.reporter, 'anonymous');
  t.regex(r2.body.accessCode, /^[A-Z2-9]{10}$/);
  r.two = { id: r2.body.id, number: r2.body.number, accessCode: r2.body.accessCode };

  // Registered at a symposium by SAMR's own intake staff: they record it, then no longer see it.
  const sym = await s.intake.post('/api/v1/symposiums', { title: '个体工商户座谈会', heldOn: '2026-11-02', place: '区政务中心' });
  t.is(sym.status, 201);
  symposiumId = sym.body.id;
  const r3 = await s.intake.post(
    '/api/v1/tickets',
    report({ departmentCode: 'SAMR', demand: 'property', amountYuan: '300.10', occurredOn: '2026-06-01' }, { channel: 'symposium', symposiumId, owner: CALLER, description: '检查人员索要购物卡。' }),
  );
  t.is(r3.status, 201);
  t.is(r3.body.accused.amountYuan, '300.10');
  // SAMR's own staff are not shown the access code (mayShowAccessCode): it goes to the reporter by text
  t.false('accessCode' in r3.body);
  const [text] = await h.deps.db.query("SELECT body_text AS body FROM outbox_message WHERE ticket_id = ? AND channel = 'sms' AND notice = 'ticket_received'", [r3.body.id]);
  const code = /[A-Z2-9]{10}/.exec(text.body.replace(r3.body.number, ''))?.[0];
  t.truthy(code, text.body);
  r.three = { id: r3.body.id, number: r3.body.number, accessCode: code };
  t.is((await s.intake.get(`/api/v1/tickets/${r3.body.id}`)).status, 404);

  const r4 = await s.comIntake.post('/api/v1/tickets', report({ departmentCode: 'TAX', demand: 'fee', amountYuan: '50', occurredOn: '2025-12-31' }, { channel: 'hotline', owner: CALLER }));
  t.is(r4.status, 201);
  t.is(r4.body.accused.amountYuan, '50.00');
  t.regex(r4.body.accessCode, /^[A-Z2-9]{10}$/);
  r.four = { id: r4.body.id, number: r4.body.number };
  const r6 = await owner.post('/api/v1/tickets', report({ departmentCode: 'TAX', demand: 'other', occurredOn: '2026-05-05' }));
  r.six = { id: r6.body.id, number: r6.body.number };
  const big = await owner.post('/api/v1/tickets', report({ departmentCode: 'COM', demand: 'property', amountYuan: '999999999999.99', occurredOn: '2026-10-01' }));
  t.is(big.status, 201);
  t.is((await s.sup.get(`/api/v1/tickets/${big.body.id}`)).body.accused.amountYuan, '999999999999.99');

  const r5 = await owner.post('/api/v1/tickets', report({ departmentCode: 'DIS', demand: 'fee', occurredOn: '2026-10-01' }));
  t.is(r5.status, 201);
  t.is(r5.body.state, 'registered');
  t.is(r5.body.departmentCode, null);
  r.dis = { id: r5.body.id, number: r5.body.number };
});

test.serial('invisible to every user of the accused department: detail, timeline, texts, chain, actions, lists, searches, symposium', async (t) => {
  // Escalated straight to the supervisors (DESIGN §5): no oversight order reaches SAMR either.
  t.is((await s.sup.post(`/api/v1/tickets/${r.one.id}/escalate`, { level: 3, note: '涉及窗口人员，提级督办' })).status, 200);
  const samrReports = [r.one, r.two, r.three];
  for (const [who, c] of Object.entries(samrUsers())) {
    const orders = await c.get('/api/v1/oversight?limit=200');
    t.false(
      (orders.body.items ?? []).some((o: any) => [r.one.id, r.two.id, r.three.id].includes(o.ticketId)),
      `${who} oversight`,
    );
    for (const x of samrReports) {
      for (const p of ['', '/events', '/messages', '/events/verify']) t.is((await c.get(`/api/v1/tickets/${x.id}${p}`)).status, 404, `${who} GET ${p}`);
      t.is((await c.post(`/api/v1/tickets/${x.id}/note`, { text: '看看' })).status, 404, `${who} note`);
      t.is((await c.post(`/api/v1/tickets/${x.id}/dispatch`, { departmentCode: 'DIS' })).status, 404, `${who} dispatch`);
      t.deepEqual((await c.get(`/api/v1/tickets?q=${x.number}`)).body.items ?? [], [], `${who} search`);
    }
    const list = (await c.get('/api/v1/tickets?limit=200')).body.items ?? [];
    const kindList = (await c.get('/api/v1/tickets?limit=200&kind=integrity_report')).body.items ?? [];
    t.false(
      [...list, ...kindList].some((x: any) => x.accused?.departmentCode === 'SAMR'),
      `${who} list`,
    );
  }
  for (const c of [s.samr, s.intake, s.coord]) {
    const v = await c.get(`/api/v1/symposiums/${symposiumId}`);
    t.is(v.status, 200);
    t.deepEqual(v.body.issues, []);
  }
  t.deepEqual(
    (await s.sup.get(`/api/v1/symposiums/${symposiumId}`)).body.issues.map((i: any) => i.number),
    [r.three.number],
  );
  // The coordinator still sees reports on other departments; TAX's own staff do not.
  t.deepEqual((await s.coord.get('/api/v1/tickets?kind=integrity_report&limit=200')).body.items.map((x: any) => x.accused.departmentCode).sort(), ['COM', 'TAX', 'TAX']);
  for (const c of [s.tax, s.taxHead]) t.is((await c.get(`/api/v1/tickets/${r.four.id}`)).status, 404);
  // A report accusing DIS itself goes to the higher commission: no district user sees it.
  for (const c of [s.sup, s.coord, h.admin, s.samr]) {
    t.is((await c.get(`/api/v1/tickets/${r.dis.id}`)).status, 404);
    t.false(((await c.get('/api/v1/tickets?limit=200')).body.items ?? []).some((x: any) => x.id === r.dis.id));
  }
  t.is((await s.sup.get('/api/v1/tickets?kind=integrity_report&limit=200')).body.items.length, 6);
});

test.serial('reporter identity: only supervisors, only on the audited detail read', async (t) => {
  const events = async () => (await s.sup.get(`/api/v1/tickets/${r.four.id}/events`)).body.items.filter((e: any) => e.type === 'identity_read');
  for (const c of [s.coord, h.admin]) {
    const g = await c.get(`/api/v1/tickets/${r.four.id}`);
    t.is(g.status, 200);
    t.is(g.body.reporter, 'masked');
    t.is(g.body.contact, null);
  }
  const listed = (await s.sup.get('/api/v1/tickets?kind=integrity_report&limit=200')).body.items.find((x: any) => x.id === r.four.id);
  t.deepEqual([listed.reporter, listed.contact], ['masked', null], 'lists never carry the identity: they are not audited');
  t.deepEqual(await events(), []);
  const g = await s.sup.get(`/api/v1/tickets/${r.four.id}`);
  t.is(g.body.reporter, 'shown');
  t.is(g.body.contact.name, CALLER.name);
  t.is(g.body.contact.phone, CALLER.phone);
  h.clock.advance(60_000);
  await s.sup.get(`/api/v1/tickets/${r.four.id}`);
  const reads = await events();
  t.deepEqual(
    reads.map((e: any) => [e.actor.id, e.actor.role, e.at, e.payload]),
    [
      [s.sup.id, 'supervisor', '2026-11-02T01:00:00.000Z', {}],
      [s.sup.id, 'supervisor', '2026-11-02T01:01:00.000Z', {}],
    ],
  );
  const anon = await s.sup.get(`/api/v1/tickets/${r.two.id}`);
  t.is(anon.body.reporter, 'anonymous');
  t.false((await s.sup.get(`/api/v1/tickets/${r.two.id}/events`)).body.items.some((e: any) => e.type === 'identity_read'));
  t.deepEqual(await s.sup.get(`/api/v1/tickets/${r.four.id}/events/verify`).then((x) => x.body.ok), true);
});

test.serial('never dispatched to the accused department', async (t) => {
  const c = await s.sup.post(`/api/v1/tickets/${r.one.id}/dispatch`, { departmentCode: 'SAMR' });
  t.deepEqual([c.status, c.body.code], [409, 'conflict-of-interest']);
  const o = await s.sup.post(`/api/v1/tickets/${r.one.id}/dispatch`, { departmentCode: 'TAX' });
  t.deepEqual([o.status, o.body.errors[0].code], [422, 'discipline_only']);
});

test.serial('substantiated → one veto per department and year, every cause listed, amounts summed exactly', async (t) => {
  for (const x of [r.one, r.two, r.three, r.four, r.six]) t.is((await s.sup.post(`/api/v1/tickets/${x.id}/sign`)).status, 200);
  t.is((await s.coord.post(`/api/v1/tickets/${r.four.id}/conclude`, { finding: 'substantiated', summary: 'x' })).status, 403);
  h.clock.advance(3600_000);
  // Two supervisors conclude two reports on the same department and year at the same moment.
  const sup2 = await h.staff('sup2', 'supervisor', 'DIS');
  const [a, b] = await Promise.all([
    s.sup.post(`/api/v1/tickets/${r.one.id}/conclude`, { finding: 'substantiated', summary: '经查属实，已责令退还0.10元并予以处理。' }),
    sup2.post(`/api/v1/tickets/${r.two.id}/conclude`, { finding: 'substantiated', summary: '经查属实。' }),
  ]);
  t.deepEqual([a.status, b.status, a.body.state, a.body.finding], [200, 200, 'replied', 'substantiated']);
  const evA = (await s.sup.get(`/api/v1/tickets/${r.one.id}/events`)).body.items.at(-1);
  const evB = (await s.sup.get(`/api/v1/tickets/${r.two.id}/events`)).body.items.at(-1);
  t.is(evA.type, 'concluded');
  t.is(evA.payload.vetoId, evB.payload.vetoId);
  t.deepEqual([evA.payload.vetoChange, evB.payload.vetoChange].sort(), ['cause_added', 'imposed']);
  t.deepEqual(Object.keys(evA.payload).sort(), ['finding', 'messageId', 'onTime', 'vetoChange', 'vetoId', 'vetoYear']);
  t.is(evA.payload.vetoYear, 2026);

  const v = await s.sup.get('/api/v1/vetoes?year=2026');
  t.is(v.status, 200);
  t.is(v.body.items.length, 1);
  const veto = v.body.items[0];
  t.deepEqual([veto.departmentCode, veto.year, veto.status, veto.vetoed, veto.activeCauses], ['SAMR', 2026, 'active', true, 2]);
  t.deepEqual(veto.causes.map((c: any) => c.number).sort(), [r.one.number, r.two.number].sort());
  t.deepEqual(veto.causes.map((c: any) => c.amountYuan).sort(), ['0.10', '0.20']);
  t.is(veto.activeAmountYuan, '0.30');
  t.is(veto.decidedAt, '2026-11-02T02:01:00.000Z');
  t.true([s.sup.id, sup2.id].includes(veto.decidedBy.id));
  t.deepEqual(
    veto.history.map((x: any) => x.type),
    ['imposed', 'cause_added'],
  );
  t.deepEqual([veto.revokedAt, veto.revokedBy, veto.revokeReason], [null, null, null]);

  const db = h.deps.db;
  t.deepEqual(await db.query("SELECT COUNT(*) AS n FROM veto WHERE department_code = 'SAMR' AND year = 2026").then((x: any) => Number(x[0].n)), 1);
  t.deepEqual(await db.query('SELECT COUNT(*) AS n FROM veto_cause').then((x: any) => Number(x[0].n)), 2);
  if (h.dialect === 'mysql') {
    // DECIMAL arithmetic in the database is exact too (SQLite has no DECIMAL type; there the sum is made with decimal.js).
    const sum = await db.query('SELECT SUM(amount_yuan) AS s FROM ticket WHERE id IN (?, ?)', [r.one.id, r.two.id]);
    t.is(String(sum[0].s), '0.30');
  }

  // The reporter is answered: the summary is the public answer on the tracking view.
  const tr = await h.http.get(`/api/v1/track/${r.two.number}?code=${r.two.accessCode}`);
  t.deepEqual(
    tr.body.answers.map((x: any) => [x.kind, x.body]),
    [['conclusion', '经查属实。']],
  );

  // The year is the year of the occurrence: a 2025 case vetoes 2025; an unsubstantiated one nothing.
  t.is((await s.sup.post(`/api/v1/tickets/${r.four.id}/conclude`, { finding: 'substantiated', summary: '属实' })).status, 200);
  const un = await s.sup.post(`/api/v1/tickets/${r.six.id}/conclude`, { finding: 'unsubstantiated', summary: '查无实据' });
  t.is(un.body.finding, 'unsubstantiated');
  t.deepEqual((await s.sup.get(`/api/v1/tickets/${r.six.id}/events`)).body.items.at(-1).payload, {
    finding: 'unsubstantiated',
    messageId: (await s.sup.get(`/api/v1/tickets/${r.six.id}/events`)).body.items.at(-1).payload.messageId,
    onTime: true,
  });
  t.deepEqual(
    (await s.sup.get('/api/v1/vetoes?year=2026')).body.items.map((x: any) => x.departmentCode),
    ['SAMR'],
  );
  t.deepEqual(
    (await s.sup.get('/api/v1/vetoes?year=2025')).body.items.map((x: any) => [x.departmentCode, x.causes.map((c: any) => c.number)]),
    [['TAX', [r.four.number]]],
  );
  t.deepEqual(
    (await s.sup.get('/api/v1/vetoes')).body.items.map((x: any) => [x.departmentCode, x.year]),
    [
      ['SAMR', 2026],
      ['TAX', 2025],
    ],
  );
});

test.serial('the register and the assessment as the accused department sees them: the veto and a count, never the reports', async (t) => {
  t.is((await s.samr.get('/api/v1/vetoes')).status, 403);
  t.is((await h.admin.get('/api/v1/vetoes')).status, 403);
  const coordView = (await s.coord.get('/api/v1/vetoes')).body.items;
  const samrVeto = coordView.find((x: any) => x.departmentCode === 'SAMR');
  t.deepEqual(Object.keys(samrVeto).sort(), ['activeCauses', 'decidedAt', 'decidedBy', 'departmentCode', 'history', 'id', 'revokeReason', 'revokedAt', 'revokedBy', 'status', 'vetoed', 'year']);
  t.is(samrVeto.activeCauses, 2);
  t.deepEqual(
    samrVeto.history.map((x: any) => Object.keys(x).sort()),
    [
      ['at', 'by', 'reason', 'seq', 'type'],
      ['at', 'by', 'reason', 'seq', 'type'],
    ],
  );
  t.deepEqual(
    coordView.find((x: any) => x.departmentCode === 'TAX').causes.map((c: any) => c.number),
    [r.four.number],
    "another department's veto in full",
  );

  const head = await s.samrHead.get('/api/v1/departments/SAMR/assessment?year=2026');
  t.is(head.status, 200);
  t.deepEqual([head.body.departmentCode, head.body.year, head.body.vetoed, head.body.eligibleForCommendation, head.body.substantiatedCases], ['SAMR', 2026, true, false, 2]);
  t.is(head.body.veto.causes, undefined);
  for (const x of [r.one, r.two, r.three]) {
    t.false(head.text.includes(x.number));
    t.false(head.text.includes(x.id));
  }
  // The year's figures come from the reports (DESIGN §9); the veto in them is the register's.
  t.deepEqual([head.body.figures.departmentCode, head.body.figures.from, head.body.figures.to], ['SAMR', '2025-12-31T16:00:00.000Z', '2026-12-31T16:00:00.000Z']);
  t.deepEqual([head.body.figures.substantiatedIntegrityCases, head.body.figures.vetoed], [2, true]);
  t.is((await s.samr.get('/api/v1/departments/SAMR/assessment?year=2026')).status, 403, 'a handler who is not the head');
  t.is((await s.taxHead.get('/api/v1/departments/SAMR/assessment?year=2026')).status, 403, "another department's head");
  t.is((await owner.get('/api/v1/departments/SAMR/assessment?year=2026')).status, 403);
  t.is((await s.sup.get('/api/v1/departments/NOPE/assessment?year=2026')).status, 404);
  const tax25 = await s.taxHead.get('/api/v1/departments/TAX/assessment?year=2025');
  t.deepEqual([tax25.body.vetoed, tax25.body.eligibleForCommendation, tax25.body.substantiatedCases], [true, false, 1]);
  const tax26 = await s.taxHead.get('/api/v1/departments/TAX/assessment');
  t.deepEqual([tax26.body.year, tax26.body.vetoed, tax26.body.eligibleForCommendation, tax26.body.substantiatedCases, tax26.body.veto], [2026, false, true, 0, null]);
  const sup = await s.sup.get('/api/v1/departments/SAMR/assessment?year=2026');
  t.deepEqual(sup.body.veto.causes.map((c: any) => c.number).sort(), [r.one.number, r.two.number].sort());
});

test.serial('revoke: supervisor with a reason; history kept; a later substantiated case reinstates the same veto', async (t) => {
  const id = (await s.sup.get('/api/v1/vetoes?year=2026')).body.items[0].id;
  t.is((await s.coord.post(`/api/v1/vetoes/${id}/revoke`, { reason: '复核' })).status, 403);
  const noReason = await s.sup.post(`/api/v1/vetoes/${id}/revoke`, {});
  t.deepEqual([noReason.status, noReason.body.errors[0].field], [400, 'reason']);
  t.is((await s.sup.post('/api/v1/vetoes/00000000-0000-4000-8000-000000000000/revoke', { reason: 'x' })).status, 404);
  h.clock.advance(3600_000);
  const rv = await s.sup.post(`/api/v1/vetoes/${id}/revoke`, { reason: '经复核，两案处理依据不足，撤销一票否决。' });
  t.is(rv.status, 200);
  t.deepEqual(
    [rv.body.status, rv.body.vetoed, rv.body.activeCauses, rv.body.revokedBy.id, rv.body.revokedAt, rv.body.revokeReason],
    ['revoked', false, 0, s.sup.id, '2026-11-02T03:01:00.000Z', '经复核，两案处理依据不足，撤销一票否决。'],
  );
  t.deepEqual(
    rv.body.causes.map((c: any) => [c.active, c.revokedAt]),
    [
      [false, '2026-11-02T03:01:00.000Z'],
      [false, '2026-11-02T03:01:00.000Z'],
    ],
  );
  t.is(rv.body.activeAmountYuan, '0.00');
  const again = await s.sup.post(`/api/v1/vetoes/${id}/revoke`, { reason: '再次' });
  t.deepEqual([again.status, again.body.code], [409, 'veto-already-revoked']);
  const listed = (await s.sup.get('/api/v1/vetoes?year=2026')).body.items;
  t.deepEqual(
    listed.map((x: any) => [x.id, x.status, x.revokeReason]),
    [[id, 'revoked', '经复核，两案处理依据不足，撤销一票否决。']],
  );
  const a = await s.samrHead.get('/api/v1/departments/SAMR/assessment?year=2026');
  t.deepEqual([a.body.vetoed, a.body.eligibleForCommendation, a.body.substantiatedCases, a.body.veto.status, a.body.figures.vetoed], [false, true, 2, 'revoked', false]);

  h.clock.advance(3600_000);
  const c3 = await s.sup.post(`/api/v1/tickets/${r.three.id}/conclude`, { finding: 'substantiated', summary: '经查属实。' });
  t.is(c3.status, 200);
  const v = (await s.sup.get('/api/v1/vetoes?year=2026')).body.items;
  t.is(v.length, 1);
  t.deepEqual([v[0].id, v[0].status, v[0].activeCauses, v[0].activeAmountYuan, v[0].decidedAt, v[0].revokedAt], [id, 'active', 1, '300.10', '2026-11-02T04:01:00.000Z', null]);
  t.deepEqual(
    v[0].causes.map((c: any) => [c.number, c.active]).sort(),
    [
      [r.one.number, false],
      [r.two.number, false],
      [r.three.number, true],
    ].sort(),
  );
  t.deepEqual(
    v[0].history.map((x: any) => [x.seq, x.type, x.reason]),
    [
      [1, 'imposed', null],
      [2, 'cause_added', null],
      [3, 'revoked', '经复核，两案处理依据不足，撤销一票否决。'],
      [4, 'reinstated', null],
    ],
  );
  t.is(v[0].history[3].number, r.three.number);
  t.deepEqual((await s.samrHead.get('/api/v1/departments/SAMR/assessment?year=2026')).body.substantiatedCases, 3);
});

test.serial("a report reopened by its reporter's bad rating follows its latest finding", async (t) => {
  const reopen = await owner.post(`/api/v1/tickets/${r.one.id}/rate`, { rating: 'very_dissatisfied' });
  t.deepEqual([reopen.body.state, reopen.body.cycle, reopen.body.departmentCode], ['dispatched', 2, 'DIS']);
  t.is((await s.sup.post(`/api/v1/tickets/${r.one.id}/sign`)).status, 200);
  const again = await s.sup.post(`/api/v1/tickets/${r.one.id}/conclude`, { finding: 'substantiated', summary: '复查属实。' });
  t.is(again.status, 200);
  t.is((await s.sup.get(`/api/v1/tickets/${r.one.id}/events`)).body.items.at(-1).payload.vetoChange, 'cause_added');

  const rated = await h.http.post(`/api/v1/track/${r.three.number}/rate`, { code: r.three.accessCode, rating: 'dissatisfied' });
  t.is(rated.status, 200);
  t.is((await s.sup.post(`/api/v1/tickets/${r.three.id}/sign`)).status, 200);
  t.is((await s.sup.post(`/api/v1/tickets/${r.three.id}/conclude`, { finding: 'unsubstantiated', summary: '复查查无实据。' })).status, 200);
  const ev = (await s.sup.get(`/api/v1/tickets/${r.three.id}/events`)).body.items.at(-1);
  t.deepEqual([ev.type, ev.cycle, ev.payload.finding, ev.payload.vetoChange], ['concluded', 2, 'unsubstantiated', 'cause_withdrawn']);

  const [v] = (await s.sup.get('/api/v1/vetoes?year=2026')).body.items;
  t.deepEqual([v.status, v.activeCauses, v.activeAmountYuan], ['active', 1, '0.10']);
  t.deepEqual(
    v.causes.filter((c: any) => c.active).map((c: any) => c.number),
    [r.one.number],
  );
  t.deepEqual(
    v.history.slice(4).map((x: any) => [x.seq, x.type, x.number]),
    [
      [5, 'cause_added', r.one.number],
      [6, 'cause_withdrawn', r.three.number],
    ],
  );
  t.is((await s.samrHead.get('/api/v1/departments/SAMR/assessment?year=2026')).body.substantiatedCases, 2);
});

test.serial('scan of every endpoint as each SAMR user finds nothing of the reports accusing SAMR', async (t) => {
  const needles = [r.one, r.two, r.three].flatMap((x) => [x.id, x.number]).concat(['王某某', '摊派赞助费', '检查人员索要购物卡', '300.10']);
  for (const [who, c] of Object.entries(samrUsers())) {
    const hits = await scanEndpoints(h, c, { id: [r.one.id, r.two.id, r.three.id, symposiumId], number: [r.one.number, r.two.number, r.three.number], code: ['SAMR'] }, (p) =>
      p.startsWith('/api/v1/tickets/{id}/'),
    );
    t.true(hits.length > 100, `${who}: ${hits.length} requests`);
    t.deepEqual(leaks(hits, needles), [], who);
  }
  // Positive control: the supervisor's scan does find them, so the scan can see a leak.
  const sup = await scanEndpoints(h, s.sup, { id: [r.one.id], number: [r.one.number], code: ['SAMR'] });
  t.true(leaks(sup, [r.one.number]).length > 0);
});

import test from 'ava';
import ExcelJS from 'exceljs';
import { startHarness, standardStaff, OWNER, Harness, Client } from '../helpers/harness';
import { appendEvent } from '../../src/commands/events';
import { FigureDirty, ReportFigure, Ticket, TicketFigure } from '../../src/entities';
import { departmentsFigures, rawDepartmentsFigures } from '../../src/commands/reports';
import { markAllFiguresDirty, refreshFigures } from '../../src/commands/figures';
import { startOfLocalDay } from '../../src/domain/deadline';

/**
 * Department reporting (DESIGN §9) over November 2026, built through the HTTP API:
 * tickets created by an owner and by intake, dispatched, returned, signed, replied and rated
 * by the departments, the clock moved to make some late, integrity reports concluded.
 * Yellow cards are raised by hand through the API; levels 1 and 3 come from the escalation
 * sweep, which does not run inside the harness: its stable contract (one `escalated` event
 * per ticket, cycle and level, payload `{ level, reason }`) is written here as the sweep does.
 */

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client;
const NOV = 'from=2026-11-01&to=2026-11-30';
const REPORT = `/api/v1/reports/departments?${NOV}`;

const at = (local: string) => new Date(local);
const move = (local: string) => h.clock.set(at(local));
async function ok(p: Promise<{ status: number; text: string; body: any }>, status = 200) {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  return r.body;
}
const hotline = (category: string, extra: Record<string, unknown> = {}) =>
  ok(s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category, title: `来电 ${category}`, description: '来电反映问题。', owner: OWNER, ...extra }), 201);
const integrity = (accused: string, occurredOn: string) =>
  ok(
    owner.post('/api/v1/tickets', {
      kind: 'integrity_report',
      channel: 'web',
      title: '违规收费举报',
      description: '办事时被要求缴纳不合规费用。',
      accused: { departmentCode: accused, demand: 'fee', amountYuan: '300.00', occurredOn },
    }),
    201,
  );
const act = (who: Client, id: string, action: string, body: Record<string, unknown> = {}) => ok(who.post(`/api/v1/tickets/${id}/${action}`, body));
async function escalated(id: string, level: number, reason: string) {
  await h.deps.db.transaction(async (em) => {
    const t = await em.findOneByOrFail(Ticket, { id });
    await appendEvent(em, t, { type: 'escalated', actor: { kind: 'system' }, at: h.clock.now(), fromState: t.state, toState: t.state, payload: { level, reason } });
  });
}
/** A raw GET with the client's token: `Response.text()` would strip the CSV's BOM. */
function raw(c: Client, path: string) {
  const { base, token } = c as unknown as { base: string; token?: string };
  return fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

const ids: Record<string, string> = {};

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } }); // the clock moves a month
  s = await standardStaff(h);
  owner = await h.owner();

  // Monday 2 November, 09:00: everything arrives (A by the owner on the web, the rest by phone).
  ids.A = (await ok(owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '定额税核定偏高', description: '营业额下降但定额未调整。' }), 201)).id;
  ids.B = (await hotline('tax_fees')).id;
  ids.C = (await hotline('employment')).id;
  ids.D = (await hotline('tax_fees')).id;
  ids.E = (await hotline('tax_fees')).id;
  ids.G = (await hotline('other')).id;
  ids.Z = (await hotline('tax_fees', { receivedAt: '2026-10-30T10:00:00+08:00' })).id; // before the period
  ids.I1 = (await integrity('TAX', '2026-11-01')).id;
  ids.I2 = (await integrity('HRSS', '2026-10-28')).id;
  ids.I3 = (await integrity('SAMR', '2026-10-20')).id;

  move('2026-11-02T09:30:00+08:00');
  await act(s.tax, ids.A, 'sign');
  await act(s.tax, ids.D, 'return', { reason: '属社保事项，非本局职责。' });
  await act(s.coord, ids.D, 'dispatch', { departmentCode: 'HRSS' });
  await act(s.hrss, ids.D, 'sign');
  await act(s.hrss, ids.C, 'sign');
  await act(s.coord, ids.G, 'reject', { ground: 'outside_remit', detail: '不属于受理范围。' });
  for (const i of ['I1', 'I2', 'I3']) await act(s.sup, ids[i], 'sign');

  move('2026-11-03T10:00:00+08:00');
  await act(s.tax, ids.A, 'reply', { outcome: 'resolved', message: '已重新核定定额。' });
  await act(owner, ids.A, 'rate', { rating: 'satisfied' });
  await act(s.hrss, ids.C, 'reply', { outcome: 'explained', message: '已解释政策。' });
  const c2 = await act(s.intake, ids.C, 'rate', { rating: 'very_dissatisfied', via: 'callback' });
  if (c2.cycle !== 2) throw new Error('C should be in cycle 2');
  await act(s.hrss, ids.C, 'sign');

  move('2026-11-04T10:00:00+08:00');
  await act(s.tax, ids.B, 'sign'); // sign-for was due 4 Nov 00:00
  await escalated(ids.E, 1, 'sign_overdue');
  await act(s.sup, ids.I1, 'conclude', { finding: 'substantiated', summary: '经查属实。' });
  await act(s.sup, ids.I3, 'conclude', { finding: 'unsubstantiated', summary: '经查不属实。' });

  move('2026-11-10T10:00:00+08:00');
  await act(s.tax, ids.B, 'reply', { outcome: 'unresolvable', message: '暂无法解决。' }); // reply was due 10 Nov 00:00
  await act(s.coord, ids.E, 'escalate', { level: 2, note: '请立即办理。' }); // yellow card by hand
  await act(s.coord, ids.D, 'escalate', { level: 2, note: '请立即办理。' });
  await act(s.intake, ids.B, 'rate', { rating: 'dissatisfied', via: 'callback' });
  await act(s.hrss, ids.C, 'reply', { outcome: 'resolved', message: '已办理。' });
  await act(s.intake, ids.C, 'rate', { rating: 'basically_satisfied', via: 'callback' });

  move('2026-11-17T10:00:00+08:00');
  await escalated(ids.E, 3, 'reply_missing');

  move('2026-12-01T09:00:00+08:00');
  ids.Y = (await hotline('tax_fees', { receivedAt: '2026-11-30T23:59:00+08:00' })).id; // last minute of the period
  ids.X = (await hotline('tax_fees', { receivedAt: '2026-12-01T00:00:00+08:00' })).id; // first instant after it
});
test.after.always(async () => {
  await h?.close();
});

const PERIOD = { from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z' };
const frac = (numerator: number, denominator: number, percent: number | null) => ({ numerator, denominator, percent });

const TAX = {
  departmentCode: 'TAX',
  ...PERIOD,
  received: 4, // A, B, E, Y (D went to HRSS, Z and X are outside, G was rejected)
  signedOnTime: frac(1, 4, 25), // A on time; B late; E never signed; B's second cycle never signed
  repliedOnTime: frac(1, 4, 25), // A on time; B late; E and B's second cycle past their reply deadlines
  resolved: frac(1, 2, 50),
  satisfaction: frac(1, 2, 50),
  reopenRate: frac(1, 2, 50),
  overdueOpen: 2, // E, B
  oversightOrders: { level1: 1, level2: 1, level3: 1 },
  averageWorkingDaysToReply: '3.50', // A 1 (Nov 3), B 6 (Nov 3–6, 9, 10)
  substantiatedIntegrityCases: 1,
  vetoed: true,
};
const HRSS = {
  departmentCode: 'HRSS',
  ...PERIOD,
  received: 2, // C, D (returned by TAX, re-dispatched)
  signedOnTime: frac(3, 3, 100), // D, C twice
  repliedOnTime: frac(2, 3, 66.67), // C twice on time; D past its reply deadline (the return did not reset it)
  resolved: frac(1, 2, 50),
  satisfaction: frac(1, 2, 50), // very_dissatisfied, then basically_satisfied
  reopenRate: frac(1, 2, 50),
  overdueOpen: 1,
  oversightOrders: { level1: 0, level2: 1, level3: 0 },
  averageWorkingDaysToReply: '3.00', // C: 1, then 5 from the reopening (Nov 4–6, 9, 10)
  substantiatedIntegrityCases: 0, // the report against HRSS is still open
  vetoed: false,
};

test.serial('coordinator: exact figures for TAX and HRSS, every active department listed', async (t) => {
  const r = await s.coord.get(REPORT);
  t.is(r.status, 200);
  t.is(r.body.from, '2026-11-01');
  t.is(r.body.to, '2026-11-30');
  t.is(r.body.asOf, '2026-12-01T01:00:00.000Z');
  t.deepEqual(
    r.body.items.map((i: any) => i.departmentCode),
    ['COM', 'DIS', 'DRC', 'EIT', 'FIN', 'HRSS', 'HUD', 'JUS', 'NFRA', 'PBC', 'SAMR', 'TAX', 'TRN'],
  );
  const by = (c: string) => r.body.items.find((i: any) => i.departmentCode === c);
  t.deepEqual(by('TAX'), TAX);
  t.deepEqual(by('HRSS'), HRSS);
  t.is(by('SAMR').substantiatedIntegrityCases, 0); // concluded unsubstantiated
  t.false(by('SAMR').vetoed);
});

test.serial('integrity reports count for DIS once concluded, and never for a viewer of the accused department', async (t) => {
  const sup = (await s.sup.get(`${REPORT}&department=DIS`)).body.items[0];
  t.is(sup.received, 2); // I1 and I3 concluded; I2 still open
  t.deepEqual(sup.signedOnTime, frac(2, 2, 100));
  t.deepEqual(sup.repliedOnTime, frac(2, 2, 100));
  t.deepEqual(sup.resolved, frac(0, 0, null));
  t.deepEqual(sup.reopenRate, frac(0, 2, 0));
  t.is(sup.averageWorkingDaysToReply, '2.00');
  // The coordinator belongs to SAMR, accused by I3: I3 is absent from what it sees (DESIGN §1, §7).
  const coord = (await s.coord.get(`${REPORT}&department=DIS`)).body.items[0];
  t.is(coord.received, 1);
  t.deepEqual(coord.signedOnTime, frac(1, 1, 100));
  t.deepEqual(coord.repliedOnTime, frac(1, 1, 100));
  t.deepEqual(coord.reopenRate, frac(0, 1, 0));
});

test.serial('department head: own department only; a plain handler and other roles are refused', async (t) => {
  const own = await s.taxHead.get(REPORT);
  t.is(own.status, 200);
  t.deepEqual(own.body.items, [TAX]); // the substantiated case as a number, nothing else of the reports
  t.deepEqual((await s.taxHead.get(`${REPORT}&department=TAX`)).body.items, [TAX]);
  const other = await s.taxHead.get(`${REPORT}&department=HRSS`);
  t.is(other.status, 403);
  t.is(other.body.code, 'forbidden');
  t.is((await s.taxHead.get(`${REPORT}&department=DIS&format=csv`)).status, 403);
  for (const c of [s.tax, s.hrss, s.intake, owner]) {
    const r = await c.get(REPORT);
    t.is(r.status, 403);
    t.is(r.body.code, 'forbidden');
  }
  t.is((await h.http.get(REPORT)).status, 401);
  const admin = await h.admin.get(REPORT);
  t.is(admin.status, 200);
  t.deepEqual(
    admin.body.items.find((i: any) => i.departmentCode === 'TAX'),
    TAX,
  );
  t.is((await s.sup.get(REPORT)).status, 200);
});

test.serial('bad parameters: 400 problems naming the field', async (t) => {
  const cases: [string, string, string][] = [
    ['to=2026-11-30', 'from', 'invalid_type'],
    ['from=2026-11-01', 'to', 'invalid_type'],
    ['from=2026-13-01&to=2026-11-30', 'from', 'custom'],
    ['from=2026-11-01&to=30.11.2026', 'to', 'custom'],
    ['from=2026-11-02&to=2026-11-01', 'to', 'before_from'],
    ['from=2026-01-01&to=2027-01-02', 'to', 'range_too_long'], // 367 days
    [`${NOV}&format=pdf`, 'format', 'invalid_value'],
    [`${NOV}&department=tax`, 'department', 'invalid_format'],
    [`${NOV}&department=XYZ`, 'department', 'unknown'],
    [`${NOV}&dept=TAX`, '', 'unrecognized_keys'],
  ];
  for (const [q, field, code] of cases) {
    const r = await s.coord.get(`/api/v1/reports/departments?${q}`);
    t.is(r.status, 400, q);
    t.is(r.headers.get('content-type'), 'application/problem+json', q);
    t.is(r.body.code, 'validation-failed', q);
    t.true(
      r.body.errors.some((e: any) => (field === '' || e.field === field) && e.code === code),
      `${q}: ${JSON.stringify(r.body.errors)}`,
    );
  }
  // A leap year is 366 days: allowed. So is a single day.
  t.is((await s.coord.get('/api/v1/reports/departments?from=2024-01-01&to=2024-12-31')).status, 200);
  t.is((await s.coord.get('/api/v1/reports/departments?from=2026-01-01&to=2027-01-01')).status, 200);
  const day = await s.coord.get('/api/v1/reports/departments?from=2026-11-30&to=2026-11-30&department=TAX');
  t.is(day.status, 200);
  t.is(day.body.items[0].received, 1); // Y, received at 23:59 on the last day
  t.is(day.body.items[0].from, '2026-11-29T16:00:00.000Z');
});

const HEADER = [
  '部门代码',
  '部门名称',
  '受理量',
  '按时签收数',
  '应签收数',
  '按时签收率(%)',
  '按时办结数',
  '应办结数',
  '按时办结率(%)',
  '已解决数',
  '答复数',
  '解决率(%)',
  '满意数',
  '评价数',
  '满意率(%)',
  '重办数',
  '答复总数',
  '重办率(%)',
  '超期未办结数',
  '一级催办数',
  '二级黄牌督办数',
  '三级红牌督办数',
  '平均办理工作日',
  '查实违规问题数',
  '一票否决',
];
const TAX_ROW = ['TAX', '区税务局', 4, 1, 4, 25, 1, 4, 25, 1, 2, 50, 1, 2, 50, 1, 2, 50, 2, 1, 1, 1, '3.50', 1, '是'];

test.serial('CSV: UTF-8 with BOM, Chinese header row, one row per department', async (t) => {
  const r = await raw(s.coord, `${REPORT}&format=csv`);
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  t.is(r.headers.get('content-disposition'), `attachment; filename="department-report_2026-11-01_2026-11-30.csv"; filename*=UTF-8''${encodeURIComponent('部门统计_2026-11-01至2026-11-30.csv')}`);
  const bytes = Buffer.from(await r.arrayBuffer());
  t.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  t.is(lines[0], HEADER.join(','));
  t.is(lines.length, 1 + 13 + 1); // header, 13 departments, final line break
  t.is(lines[14], '');
  t.is(
    lines.find((l) => l.startsWith('TAX,')),
    TAX_ROW.join(','),
  );
  t.is(
    lines.find((l) => l.startsWith('COM,')),
    'COM,区商务委,0,0,0,,0,0,,0,0,,0,0,,0,0,,0,0,0,0,,0,否',
  );
  const head = await raw(s.taxHead, `${REPORT}&format=csv`);
  const headLines = Buffer.from(await head.arrayBuffer())
    .subarray(3)
    .toString('utf8')
    .split('\r\n');
  t.deepEqual(headLines, [HEADER.join(','), TAX_ROW.join(','), '']);
});

test.serial('XLSX: parses back with exceljs, same figures', async (t) => {
  const r = await raw(s.coord, `${REPORT}&format=xlsx`);
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  t.is(r.headers.get('content-disposition'), `attachment; filename="department-report_2026-11-01_2026-11-30.xlsx"; filename*=UTF-8''${encodeURIComponent('部门统计_2026-11-01至2026-11-30.xlsx')}`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await r.arrayBuffer());
  const ws = wb.getWorksheet('部门统计')!;
  t.truthy(ws);
  t.is(ws.rowCount, 14);
  t.deepEqual((ws.getRow(1).values as unknown[]).slice(1), HEADER);
  const rows = Array.from({ length: 13 }, (_, i) => (ws.getRow(i + 2).values as unknown[]).slice(1));
  t.deepEqual(
    rows.find((v) => v[0] === 'TAX'),
    TAX_ROW,
  );
  const hrss = rows.find((v) => v[0] === 'HRSS')!;
  t.deepEqual(hrss.slice(0, 9), ['HRSS', '区人力社保局', 2, 3, 3, 100, 2, 3, 66.67]);
  const com = rows.find((v) => v[0] === 'COM')!;
  t.is(com[5], undefined); // 0/0: an empty cell, not 0 %
  const about = wb.getWorksheet('说明')!;
  t.deepEqual((about.getRow(1).values as unknown[]).slice(1), ['统计起始日', '2026-11-01']);
  t.deepEqual((about.getRow(2).values as unknown[]).slice(1), ['统计截止日', '2026-11-30']);
});

test.serial('the report reads only: figures are the same when asked twice, and the OpenAPI document lists it', async (t) => {
  const a = await s.coord.get(`${REPORT}&department=TAX`);
  const b = await s.coord.get(`${REPORT}&department=TAX`);
  t.deepEqual(a.body, b.body);
  const doc = await h.http.get('/api/v1/openapi.json');
  t.truthy(doc.body.paths['/api/v1/reports/departments']?.get);
});

// ---------------------------------------------------------------------------
// Maintained figures (issue 15 item 2): the buckets agree exactly with the raw rows
// ---------------------------------------------------------------------------

const DEPTS = ['TAX', 'HRSS', 'SAMR', 'DIS', 'CMB'];
const range = (a: string, b: string) => ({ from: startOfLocalDay(a, 'Asia/Shanghai'), to: startOfLocalDay(b, 'Asia/Shanghai') });

async function compareWithOracle(t: import('ava').ExecutionContext) {
  const cal = await h.deps.calendar.get(h.deps.db.manager);
  await refreshFigures(h.deps.db, { tz: 'Asia/Shanghai' });
  t.is(await h.deps.db.getRepository(FigureDirty).count(), 0);
  for (const [a, b] of [
    ['2026-11-01', '2026-12-01'],
    ['2026-10-01', '2026-12-02'],
    ['2026-11-02', '2026-11-03'],
    ['2026-01-01', '2027-01-01'],
    ['2026-12-01', '2026-12-02'],
  ]) {
    for (const hide of [null, 'TAX', 'HRSS', 'SAMR']) {
      for (const now of [h.clock.now(), new Date('2026-11-04T12:00:00+08:00')]) {
        const o = { hideAccusedOf: hide };
        const kept = await departmentsFigures(h.deps.db.manager, DEPTS, range(a, b), cal, 'Asia/Shanghai', now, o);
        const raw = await rawDepartmentsFigures(h.deps.db.manager, DEPTS, range(a, b), cal, 'Asia/Shanghai', now, o);
        t.deepEqual(kept, raw, `${a}..${b} hide ${hide} now ${now.toISOString()}`);
      }
    }
  }
}

test.serial('maintained figures: the buckets hold what the events wrote, and agree with the raw rows for every period and viewer', async (t) => {
  await compareWithOracle(t);
  // the buckets of 2 November for TAX, as the events of the scenario wrote them
  const rows = await h.deps.db.getRepository(ReportFigure).find({ where: { departmentCode: 'TAX', day: '2026-11-02' }, order: { accused: 'ASC' } });
  t.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      {
        departmentCode: 'TAX',
        day: '2026-11-02',
        accused: '',
        received: 3,
        signedOnTime: 1,
        signOwed: 2,
        repliedOnTime: 1,
        replyOwed: 2,
        resolved: 1,
        replies: 2,
        satisfied: 1,
        rated: 2,
        reopened: 1,
        answers: 2,
        level1: 1,
        level2: 1,
        level3: 1,
        handlingDays: 7,
      },
    ],
  );
  // DIS's concluded reports are kept apart by the department they accuse
  const dis = await h.deps.db.getRepository(ReportFigure).find({ where: { departmentCode: 'DIS' }, order: { accused: 'ASC' } });
  t.deepEqual(
    dis.map((r) => [r.day, r.accused, r.received, r.answers]),
    [
      ['2026-11-02', 'SAMR', 1, 1],
      ['2026-11-02', 'TAX', 1, 1],
    ],
  );
});

test.serial('maintained figures: a rebuild changes nothing, a calendar override is followed, a refresh with nothing marked does nothing', async (t) => {
  const before = await h.deps.db.getRepository(ReportFigure).find({ order: { departmentCode: 'ASC', day: 'ASC', accused: 'ASC' } });
  await h.deps.db.transaction((em) => markAllFiguresDirty(em));
  t.is(await h.deps.db.getRepository(FigureDirty).count(), await h.deps.db.getRepository(Ticket).count());
  const r = await refreshFigures(h.deps.db, { tz: 'Asia/Shanghai', batch: 3 });
  t.is(r.remaining, false);
  t.is(r.tickets, await h.deps.db.getRepository(Ticket).count());
  t.deepEqual(await h.deps.db.getRepository(ReportFigure).find({ order: { departmentCode: 'ASC', day: 'ASC', accused: 'ASC' } }), before);
  t.deepEqual(await refreshFigures(h.deps.db, { tz: 'Asia/Shanghai' }), { tickets: 0, batches: 0, remaining: false });

  // Wednesday 4 November becomes a holiday: B's answer (3 Nov → 10 Nov) takes one working day less
  const res = await h.admin.put('/api/v1/calendar/days/2026-11-04', { type: 'holiday', note: '测试调休' });
  t.is(res.status, 200, res.text);
  t.true((await h.deps.db.getRepository(FigureDirty).count()) > 0);
  const report = await ok(s.coord.get(`${REPORT}&department=TAX`));
  t.is(report.items[0].averageWorkingDaysToReply, '3.00'); // A 1, B 5
  t.is(await h.deps.db.getRepository(FigureDirty).count(), 0); // the report caught up first
  await compareWithOracle(t);
  t.is((await h.admin.put('/api/v1/calendar/days/2026-11-04', { type: 'workday', note: '恢复' })).status, 200);
  t.is((await ok(s.coord.get(`${REPORT}&department=TAX`))).items[0].averageWorkingDaysToReply, '3.50');
  t.true((await h.deps.db.getRepository(TicketFigure).count()) > 0);
});

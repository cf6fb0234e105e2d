/**
 * The admin's reference data and outbox (issue 10): departments and categories added,
 * renamed and taken out of use (what depends on a department keeps it in use), and a
 * notification sent again. Exact statuses, codes and rows.
 */
import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { until } from '../notifications/smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';

let h: Harness;
let worker: MailWorker;
test.before(async () => {
  h = await startHarness();
  worker = await startMailWorker(h.deps, { backoffBaseMs: 50, sweepIntervalMs: 300 });
});
test.after.always(async () => {
  await worker?.close();
  await h?.close();
});

const field = (r: { body: any }) => r.body.errors.map((e: any) => `${e.field}:${e.code}`);

test.serial('departments: add, rename, take out of use only when nothing depends on it; SAMR and DIS stay', async (t) => {
  const made = await h.admin.post('/api/v1/departments', { code: 'ECO', nameZh: '区生态环境局', nameEn: 'Ecology and Environment Bureau' });
  t.is(made.status, 201, made.text);
  t.deepEqual(made.body, { code: 'ECO', nameZh: '区生态环境局', nameEn: 'Ecology and Environment Bureau', kind: 'department', active: true });
  const again = await h.admin.post('/api/v1/departments', { code: 'ECO', nameZh: '重复', nameEn: 'dup' });
  t.is(again.status, 409);
  t.is(again.body.code, 'department-exists');
  t.deepEqual(field(await h.admin.post('/api/v1/departments', { code: 'eco', nameZh: 'x', nameEn: 'x' })), ['code:invalid_format']);

  const renamed = await h.admin.req('PATCH', '/api/v1/departments/ECO', { nameZh: '涪陵区生态环境局' });
  t.is(renamed.status, 200);
  t.is(renamed.body.nameZh, '涪陵区生态环境局');

  // a handler in it keeps it in use; once the handler moves, it can go out of use
  const handler = await h.staff('eco1', 'handler', 'ECO');
  const inUse = await h.admin.req('PATCH', '/api/v1/departments/ECO', { active: false });
  t.is(inUse.status, 409);
  t.is(inUse.body.code, 'department-in-use');
  t.like(inUse.body, { openTickets: 0, activeStaff: 1, routingRules: 0 });
  await h.admin.req('PATCH', `/api/v1/users/${handler.id}`, { departmentCode: 'TAX' });
  const off = await h.admin.req('PATCH', '/api/v1/departments/ECO', { active: false });
  t.is(off.status, 200, off.text);
  t.false(off.body.active);
  // out of use: not a place for new staff or a dispatch, and out of the reports
  const row = (await h.deps.db.query("SELECT active FROM department WHERE code = 'ECO'"))[0];
  t.false(Boolean(row.active));
  const report = await h.admin.get('/api/v1/reports/departments?from=2026-11-01&to=2026-11-30');
  t.false(report.body.items.some((i: any) => i.departmentCode === 'ECO'));

  for (const code of ['SAMR', 'DIS']) {
    const r = await h.admin.req('PATCH', `/api/v1/departments/${code}`, { active: false });
    t.is(r.status, 409);
    t.is(r.body.code, 'essential-department');
  }
  // TAX has routing rules
  t.like((await h.admin.req('PATCH', '/api/v1/departments/TAX', { active: false })).body, { code: 'department-in-use', openTickets: 0, activeStaff: 1, routingRules: 1 });
  t.is((await h.admin.req('PATCH', '/api/v1/departments/NOPE', { nameZh: 'x' })).status, 404);
  t.is((await handler.post('/api/v1/departments', { code: 'XX', nameZh: 'x', nameEn: 'x' })).status, 403);
});

test.serial('categories: a new one routes new tickets to its default department; one out of use cannot be chosen', async (t) => {
  const made = await h.admin.post('/api/v1/categories', { code: 'noise', nameZh: '噪声扰民', nameEn: 'Noise', defaultDepartmentCode: 'HRSS' });
  t.is(made.status, 201, made.text);
  t.deepEqual(made.body, { code: 'noise', nameZh: '噪声扰民', nameEn: 'Noise', defaultDepartmentCode: 'HRSS', active: true });
  t.true((await h.admin.get('/api/v1/routing-rules')).body.items.some((r: any) => r.categoryCode === 'noise' && r.departmentCode === 'HRSS'));
  const owner = await h.owner();
  const ticket = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'noise', title: '夜间施工', description: '凌晨两点还在施工。' });
  t.is(ticket.status, 201);
  t.like(ticket.body, { state: 'dispatched', departmentCode: 'HRSS' });

  t.is((await h.admin.post('/api/v1/categories', { code: 'noise', nameZh: 'x', nameEn: 'x' })).body.code, 'category-exists');
  t.deepEqual(field(await h.admin.post('/api/v1/categories', { code: 'bribe', nameZh: '索贿', nameEn: 'x', defaultDepartmentCode: 'DIS' })), ['defaultDepartmentCode:discipline']);
  t.deepEqual(field(await h.admin.post('/api/v1/categories', { code: 'x1', nameZh: 'x', nameEn: 'x', defaultDepartmentCode: 'ZZZ' })), ['defaultDepartmentCode:unknown']);
  t.is(Number((await h.deps.db.query("SELECT COUNT(*) AS n FROM category WHERE code IN ('bribe', 'x1')"))[0].n), 0, 'refused categories are not stored');

  const off = await h.admin.req('PATCH', '/api/v1/categories/noise', { active: false, nameZh: '噪声' });
  t.is(off.status, 200);
  t.like(off.body, { active: false, nameZh: '噪声' });
  const refused = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'noise', title: '又在施工', description: '凌晨。' });
  t.is(refused.status, 422);
  t.deepEqual(field(refused), ['category:unknown']);
  t.is((await h.admin.req('PATCH', '/api/v1/categories/nope_x', { active: false })).status, 404);
});

test.serial('outbox: a failed notification is sent again; a sent one is not', async (t) => {
  const owner = await h.owner('13700000031');
  const ticket = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '重发测试', description: '内容。' });
  const number = ticket.body.number as string;
  const rows = async () => (await h.admin.get(`/api/v1/outbox?ticketNumber=${number}`)).body.items as any[];
  await until(async () => (await rows()).length > 0 && (await rows()).every((r) => r.state === 'sent'), 20_000, 'first delivery');
  const [first] = await rows();
  const sent = await h.admin.post(`/api/v1/outbox/${first.id}/retry`, {});
  t.is(sent.status, 409);
  t.like(sent.body, { code: 'not-retryable', state: 'sent' });

  // as a permanent refusal leaves it
  await h.deps.db.query("UPDATE outbox_message SET state = 'failed', attempts = 3, last_error = '550 no such user', sent_at = NULL WHERE id = ?", [first.id]);
  const r = await h.admin.post(`/api/v1/outbox/${first.id}/retry`, {});
  t.is(r.status, 200, r.text);
  t.like(r.body, { id: first.id, state: 'pending', attempts: 0 });
  await until(async () => (await rows()).find((x) => x.id === first.id)?.state === 'sent', 20_000, 'sent again');
  t.is((await rows()).find((x) => x.id === first.id)?.attempts, 1);
  t.is((await h.admin.post('/api/v1/outbox/00000000-0000-4000-8000-000000000000/retry', {})).status, 404);
  t.is((await owner.post(`/api/v1/outbox/${first.id}/retry`, {})).status, 403);
});

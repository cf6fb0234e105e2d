import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startHarness, standardStaff, OWNER, Harness } from '../helpers/harness';
import { until } from './smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';
import { notify } from '../../src/notifications/notify';
import { OutboxMessage, Ticket, User } from '../../src/entities';
import { escalateBySystem } from '../../src/commands/escalation';
import { inTransaction } from '../../src/db';

// Without SMTP_URL, mail is written as .eml files under var/outbox/ (DESIGN §14). This file
// checks who gets which notice, reading those files: escalations, oversight orders, due
// soon, information requests, extensions, rejections.

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let worker: MailWorker;

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { HIGHER_DISCIPLINE_EMAIL: 'jw@higher.example' } });
  s = await standardStaff(h);
  worker = await startMailWorker(h.deps, { backoffBaseMs: 50, sweepIntervalMs: 300 });
});
test.after.always(async () => {
  await worker?.close();
  await h?.close();
});

const outbox = () => h.deps.config.outboxDir;
/** The rows of a ticket and source, once all are sent; with each parsed .eml file. */
async function mails(number: string, notice?: string) {
  const repo = h.deps.db.getRepository(OutboxMessage);
  await until(async () => (await repo.findBy({ ticketNumber: number })).every((r) => r.state === 'sent'), 20_000, `mail of ${number} sent`);
  const rows = (await repo.find({ where: { ticketNumber: number, channel: 'email' }, order: { createdAt: 'ASC', recipient: 'ASC' } })).filter((r) => !notice || r.notice === notice);
  return Promise.all(rows.map(async (r) => ({ row: r, mail: await simpleParser(readFileSync(join(outbox(), `${r.id}.eml`))) })));
}
const recipients = (ms: { row: OutboxMessage }[]) => ms.map((m) => `${m.row.recipient}:${m.row.recipientRole}`).sort();

async function complaint(title = '发票问题') {
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title, description: 'd', owner: { ...OWNER, email: 'caller@example.test' } });
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; number: string };
}

test.serial('.eml files: one per row, named by the row id, with the subject and recipient of the row', async (t) => {
  t.is(worker.queueKind, process.env.REDIS_URL ? 'bull' : 'in-process');
  const c = await complaint('<script>x</script>');
  const ms = await mails(c.number);
  t.deepEqual(recipients(ms), ['caller@example.test:submitter', 'tax1@example.test:handler', 'taxhead@example.test:head']);
  for (const { row, mail } of ms) {
    t.is(mail.subject, row.subject);
    t.deepEqual(
      (mail.to as { value: { address: string }[] }).value.map((v) => v.address),
      [row.recipient],
    );
    t.is(mail.messageId, `<${row.id}@grievance.local>`);
    t.true(mail.text!.includes('<script>x</script>'));
    t.true(String(mail.html).includes('&lt;script&gt;x&lt;/script&gt;'));
  }
  t.true(
    readdirSync(outbox()).every((f) => f.endsWith('.eml') || f.endsWith('.sms.txt')),
    'no temporary files left',
  );
});

test.serial('information request, extension and rejection reach the submitter', async (t) => {
  const c = await complaint('需补充材料');
  await s.tax.post(`/api/v1/tickets/${c.id}/sign`);
  t.is((await s.tax.post(`/api/v1/tickets/${c.id}/request-info`, { message: '请提供营业执照照片。' })).status, 200);
  const info = await mails(c.number, 'info_requested');
  t.deepEqual(recipients(info), ['caller@example.test:submitter']);
  t.is(info[0].mail.subject, `【${c.number}】请补充材料`);
  t.true(info[0].mail.text!.includes('请提供营业执照照片。'));
  t.is((await s.intake.post(`/api/v1/tickets/${c.id}/supplement`, { message: '已补充。' })).status, 200);
  t.deepEqual(recipients(await mails(c.number, 'ticket_supplemented')), ['tax1@example.test:handler', 'taxhead@example.test:head']);
  t.is((await s.tax.post(`/api/v1/tickets/${c.id}/request-extension`, { workingDays: 3, reason: '需实地核查' })).status, 200);
  const req = await mails(c.number, 'extension_requested');
  t.deepEqual(recipients(req), ['coord1@example.test:coordinator']);
  t.true(req[0].mail.text!.includes('需实地核查'));
  t.is((await s.coord.post(`/api/v1/tickets/${c.id}/decide-extension`, { approve: true, note: '同意' })).status, 200);
  const dec = await mails(c.number, 'extension_decided');
  t.deepEqual(recipients(dec), ['caller@example.test:submitter', 'tax1@example.test:handler', 'taxhead@example.test:head']);
  t.is(dec[0].mail.subject, `【${c.number}】延期申请已批准`);

  const r = await complaint('不予受理');
  await s.tax.post(`/api/v1/tickets/${r.id}/return`, { reason: '非本部门职责' });
  t.is((await s.coord.post(`/api/v1/tickets/${r.id}/reject`, { ground: 'handled_elsewhere', detail: '法院已受理。' })).status, 200);
  const rej = await mails(r.number, 'ticket_rejected');
  t.deepEqual(recipients(rej), ['caller@example.test:submitter']);
  t.true(rej[0].mail.text!.includes('理由：已由人民法院、仲裁机构或其他行政机关受理或处理'));
  t.true(rej[0].mail.text!.includes('法院已受理。'));
});

test.serial('due soon: the handlers for a reply deadline, the coordinator office for a dispatch deadline; notified twice, mailed once', async (t) => {
  const c = await complaint('快到期');
  const dueAt = new Date('2026-11-09T16:00:00Z');
  for (let i = 0; i < 2; i++) {
    await inTransaction(h.deps.db, (em) => notify(em, { kind: 'due_soon', ticketId: c.id, deadline: 'reply', dueAt }, h.clock.now()));
  }
  const ms = await mails(c.number, 'due_soon');
  t.deepEqual(recipients(ms), ['tax1@example.test:handler', 'taxhead@example.test:head']);
  t.is(ms[0].mail.subject, `【${c.number}】答复期限将至（2026年11月9日（周一）24:00前）`);
  await inTransaction(h.deps.db, (em) => notify(em, { kind: 'due_soon', ticketId: c.id, deadline: 'dispatch', dueAt }, h.clock.now()));
  t.deepEqual(recipients(await mails(c.number, 'due_soon')), ['coord1@example.test:coordinator', 'tax1@example.test:handler', 'taxhead@example.test:head']);
});

test.serial('escalation mail: the head gets it even with every preference off; a handler who switched it off does not', async (t) => {
  await h.deps.db.getRepository(User).update({ username: 'taxhead' }, { notifyPrefs: { overdue: false, oversight: false, red_card: false, dispatched: false } });
  t.is((await s.tax.put('/api/v1/me/notifications', { topics: { oversight: false } })).status, 200);
  const c = await complaint('督办测试');
  const esc = await s.coord.post(`/api/v1/tickets/${c.id}/escalate`, { level: 2, note: '请加快办理' });
  t.is(esc.status, 200, esc.text);
  const y = await mails(c.number, 'oversight_opened');
  t.deepEqual(recipients(y), ['coord1@example.test:coordinator', 'taxhead@example.test:head']);
  t.is(y[0].mail.subject, `【${c.number}】督办通知：二级黄牌督办`);
  t.true(y.every((m) => m.mail.text!.includes('前在平台回复督办单')));
  const red = await s.sup.post(`/api/v1/tickets/${c.id}/escalate`, { level: 3, note: '红牌' });
  t.is(red.status, 200, red.text);
  const r = await mails(c.number, 'red_card');
  t.deepEqual(recipients(r), ['coord1@example.test:coordinator', 'sup1@example.test:supervisor', 'taxhead@example.test:head']);
  // the dispatch mail the head switched off was not sent to them
  t.deepEqual(recipients(await mails(c.number, 'ticket_dispatched')), ['tax1@example.test:handler']);
});

test.serial('level 1 (sign-for deadline passed): handlers, the head and the coordinator; an undispatched ticket: the coordinator office; an integrity report: the supervisors', async (t) => {
  await h.deps.db.getRepository(User).update({ username: 'taxhead' }, { notifyPrefs: null });
  await s.tax.put('/api/v1/me/notifications', { topics: { oversight: true } });
  const level = async (id: string, lv: 1 | 3, reason: string, target: string) => {
    const cal = await h.deps.calendar.get(h.deps.db.manager);
    await inTransaction(h.deps.db, async (em) => {
      const t0 = await em.findOneByOrFail(Ticket, { id });
      await escalateBySystem({ em, now: h.clock.now(), cal, tz: h.deps.config.businessTz }, t0, { level: lv, reason: reason as never, target: target as never, triggeredAt: h.clock.now() });
      await em.update(Ticket, { id }, { escalationLevel: t0.escalationLevel });
    });
  };
  const c = await complaint('未签收');
  await level(c.id, 1, 'sign_late', 'department_head');
  const o = await mails(c.number, 'overdue');
  t.deepEqual(recipients(o), ['coord1@example.test:coordinator', 'tax1@example.test:handler', 'taxhead@example.test:head']);
  t.is(o[0].mail.subject, `【${c.number}】催办：超过签收期限`);
  t.true(o.find((m) => m.row.recipientRole === 'head')!.mail.text!.includes('请督促本部门立即办理'));

  const u = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'other', title: '待分派', description: 'd', owner: OWNER });
  t.is(u.body.state, 'registered');
  await level(u.body.id, 1, 'dispatch_late', 'coordinator_office');
  t.deepEqual(recipients(await mails(u.body.number, 'overdue')), ['coord1@example.test:coordinator']);

  const owner = await h.owner('13800006666', { email: 'rep3@example.test' });
  const ir = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '摊派',
    description: '要求赞助。',
    accused: { departmentCode: 'TAX', demand: 'levy', occurredOn: '2026-10-01' },
  });
  t.is(ir.status, 201);
  await level(ir.body.id, 3, 'sign_late', 'supervisors');
  const rc = await mails(ir.body.number, 'red_card');
  t.deepEqual(recipients(rc), ['sup1@example.test:supervisor']);
  t.false(rc[0].mail.text!.includes('考核'), "an integrity report is not a department's assessment item here");
});

test.serial('a report accusing DIS with HIGHER_DISCIPLINE_EMAIL set goes to that address at once; the submitter is told', async (t) => {
  const owner = await h.owner('13800004444', { email: 'rep4@example.test' });
  const r = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '纪委干部索要财物',
    description: '索要购物卡。',
    accused: { departmentCode: 'DIS', demand: 'property', amountYuan: '1000', occurredOn: '2026-10-28' },
  });
  t.is(r.status, 201);
  const ms = await mails(r.body.number);
  t.deepEqual(recipients(ms), ['jw@higher.example:higher', 'rep4@example.test:submitter']);
  const fwd = ms.find((m) => m.row.recipientRole === 'higher')!;
  t.true(fwd.mail.text!.includes('索要购物卡。'));
  t.true(fwd.mail.text!.includes('反映事项：索要财物，金额 1000.00 元'));
  t.true(ms.find((m) => m.row.recipientRole === 'submitter')!.mail.text!.includes('转送上级纪委监委处理'));
  const ob = (await h.admin.get(`/api/v1/outbox?ticketNumber=${r.body.number}`)).body.items;
  t.deepEqual(ob.map((i: any) => [i.recipient, i.state, i.masked, i.text]).sort(), [
    ['***', 'sent', true, null],
    ['***', 'sent', true, null],
  ]);
});

test.serial("staff mails link to the ticket's workbench page, never carry the access code; the submitter's keeps the track link", async (t) => {
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '链接', description: 'd', owner: { ...OWNER, email: 'linked@example.test' } });
  t.is(r.status, 201);
  const { id, number, accessCode } = r.body as { id: string; number: string; accessCode: string };
  t.regex(accessCode, /^[A-Z0-9]{10}$/);
  t.is((await s.tax.post(`/api/v1/tickets/${id}/return`, { reason: '不属于本部门职责。' })).status, 200);
  const ms = await mails(number);
  const site = h.deps.config.publicUrl;
  const work = `${site}/work/tickets/${id}`;
  t.deepEqual(ms.map((m) => `${m.row.notice}:${m.row.recipientRole}`).sort(), ['ticket_dispatched:handler', 'ticket_dispatched:head', 'ticket_received:submitter', 'ticket_returned:coordinator']);
  for (const { row, mail } of ms) {
    const staff = row.recipientRole !== 'submitter';
    t.is(mail.text!.includes(`在平台查看和办理本工单：${work}\n`), staff, `${row.notice}/${row.recipientRole}: text link`);
    t.is(String(mail.html).includes(`<a href="${work}"`), staff, `${row.notice}/${row.recipientRole}: html link`);
    if (staff) t.false(`${mail.text}${mail.html}${mail.subject}`.includes(accessCode), `${row.notice}/${row.recipientRole}: no access code`);
    else t.true(mail.text!.includes(`${site}/track?number=${number}`), 'the submitter keeps the track link');
  }
});

test.serial("an integrity report: the supervisors' mails link to the report's page; the accused department's staff receive nothing, whatever happens", async (t) => {
  await h.deps.db.getRepository(User).update({ username: 'taxhead' }, { notifyPrefs: null });
  const owner = await h.owner('13800007777', { email: 'rep7@example.test' });
  const ir = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '索要红包',
    description: '专管员索要红包。',
    accused: { departmentCode: 'TAX', demand: 'property', occurredOn: '2026-10-01' },
  });
  t.is(ir.status, 201);
  const { id, number } = ir.body as { id: string; number: string };
  // every notice an integrity report can cause to staff, asked for directly: due soon, escalation
  await inTransaction(h.deps.db, (em) => notify(em, { kind: 'due_soon', ticketId: id, deadline: 'reply', dueAt: new Date('2026-11-09T16:00:00Z') }, h.clock.now()));
  const cal = await h.deps.calendar.get(h.deps.db.manager);
  await inTransaction(h.deps.db, async (em) => {
    const t0 = await em.findOneByOrFail(Ticket, { id });
    await escalateBySystem({ em, now: h.clock.now(), cal, tz: h.deps.config.businessTz }, t0, { level: 3, reason: 'sign_late', target: 'supervisors', triggeredAt: h.clock.now() });
  });
  const ms = await mails(number);
  const work = `${h.deps.config.publicUrl}/work/tickets/${id}`;
  const sup = ms.filter((m) => m.row.recipientRole === 'supervisor');
  t.deepEqual(sup.map((m) => m.row.notice).sort(), ['due_soon', 'red_card', 'ticket_dispatched']);
  for (const m of sup) {
    t.true(m.mail.text!.includes(`在平台查看本件举报（查看举报人身份将被记录）：${work}\n`), m.row.notice);
    t.true(String(m.mail.html).includes(`<a href="${work}"`), m.row.notice);
  }
  const taxUsers = (await h.deps.db.getRepository(User).findBy({ departmentCode: 'TAX' })).map((u) => u.id);
  t.true(taxUsers.length >= 2);
  const all = await h.deps.db.getRepository(OutboxMessage).findBy({ ticketNumber: number });
  t.deepEqual(
    all.filter((r) => taxUsers.includes(r.recipientUserId ?? '') || /tax/.test(r.recipient ?? '')),
    [],
    'no row, mail or text, for the accused department',
  );
  t.deepEqual(
    all.map((r) => `${r.recipient}:${r.recipientRole}`).filter((x) => !x.startsWith('sup1@') && !x.startsWith('rep7@')),
    [],
    'only the supervisor and the reporter',
  );
});

test.serial('GET /outbox: admin only, newest first, paged with a cursor, filtered by state', async (t) => {
  t.is((await s.coord.get('/api/v1/outbox')).status, 403);
  t.is((await h.http.get('/api/v1/outbox')).status, 401);
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const r: any = await h.admin.get(`/api/v1/outbox?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    t.is(r.status, 200);
    t.true(r.body.items.length <= 7);
    all.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  const total = await h.deps.db.getRepository(OutboxMessage).count();
  t.is(all.length, total);
  t.is(new Set(all.map((i) => i.id)).size, total);
  for (let i = 1; i < all.length; i++) t.true(all[i - 1].createdAt >= all[i].createdAt);
  const sent = (await h.admin.get('/api/v1/outbox?state=sent&limit=200')).body.items;
  t.true(sent.length > 0 && sent.every((i: any) => i.state === 'sent' && i.sentAt && i.nextAttemptAt === null));
  t.is((await h.admin.get('/api/v1/outbox?state=bogus')).status, 400);
  t.is((await h.admin.get('/api/v1/outbox?cursor=%%%')).status, 400);
});

import test from 'ava';
import { startHarness, standardStaff, OWNER, Harness } from '../helpers/harness';
import { startSmtp, until } from './smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';
import { FindOptionsWhere } from 'typeorm';
import { OutboxMessage } from '../../src/entities';

// Real SMTP end to end (issue 4): tickets change through the HTTP API, outbox rows commit
// with them, the mail worker delivers through nodemailer to an in-test smtp-server, and
// mailparser reads what arrived.

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let worker: MailWorker;

test.before(async () => {
  smtp = await startSmtp();
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { SMTP_URL: smtp.url, MAIL_FROM: 'noreply@fuling.example' } });
  s = await standardStaff(h);
  worker = await startMailWorker(h.deps, { backoffBaseMs: 50, backoffCapMs: 400, sweepIntervalMs: 300, leaseMs: 5_000 });
});
test.after.always(async () => {
  await worker?.close();
  await h?.close();
  await smtp?.close();
});

const rows = (where: FindOptionsWhere<OutboxMessage> = {}) => h.deps.db.getRepository(OutboxMessage).find({ where, order: { createdAt: 'ASC', recipient: 'ASC' } });
const about = (number: string) => smtp.received.filter((m) => (m.parsed.subject ?? '').includes(number));

test.serial("a complaint: the owner is told it was received, the department's handlers that it was dispatched; <script> escaped in HTML, intact in text", async (t) => {
  t.is(worker.queueKind, process.env.REDIS_URL ? 'bull' : 'in-process');
  const owner = await h.owner();
  const title = '<script>alert("x")</script> 定额税 & 发票';
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title, description: '营业额下降但定额未调整。<b>急</b>' });
  t.is(r.status, 201);
  const number: string = r.body.number;
  await until(() => about(number).length >= 3, 20_000, 'three mails');

  const toOwner = smtp.to(OWNER.email).filter((m) => m.parsed.subject!.includes(number));
  t.is(toOwner.length, 1);
  const m = toOwner[0].parsed;
  t.is(m.subject, `【${number}】您的诉求投诉已受理`);
  t.deepEqual(
    (m.to as { value: { address: string }[] }).value.map((v) => v.address),
    [OWNER.email],
  );
  t.is(m.from!.value[0].address, 'noreply@fuling.example');
  t.true(m.text!.includes(title), 'text part carries the title intact');
  t.true(m.text!.includes('2026年11月9日（周一）24:00前'), 'reply deadline in local time, as the pages write it'); // 5 working days from Mon 2 Nov
  t.false(String(m.html).includes('<script>'), 'no live script in HTML');
  t.true(String(m.html).includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 定额税 &amp; 发票'), 'title escaped in HTML');
  t.is(toOwner[0].messageId, `<${(await rows({ ticketNumber: number, recipient: OWNER.email }))[0].id}@fuling.example>`);

  // The department: TAX handlers (the head addressed as head); handlers see the phone masked.
  t.deepEqual(
    about(number)
      .filter((x) => x !== toOwner[0])
      .flatMap((x) => x.to)
      .sort(),
    ['tax1@example.test', 'taxhead@example.test'],
  );
  const toTax = smtp.to('tax1@example.test').find((x) => x.parsed.subject!.includes(number))!.parsed;
  t.is(toTax.subject, `【${number}】新工单待签收：${title}`);
  t.true(toTax.text!.includes('138****1234'));
  t.false(toTax.text!.includes('13800001234'));
  t.true(toTax.text!.includes('<b>急</b>'));
  t.true(String(toTax.html).includes('&lt;b&gt;急&lt;/b&gt;'));

  // A row is marked sent after the SMTP server accepted the mail, so it can still be
  // `sending` when the mail is already at the sink: wait for the rows, not the mail.
  await until(async () => (await rows({ ticketNumber: number })).every((o) => o.state === 'sent'), 20_000, 'rows marked sent');
  const out = await rows({ ticketNumber: number });
  t.deepEqual(
    out.map((o) => [o.notice, o.recipientRole, o.state, o.attempts]),
    [
      ['ticket_received', 'submitter', 'sent', 1],
      ['ticket_dispatched', 'handler', 'sent', 1],
      ['ticket_dispatched', 'head', 'sent', 1],
    ],
  ); // same instant: ordered by recipient

  // The admin's view shows the delivery state.
  const ob = await h.admin.get(`/api/v1/outbox?ticketNumber=${number}&limit=10`);
  t.is(ob.status, 200);
  t.deepEqual(ob.body.items.map((i: any) => [i.notice, i.state, i.recipient, i.masked]).sort(), [
    ['ticket_dispatched', 'sent', 'tax1@example.test', false],
    ['ticket_dispatched', 'sent', 'taxhead@example.test', false],
    ['ticket_received', 'sent', OWNER.email, false],
  ]);
  t.is((await s.coord.get('/api/v1/outbox')).status, 403);
});

test.serial('returned: the coordinator office gets it with the full phone; reply reaches the caller of a hotline ticket with how to rate', async (t) => {
  const r = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '发票领用难',
    description: '每月只能领10份。',
    owner: { ...OWNER, phone: '13911112222', email: 'caller@example.test' },
  });
  t.is(r.status, 201);
  const number: string = r.body.number;
  const ret = await s.tax.post(`/api/v1/tickets/${r.body.id}/return`, { reason: '属于商务委职责' });
  t.is(ret.status, 200);
  await until(() => smtp.to('coord1@example.test').some((m) => m.parsed.subject!.includes(number)), 20_000, 'returned mail');
  const toCoord = smtp.to('coord1@example.test').find((m) => m.parsed.subject!.includes(number))!.parsed;
  t.is(toCoord.subject, `【${number}】工单被退回，待重新分派：发票领用难`);
  t.true(toCoord.text!.includes('13911112222'), 'coordinator sees the full phone');
  t.true(toCoord.text!.includes('属于商务委职责'));
  t.true(toCoord.text!.includes('区税务局以"不属于本部门职责"为由退回了一件工单'));

  await s.coord.post(`/api/v1/tickets/${r.body.id}/dispatch`, { departmentCode: 'HRSS' });
  await s.hrss.post(`/api/v1/tickets/${r.body.id}/sign`);
  const rep = await s.hrss.post(`/api/v1/tickets/${r.body.id}/reply`, { outcome: 'resolved', message: '已协调增加领用份数。\n如有问题请来电。' });
  t.is(rep.status, 200);
  await until(() => smtp.to('caller@example.test').some((m) => m.parsed.subject!.includes('已答复')), 20_000, 'reply mail');
  const toCaller = smtp.to('caller@example.test').map((m) => m.parsed.subject);
  t.deepEqual(toCaller.sort(), [`【${number}】您的诉求投诉已受理`, `【${number}】您反映的问题已答复`].sort());
  const reply = smtp.to('caller@example.test').find((m) => m.parsed.subject === `【${number}】您反映的问题已答复`)!.parsed;
  t.true(reply.text!.includes('已协调增加领用份数。\n如有问题请来电。'));
  t.true(reply.text!.includes('办理结果：已解决'));
  t.true(reply.text!.includes(`凭工单编号和查询码在 http://localhost:3000/track?number=${number} 评价`), 'account-less caller is told how to rate, with the link to the track page');
  t.true(String(reply.html).includes('white-space:pre-wrap'));
});

test.serial('preferences: a handler switches dispatch mail off; a head cannot switch off escalation mail', async (t) => {
  const off = await s.tax.put('/api/v1/me/notifications', { topics: { dispatched: false } });
  t.is(off.status, 200);
  t.false(off.body.topics.dispatched);
  t.deepEqual(off.body.locked, []);
  const locked = await s.taxHead.put('/api/v1/me/notifications', { topics: { overdue: false } });
  t.is(locked.status, 422);
  t.is(locked.body.errors[0].field, 'topics.overdue');
  const bad = await s.tax.put('/api/v1/me/notifications', { topics: { nonsense: false } });
  t.is(bad.status, 400);
  t.deepEqual((await s.taxHead.get('/api/v1/me/notifications')).body.locked, ['overdue', 'oversight', 'red_card']);

  const owner = await h.owner('13800005678', { email: 'owner2@example.test' });
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '偏好测试', description: 'd' });
  await until(() => about(r.body.number).length >= 2, 20_000, 'two mails');
  await new Promise((res) => setTimeout(res, 300));
  t.deepEqual(
    about(r.body.number)
      .flatMap((m) => m.to)
      .sort(),
    ['owner2@example.test', 'taxhead@example.test'],
  );
  await s.tax.put('/api/v1/me/notifications', { topics: { dispatched: true } });
});

test.serial('integrity report: the accused department gets nothing; supervisors get it without the reporter; the outbox view masks it', async (t) => {
  const taxStaff2 = await h.staff('tax2', 'handler', 'TAX');
  void taxStaff2;
  const owner = await h.owner('13800007777', { email: 'reporter@example.test' });
  const r = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '税务专管员索要红包',
    description: '10月20日在办税厅，专管员张某要求500元。',
    accused: { departmentCode: 'TAX', person: '张某', demand: 'property', amountYuan: '500.00', occurredOn: '2026-10-20' },
  });
  t.is(r.status, 201);
  const number: string = r.body.number;
  await until(() => about(number).length >= 2, 20_000, 'integrity mails');
  await new Promise((res) => setTimeout(res, 300));
  const recipients = about(number)
    .flatMap((m) => m.to)
    .sort();
  t.deepEqual(recipients, ['reporter@example.test', 'sup1@example.test']);
  t.false(recipients.some((a) => a.startsWith('tax')));
  const toSup = smtp.to('sup1@example.test').find((m) => m.parsed.subject!.includes(number))!.parsed;
  t.is(toSup.subject, `【${number}】新工单待签收`, 'no accusation in the subject');
  t.true(toSup.text!.includes('被反映单位：区税务局'));
  t.true(toSup.text!.includes('反映事项：索要财物，金额 500.00 元'));
  t.false(toSup.text!.includes('13800007777'));
  t.false(toSup.text!.includes('经营户甲'));
  t.true(toSup.text!.includes('举报人信息：请登录平台查看（查看将被记录）'));

  const ob = await h.admin.get(`/api/v1/outbox?ticketNumber=${number}`);
  t.deepEqual(ob.body.items.map((i: any) => [i.recipient, i.masked, i.text]).sort(), [
    ['***', true, null],
    ['***', true, null],
  ]);
  // Issue 13 item 6: an admin of the accused department finds no row about the report; the forward is 404 to them.
  const taxAdmin = await h.staff('taxadmin', 'admin', 'TAX');
  t.deepEqual((await taxAdmin.get(`/api/v1/outbox?ticketNumber=${number}`)).body.items, []);
  t.false((await taxAdmin.get('/api/v1/outbox?limit=200')).body.items.some((i: any) => i.ticketNumber === number));
  t.is((await taxAdmin.post(`/api/v1/outbox/${ob.body.items[0].id}/forward`, {})).status, 404);
});

test.serial('a report accusing DIS itself: no district user is mailed, the submitter is told, the report stays held without a configured address', async (t) => {
  const owner = await h.owner('13800008888', { email: 'reporter2@example.test' });
  const r = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '纪委干部吃拿卡要',
    description: '检查时索要烟酒。',
    accused: { departmentCode: 'DIS', demand: 'property', occurredOn: '2026-10-21' },
  });
  t.is(r.status, 201);
  const number: string = r.body.number;
  await until(() => about(number).length >= 1, 20_000, 'submitter mail');
  const told = about(number)[0];
  t.deepEqual(told.to, ['reporter2@example.test']);
  t.true(told.parsed.text!.includes('转送上级纪委监委处理'));
  const held = (await h.admin.get(`/api/v1/outbox?ticketNumber=${number}&state=held`)).body.items;
  t.is(held.length, 1);
  t.like(held[0], { notice: 'integrity_forward', recipient: null, state: 'held', masked: true, text: null });
  // Issue 13 item 4: the destination comes from configuration only, never from the request.
  const withAddress = await h.admin.post(`/api/v1/outbox/${held[0].id}/forward`, { email: 'jw@higher.example' });
  t.is(withAddress.status, 400);
  t.deepEqual(
    withAddress.body.errors.map((e: any) => e.field),
    ['email'],
  );
  const unconfigured = await h.admin.post(`/api/v1/outbox/${held[0].id}/forward`, {});
  t.is(unconfigured.status, 409);
  t.is(unconfigured.body.code, 'no-destination');
  const still = (await h.admin.get(`/api/v1/outbox?ticketNumber=${number}&state=held`)).body.items;
  t.like(still[0], { state: 'held', recipient: null, text: null });
  await new Promise((res) => setTimeout(res, 300));
  t.deepEqual(
    about(number).flatMap((m) => m.to),
    ['reporter2@example.test'],
    'nothing went anywhere else',
  );
  const none: unknown[] = await h.deps.db.query(`SELECT id FROM ticket_event WHERE ticket_id = '${r.body.id}' AND type = 'identity_read'`);
  t.is(none.length, 0);

  // Once the address is configured, the admin's forward sends it now, to that address only,
  // recorded on the report as an identity read by the admin. (The running mail worker keeps
  // the address it started with, none, so only the forward can release the row here.)
  h.deps.config.higherDisciplineEmail = 'jw@higher.example';
  try {
    const fwd = await h.admin.post(`/api/v1/outbox/${held[0].id}/forward`, {});
    t.is(fwd.status, 200);
    t.like(fwd.body, { state: 'pending', recipient: '***', masked: true, text: null });
    await until(() => smtp.to('jw@higher.example').length === 1, 20_000, 'forwarded report');
    const f = smtp.to('jw@higher.example')[0].parsed;
    t.is(f.subject, `【${number}】转送：反映区纪检监察机关的违规收费、摊派、索要财物举报`);
    t.true(f.text!.includes('检查时索要烟酒。'));
    t.true(f.text!.includes('13800008888'), 'the higher commission gets the reporter to contact');
    t.is((await h.admin.post(`/api/v1/outbox/${held[0].id}/forward`, {})).status, 409, 'no longer held');
  } finally {
    h.deps.config.higherDisciplineEmail = undefined;
  }
  const rows: { actor_role: string; payload: string }[] = await h.deps.db.query(`SELECT actor_role, payload FROM ticket_event WHERE ticket_id = '${r.body.id}' AND type = 'identity_read'`);
  t.deepEqual(
    rows.map((x) => [x.actor_role, JSON.parse(x.payload).forwardedToHigherCommission]),
    [['admin', true]],
  );
  await new Promise((res) => setTimeout(res, 300));
  t.deepEqual(
    about(number)
      .flatMap((m) => m.to)
      .sort(),
    ['jw@higher.example', 'reporter2@example.test'],
  );
});

test.serial("symposium answers reach attendees with email; the primary's reply reaches merged tickets' submitters", async (t) => {
  const sy = await s.intake.post('/api/v1/symposiums', {
    title: '个体工商户座谈会',
    heldOn: '2026-10-30',
    place: '区政务中心',
    attendees: [{ name: '李四', email: 'li4@example.test' }, { name: '王五' }, { name: '赵六', email: 'zhao6@example.test' }],
    issues: [{ kind: 'suggestion', title: '希望延长夜市时间', description: '夜市22点关闭太早。', category: 'tax_fees', owner: { name: '李四', phone: '13900000001', email: 'li4@example.test' } }],
  });
  t.is(sy.status, 201);
  const tid = sy.body.issues[0].id;
  const number: string = sy.body.issues[0].number;
  const dup = await h.owner('13800009999', { email: 'dup@example.test' });
  const d = await dup.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '夜市时间', description: '同上' });
  t.is((await s.coord.post(`/api/v1/tickets/${d.body.id}/merge`, { intoTicketId: tid })).status, 200);
  await s.tax.post(`/api/v1/tickets/${tid}/sign`);
  await s.tax.post(`/api/v1/tickets/${tid}/reply`, { outcome: 'resolved', message: '夜市延长至24点。' });
  await until(() => smtp.to('zhao6@example.test').length >= 1 && smtp.to('dup@example.test').length >= 3, 20_000, 'answers');
  const z = smtp.to('zhao6@example.test')[0].parsed;
  t.is(z.subject, `【${number}】座谈会反映问题的答复：希望延长夜市时间`);
  t.true(z.text!.includes('夜市延长至24点。'));
  t.false(z.text!.includes('13900000001'));
  // 李四 is the submitter and an attendee: one mail about the reply, the submitter's.
  // Mails are delivered concurrently: compare as sets (sorted), not in arrival order.
  t.deepEqual(
    smtp
      .to('li4@example.test')
      .map((m) => m.parsed.subject)
      .sort(),
    [`【${number}】您的意见建议已受理`, `【${number}】您反映的问题已答复`].sort(),
  );
  t.deepEqual(
    smtp
      .to('dup@example.test')
      .map((m) => m.parsed.subject)
      .sort(),
    [`【${d.body.number}】您的诉求投诉已受理`, `【${d.body.number}】工单已并入 ${number} 一并办理`, `【${d.body.number}】您反映的问题已答复（并入 ${number}）`].sort(),
  );
  t.true(
    smtp
      .to('dup@example.test')
      .find((m) => m.parsed.subject === `【${d.body.number}】您反映的问题已答复（并入 ${number}）`)!
      .parsed.text!.includes('夜市延长至24点。'),
  );
  await s.coord.post(`/api/v1/tickets/${tid}/close`, {});
  await until(() => smtp.to('dup@example.test').length >= 4, 20_000, 'closure');
  t.is(smtp.to('dup@example.test').filter((m) => m.parsed.subject === `【${d.body.number}】工单已办结`).length, 1);
});

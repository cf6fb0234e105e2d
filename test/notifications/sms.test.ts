import test from 'ava';
import { readFileSync } from 'node:fs';
import { spawn, ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { join } from 'node:path';
import { startHarness, standardStaff, Harness, Client, TEST_CHAIN_KEYS } from '../helpers/harness';
import { startSmpp } from './smpp-server';
import { until } from './smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';
import { OutboxMessage, SmsReceipt } from '../../src/entities';
import { segmentText } from '../../src/sms/text';

// issue 11: texts through a real SMPP server on localhost (the `smpp` package's server side).
// Every row reaches its phone exactly once (parts put together by their concatenation
// header), or is marked failed for a permanent refusal; owners are not texted at night.

let h: Harness;
let smpp: Awaited<ReturnType<typeof startSmpp>>;
let staff: Awaited<ReturnType<typeof standardStaff>>;
const fast = { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250, leaseMs: 3_000, bull: { lockDurationMs: 1_000, stalledIntervalMs: 400 } };
const SIG = '【涪陵区市场监管局】';
const TAX_MOBILE = '13900001111';
const HEAD_MOBILE = '13900002222';

test.before(async () => {
  smpp = await startSmpp();
  h = await startHarness({ env: { SMS_URL: smpp.url } });
  staff = await standardStaff(h);
  // the tax handler gives a mobile number; the head too; the HRSS handler does not
  await h.admin.req('PATCH', `/api/v1/users/${staff.tax.id}`, { phone: TAX_MOBILE });
  await h.admin.req('PATCH', `/api/v1/users/${staff.taxHead.id}`, { phone: HEAD_MOBILE });
});
test.after.always(async () => {
  await h?.close();
  await smpp?.close();
});

const repo = () => h.deps.db.getRepository(OutboxMessage);
const texts = async (number: string) => await repo().find({ where: { ticketNumber: number, channel: 'sms' }, order: { recipient: 'ASC' } });
let seq = 0;
const caller = () => `1361000${String(++seq).padStart(4, '0')}`;
async function hotline(intake: Client, phone: string, extra: Record<string, unknown> = {}) {
  const r = await intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税核定偏高',
    description: '营业额下降但定额未调整',
    owner: { name: '李四', phone },
    ...extra,
  });
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; number: string; accessCode: string };
}
async function withWorker<T>(a: ((w: MailWorker) => Promise<T>) | { concurrency: number }, b?: (w: MailWorker) => Promise<T>): Promise<T> {
  const f = typeof a === 'function' ? a : b!;
  const w = await startMailWorker(h.deps, { ...fast, ...(typeof a === 'function' ? {} : a) });
  try {
    return await f(w);
  } finally {
    await w.close();
  }
}
/** signs a standard staff member in again (tokens last 12 h of the test clock) */
async function relogin(username: string): Promise<Client> {
  const r = await h.http.post('/api/v1/auth/login', { username, password: `Pw-${username}-123!` });
  return h.http.as(r.body.token);
}
const trackUrl = (n: string) => `http://localhost:3000/track?number=${n}`;

test.serial('a hotline call: the caller gets number and access code in one concatenated UCS-2 text, the handlers with a mobile the sign-for text; a receipt is recorded', async (t) => {
  const phone = caller();
  const tk = await hotline(staff.intake, phone);
  const rows = await texts(tk.number);
  t.deepEqual(
    rows.map((r) => [r.recipient, r.notice, r.recipientRole, r.state]),
    [
      [phone, 'ticket_received', 'submitter', 'pending'],
      [TAX_MOBILE, 'ticket_dispatched', 'handler', 'pending'],
      [HEAD_MOBILE, 'ticket_dispatched', 'head', 'pending'],
    ].sort((a, b) => a[0].localeCompare(b[0])),
  );
  const expected = `${SIG}您反映的问题已受理，编号${tk.number}，查询码${tk.accessCode}。凭编号和查询码查看进度：${trackUrl(tk.number)}`;
  const receipt = rows.find((r) => r.recipient === phone)!;
  t.is(receipt.bodyText, expected.replace(tk.accessCode, `\u2063${tk.accessCode}\u2063`), 'the code is marked as a secret in the stored text');
  t.is(receipt.segments, segmentText(expected).length);
  t.true(receipt.segments! >= 2);
  await withWorker(async () => {
    await until(async () => (await texts(tk.number)).every((r) => r.state === 'sent'), 20_000, 'all sent');
    const id = (await texts(tk.number)).find((r) => r.recipient === phone)!.id;
    await until(async () => (await h.deps.db.getRepository(SmsReceipt).countBy({ outboxId: id })) === smpp.to(phone)[0]?.parts.length, 10_000, 'receipts');
  });
  const got = smpp.to(phone);
  t.is(got.length, 1);
  t.is(got[0].text, expected);
  t.deepEqual(
    got[0].parts.map((p) => [p.dataCoding, p.seq, p.total, p.text.length]),
    segmentText(expected).map((s, i, all) => [8, i + 1, all.length, s.length]),
  );
  t.true(got[0].parts.every((p) => p.text.length <= 67));
  t.regex(smpp.to(TAX_MOBILE)[0].text, new RegExp(`^${SIG}新工单${tk.number}待.+签收，请于\\d{4}年\\d{1,2}月\\d{1,2}日（周.）\\d\\d:\\d\\d前签收。http://localhost:3000/work$`));
  const after = (await texts(tk.number)).find((r) => r.recipient === phone)!;
  t.false(after.bodyText.includes(tk.accessCode), 'after sending the stored copy no longer holds the code');
  t.true(after.bodyText.includes('查询码******'));
  t.is(after.messageId, got[0].parts.map((p) => p.messageId).join(','));
  const rec = await h.deps.db.getRepository(SmsReceipt).find({ where: { outboxId: after.id }, order: { messageId: 'ASC' } });
  t.deepEqual(
    rec.map((r) => [r.messageId, r.status, r.error]),
    got[0].parts.map((p) => [p.messageId, 'DELIVRD', '000']).sort(),
  );
  // the admin's outbox view never shows the code
  const view = (await h.admin.get(`/api/v1/outbox?ticketNumber=${tk.number}`)).body.items.find((i: any) => i.recipient === phone);
  t.false(JSON.stringify(view).includes(tk.accessCode));
});

test.serial('no text to an anonymous caller; an integrity report: the reporter only hears it was received and how to track it, no handler of the accused department is texted', async (t) => {
  const anon = (
    await staff.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '定额税核定偏高', description: '营业额下降但定额未调整', anonymous: true })
  ).body;
  t.deepEqual(
    (await texts(anon.number)).map((r) => r.recipientRole),
    ['handler', 'head'],
  );
  const phone = caller();
  const r = await staff.intake.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'hotline',
    title: '检查时索要财物',
    description: '执法人员暗示需要“意思一下”',
    owner: { name: '王五', phone },
    accused: { departmentCode: 'TAX', demand: 'property', occurredOn: '2026-11-01' },
  });
  t.is(r.status, 201);
  const rows = await texts(r.body.number);
  t.deepEqual(
    rows.map((x) => [x.recipient, x.notice]),
    [[phone, 'ticket_received']],
  );
  t.is(rows[0].bodyText.replaceAll('\u2063', ''), `${SIG}您的举报已收到，编号${r.body.number}，查询码${r.body.accessCode}。凭编号和查询码查看进度：${trackUrl(r.body.number)}`);
  t.false(rows.some((x) => /税务|财物|索要/.test(x.bodyText)));
});

test.serial('a throttling gateway, then one that drops the connection: every text arrives once', async (t) => {
  const before = smpp.parts.length;
  let throttled = 0;
  let dropped = 0;
  smpp.setBehave(() => {
    if (throttled < 4) {
      throttled++;
      return 0x58;
    } // ESME_RTHROTTLED
    if (dropped < 2) {
      dropped++;
      return 'drop';
    }
    return null;
  });
  const tks = [await hotline(staff.intake, caller()), await hotline(staff.intake, caller())];
  await withWorker({ concurrency: 1 }, async () => {
    await until(
      async () => {
        const all = [...(await texts(tks[0].number)), ...(await texts(tks[1].number))];
        return all.every((r) => r.state === 'sent');
      },
      30_000,
      'all sent',
    );
  });
  smpp.setBehave(() => null);
  const rows = [...(await texts(tks[0].number)), ...(await texts(tks[1].number))];
  t.is(rows.length, 6);
  t.true(rows.some((r) => r.attempts > 1));
  for (const r of rows) {
    const phoneTexts = smpp.texts().filter((x) => x.parts.some((p) => r.messageId!.split(',').includes(p.messageId)));
    t.is(phoneTexts.length, 1, `${r.notice} to ${r.recipient}`);
  }
  // no part twice: each row's parts are exactly its segments
  const phones = new Set(rows.map((r) => r.recipient));
  const newParts = smpp.parts.slice(before).filter((p) => phones.has(p.to) && p.to !== TAX_MOBILE && p.to !== HEAD_MOBILE);
  const callerRows = rows.filter((r) => r.recipientRole === 'submitter');
  t.is(
    newParts.length,
    callerRows.reduce((n, r) => n + r.segments!, 0),
  );
  t.deepEqual(newParts.map((p) => p.messageId).sort(), callerRows.flatMap((r) => r.messageId!.split(',')).sort());
  t.is(throttled, 4);
  t.is(dropped, 2);
});

test.serial('a permanent refusal (invalid destination) marks that row failed; the others go', async (t) => {
  const bad = caller();
  smpp.setBehave((to) => (to === bad ? 0x0b : null)); // ESME_RINVDSTADR
  const tk = await hotline(staff.intake, bad);
  await withWorker(async () => {
    await until(async () => (await texts(tk.number)).every((r) => r.state !== 'pending'), 20_000, 'settled');
  });
  smpp.setBehave(() => null);
  const rows = await texts(tk.number);
  t.deepEqual(
    rows.map((r) => [r.recipient, r.state]).sort(),
    [
      [bad, 'failed'],
      [HEAD_MOBILE, 'sent'],
      [TAX_MOBILE, 'sent'],
    ].sort(),
  );
  t.regex(rows.find((r) => r.recipient === bad)!.lastError!, /ESME_RINVDSTADR/);
  t.is(smpp.to(bad).length, 0);
});

test.serial('quiet hours: a call at 22:00 Beijing is texted to the caller at 08:00 (test clock); staff texts go at once', async (t) => {
  h.clock.set(new Date('2026-11-02T22:00:00+08:00'));
  const phone = caller();
  const tk = await hotline(await relogin('intake1'), phone);
  const receipt = (await texts(tk.number)).find((r) => r.recipient === phone)!;
  t.is(receipt.notBefore!.toISOString(), new Date('2026-11-03T08:00:00+08:00').toISOString());
  await withWorker(async (w) => {
    await until(async () => (await texts(tk.number)).filter((r) => r.state === 'sent').length === 2, 20_000, 'staff texts');
    await w.requeue();
    await new Promise((r) => setTimeout(r, 500));
    t.is((await repo().findOneByOrFail({ id: receipt.id })).state, 'pending');
    t.is(smpp.to(phone).length, 0);
    h.clock.set(new Date('2026-11-03T07:59:00+08:00'));
    t.is(await w.requeue(), 0);
    h.clock.set(new Date('2026-11-03T08:00:00+08:00'));
    await until(async () => (await repo().findOneByOrFail({ id: receipt.id })).state === 'sent', 20_000, 'morning text');
  });
  t.is(smpp.to(phone).length, 1);
});

test.serial('without SMS_URL texts are written as files under the outbox folder', async (t) => {
  const w = await startMailWorker({ ...h.deps, config: { ...h.deps.config, smsUrl: undefined } }, fast);
  const phone = caller();
  try {
    h.clock.set(new Date('2026-11-03T10:00:00+08:00'));
    const tk = await hotline(await relogin('intake1'), phone);
    await until(async () => (await texts(tk.number)).every((r) => r.state === 'sent'), 20_000, 'written');
    const row = (await texts(tk.number)).find((r) => r.recipient === phone)!;
    const file = readFileSync(join(h.deps.config.outboxDir, `${row.id}.sms.txt`), 'utf8');
    const text = `${SIG}您反映的问题已受理，编号${tk.number}，查询码${tk.accessCode}。凭编号和查询码查看进度：${trackUrl(tk.number)}`;
    t.is(file, `To: ${phone}\nSegments: ${segmentText(text).length}\n\n${text}\n`);
  } finally {
    await w.close();
  }
});

test.serial('per-user channel preferences: a handler switches texts about new tickets off and keeps the mail; a head cannot switch escalation texts off', async (t) => {
  const tax = await relogin('tax1');
  const put = await tax.put('/api/v1/me/notifications', { sms: { dispatched: false } });
  t.is(put.status, 200);
  t.is(put.body.sms.dispatched, false);
  t.is(put.body.topics.dispatched, true);
  const tk = await hotline(await relogin('intake1'), caller());
  t.deepEqual((await texts(tk.number)).map((r) => r.recipientRole).sort(), ['head', 'submitter']);
  const mails = await repo().find({ where: { ticketNumber: tk.number, channel: 'email' } });
  t.true(mails.some((m) => m.recipient === 'tax1@example.test'));
  const head = await relogin('taxhead');
  const locked = await head.put('/api/v1/me/notifications', { sms: { overdue: false } });
  t.is(locked.status, 422);
  t.is(locked.body.errors[0].field, 'sms.overdue');
  t.is(locked.body.errors[0].code, 'locked');
  await tax.put('/api/v1/me/notifications', { sms: { dispatched: true } });
});

test.serial('a worker killed in the middle of a text: the next worker sends it once; the queue flushed: the sweep finds the rows', async (t) => {
  h.clock.set(new Date('2026-11-03T11:00:00+08:00'));
  const phone = caller();
  smpp.setBehave((to) => (to === phone ? 'hold' : null));
  const tk = await hotline(await relogin('intake1'), phone);
  const cfg = h.deps.config;
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'mail-child.js')], {
    env: {
      ...process.env,
      DATA_DIR: cfg.dataDir,
      JWT_SECRET: cfg.jwtSecret,
      EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: '0',
      SMS_URL: cfg.smsUrl,
      QUEUE_PREFIX: cfg.queuePrefix,
      DATABASE_URL: cfg.databaseUrl ?? '',
      REDIS_URL: cfg.redisUrl ?? '',
      TEST_CLOCK: '1',
      MAIL_CHILD_OPTS: JSON.stringify({ ...fast, concurrency: 1 }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  try {
    await until(() => smpp.heldCount >= 1 || child.exitCode !== null, 30_000, 'the child to start sending');
    t.is(child.exitCode, null, err);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    smpp.dropHeld(); // never answered: the gateway did not take it
    smpp.setBehave(() => null);
    if (cfg.redisUrl) {
      const redis = new Redis(cfg.redisUrl);
      for (const k of [...(await redis.keys(`${cfg.queuePrefix}:mail:*`)), ...(await redis.keys(`${cfg.queuePrefix}:sms:*`))]) await redis.del(k);
      redis.disconnect();
    }
    await withWorker(async () => {
      await until(async () => (await texts(tk.number)).every((r) => r.state === 'sent'), 30_000, 'all sent after the kill');
      await new Promise((r) => setTimeout(r, 600));
    });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    smpp.setBehave(() => null);
  }
  t.is(smpp.to(phone).length, 1);
  t.is((await texts(tk.number)).find((r) => r.recipient === phone)!.attempts, 2, 'the killed attempt counted, then one more');
});

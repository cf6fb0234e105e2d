import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { HangingProxy } from '../helpers/hanging-proxy';
import { startSmpp } from './smpp-server';
import { startSmtp, until } from './smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';
import { createQueueFactory } from '../../src/jobs/queue';
import { OutboxMessage } from '../../src/entities';

// A fault in one channel holds back nothing of the other (DESIGN §10; found by a fault
// tester: with mail and texts in one queue, a hung SMTP server delayed texts by 73 s on
// average). Real peers on localhost: an SMTP server (smtp-server) and an SMPP gateway (the
// `smpp` package's server), each behind a proxy that can hang (accepts TCP, never answers).
// The worker runs with its default concurrency per lane, on whichever backend the run has
// (bull on Redis with REDIS_URL, else in-process).

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let smpp: Awaited<ReturnType<typeof startSmpp>>;
const smtpFront = { proxy: null as HangingProxy | null };
const smsFront = { proxy: null as HangingProxy | null };
let staff: Awaited<ReturnType<typeof standardStaff>>;
const fast = { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250, leaseMs: 5_000, bull: { lockDurationMs: 1_000, stalledIntervalMs: 400 } };
const TAX_MOBILE = '13900001111';
const HEAD_MOBILE = '13900002222';
const MAIL_DOMAIN = 'grievance.local';

test.before(async () => {
  smtp = await startSmtp();
  smpp = await startSmpp();
  smtpFront.proxy = new HangingProxy({ port: smtp.port });
  smsFront.proxy = new HangingProxy({ port: smpp.port });
  const smtpPort = await smtpFront.proxy.open();
  const smsPort = await smsFront.proxy.open();
  h = await startHarness({
    env: {
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: `noreply@${MAIL_DOMAIN}`,
      SMS_URL: `smpp://grievance:secret@127.0.0.1:${smsPort}`,
      SMS_QUIET_HOURS: 'off',
    },
  });
  staff = await standardStaff(h);
  // the TAX handler and head give mobiles: a dispatched ticket texts both and mails both
  await h.admin.req('PATCH', `/api/v1/users/${staff.tax.id}`, { phone: TAX_MOBILE });
  await h.admin.req('PATCH', `/api/v1/users/${staff.taxHead.id}`, { phone: HEAD_MOBILE });
});
test.after.always(async () => {
  await h?.close();
  await smtpFront.proxy?.close();
  await smsFront.proxy?.close();
  await smtp?.close();
  await smpp?.close();
});

const repo = () => h.deps.db.getRepository(OutboxMessage);
let seq = 0;
/** `n` hotline complaints from callers who give a mobile and an email: each writes 3 mails (caller, TAX handler, TAX head) and 3 texts (the same people). */
async function hotlineTickets(n: number): Promise<{ numbers: string[] }> {
  const numbers: string[] = [];
  for (let i = 0; i < n; i++) {
    seq++;
    const phone = `1362000${String(seq).padStart(4, '0')}`;
    const r = await staff.intake.post('/api/v1/tickets', {
      kind: 'complaint',
      channel: 'hotline',
      category: 'tax_fees',
      title: `隔离测试${seq}`,
      description: '营业额下降但定额未调整',
      owner: { name: '李四', phone, email: `caller${seq}@example.test` },
    });
    if (r.status !== 201) throw new Error(r.text);
    numbers.push(r.body.number);
  }
  return { numbers };
}
const rowsOf = async (numbers: string[]) => (await repo().find()).filter((r) => numbers.includes(r.ticketNumber ?? ''));
const ofChannel = (rows: OutboxMessage[], c: 'email' | 'sms') => rows.filter((r) => r.channel === c);
/** enough tickets that their mails (or texts) outnumber the lane's slots: every slot is taken and some rows wait behind them */
const ticketsToFill = (slots: number) => Math.ceil(slots / 3) + 2;

/** every mail row of `rows` reached the SMTP server exactly once, under its own Message-ID, to its own address */
function mailedOnce(t: any, rows: OutboxMessage[]) {
  for (const r of rows) {
    const got = smtp.received.filter((m) => m.messageId === `<${r.id}@${MAIL_DOMAIN}>`);
    t.is(got.length, 1, `${r.notice} to ${r.recipient}`);
    t.deepEqual(got[0]?.to, [r.recipient]);
  }
}
/**
 * every text row of `rows` reached the gateway exactly once: each of its parts (the message ids
 * the gateway answered, recorded on the row) was submitted once, to the row's number, and the
 * gateway got no other part since `partsBefore` (a second send would bring new message ids).
 * Counted by part, not by putting texts together: two concurrent two-part texts to one number
 * may share the 8-bit concatenation reference, which the test server cannot tell apart.
 */
function textedOnce(t: any, rows: OutboxMessage[], partsBefore: number) {
  const parts = smpp.parts.slice(partsBefore);
  t.is(
    parts.length,
    rows.reduce((n, r) => n + (r.segments ?? 0), 0),
    'as many parts as the texts have segments',
  );
  for (const r of rows) {
    const ids = (r.messageId ?? '').split(',').filter(Boolean);
    t.is(ids.length, r.segments, `${r.notice} to ${r.recipient}: a message id per part`);
    for (const id of ids)
      t.deepEqual(
        parts.filter((p) => p.messageId === id).map((p) => p.to),
        [r.recipient],
        `${r.notice} to ${r.recipient}: part ${id} once`,
      );
  }
}

async function withWorker<T>(f: (w: MailWorker) => Promise<T>): Promise<T> {
  const w = await startMailWorker(h.deps, fast);
  try {
    return await f(w);
  } finally {
    await w.close();
  }
}

/**
 * One channel's server hangs (accepts TCP, never answers) while the other answers. The rows of
 * enough tickets to fill the hung channel's lane are written before the worker starts, so that
 * its first sweep hands them all over at once (through the sweep's routing); one more ticket is
 * written while the server still hangs (through the after-commit routing). Then the server
 * recovers.
 */
const oneChannelHangs = test.macro(async (t, hung: 'email' | 'sms') => {
  const other = hung === 'email' ? 'sms' : 'email';
  const proxy = (hung === 'email' ? smtpFront : smsFront).proxy!;
  const what = { email: 'mail', sms: 'text' };
  proxy.hang(); // for SMS: the worker's bind (opened with its first text) meets a gateway that never answers
  const mailsBefore = smtp.received.length;
  const partsBefore = smpp.parts.length;
  const reachedServer = (c: 'email' | 'sms') => (c === 'email' ? smtp.received.length - mailsBefore : smpp.parts.length - partsBefore);
  const deliveredOnce = (c: 'email' | 'sms', rows: OutboxMessage[]) => (c === 'email' ? mailedOnce(t, ofChannel(rows, 'email')) : textedOnce(t, ofChannel(rows, 'sms'), partsBefore));
  const slots = h.dialect === 'mysql' ? 16 : 4;
  const n = ticketsToFill(slots);
  const { numbers } = await hotlineTickets(n); // no worker runs yet: the rows wait
  const written = await rowsOf(numbers);
  t.is(ofChannel(written, 'email').length, 3 * n);
  t.is(ofChannel(written, 'sms').length, 3 * n);
  await withWorker(async (w) => {
    t.is(w.queueKind, process.env.REDIS_URL ? 'bull' : 'in-process');
    t.deepEqual(w.concurrency, { email: slots, sms: slots }, 'the default concurrency of each lane');

    await until(async () => ofChannel(await rowsOf(numbers), other).every((r) => r.state === 'sent'), 60_000, `every ${what[other]} sent`);
    const during = await rowsOf(numbers);
    t.is(ofChannel(during, other).filter((r) => r.state === 'sent').length, 3 * n, `every ${what[other]} sent`);
    deliveredOnce(other, during);
    const waiting = ofChannel(during, hung);
    t.true(
      waiting.every((r) => r.state === 'pending' && r.sentAt === null),
      `every ${what[hung]} still pending`,
    );
    // The other channel did not wait for a slot of the hung one to come free: no attempt of the
    // hung channel had ended yet (the first ends when the greeting or the bind times out), and
    // exactly its lane's slots were taken, each by one hung send; its other rows wait in its lane.
    t.deepEqual(
      waiting.filter((r) => r.lastError !== null).map((r) => r.lastError),
      [],
      `no ${what[hung]} attempt had ended while the ${what[other]}s went`,
    );
    t.is(waiting.filter((r) => r.attempts === 1).length, slots, `every ${what[hung]} slot held by a hung send`);
    t.is(waiting.filter((r) => r.attempts === 0).length, 3 * n - slots, `the other ${what[hung]}s wait in their lane`);
    t.true(proxy.accepted >= 1 && proxy.hungNow >= 1, 'the server took the connection and never answered');
    t.is(reachedServer(hung), 0, `no ${what[hung]} reached its server`);

    // a ticket written now: the after-commit hook routes its rows; its other-channel rows go too
    const extra = await hotlineTickets(1);
    await until(async () => ofChannel(await rowsOf(extra.numbers), other).every((r) => r.state === 'sent'), 60_000, `the new ticket's ${what[other]}s sent`);
    t.true(ofChannel(await rowsOf(extra.numbers), hung).every((r) => r.state === 'pending'));
    numbers.push(...extra.numbers);

    proxy.recover();
    await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 120_000, `every ${what[hung]} sent after the server came back`);
    await new Promise((r) => setTimeout(r, 600)); // let any duplicate job show itself
    const after = await rowsOf(numbers);
    t.is(after.length, 6 * (n + 1));
    t.true(after.every((r) => r.lastError === null && r.sentAt !== null));
    t.is(smtp.received.length - mailsBefore, 3 * (n + 1), 'as many mails as mail rows');
    deliveredOnce('email', after);
    deliveredOnce('sms', after);
  });
});

test.serial('SMTP hangs: every text is delivered while every mail waits, the mail lane full of hung sends; SMTP recovers: every mail is delivered once', oneChannelHangs, 'email');
test.serial('the SMS gateway hangs: every mail is delivered while every text waits, the text lane full; the gateway recovers: every text is delivered once', oneChannelHangs, 'sms');

const redisTest = process.env.REDIS_URL ? test.serial : test.serial.skip;

redisTest('a rolling upgrade: texts left in the old shared `mail` queue are handed to the `sms` lane and delivered once; no job is left in either queue', async (t) => {
  const cfg = h.deps.config;
  const partsBefore = smpp.parts.length;
  const mailsBefore = smtp.received.length;
  const { numbers } = await hotlineTickets(2); // no worker runs: the rows wait
  const rows = await rowsOf(numbers);
  const texts = ofChannel(rows, 'sms');
  t.is(texts.length, 6);
  // Only the old jobs can deliver the texts: the sweep does not take them before next_attempt_at.
  const later = new Date(Date.now() + 3_600_000);
  for (const r of texts) await repo().update({ id: r.id }, { nextAttemptAt: later });
  // What the previous version's producer left: every row of the tickets, mails and texts, as a
  // job of the one `mail` queue, with its options.
  const factory = createQueueFactory(cfg.redisUrl!, cfg.queuePrefix);
  try {
    const old = factory.create<{ id: string }>('mail');
    const sms = factory.create<{ id: string }>('sms');
    const completedInSms = new Set<string>();
    sms.on('global:completed', (jobId: string) => completedInSms.add(String(jobId)));
    await sms.isReady();
    await old.addBulk(rows.map((r) => ({ data: { id: r.id }, opts: { jobId: r.id, attempts: 20, backoff: { type: 'outbox' }, removeOnComplete: true, removeOnFail: true } })));
    t.is((await old.getJobCounts()).waiting, rows.length);
    await withWorker(async () => {
      await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 60_000, 'every row sent');
      await until(async () => texts.every((r) => completedInSms.has(r.id)), 20_000, 'the texts completed in the sms lane');
      await new Promise((r) => setTimeout(r, 600));
      for (const q of [old, sms]) {
        const c = await q.getJobCounts();
        t.deepEqual({ waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed }, { waiting: 0, active: 0, delayed: 0, failed: 0 }, `nothing left in ${q.name}`);
      }
    });
    textedOnce(t, ofChannel(await rowsOf(numbers), 'sms'), partsBefore);
    t.is(smtp.received.length - mailsBefore, 6);
    mailedOnce(t, ofChannel(await rowsOf(numbers), 'email'));
    t.true(
      (await rowsOf(numbers)).filter((r) => r.channel === 'sms').every((r) => r.attempts === 1),
      'each text claimed once, by the sms lane',
    );
  } finally {
    await factory.close();
  }
});

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

test.serial('SMTP hangs: every text is delivered while every mail waits, the mail lane full of hung sends; SMTP recovers: every mail is delivered once', async (t) => {
  const proxy = smtpFront.proxy!;
  proxy.hang();
  const mailsBefore = smtp.received.length;
  const partsBefore = smpp.parts.length;
  await withWorker(async (w) => {
    t.is(w.queueKind, process.env.REDIS_URL ? 'bull' : 'in-process');
    const slots = w.concurrency.email;
    t.is(slots, h.dialect === 'mysql' ? 16 : 4, 'the default mail concurrency');
    const n = ticketsToFill(slots);
    const { numbers } = await hotlineTickets(n);
    const written = await rowsOf(numbers);
    t.is(ofChannel(written, 'email').length, 3 * n);
    t.is(ofChannel(written, 'sms').length, 3 * n);

    await until(async () => ofChannel(await rowsOf(numbers), 'sms').every((r) => r.state === 'sent'), 60_000, 'every text sent');
    const during = await rowsOf(numbers);
    t.is(ofChannel(during, 'sms').filter((r) => r.state === 'sent').length, 3 * n, 'every text sent');
    textedOnce(t, ofChannel(during, 'sms'), partsBefore);
    const mails = ofChannel(during, 'email');
    t.true(
      mails.every((r) => r.state === 'pending' && r.sentAt === null),
      'every mail still pending',
    );
    // The texts did not wait for a mail slot to come free: no mail attempt had ended yet (the
    // first ends when the hung server's greeting times out), and exactly the mail lane's slots
    // were taken, each by one hung send; the other mails wait in their own lane.
    t.deepEqual(
      mails.filter((r) => r.lastError !== null).map((r) => r.lastError),
      [],
      'no mail attempt had ended while the texts went',
    );
    t.is(mails.filter((r) => r.attempts === 1).length, slots, 'every mail slot held by a hung send');
    t.is(mails.filter((r) => r.attempts === 0).length, 3 * n - slots, 'the other mails wait in the mail lane');
    t.true(proxy.accepted >= 1 && proxy.hungNow >= 1, 'the mail server hung up the sends');
    t.is(smtp.received.length, mailsBefore, 'no mail reached the server');

    proxy.recover();
    await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 120_000, 'every mail sent after SMTP came back');
    await new Promise((r) => setTimeout(r, 600)); // let any duplicate job show itself
    const after = await rowsOf(numbers);
    t.is(smtp.received.length - mailsBefore, 3 * n, 'as many mails as rows');
    mailedOnce(t, ofChannel(after, 'email'));
    t.true(ofChannel(after, 'email').every((r) => r.lastError === null && r.sentAt !== null));
    textedOnce(t, ofChannel(after, 'sms'), partsBefore);
  });
});

test.serial('the SMS gateway hangs: every mail is delivered while every text waits, the text lane full; the gateway recovers: every text is delivered once', async (t) => {
  const proxy = smsFront.proxy!;
  proxy.hang(); // the worker's next bind meets a gateway that never answers
  const mailsBefore = smtp.received.length;
  const partsBefore = smpp.parts.length;
  await withWorker(async (w) => {
    const slots = w.concurrency.sms;
    t.is(slots, h.dialect === 'mysql' ? 16 : 4, 'the default text concurrency');
    const n = ticketsToFill(slots);
    const { numbers } = await hotlineTickets(n);

    await until(async () => ofChannel(await rowsOf(numbers), 'email').every((r) => r.state === 'sent'), 60_000, 'every mail sent');
    const during = await rowsOf(numbers);
    t.is(ofChannel(during, 'email').filter((r) => r.state === 'sent').length, 3 * n, 'every mail sent');
    t.is(smtp.received.length - mailsBefore, 3 * n);
    mailedOnce(t, ofChannel(during, 'email'));
    const texts = ofChannel(during, 'sms');
    t.true(
      texts.every((r) => r.state === 'pending' && r.sentAt === null),
      'every text still pending',
    );
    t.deepEqual(
      texts.filter((r) => r.lastError !== null).map((r) => r.lastError),
      [],
      'no text attempt had ended while the mails went',
    );
    t.is(texts.filter((r) => r.attempts === 1).length, slots, 'every text slot held by a send waiting for the bind');
    t.is(texts.filter((r) => r.attempts === 0).length, 3 * n - slots, 'the other texts wait in the text lane');
    t.true(proxy.accepted >= 1, 'the gateway took the bind and never answered');
    t.is(smpp.parts.length, partsBefore, 'no text reached the gateway');

    proxy.recover();
    await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 120_000, 'every text sent after the gateway came back');
    await new Promise((r) => setTimeout(r, 600));
    const after = await rowsOf(numbers);
    textedOnce(t, ofChannel(after, 'sms'), partsBefore);
    t.true(ofChannel(after, 'sms').every((r) => r.lastError === null && r.sentAt !== null));
    t.is(smtp.received.length - mailsBefore, 3 * n, 'no mail sent twice');
  });
});

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

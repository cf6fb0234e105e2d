import test from 'ava';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startHarness, Harness, TEST_CHAIN_KEYS } from '../helpers/harness';
import { startMailWorker } from '../../src/notifications/mail-worker';
import { startSmtp, until } from './smtp';
import { startSmpp } from './smpp-server';
import { deliverOutboxRow, DeliveryDeps, RetryLater } from '../../src/notifications/delivery';
import { createMailTransport } from '../../src/mail/transport';
import { createSmsTransport } from '../../src/sms/transport';
import { OutboxMessage } from '../../src/entities';
import { createLogger } from '../../src/logger';

// A delivery that takes longer than its lease (a slow server, a wait for a pooled connection,
// an event loop slowed by load) while a second worker tries the same row: the row reaches its
// recipient once (docs/decisions/notifications.md, "The lease while a send is in flight").
// Real SMTP and SMPP servers on localhost that answer late; the time is the wall clock, with
// a short lease, so nothing here depends on the machine being slow.

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let smpp: Awaited<ReturnType<typeof startSmpp>>;
const LEASE = 1_000;
const SLOW = 2.5 * LEASE;

test.before(async () => {
  smtp = await startSmtp();
  smpp = await startSmpp();
  h = await startHarness({ env: { SMTP_URL: smtp.url, SMS_URL: smpp.url } });
});
test.after.always(async () => {
  await h?.close();
  await smtp?.close();
  await smpp?.close();
});
test.afterEach.always(() => {
  smtp.setDelay(() => ({}));
  smpp.setBehave(() => null);
  smpp.release();
});

const repo = () => h.deps.db.getRepository(OutboxMessage);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pending row written directly (no worker runs in this file but the ones below). */
async function row(o: { channel?: 'email' | 'sms'; to?: string } = {}): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await repo().insert({
    id,
    dedupeKey: id.replace(/-/g, ''),
    sourceKey: `test:${id}`,
    notice: 'ticket_received',
    channel: o.channel ?? 'email',
    ticketId: null,
    ticketNumber: null,
    sensitive: false,
    recipient: o.to ?? (o.channel === 'sms' ? '13800000001' : `lease-${id.slice(0, 8)}@example.test`),
    recipientUserId: null,
    recipientRole: 'submitter',
    subject: o.channel === 'sms' ? '' : '租约测试',
    bodyText: o.channel === 'sms' ? '【涪陵区市场监管局】租约测试短信' : '正文',
    bodyHtml: o.channel === 'sms' ? '' : '<p>正文</p>',
    state: 'pending',
    attempts: 0,
    lastError: null,
    messageId: null,
    nextAttemptAt: now,
    notBefore: null,
    segments: null,
    claimedUntil: null,
    claimToken: null,
    sentAt: null,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

/** One worker: its own SMTP pool and SMPP bind, the lease of this file (or `leaseMs`); `ahead` shifts its wall clock (read at each use). */
function worker(o: { ahead?: number | (() => number); maxConnections?: number; leaseMs?: number } = {}) {
  const cfg = { smtpUrl: smtp.url, smsUrl: smpp.url, outboxDir: h.deps.config.outboxDir };
  const d: DeliveryDeps = {
    db: h.deps.db,
    transport: createMailTransport(cfg, { maxConnections: o.maxConnections ?? 1 }),
    sms: createSmsTransport(cfg),
    from: 'grievance@grievance.local',
    log: createLogger((process.env.LEASE_LOG as never) ?? 'silent'),
    leaseMs: o.leaseMs ?? LEASE,
    backoff: () => 50,
    wallNow: () => new Date(Date.now() + (typeof o.ahead === 'function' ? o.ahead() : (o.ahead ?? 0))),
  };
  return {
    d,
    async close() {
      d.transport.close();
      await d.sms!.close();
    },
  };
}

const mailsOf = (id: string) => smtp.received.filter((m) => m.messageId === `<${id}@grievance.local>`).length;
const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => v,
    (e) => (e instanceof RetryLater ? 'retry-later' : e),
  );

test.serial('the server answers the message after 2.5 leases: a second worker trying the row meanwhile sends nothing; one mail', async (t) => {
  const id = await row();
  smtp.setDelay(() => ({ dataMs: SLOW }));
  const [a, b] = [worker(), worker()];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await sleep(1.5 * LEASE); // a's message is at the server, its answer pending; a's claim would have run out
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'retry-later', 'the row is still claimed: the second worker waits');
    t.is(await first, 'sent');
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'skipped');
    t.is(mailsOf(id), 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 1, claimToken: null, claimedUntil: null });
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('the server answers RCPT TO after 2.5 leases (the message has not gone yet): the second worker waits; one mail', async (t) => {
  const id = await row();
  smtp.setDelay(() => ({ rcptMs: SLOW }));
  const [a, b] = [worker(), worker()];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await sleep(1.5 * LEASE);
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'retry-later');
    t.is(await first, 'sent');
    t.is(mailsOf(id), 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 1 });
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('waiting for a pooled connection counts too: the second row waits behind a slow first one for longer than its lease; each mail once', async (t) => {
  const [slow, queued] = [await row({ to: 'slow@example.test' }), await row({ to: 'queued@example.test' })];
  smtp.setDelay((rcpt) => (rcpt === 'slow@example.test' ? { dataMs: SLOW } : {}));
  const [a, b] = [worker({ maxConnections: 1 }), worker()];
  try {
    const first = outcome(deliverOutboxRow(a.d, slow));
    await sleep(100);
    const second = outcome(deliverOutboxRow(a.d, queued)); // claimed now, then waits for a's one connection
    await sleep(1.5 * LEASE);
    t.is(await outcome(deliverOutboxRow(b.d, queued)), 'retry-later');
    t.deepEqual(await Promise.all([first, second]), ['sent', 'sent']);
    t.deepEqual([mailsOf(slow), mailsOf(queued)], [1, 1]);
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('a delivery whose claim another worker took over before the message went out sends nothing: the other one sends it, once', async (t) => {
  const id = await row();
  // the first RCPT TO (a's) is answered late; b's clock runs ahead of a's by more than a lease,
  // so b sees a's claim expired while a is still in the envelope (a stands for a worker whose
  // heartbeat could not keep up)
  let rcpts = 0;
  smtp.setDelay(() => (++rcpts === 1 ? { rcptMs: 2 * LEASE } : {}));
  const [a, b] = [worker(), worker({ ahead: 3 * LEASE })];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await until(() => rcpts >= 1, 5_000, "a's RCPT TO");
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'sent', 'b took the row over and sent it');
    t.is(await first, 'retry-later', 'a stops before DATA: its claim no longer holds');
    await sleep(LEASE);
    t.is(mailsOf(id), 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 2, claimToken: null });
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('the check right before DATA: a claim that ran out while the envelope was on its way, taken over by another worker meanwhile, stops the message there', async (t) => {
  const id = await row();
  // a lease of a minute (no heartbeat within the test); both clocks jump past it once a is in
  // the envelope (a stands for a worker whose process stood still), so b may take the row over
  const long = 60_000;
  let jump = 0;
  let rcpts = 0;
  smtp.setDelay(() => (++rcpts === 1 ? { rcptMs: 500 } : {}));
  const [a, b] = [worker({ ahead: () => jump, leaseMs: long }), worker({ ahead: () => jump, leaseMs: long })];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await until(() => rcpts >= 1, 5_000, "a's RCPT TO");
    jump = long + 1;
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'sent', 'b took the row over and sent it');
    t.is(await first, 'retry-later', "a's check before DATA found the claim gone");
    await sleep(300);
    t.is(mailsOf(id), 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 2 });
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('the check right before DATA: a claim that ran out while the envelope was on its way, still free, is renewed there and the message goes; one mail', async (t) => {
  const id = await row();
  const long = 60_000;
  let jump = 0;
  let rcpts = 0;
  smtp.setDelay(() => (++rcpts === 1 ? { rcptMs: 500 } : {}));
  const a = worker({ ahead: () => jump, leaseMs: long });
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await until(() => rcpts >= 1, 5_000, "a's RCPT TO");
    jump = long + 1;
    // the claim ran out on a's clock: the check renews it (it would stop the message if that failed)
    t.is(await first, 'sent');
    t.is(mailsOf(id), 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 1 });
  } finally {
    await a.close();
  }
});

test.serial('the check right before DATA comes after the envelope; when it fails the server gets nothing, and the pooled connection carries the next message', async (t) => {
  const transport = createMailTransport({ smtpUrl: smtp.url, outboxDir: h.deps.config.outboxDir }, { maxConnections: 1 });
  const mail = (n: number) => ({ from: 'grievance@grievance.local', to: `gate${n}@example.test`, subject: `s${n}`, text: 't', html: '<p>t</p>', messageId: `<gate-${n}@grievance.local>` });
  try {
    let seen: string[] = [];
    const refused = await transport
      .send(mail(1), 'gate-1', {
        beforeData: async () => {
          seen = [...smtp.rcptAttempts];
          throw new Error('claim lost');
        },
      })
      .then(
        () => 'sent',
        (e: Error) => e.message,
      );
    t.regex(refused, /claim lost/);
    t.true(seen.includes('gate1@example.test'), 'RCPT TO was answered before the check');
    const ok = await transport.send(mail(2), 'gate-2', { beforeData: async () => undefined });
    t.is(ok.messageId, '<gate-2@grievance.local>');
    await sleep(200);
    t.deepEqual(
      smtp.received.filter((m) => m.messageId.startsWith('<gate-')).map((m) => m.messageId),
      ['<gate-2@grievance.local>'],
    );
  } finally {
    transport.close();
  }
});

test.serial("the admin's retry of a row being delivered leaves its claim: the second worker still waits; one mail", async (t) => {
  const id = await row();
  smtp.setDelay(() => ({ dataMs: SLOW }));
  const [a, b] = [worker(), worker()];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await sleep(LEASE / 2);
    const r = await h.admin.post(`/api/v1/outbox/${id}/retry`, {});
    t.is(r.status, 200, r.text);
    t.is(await outcome(deliverOutboxRow(b.d, id)), 'retry-later');
    t.is(await first, 'sent');
    t.is(mailsOf(id), 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial(
  'a worker process that stands still for three leases while its RCPT TO is answered (SIGSTOP: a machine under load): the next worker sends the row; resumed, the first sends nothing',
  async (t) => {
    const id = await row({ to: 'stopped@example.test' });
    let rcpts = 0;
    smtp.setDelay((rcpt) => (rcpt === 'stopped@example.test' && ++rcpts === 1 ? { rcptMs: 4 * LEASE } : {}));
    const cfg = h.deps.config;
    const fast = { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250, leaseMs: LEASE, bull: { lockDurationMs: LEASE, stalledIntervalMs: 400 } };
    const child = spawn(process.execPath, [join(__dirname, 'mail-child.js')], {
      env: {
        ...process.env,
        DATA_DIR: cfg.dataDir,
        JWT_SECRET: cfg.jwtSecret,
        EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
        LOG_LEVEL: 'silent',
        MIGRATE_ON_START: '0',
        SMTP_URL: cfg.smtpUrl,
        QUEUE_PREFIX: cfg.queuePrefix,
        DATABASE_URL: cfg.databaseUrl ?? '',
        REDIS_URL: cfg.redisUrl ?? '',
        MAIL_CHILD_OPTS: JSON.stringify({ ...fast, concurrency: 1 }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    try {
      await until(() => rcpts >= 1 || child.exitCode !== null, 30_000, 'the child to reach RCPT TO');
      t.is(child.exitCode, null, err);
      child.kill('SIGSTOP');
      const w = await startMailWorker(h.deps, fast); // bull finds the child's job stalled; without Redis the sweep finds the expired claim
      try {
        await until(async () => (await repo().findOneByOrFail({ id })).state === 'sent', 20_000, 'sent by the next worker');
      } finally {
        await w.close();
      }
      child.kill('SIGCONT');
      await sleep(4 * LEASE); // the child's RCPT TO is answered; on main it then sent the mail again
      t.is(mailsOf(id), 1);
      t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 2 });
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  },
);

test.serial('a text whose gateway answers after 2.5 leases: a second worker trying it meanwhile sends nothing; one text', async (t) => {
  const id = await row({ channel: 'sms', to: '13800000007' });
  smpp.setBehave((to) => (to === '13800000007' && smpp.heldCount === 0 && !smpp.to('13800000007').length ? 'hold' : null));
  const [a, b] = [worker(), worker()];
  try {
    const first = outcome(deliverOutboxRow(a.d, id));
    await until(() => smpp.heldCount === 1, 5_000, 'the held submit');
    await sleep(1.5 * LEASE);
    const second = await outcome(deliverOutboxRow(b.d, id));
    smpp.release();
    t.is(second, 'retry-later');
    t.is(await first, 'sent');
    await sleep(200);
    t.is(smpp.to('13800000007').length, 1);
    t.like(await repo().findOneByOrFail({ id }), { state: 'sent', attempts: 1, segments: 1 });
  } finally {
    await a.close();
    await b.close();
  }
});

import test from 'ava';
import { spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startHarness, standardStaff, Harness, TEST_CHAIN_KEYS } from '../helpers/harness';
import { startSmtp, until } from './smtp';
import { startMailWorker } from '../../src/notifications/mail-worker';
import { deliverOutboxRow, cappedBackoff, RetryLater } from '../../src/notifications/delivery';
import { createMailTransport } from '../../src/mail/transport';
import { OutboxMessage } from '../../src/entities';
import { createLogger } from '../../src/logger';

// Fault tests (issue 4): a mail server refusing for a while, a permanent refusal, jobs
// delivered twice, a worker killed mid-delivery, the queue's Redis flushed. In every case
// each outbox row reaches its recipient exactly once, or is marked failed for a 5xx.

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
const fast = { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250, leaseMs: 1_500, bull: { lockDurationMs: 1_000, stalledIntervalMs: 400 } };

test.before(async () => {
  smtp = await startSmtp();
  h = await startHarness({ env: { SMTP_URL: smtp.url } });
  await standardStaff(h); // the handlers and heads who receive the mail
});
test.after.always(async () => {
  await h?.close();
  await smtp?.close();
});

const repo = () => h.deps.db.getRepository(OutboxMessage);
let seq = 0;
/** Files `n` routed complaints as a new owner each (3 mails each: owner, tax1, taxhead); returns their numbers. */
async function complaints(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    seq++;
    const owner = await h.owner(`1370000${String(seq).padStart(4, '0')}`, { email: `o${seq}@example.test` });
    const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: `故障测试${seq}`, description: 'd' });
    if (r.status !== 201) throw new Error(r.text);
    out.push(r.body.number);
  }
  return out;
}
const rowsOf = async (numbers: string[]) => (await repo().find()).filter((r) => numbers.includes(r.ticketNumber ?? ''));
/** Every row of these tickets was received exactly once, under its own Message-ID. */
function exactlyOnce(t: any, rows: OutboxMessage[]) {
  for (const r of rows) {
    const got = smtp.received.filter((m) => m.messageId === `<${r.id}@grievance.local>`);
    t.is(got.length, 1, `${r.notice} to ${r.recipient}`);
    t.deepEqual(got[0]?.to, [r.recipient]);
  }
}

test.serial('the server refuses with 451 for a while, then accepts: every message arrives exactly once', async (t) => {
  smtp.setRefuse(() => 451);
  const w = await startMailWorker(h.deps, fast);
  try {
    const numbers = await complaints(3);
    await until(async () => (await rowsOf(numbers)).every((r) => r.attempts >= 3), 20_000, 'three refused attempts each');
    const pending = await rowsOf(numbers);
    t.is(pending.length, 9);
    t.true(
      pending.every((r) => r.state === 'pending' && /451/.test(r.lastError ?? '')),
      'a temporary refusal is never final',
    );
    t.is(smtp.received.length, 0);
    smtp.setRefuse(() => null);
    await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 20_000, 'all sent');
    await new Promise((r) => setTimeout(r, 600)); // let any duplicate job show itself
    const sent = await rowsOf(numbers);
    exactlyOnce(t, sent);
    t.is(smtp.received.length, 9);
    t.true(sent.every((r) => r.lastError === null && r.sentAt !== null && r.messageId === `<${r.id}@grievance.local>`));
  } finally {
    await w.close();
  }
});

test.serial('a permanent 550 for one address fails that row only; the admin sees it', async (t) => {
  smtp.setRefuse((a) => (a === 'taxhead@example.test' ? 550 : null));
  const before = smtp.received.length;
  const w = await startMailWorker(h.deps, fast);
  try {
    const [number] = await complaints(1);
    await until(async () => (await rowsOf([number])).every((r) => r.state !== 'pending'), 20_000, 'settled');
    const rows = await rowsOf([number]);
    t.deepEqual(rows.map((r) => [r.recipient, r.state, r.attempts]).sort(), [
      [`o${seq}@example.test`, 'sent', 1],
      ['tax1@example.test', 'sent', 1],
      ['taxhead@example.test', 'failed', 1],
    ]);
    t.is(smtp.received.length - before, 2);
    const failed = (await h.admin.get('/api/v1/outbox?state=failed')).body.items;
    t.is(failed.length, 1);
    t.like(failed[0], { recipient: 'taxhead@example.test', state: 'failed', attempts: 1, ticketNumber: number });
    t.regex(failed[0].lastError, /^550/);
  } finally {
    smtp.setRefuse(() => null);
    await w.close();
  }
});

test.serial('the same row delivered by five jobs at once, and queued again and again, is one email', async (t) => {
  const [number] = await complaints(1); // no worker runs: the rows wait
  const rows = await rowsOf([number]);
  t.true(rows.every((r) => r.state === 'pending' && r.attempts === 0));
  const before = smtp.received.length;
  const d = {
    db: h.deps.db,
    transport: createMailTransport(h.deps.config),
    from: h.deps.config.mailFrom,
    log: createLogger('silent'),
    leaseMs: 5_000,
    backoff: cappedBackoff(50, 300),
    wallNow: () => new Date(),
  };
  const results = await Promise.allSettled(rows.flatMap((r) => Array.from({ length: 5 }, () => deliverOutboxRow(d, r.id))));
  d.transport.close();
  t.is(results.filter((x) => x.status === 'fulfilled' && x.value === 'sent').length, 3);
  t.true(results.every((x) => (x.status === 'fulfilled' && ['sent', 'skipped'].includes(x.value)) || (x.status === 'rejected' && x.reason instanceof RetryLater)));
  const w = await startMailWorker(h.deps, fast);
  await w.requeue();
  await w.requeue();
  await new Promise((r) => setTimeout(r, 600));
  await w.close();
  t.is(smtp.received.length - before, 3);
  exactlyOnce(t, await rowsOf([number]));
  t.true((await rowsOf([number])).every((r) => r.attempts === 1));
});

test.serial('a worker killed in the middle of a delivery: the row is delivered once by the next worker', async (t) => {
  const [number] = await complaints(1);
  const cfg = h.deps.config;
  smtp.holdData(true);
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'mail-child.js')], {
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
    await until(() => smtp.heldCount >= 1 || child.exitCode !== null, 30_000, 'the child to start sending');
    t.is(child.exitCode, null, err);
    const inFlight = (await rowsOf([number])).filter((r) => r.claimedUntil !== null);
    t.is(inFlight.length, 1, 'one row claimed by the child');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    smtp.dropHeld();
    smtp.holdData(false);
    const w = await startMailWorker(h.deps, fast);
    try {
      await until(async () => (await rowsOf([number])).every((r) => r.state === 'sent'), 30_000, 'all sent after the kill');
      await new Promise((r) => setTimeout(r, 600));
    } finally {
      await w.close();
    }
    const rows = await rowsOf([number]);
    exactlyOnce(t, rows);
    t.is(rows.find((r) => r.id === inFlight[0].id)!.attempts, 2, 'the killed attempt counted, then one more');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    smtp.holdData(false);
  }
});

test.serial('the queue loses its jobs (Redis flushed, or the in-process queue gone with its process): the sweep finds the pending rows', async (t) => {
  const redisUrl = h.deps.config.redisUrl;
  if (redisUrl) {
    // API-only process: rows committed go to Redis as jobs, nobody consumes them.
    const producer = await startMailWorker(h.deps, { ...fast, consume: false });
    const numbers = await complaints(2);
    const redis = new Redis(redisUrl);
    try {
      const prefix = h.deps.config.queuePrefix;
      const keys = async () => {
        const out: string[] = [];
        for (const pattern of [`${prefix}:mail:*`, `${prefix}:sms:*`]) {
          let c = '0';
          do {
            const [n, k] = await redis.scan(c, 'MATCH', pattern, 'COUNT', 1000);
            c = n;
            out.push(...k);
          } while (c !== '0');
        }
        return out;
      };
      // every pending row is a job of its channel's lane under its own id: these tickets'
      // mails in `mail`; the texts of the owners' registration codes in `sms` (nobody consumes them)
      const rows = (await repo().find()).filter((r) => r.state === 'pending');
      t.is(rows.filter((r) => numbers.includes(r.ticketNumber ?? '')).length, (await rowsOf(numbers)).length, 'every row of the tickets is pending');
      const waiting = async (lane: string) => (await redis.lrange(`${prefix}:${lane}:wait`, 0, -1)).sort();
      await until(async () => (await waiting('mail')).length + (await waiting('sms')).length >= rows.length, 10_000, 'every row waiting as a job');
      const ids = (channel: string) =>
        rows
          .filter((r) => r.channel === channel)
          .map((r) => r.id)
          .sort();
      t.true(ids('email').length > 0 && ids('sms').length > 0, 'mails and texts pending');
      t.deepEqual(await waiting('mail'), ids('email'), 'job id = row id, mail in its lane');
      t.deepEqual(await waiting('sms'), ids('sms'), 'job id = row id, texts in theirs');
      await producer.close();
      const k = await keys();
      if (k.length) await redis.del(...k);
      t.deepEqual(await keys(), []);
    } finally {
      redis.disconnect();
    }
    const before = smtp.received.length;
    const w = await startMailWorker(h.deps, fast);
    try {
      await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 20_000, 'all sent after the flush');
      await new Promise((r) => setTimeout(r, 600));
    } finally {
      await w.close();
    }
    t.is(smtp.received.length - before, 6);
    exactlyOnce(t, await rowsOf(numbers));
  } else {
    smtp.setRefuse(() => 421);
    const w1 = await startMailWorker(h.deps, fast);
    const numbers = await complaints(2);
    await until(async () => (await rowsOf(numbers)).every((r) => r.attempts >= 1), 20_000, 'first attempts');
    await w1.close(); // its timers (the in-process queue) are gone
    smtp.setRefuse(() => null);
    const before = smtp.received.length;
    const w2 = await startMailWorker(h.deps, fast);
    try {
      await until(async () => (await rowsOf(numbers)).every((r) => r.state === 'sent'), 20_000, 'all sent by the next worker');
      await new Promise((r) => setTimeout(r, 600));
    } finally {
      await w2.close();
    }
    t.is(smtp.received.length - before, 6);
    exactlyOnce(t, await rowsOf(numbers));
  }
});

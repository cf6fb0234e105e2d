import test from 'ava';
import { boot } from '../../src/boot';
import { createLogger } from '../../src/logger';
import { startMailWorker } from '../../src/notifications/mail-worker';
import { OutboxMessage } from '../../src/entities';
import { startHarness, standardStaff, Harness, TEST_CHAIN_KEYS } from '../helpers/harness';
import { CuttableProxy } from '../helpers/cuttable-proxy';
import { freePort } from '../helpers/service-process';
import { startSmtp, until } from './smtp';
import { startSmpp } from './smpp-server';

// issue 13 item 16: the mail server (or the SMS gateway) has accepted a message and the
// database is unreachable when the row is to be marked sent. The worker keeps retrying the
// mark, never the send: after the outage every message was received exactly once. The
// worker reaches MariaDB through a TCP proxy that the test cuts (the machine's MariaDB is
// shared); only meaningful on MariaDB (the embedded SQLite file cannot go away).
const mariaTest = process.env.DATABASE_URL ? test.serial : test.serial.skip;

let h: Harness | undefined;
let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
let smpp: Awaited<ReturnType<typeof startSmpp>> | undefined;
let proxy: CuttableProxy | undefined;
test.after.always(async () => {
  await proxy?.cut();
  await h?.close();
  await smtp?.close();
  await smpp?.close();
});

mariaTest('the database goes away after SMTP and the SMS gateway accepted: the marks are retried until it is back, nothing is sent twice', async (t) => {
  smtp = await startSmtp();
  smpp = await startSmpp();
  h = await startHarness({ env: { SMTP_URL: smtp.url, SMS_URL: smpp.url } });
  const staff = await standardStaff(h);
  const real = new URL(h.deps.config.databaseUrl!);
  proxy = new CuttableProxy(await freePort(), { host: real.hostname, port: Number(real.port || 3306) });
  await proxy.open();
  const viaProxy = new URL(real.toString());
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const cfg = h.deps.config;
  const wdeps = await boot(
    {
      DATA_DIR: cfg.dataDir,
      JWT_SECRET: cfg.jwtSecret,
      EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: '0',
      DATABASE_URL: viaProxy.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
      SMTP_URL: cfg.smtpUrl,
      SMS_URL: cfg.smsUrl,
      QUEUE_PREFIX: cfg.queuePrefix,
      REDIS_URL: cfg.redisUrl ?? '',
    },
    { log: createLogger('silent') },
  );

  smtp.holdData(true);
  let first = true;
  smpp.setBehave(() => {
    if (first) {
      first = false;
      return 'hold';
    }
    return null;
  });
  const r = await staff.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税核定偏高',
    description: 'd',
    owner: { name: '李四', phone: '13655550001', email: 'caller@example.test' },
  });
  t.is(r.status, 201);
  const repo = h.deps.db.getRepository(OutboxMessage);
  const rows = await repo.find({ where: { ticketNumber: r.body.number } });
  t.deepEqual(rows.map((x) => `${x.channel}:${x.recipient}`).sort(), ['email:caller@example.test', 'email:tax1@example.test', 'email:taxhead@example.test', 'sms:13655550001']);

  const lease = 1_500;
  const w = await startMailWorker(wdeps, { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250, leaseMs: lease, bull: { lockDurationMs: 1_000, stalledIntervalMs: 400 } });
  try {
    await until(() => smtp!.heldCount === 3 && smpp!.heldCount === 1, 20_000, "every message in the servers' hands");
    await proxy.cut(); // the database goes away while the servers hold the messages
    smtp.holdData(false);
    smtp.releaseHeld();
    smpp.release();
    await until(() => smtp!.received.length === 3 && smpp!.to('13655550001').length === 1, 20_000, 'accepted by both servers');
    await new Promise((res) => setTimeout(res, 3 * lease)); // well past the lease: the old code gave up and sent again
    t.true(
      (await repo.find({ where: { ticketNumber: r.body.number } })).every((x) => x.state === 'pending'),
      'nothing could be marked while the database was away',
    );
    await proxy.open();
    await until(async () => (await repo.find({ where: { ticketNumber: r.body.number } })).every((x) => x.state === 'sent'), 30_000, 'all marked sent');
    await new Promise((res) => setTimeout(res, 1_000)); // let any second send show itself
  } finally {
    await w.close();
    await wdeps.db.destroy();
  }
  const after = await repo.find({ where: { ticketNumber: r.body.number } });
  t.true(
    after.every((x) => x.attempts === 1 && x.lastError === null),
    'one attempt each',
  );
  t.deepEqual(smtp.received.map((m) => m.to[0]).sort(), ['caller@example.test', 'tax1@example.test', 'taxhead@example.test']);
  t.is(smpp.texts().length, 1);
  t.is(smpp.parts.length, after.find((x) => x.channel === 'sms')!.segments!);
});

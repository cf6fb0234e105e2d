/**
 * `npm run bench:sms` (issue 11, "Performance"): texts per second through one worker to a
 * local SMPP server, with segments counted. A fresh embedded database (or `DATABASE_URL`,
 * whose name must start with "bench"), N pending text rows (a third fit one message, a third
 * take two parts, a third three), one mail worker (`startMailWorker`, default concurrency 4,
 * in-process queue unless `REDIS_URL`), the `smpp` package's server on localhost accepting
 * every part and sending a delivery receipt for each. Prints texts/s and parts/s; asserts nothing.
 *
 * Options: BENCH_TEXTS / --texts (3000), BENCH_CONCURRENCY / --concurrency (4).
 */
import 'reflect-metadata';
import { randomUUID, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import smpp from 'smpp';
import type { Session } from 'smpp';
import { boot } from '../src/boot';
import { createLogger } from '../src/logger';
import { startMailWorker } from '../src/notifications/mail-worker';
import { OutboxMessage } from '../src/entities';
import { segmentText } from '../src/sms/text';
import { option } from './bench-common';

async function main() {
  const n = option('texts', 'BENCH_TEXTS', 3000);
  const concurrency = option('concurrency', 'BENCH_CONCURRENCY', 4);
  let parts = 0;
  let id = 0;
  const server = smpp.createServer((s: Session) => {
    s.on('error', () => undefined);
    s.on('bind_transceiver', (pdu: any) => s.send(pdu.response()));
    s.on('enquire_link', (pdu: any) => s.send(pdu.response()));
    s.on('unbind', (pdu: any) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('submit_sm', (pdu: any) => {
      parts++;
      const messageId = `b${++id}`;
      s.send(pdu.response({ message_id: messageId }));
      s.deliver_sm({ esm_class: 0x04, short_message: `id:${messageId} sub:001 dlvrd:001 submit date:2611020900 done date:2611020900 stat:DELIVRD err:000 text:` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'bench-sms-'));
  if (process.env.DATABASE_URL && !/\/bench[^/]*$/.test(new URL(process.env.DATABASE_URL).pathname)) throw new Error('DATABASE_URL must name a database starting with "bench"');
  const deps = await boot(
    {
      ...process.env,
      DATA_DIR: dir,
      JWT_SECRET: 'bench-secret-bench-secret-bench',
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: '1',
      BOOTSTRAP_ADMIN_PASSWORD: 'Bench-Admin-Pw-1!',
      SMS_URL: `smpp://bench:pw@127.0.0.1:${port}`,
    },
    { log: createLogger('silent') },
  );
  const texts = [
    '【涪陵区市场监管局】工单FL2026000001需要您补充情况，请在5个工作日内补充。',
    '【涪陵区市场监管局】您反映的问题已受理，编号FL2026000001，查询码ABCDEFGHJK。凭编号和查询码查看进度：https://12345.example/track?number=FL2026000001',
    `【涪陵区市场监管局】工单FL2026000001已答复：${'答复内容'.repeat(20)}。请查看并评价：https://12345.example/track?number=FL2026000001`,
  ];
  const now = new Date();
  const rows = Array.from({ length: n }, (_, i) => {
    const text = texts[i % 3];
    return {
      id: randomUUID(),
      dedupeKey: createHash('sha256').update(`bench:${i}`).digest('hex'),
      sourceKey: `bench:${i}`,
      notice: 'ticket_received',
      channel: 'sms' as const,
      ticketId: null,
      ticketNumber: null,
      sensitive: false,
      recipient: `136${String(i).padStart(8, '0')}`,
      recipientUserId: null,
      recipientRole: 'submitter',
      subject: '',
      bodyText: text,
      bodyHtml: '',
      state: 'pending' as const,
      attempts: 0,
      lastError: null,
      messageId: null,
      nextAttemptAt: now,
      notBefore: null,
      segments: segmentText(text).length,
      claimedUntil: null,
      sentAt: null,
      createdAt: now,
      updatedAt: now,
    };
  });
  const expectedParts = rows.reduce((s, r) => s + r.segments, 0);
  const repo = deps.db.getRepository(OutboxMessage);
  for (let i = 0; i < rows.length; i += 200) await repo.insert(rows.slice(i, i + 200) as never);
  const started = Date.now();
  const w = await startMailWorker(deps, { concurrency, sweepIntervalMs: false });
  while ((await repo.countBy({ state: 'sent' })) < n) await new Promise((r) => setTimeout(r, 100));
  const seconds = (Date.now() - started) / 1000;
  await w.close();
  console.log(
    JSON.stringify({
      database: deps.config.embedded ? 'sqlite (embedded)' : 'mariadb',
      queue: w.queueKind,
      concurrency,
      texts: n,
      parts,
      expectedParts,
      seconds: Number(seconds.toFixed(2)),
      textsPerSecond: Math.round(n / seconds),
      partsPerSecond: Math.round(parts / seconds),
    }),
  );
  await deps.db.destroy();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});

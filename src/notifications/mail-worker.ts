import type { DataSource } from 'typeorm';
import { OutboxMessage, SmsReceipt } from '../entities';
import { createSmsTransport, SmsTransport } from '../sms/transport';
import { isDuplicateKey, isMysql } from '../db';
import type { Clock } from '../clock';
import type { AppDeps } from '../deps';
import { createQueueFactory, QueueFactory } from '../jobs/queue';
import { coalesce } from '../jobs/coalesce';
import { createMailTransport, MailTransport } from '../mail/transport';
import { cappedBackoff, deliverOutboxRow, DeliveryDeps } from './delivery';
import { bullMailQueue, inProcessMailQueue, MailQueue } from './mail-queue';
import { attachOutboxSink, configureNotifications, detachOutboxSink, OutboxSink } from './outbox-hook';

export interface MailWorkerOptions {
  /** the runner's queue factory (shared Redis connections); without it one is made when `REDIS_URL` is set */
  factory?: QueueFactory;
  /** false: only hand committed rows to the queue (an API process); the workers deliver. Default true */
  consume?: boolean;
  /** deliveries at the same time in this process (default 16 on MariaDB/MySQL, 4 on SQLite; SMTP connections at most 4) */
  concurrency?: number;
  /** first retry delay, ms (default 1,000) */
  backoffBaseMs?: number;
  /** longest retry delay, ms (default 60,000: DESIGN §10) */
  backoffCapMs?: number;
  /** a claimed row is protected this long, ms, renewed every third of it while its send and mark run (default 120,000: four SMTP socket timeouts) */
  leaseMs?: number;
  /** a send still running after this long is aborted and retried, ms (default 600,000) */
  maxSendMs?: number;
  /** how often pending rows are handed to the queue again, ms (default SWEEP_INTERVAL_MS); `false`: the clock's sweep calls `requeuePendingMail` */
  sweepIntervalMs?: number | false;
  /** for tests: bull's lock duration and stalled-job check */
  bull?: { lockDurationMs?: number; stalledIntervalMs?: number };
  /** another transport (tests); default from the configuration */
  transport?: MailTransport;
  /** another SMS transport (tests); default from the configuration (`SMS_URL`, else files) */
  smsTransport?: SmsTransport;
}

export interface MailWorker {
  readonly queueKind: 'bull' | 'in-process' | 'none';
  /** hands every due pending row (and held reports the configured address can now take) to the queue; returns how many */
  requeue(): Promise<number>;
  close(): Promise<void>;
}

const workers = new WeakMap<DataSource, MailWorker>();

/**
 * Starts mail delivery for `deps.db` (DESIGN §10): rows committed from now on are queued
 * right after their commit (`outbox-hook.ts`); every due `pending` row is queued at start
 * and on every sweep, so rows whose job was lost (flushed Redis, a crash between commit
 * and enqueue, a worker killed mid-delivery, a job that ran out of retries) are delivered
 * anyway. Bull on Redis when `REDIS_URL` is set (queue `<QUEUE_PREFIX>:mail`), else
 * in-process. SMTP when `SMTP_URL` is set, else `.eml` files under `var/outbox/`.
 *
 * `close()` stops taking rows, waits for deliveries in flight and closes what it opened.
 */
export async function startMailWorker(deps: Pick<AppDeps, 'config' | 'db' | 'log'> & { clock?: Clock }, opts: MailWorkerOptions = {}): Promise<MailWorker> {
  const { config, db } = deps;
  const log = deps.log.child({ component: 'mail' });
  configureNotifications(db, { tz: config.businessTz, publicUrl: config.publicUrl, smsSignature: config.smsSignature, smsQuietHours: config.smsQuietHours });
  const consume = opts.consume ?? true;
  const backoff = cappedBackoff(opts.backoffBaseMs ?? 1000, opts.backoffCapMs ?? 60_000);
  // Deliveries wait mostly on the database (claim and mark are two commits), little on SMTP:
  // on MariaDB 16 at a time keep up with creates where 4 fell behind (issue 15), over at most 4
  // SMTP connections; the embedded SQLite has one connection, where 4 are plenty.
  const concurrency = opts.concurrency ?? (isMysql(db) ? 16 : 4);
  const transport = consume ? (opts.transport ?? createMailTransport(config, { maxConnections: Math.min(4, concurrency) })) : null;
  const sms = consume ? (opts.smsTransport ?? createSmsTransport(config, log)) : null;
  let stopping = false;
  const serviceNow = () => deps.clock?.now() ?? new Date();
  const d: DeliveryDeps | null = transport
    ? {
        db,
        transport,
        sms: sms ?? undefined,
        from: config.mailFrom,
        log,
        higherDisciplineEmail: config.higherDisciplineEmail,
        leaseMs: opts.leaseMs ?? 120_000,
        maxSendMs: opts.maxSendMs,
        backoff,
        wallNow: () => new Date(),
        serviceNow,
        stopping: () => stopping,
      }
    : null;
  // Delivery receipts (issue 11): one row per receipted message id; a receipt that comes twice is kept once.
  sms?.onReceipt((r) => {
    db.getRepository(SmsReceipt)
      .insert({ messageId: r.messageId, outboxId: r.outboxId, status: r.status, error: r.error, receivedAt: new Date() })
      .catch((err) => {
        if (!isDuplicateKey(err)) log.warn({ err, messageId: r.messageId }, 'could not record a delivery receipt');
      });
  });
  const process = d ? (id: string) => deliverOutboxRow(d, id) : null;

  let ownFactory: QueueFactory | null = null;
  let queue: MailQueue | null = null;
  const qo = { log, concurrency, errorDelay: backoff, bull: opts.bull };
  if (config.redisUrl) {
    if (!opts.factory) ownFactory = createQueueFactory(config.redisUrl, config.queuePrefix);
    const factory = opts.factory ?? ownFactory!;
    queue = bullMailQueue(factory, process, qo);
  } else if (process) {
    queue = inProcessMailQueue(process, qo);
  }
  // Producer without Redis: nothing can carry rows to another process; the worker's sweep will.

  // Rows committed in the same turn of the event loop go to the queue in one addBulk.
  const sink: OutboxSink | null = queue
    ? {
        enqueue: coalesce(
          (ids) => queue!.add(ids),
          (err, ids) => log.warn({ err, count: ids.length }, 'could not queue mail; the sweep will'),
        ),
      }
    : null;
  if (sink) attachOutboxSink(db, sink);

  const requeue = async () => {
    if (!queue || !consume) return 0;
    const ids = await dueRowIds(db, new Date(), serviceNow(), !!config.higherDisciplineEmail);
    await queue.add(ids);
    return ids.length;
  };
  const interval = opts.sweepIntervalMs ?? config.sweepIntervalMs;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<unknown> = Promise.resolve();
  if (consume && queue) {
    const sweep = () => {
      sweeping = requeue()
        .then((n) => {
          if (n) log.info({ queued: n }, 'pending mail queued again');
        })
        .catch((err) => log.warn({ err }, 'mail sweep failed; next time'));
    };
    sweep();
    if (interval !== false) {
      timer = setInterval(sweep, interval);
      timer.unref();
    }
  }
  const worker: MailWorker = {
    queueKind: queue?.kind ?? 'none',
    requeue,
    async close() {
      stopping = true;
      if (timer) clearInterval(timer);
      if (sink) detachOutboxSink(db, sink);
      if (workers.get(db) === worker) workers.delete(db);
      await sweeping;
      await queue?.close();
      await ownFactory?.close();
      transport?.close();
      await sms?.close();
    },
  };
  if (consume) workers.set(db, worker);
  log.info({ queue: worker.queueKind, transport: transport?.kind ?? 'none', sms: sms?.kind ?? 'none', consume }, 'mail worker started');
  return worker;
}

/** Only hands committed rows to the queue (ROLE=api); the worker processes deliver them. */
export function startMailProducer(deps: Pick<AppDeps, 'config' | 'db' | 'log'>, opts: Omit<MailWorkerOptions, 'consume'> = {}): Promise<MailWorker> {
  return startMailWorker(deps, { ...opts, consume: false });
}

/**
 * The sweep's part for mail (DESIGN §10: pending rows are picked up again): queues every
 * `pending` row that is due and not being delivered, through the mail worker running in
 * this process for `deps.db`. Returns how many were queued (0 when no worker runs here).
 * Safe to call from several processes and as often as wanted (job id = row id).
 */
export async function requeuePendingMail(deps: { db: DataSource }): Promise<number> {
  return (await workers.get(deps.db)?.requeue()) ?? 0;
}

/**
 * Due pending rows (wall clock; texts in quiet hours only once `not_before` has passed on the
 * service clock), oldest first, at most `limit`; plus held reports for the higher commission
 * when its address is configured.
 */
async function dueRowIds(db: DataSource, wall: Date, service: Date, releaseHeld: boolean, limit = 1000): Promise<string[]> {
  const repo = db.getRepository(OutboxMessage);
  const due = await repo
    .createQueryBuilder('o')
    .select('o.id', 'id')
    .where("o.state = 'pending' AND o.next_attempt_at <= :wall AND (o.claimed_until IS NULL OR o.claimed_until < :wall) AND (o.not_before IS NULL OR o.not_before <= :service)", { wall, service })
    .orderBy('o.next_attempt_at', 'ASC')
    .limit(limit)
    .getRawMany<{ id: string }>();
  const held = releaseHeld ? await repo.createQueryBuilder('o').select('o.id', 'id').where("o.state = 'held' AND o.notice = 'integrity_forward'").limit(limit).getRawMany<{ id: string }>() : [];
  return [...due, ...held].map((r) => r.id);
}

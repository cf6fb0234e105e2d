import type { DataSource } from 'typeorm';
import { OutboxMessage, SmsReceipt } from '../entities';
import type { OutboxChannel } from '../entities/outbox-message';
import { createSmsTransport, SmsTransport } from '../sms/transport';
import { isDuplicateKey, isMysql } from '../db';
import type { Clock } from '../clock';
import type { AppDeps } from '../deps';
import { createQueueFactory, QueueFactory } from '../jobs/queue';
import { coalesceItems } from '../jobs/coalesce';
import { createMailTransport, MailTransport } from '../mail/transport';
import { cappedBackoff, deliverOutboxRow, DeliveryDeps, Lane } from './delivery';
import { bullMailQueue, inProcessMailQueue, MailQueue } from './mail-queue';
import { attachOutboxSink, configureNotifications, detachOutboxSink, OutboxRef, OutboxSink } from './outbox-hook';

/** The delivery lanes, one per channel (docs/decisions/notifications.md, "A lane per channel"). */
export const CHANNELS: readonly OutboxChannel[] = ['email', 'sms'];

export interface MailWorkerOptions {
  /** the runner's queue factory (shared Redis connections); without it one is made when `REDIS_URL` is set */
  factory?: QueueFactory;
  /** false: only hand committed rows to the queue (an API process); the workers deliver. Default true */
  consume?: boolean;
  /**
   * deliveries at the same time in this process, per lane: a number for each lane, or per
   * channel. Default 16 mails and 16 texts on MariaDB/MySQL, 4 and 4 on SQLite (SMTP
   * connections at most 4; texts share one SMPP bind)
   */
  concurrency?: number | Partial<Record<OutboxChannel, number>>;
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
  /** deliveries at the same time per lane (0: the lane does not deliver here) */
  readonly concurrency: Readonly<Record<OutboxChannel, number>>;
  /** hands every due pending row (and held reports the configured address can now take) to the queue; returns how many */
  requeue(): Promise<number>;
  close(): Promise<void>;
}

const workers = new WeakMap<DataSource, MailWorker>();

/**
 * Starts mail and text delivery for `deps.db` (DESIGN §10): rows committed from now on are
 * queued right after their commit (`outbox-hook.ts`); every due `pending` row is queued at
 * start and on every sweep, so rows whose job was lost (flushed Redis, a crash between commit
 * and enqueue, a worker killed mid-delivery, a job that ran out of retries) are delivered
 * anyway. Each channel has its own lane with its own concurrency, so a hung SMTP server
 * holds no text back and a hung SMS gateway no mail: bull on Redis when `REDIS_URL` is set
 * (queues `<QUEUE_PREFIX>:mail` and `<QUEUE_PREFIX>:sms`), else in-process. SMTP when
 * `SMTP_URL` is set, else `.eml` files under `var/outbox/`; SMPP when `SMS_URL` is set, else
 * `.sms.txt` files.
 *
 * `close()` stops taking rows, waits for deliveries in flight and closes what it opened.
 */
export async function startMailWorker(deps: Pick<AppDeps, 'config' | 'db' | 'log'> & { clock?: Clock }, opts: MailWorkerOptions = {}): Promise<MailWorker> {
  const { config, db } = deps;
  const log = deps.log.child({ component: 'mail' });
  configureNotifications(db, { tz: config.businessTz, publicUrl: config.publicUrl, smsSignature: config.smsSignature, smsQuietHours: config.smsQuietHours });
  const consume = opts.consume ?? true;
  const backoff = cappedBackoff(opts.backoffBaseMs ?? 1000, opts.backoffCapMs ?? 60_000);
  // Deliveries wait mostly on the database (claim and mark are two commits, batched across both
  // lanes), little on the server: on MariaDB 16 at a time keep up with creates where 4 fell
  // behind (issue 15), over at most 4 SMTP connections; the embedded SQLite has one connection,
  // where 4 are plenty. Each lane gets that many, so neither channel has fewer slots than
  // when they shared one pool of 16, and neither can take the other's (a hung SMTP server
  // holds at most the mail lane's slots, each for up to its timeouts).
  const byDefault = isMysql(db) ? 16 : 4;
  const asked = opts.concurrency;
  const concurrency: Record<OutboxChannel, number> = {
    email: (typeof asked === 'number' ? asked : asked?.email) ?? byDefault,
    sms: (typeof asked === 'number' ? asked : asked?.sms) ?? byDefault,
  };
  const transport = consume ? (opts.transport ?? createMailTransport(config, { maxConnections: Math.min(4, concurrency.email) })) : null;
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

  let ownFactory: QueueFactory | null = null;
  const lanes = new Map<OutboxChannel, MailQueue>();
  /** hands rows to the lane of their channel, one addBulk per lane */
  const route = async (rows: readonly OutboxRef[]) => {
    await Promise.all(
      CHANNELS.map((c) => {
        const ids = rows.filter((r) => r.channel === c).map((r) => r.id);
        return ids.length ? lanes.get(c)!.add(ids) : undefined;
      }),
    );
  };
  const processorOf = (channel: OutboxChannel) => {
    if (!d) return null;
    const lane: Lane = { channel, reroute: (id, to) => route([{ id, channel: to }]) };
    return (id: string) => deliverOutboxRow(d, id, lane);
  };
  if (config.redisUrl && !opts.factory) ownFactory = createQueueFactory(config.redisUrl, config.queuePrefix);
  const factory = config.redisUrl ? (opts.factory ?? ownFactory) : null;
  for (const channel of CHANNELS) {
    const process = processorOf(channel);
    const qo = { log: log.child({ lane: channel }), concurrency: concurrency[channel], errorDelay: backoff, bull: opts.bull };
    if (factory) lanes.set(channel, bullMailQueue(factory, channel, process, qo));
    else if (process) lanes.set(channel, inProcessMailQueue(channel, process, qo));
  }
  // Producer without Redis: nothing can carry rows to another process; the worker's sweep will.
  const queued = lanes.size > 0;

  // Rows committed in the same turn of the event loop go to their lanes in one addBulk each.
  const sink: OutboxSink | null = queued
    ? {
        enqueue: coalesceItems(route, (err, rows) => log.warn({ err, count: rows.length }, 'could not queue mail and texts; the sweep will'), { key: (r) => r.id }),
      }
    : null;
  if (sink) attachOutboxSink(db, sink);

  const requeue = async () => {
    if (!queued || !consume) return 0;
    const rows = await dueRows(db, new Date(), serviceNow(), !!config.higherDisciplineEmail);
    await route(rows);
    return rows.length;
  };
  const interval = opts.sweepIntervalMs ?? config.sweepIntervalMs;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<unknown> = Promise.resolve();
  if (consume && queued) {
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
    queueKind: lanes.get('email')?.kind ?? 'none',
    concurrency: d ? concurrency : { email: 0, sms: 0 },
    requeue,
    async close() {
      stopping = true;
      if (timer) clearInterval(timer);
      if (sink) detachOutboxSink(db, sink);
      if (workers.get(db) === worker) workers.delete(db);
      await sweeping;
      await Promise.all([...lanes.values()].map((q) => q.close()));
      await ownFactory?.close();
      transport?.close();
      await sms?.close();
    },
  };
  if (consume) workers.set(db, worker);
  log.info({ queue: worker.queueKind, concurrency: worker.concurrency, transport: transport?.kind ?? 'none', sms: sms?.kind ?? 'none', consume }, 'mail worker started');
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
 * Due pending rows with their channel (wall clock; texts in quiet hours only once `not_before`
 * has passed on the service clock), oldest first, at most `limit`; plus held reports for the
 * higher commission when its address is configured.
 */
async function dueRows(db: DataSource, wall: Date, service: Date, releaseHeld: boolean, limit = 1000): Promise<OutboxRef[]> {
  const repo = db.getRepository(OutboxMessage);
  const due = await repo
    .createQueryBuilder('o')
    .select('o.id', 'id')
    .addSelect('o.channel', 'channel')
    .where("o.state = 'pending' AND o.next_attempt_at <= :wall AND (o.claimed_until IS NULL OR o.claimed_until < :wall) AND (o.not_before IS NULL OR o.not_before <= :service)", { wall, service })
    .orderBy('o.next_attempt_at', 'ASC')
    .limit(limit)
    .getRawMany<OutboxRef>();
  const held = releaseHeld
    ? await repo.createQueryBuilder('o').select('o.id', 'id').addSelect('o.channel', 'channel').where("o.state = 'held' AND o.notice = 'integrity_forward'").limit(limit).getRawMany<OutboxRef>()
    : [];
  return [...due, ...held].map((r) => ({ id: r.id, channel: r.channel }));
}

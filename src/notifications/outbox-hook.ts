import type { DataSource, EntityManager, EntitySubscriberInterface } from 'typeorm';
import type { TransactionCommitEvent } from 'typeorm/subscriber/event/TransactionCommitEvent';
import type { TransactionRollbackEvent } from 'typeorm/subscriber/event/TransactionRollbackEvent';
import { parseConfig } from '../config';
import type { OutboxChannel } from '../entities/outbox-message';

/**
 * Hands new outbox rows to the delivery queues once their transaction has committed (a job
 * enqueued before the commit could run before the row is visible, or for a row that is
 * then rolled back). `notify` records each row's id and channel on the transaction's query
 * runner; a TypeORM subscriber passes them on after the outermost COMMIT and drops them on
 * ROLLBACK. The channel picks the row's delivery lane (mail or texts, `mail-worker.ts`).
 * Rows whose hand-over is lost (crash right after COMMIT, no mailer in this process) are
 * found by the sweep (`requeuePendingMail`).
 */
export interface OutboxSink {
  enqueue(rows: readonly OutboxRef[]): void;
}

/** What a delivery queue needs of a committed row: its id (the job id) and its channel (the lane). */
export interface OutboxRef {
  id: string;
  channel: OutboxChannel;
}

const KEY = '__outboxIds';
const sinks = new WeakMap<DataSource, OutboxSink>();
const hooked = new WeakSet<DataSource>();

/** Settings `notify` needs that live in the configuration. */
export interface NotifySettings {
  tz: string;
  /** where the pages are (`PUBLIC_URL`): mails link to `<publicUrl>/track?number=…` */
  publicUrl?: string;
  /** `SMS_SIGNATURE`, put before every text */
  smsSignature?: string;
  /** `SMS_QUIET_HOURS` (minutes after local midnight); null: off */
  smsQuietHours?: { from: number; to: number } | null;
}
const settings = new WeakMap<DataSource, NotifySettings>();

/** Sets what `notify` reads from the configuration for this database (done by createApp and the mail worker). */
export function configureNotifications(ds: DataSource, s: NotifySettings): void {
  settings.set(ds, s);
}
/** The settings for `ds`; a process that configured nothing (a CLI command) reads its environment. */
export function notifySettings(ds: DataSource): NotifySettings {
  const s = settings.get(ds);
  if (s) return s;
  try {
    const c = parseConfig(process.env);
    return { tz: c.businessTz, publicUrl: c.publicUrl, smsSignature: c.smsSignature, smsQuietHours: c.smsQuietHours };
  } catch {
    return { tz: 'Asia/Shanghai', smsSignature: '', smsQuietHours: { from: 21 * 60, to: 8 * 60 } };
  }
}

/** Installs the after-commit subscriber on `ds` (once) and makes `sink` the receiver of committed row ids. */
export function attachOutboxSink(ds: DataSource, sink: OutboxSink): void {
  sinks.set(ds, sink);
  if (hooked.has(ds)) return;
  hooked.add(ds);
  const subscriber: EntitySubscriberInterface = {
    afterTransactionCommit(e: TransactionCommitEvent) {
      const qr = e.queryRunner;
      if (qr.isTransactionActive) return; // a savepoint was released; the outer transaction may still roll back
      const rows = qr.data?.[KEY] as OutboxRef[] | undefined;
      if (!rows?.length) return;
      delete qr.data[KEY];
      sinks.get(ds)?.enqueue(rows);
    },
    afterTransactionRollback(e: TransactionRollbackEvent) {
      // Only the outermost rollback discards them all; rows of a rolled-back savepoint are
      // harmless to enqueue (the job finds no row and does nothing).
      if (!e.queryRunner.isTransactionActive && e.queryRunner.data) delete e.queryRunner.data[KEY];
    },
  };
  ds.subscribers.push(subscriber);
}

/** Detaches the sink (the mail worker stopped); committed rows then wait for the sweep. */
export function detachOutboxSink(ds: DataSource, sink: OutboxSink): void {
  if (sinks.get(ds) === sink) sinks.delete(ds);
}

/**
 * Records rows written in `em`'s transaction for enqueueing after its commit (or at once,
 * outside a transaction). Only `id` and `channel` are kept (an entity passed in is not held).
 */
export function afterCommit(em: EntityManager, rows: readonly OutboxRef[]): void {
  if (!rows.length) return;
  const refs = rows.map((r): OutboxRef => ({ id: r.id, channel: r.channel }));
  const qr = em.queryRunner;
  if (qr?.isTransactionActive) {
    qr.data ??= {};
    const pending = (qr.data[KEY] as OutboxRef[] | undefined) ?? [];
    pending.push(...refs);
    qr.data[KEY] = pending;
  } else {
    sinks.get(em.connection)?.enqueue(refs);
  }
}

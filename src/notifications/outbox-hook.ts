import type { DataSource, EntityManager, EntitySubscriberInterface } from 'typeorm';
import type { TransactionCommitEvent } from 'typeorm/subscriber/event/TransactionCommitEvent';
import type { TransactionRollbackEvent } from 'typeorm/subscriber/event/TransactionRollbackEvent';
import { parseConfig } from '../config';

/**
 * Hands new outbox rows to the mail queue once their transaction has committed (a job
 * enqueued before the commit could run before the row is visible, or for a row that is
 * then rolled back). `notify` records row ids on the transaction's query runner; a
 * TypeORM subscriber passes them on after the outermost COMMIT and drops them on ROLLBACK.
 * Rows whose hand-over is lost (crash right after COMMIT, no mailer in this process) are
 * found by the sweep (`requeuePendingMail`).
 */
export interface OutboxSink {
  enqueue(ids: string[]): void;
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
      const ids = qr.data?.[KEY] as string[] | undefined;
      if (!ids?.length) return;
      delete qr.data[KEY];
      sinks.get(ds)?.enqueue(ids);
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

/** Records rows written in `em`'s transaction for enqueueing after its commit (or at once, outside a transaction). */
export function afterCommit(em: EntityManager, ids: string[]): void {
  if (!ids.length) return;
  const qr = em.queryRunner;
  if (qr?.isTransactionActive) {
    qr.data ??= {};
    const pending = (qr.data[KEY] as string[] | undefined) ?? [];
    pending.push(...ids);
    qr.data[KEY] = pending;
  } else {
    sinks.get(em.connection)?.enqueue(ids);
  }
}

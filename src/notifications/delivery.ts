import type { DataSource } from 'typeorm';
import { OutboxMessage } from '../entities';
import { classifySendError, MailTransport } from '../mail/transport';
import type { Logger } from '../logger';
import { classifySmsError, SmsSendError, SmsTransport } from '../sms/transport';
import { hasSecrets, redactSecrets } from '../sms/text';

/** Thrown by `deliverOutboxRow` when the row must be tried again later; the queue waits `retryInMs`. */
export class RetryLater extends Error {
  constructor(
    readonly retryInMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DeliveryDeps {
  db: DataSource;
  transport: MailTransport;
  /** texts (rows of channel `sms`); absent: such rows wait */
  sms?: SmsTransport;
  /** the service clock (quiet hours are in business time; the test clock moves them); default the wall clock */
  serviceNow?: () => Date;
  /** true once the worker is closing: a mark that keeps failing is then given up (the row is sent again later) */
  stopping?: () => boolean;
  /** `MAIL_FROM` */
  from: string;
  log: Logger;
  /** `HIGHER_DISCIPLINE_EMAIL`: fills in held reports for the higher commission */
  higherDisciplineEmail?: string;
  /** how long a claim protects a row being sent (must exceed the SMTP timeouts), ms */
  leaseMs: number;
  /** delay before retry number `attempt` (1-based), ms */
  backoff: (attempt: number) => number;
  /** the wall clock (delivery runs in real time, whatever the service clock says) */
  wallNow: () => Date;
}

/** Exponential backoff, `base · 2^(attempt-1)`, capped (DESIGN §10: capped at 60 s). */
export const cappedBackoff = (baseMs: number, capMs: number) => (attempt: number) => Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));

/** `waiting`: a text in quiet hours, left pending untouched for the sweep after they end. */
export type DeliveryOutcome = 'sent' | 'failed' | 'skipped' | 'waiting';

/**
 * Delivers one outbox row; safe to call any number of times, concurrently, from any
 * process (bull jobs are at-least-once):
 *
 * 1. a held report for the higher commission gets the configured address (conditional update);
 * 2. the row is claimed by a conditional update (`pending`, no live claim) that sets a
 *    lease and counts the attempt: a second job for the same row does nothing
 *    (`skipped` when the row is already sent or failed; `RetryLater` while another worker holds it);
 * 3. sent: mail with a Message-ID derived from the row id; a text (channel `sms`) part by
 *    part through the SMS gateway, skipping parts an earlier attempt got accepted;
 * 4. marked `sent` (conditional on still `pending`), retried until the database takes it —
 *    the server has the message, so a database outage now must not cause a second send
 *    (issue 13 item 16); a permanent refusal of the address or number marks it `failed`;
 *    anything else records the error (and the parts already accepted), sets
 *    `nextAttemptAt` and throws `RetryLater` with the backoff — the row stays `pending`, never final.
 *
 * A text to an owner whose `notBefore` (quiet hours, service clock) lies ahead is not
 * claimed: `waiting`, and the sweep hands it over again once it is due.
 *
 * At-least-once by design: if the process dies after the server accepted the message and
 * before step 4 commits, the lease expires and the row is sent again, with the same Message-ID.
 * The other order (mark first, then send) would lose that mail instead (docs/decisions/notifications.md).
 */
export async function deliverOutboxRow(d: DeliveryDeps, id: string): Promise<DeliveryOutcome> {
  const repo = d.db.getRepository(OutboxMessage);
  let wall = d.wallNow();
  if (d.higherDisciplineEmail) {
    await repo
      .createQueryBuilder()
      .update()
      .set({ recipient: d.higherDisciplineEmail, state: 'pending', updatedAt: wall })
      .where("id = :id AND state = 'held' AND notice = 'integrity_forward' AND recipient IS NULL", { id })
      .execute();
  }
  // The whole row at once (issue 15: one read less per mail). A mail row's content does not
  // change while it is pending; a text's progress (`messageId`) may, so a text is read again
  // once claimed.
  const head = await repo.findOne({ where: { id } });
  if (!head || head.state === 'sent' || head.state === 'failed') return 'skipped';
  if (head.channel === 'sms') {
    if (!d.sms) throw new RetryLater(60_000, 'no SMS transport in this worker');
    if (head.notBefore && head.notBefore.getTime() > (d.serviceNow ?? d.wallNow)().getTime()) return 'waiting';
  }
  const claim = await repo
    .createQueryBuilder()
    .update()
    .set({ claimedUntil: new Date(wall.getTime() + d.leaseMs), attempts: () => 'attempts + 1', updatedAt: wall })
    .where("id = :id AND state = 'pending' AND recipient IS NOT NULL AND (claimed_until IS NULL OR claimed_until < :wall)", { id, wall })
    .execute();
  if (!claim.affected) {
    const row = await repo.findOne({ where: { id }, select: { id: true, state: true, claimedUntil: true } });
    if (row?.state !== 'pending') return 'skipped';
    const left = row.claimedUntil ? Math.max(0, row.claimedUntil.getTime() - wall.getTime()) : 0;
    throw new RetryLater(left + 100, 'another worker is delivering it');
  }
  if (head.channel === 'sms') return deliverSms(d, await repo.findOneByOrFail({ id }));
  const row = head;
  row.attempts += 1;
  const domain = d.from.split('@')[1]?.replace(/[>\s]/g, '') || 'grievance.local';
  try {
    const info = await d.transport.send(
      {
        from: d.from,
        to: row.recipient!,
        subject: row.subject,
        text: row.bodyText,
        html: row.bodyHtml,
        messageId: `<${row.id}@${domain}>`,
        headers: { 'X-Outbox-Id': row.id, ...(row.ticketNumber ? { 'X-Ticket-Number': row.ticketNumber } : {}), 'Auto-Submitted': 'auto-generated' },
      },
      row.id,
    );
    wall = d.wallNow();
    await markSent(d, row.id, { messageId: info.messageId.slice(0, 255) }, wall);
    d.log.info({ outboxId: row.id, notice: row.notice, attempts: row.attempts }, 'mail sent');
    return 'sent';
  } catch (err) {
    if (err instanceof MarkSentFailed) throw err;
    const c = classifySendError(err);
    wall = d.wallNow();
    if (c.permanent) {
      await repo.createQueryBuilder().update().set({ state: 'failed', lastError: c.message, claimedUntil: null, updatedAt: wall }).where("id = :id AND state = 'pending'", { id }).execute();
      d.log.warn({ outboxId: row.id, notice: row.notice, error: c.message }, 'mail refused permanently');
      return 'failed';
    }
    const delay = d.backoff(row.attempts);
    await repo
      .createQueryBuilder()
      .update()
      .set({ lastError: c.message, nextAttemptAt: new Date(wall.getTime() + delay), claimedUntil: null, updatedAt: wall })
      .where("id = :id AND state = 'pending'", { id })
      .execute();
    d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, retryInMs: delay, error: c.message }, 'mail deferred');
    throw new RetryLater(delay, c.message);
  }
}

/** A text (issue 11): the same claim, then the gateway; parts accepted before a failure are kept in `messageId` and skipped next time. */
async function deliverSms(d: DeliveryDeps, row: OutboxMessage): Promise<DeliveryOutcome> {
  const repo = d.db.getRepository(OutboxMessage);
  const earlier = row.messageId ? row.messageId.split(',').filter(Boolean) : [];
  try {
    const info = await d.sms!.send({ id: row.id, to: row.recipient!, text: row.bodyText, skipParts: earlier.length });
    const wall = d.wallNow();
    const ids = [...earlier, ...info.messageIds].join(',').slice(0, 255);
    await markSent(d, row.id, { messageId: ids, segments: info.segments, ...(hasSecrets(row.bodyText) ? { bodyText: redactSecrets(row.bodyText) } : {}) }, wall);
    d.log.info({ outboxId: row.id, notice: row.notice, attempts: row.attempts, segments: info.segments }, 'text sent');
    return 'sent';
  } catch (err) {
    if (err instanceof MarkSentFailed) throw err;
    const c = classifySmsError(err);
    const wall = d.wallNow();
    const accepted = [...earlier, ...(err instanceof SmsSendError ? err.sentIds : [])];
    const progress = accepted.length ? accepted.join(',').slice(0, 255) : null;
    if (c.permanent) {
      await repo
        .createQueryBuilder()
        .update()
        .set({ state: 'failed', lastError: c.message, messageId: progress, claimedUntil: null, updatedAt: wall })
        .where("id = :id AND state = 'pending'", { id: row.id })
        .execute();
      d.log.warn({ outboxId: row.id, notice: row.notice, error: c.message }, 'text refused permanently');
      return 'failed';
    }
    const delay = d.backoff(row.attempts);
    await repo
      .createQueryBuilder()
      .update()
      .set({ lastError: c.message, messageId: progress, nextAttemptAt: new Date(wall.getTime() + delay), claimedUntil: null, updatedAt: wall })
      .where("id = :id AND state = 'pending'", { id: row.id })
      .execute();
    d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, retryInMs: delay, error: c.message }, 'text deferred');
    throw new RetryLater(delay, c.message);
  }
}

class MarkSentFailed extends Error {}

/**
 * The server has the message: record that, retrying (capped at 5 s apart) for as long as the
 * database refuses — a database outage must not turn into a second send (issue 13 item 16).
 * Only a closing worker gives up (then the lease expires and the row is sent again: a duplicate).
 */
async function markSent(d: DeliveryDeps, id: string, set: { messageId: string; segments?: number; bodyText?: string }, wall: Date) {
  for (let i = 0; ; i++) {
    try {
      await d.db
        .getRepository(OutboxMessage)
        .createQueryBuilder()
        .update()
        .set({ state: 'sent', ...set, sentAt: wall, claimedUntil: null, lastError: null, updatedAt: d.wallNow() })
        .where("id = :id AND state = 'pending'", { id })
        .execute();
      if (i) d.log.info({ outboxId: id, tries: i + 1 }, 'sent message recorded after the database came back');
      return;
    } catch (e) {
      if (d.stopping?.()) {
        d.log.error({ outboxId: id, err: e }, 'message sent but not recorded and the worker is closing; it will be sent again when its lease expires');
        throw new MarkSentFailed((e as Error).message);
      }
      if (i === 0 || i % 20 === 0) d.log.warn({ outboxId: id, err: (e as Error).message, tries: i + 1 }, 'message sent, recording it keeps failing; retrying the record, not the send');
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * (i + 1))));
    }
  }
}

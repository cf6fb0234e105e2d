import type { DataSource } from 'typeorm';
import { OutboxMessage } from '../entities';
import { classifySendError, MailTransport } from '../mail/transport';
import type { Logger } from '../logger';

/** Thrown by `deliverOutboxRow` when the row must be tried again later; the queue waits `retryInMs`. */
export class RetryLater extends Error {
  constructor(readonly retryInMs: number, message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DeliveryDeps {
  db: DataSource;
  transport: MailTransport;
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

export type DeliveryOutcome = 'sent' | 'failed' | 'skipped';

/**
 * Delivers one outbox row; safe to call any number of times, concurrently, from any
 * process (bull jobs are at-least-once):
 *
 * 1. a held report for the higher commission gets the configured address (conditional update);
 * 2. the row is claimed by a conditional update (`pending`, no live claim) that sets a
 *    lease and counts the attempt: a second job for the same row does nothing
 *    (`skipped` when the row is already sent or failed; `RetryLater` while another worker holds it);
 * 3. sent with a Message-ID derived from the row id;
 * 4. marked `sent` (conditional on still `pending`); a permanent refusal of the address
 *    marks it `failed`; anything else records the error, sets `nextAttemptAt` and throws
 *    `RetryLater` with the backoff — the row stays `pending`, never final.
 *
 * At-least-once by design: if the process dies after the server accepted the message and
 * before step 4, the lease expires and the row is sent again, with the same Message-ID.
 * The other order (mark first, then send) would lose that mail instead (docs/decisions/notifications.md).
 */
export async function deliverOutboxRow(d: DeliveryDeps, id: string): Promise<DeliveryOutcome> {
  const repo = d.db.getRepository(OutboxMessage);
  let wall = d.wallNow();
  if (d.higherDisciplineEmail) {
    await repo.createQueryBuilder().update().set({ recipient: d.higherDisciplineEmail, state: 'pending', updatedAt: wall })
      .where("id = :id AND state = 'held' AND notice = 'integrity_forward' AND recipient IS NULL", { id }).execute();
  }
  const claim = await repo.createQueryBuilder().update()
    .set({ claimedUntil: new Date(wall.getTime() + d.leaseMs), attempts: () => 'attempts + 1', updatedAt: wall })
    .where("id = :id AND state = 'pending' AND recipient IS NOT NULL AND (claimed_until IS NULL OR claimed_until < :wall)", { id, wall })
    .execute();
  if (!claim.affected) {
    const row = await repo.findOne({ where: { id }, select: { id: true, state: true, claimedUntil: true } });
    if (row?.state !== 'pending') return 'skipped';
    const left = row.claimedUntil ? Math.max(0, row.claimedUntil.getTime() - wall.getTime()) : 0;
    throw new RetryLater(left + 100, 'another worker is delivering it');
  }
  const row = await repo.findOneByOrFail({ id });
  const domain = d.from.split('@')[1]?.replace(/[>\s]/g, '') || 'grievance.local';
  try {
    const info = await d.transport.send({
      from: d.from, to: row.recipient!, subject: row.subject, text: row.bodyText, html: row.bodyHtml,
      messageId: `<${row.id}@${domain}>`,
      headers: { 'X-Outbox-Id': row.id, ...(row.ticketNumber ? { 'X-Ticket-Number': row.ticketNumber } : {}), 'Auto-Submitted': 'auto-generated' },
    }, row.id);
    wall = d.wallNow();
    await markSent(d, row.id, info.messageId, wall);
    d.log.info({ outboxId: row.id, notice: row.notice, attempts: row.attempts }, 'mail sent');
    return 'sent';
  } catch (err) {
    if (err instanceof MarkSentFailed) throw err;
    const c = classifySendError(err);
    wall = d.wallNow();
    if (c.permanent) {
      await repo.createQueryBuilder().update().set({ state: 'failed', lastError: c.message, claimedUntil: null, updatedAt: wall })
        .where("id = :id AND state = 'pending'", { id }).execute();
      d.log.warn({ outboxId: row.id, notice: row.notice, error: c.message }, 'mail refused permanently');
      return 'failed';
    }
    const delay = d.backoff(row.attempts);
    await repo.createQueryBuilder().update().set({ lastError: c.message, nextAttemptAt: new Date(wall.getTime() + delay), claimedUntil: null, updatedAt: wall })
      .where("id = :id AND state = 'pending'", { id }).execute();
    d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, retryInMs: delay, error: c.message }, 'mail deferred');
    throw new RetryLater(delay, c.message);
  }
}

class MarkSentFailed extends Error {}

/** The server has the message: try hard to record that, so the lease does not expire into a duplicate. */
async function markSent(d: DeliveryDeps, id: string, messageId: string, wall: Date) {
  for (let i = 0; ; i++) {
    try {
      await d.db.getRepository(OutboxMessage).createQueryBuilder().update()
        .set({ state: 'sent', messageId: messageId.slice(0, 255), sentAt: wall, claimedUntil: null, lastError: null, updatedAt: wall })
        .where("id = :id AND state = 'pending'", { id }).execute();
      return;
    } catch (e) {
      if (i >= 4) {
        d.log.error({ outboxId: id, err: e }, 'mail sent but not recorded; it will be sent again when its lease expires');
        throw new MarkSentFailed((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 200 * (i + 1)));
    }
  }
}

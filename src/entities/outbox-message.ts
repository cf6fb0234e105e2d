import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant } from './columns';

/** Delivery states of an outbox row (DESIGN §10). `held` waits for a person (a report for the higher commission with no address configured). */
export type OutboxState = 'pending' | 'sent' | 'failed' | 'held';
/** How a row reaches its recipient (issue 11): `recipient` is an email address or a mainland mobile number. */
export type OutboxChannel = 'email' | 'sms';

/**
 * One email to one person about one event (DESIGN §10): written in the same transaction
 * as the change it reports, rendered at that moment, delivered later by the mail worker.
 * `dedupeKey` = sha256(source key, recipient) is unique, so a person gets one email per
 * event however often the event is notified or the job delivered.
 *
 * Business instants (`createdAt`) follow the service clock; delivery instants
 * (`nextAttemptAt`, `claimedUntil`, `sentAt`) follow the wall clock, because SMTP retries
 * happen in real time whatever the test clock says.
 */
@Entity('outbox_message')
@Index('uq_outbox_dedupe', ['dedupeKey'], { unique: true })
@Index('idx_outbox_state_next', ['state', 'nextAttemptAt'])
@Index('idx_outbox_created', ['createdAt', 'id'])
@Index('idx_outbox_ticket', ['ticketId'])
export class OutboxMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64 }) dedupeKey!: string;
  /** what caused it: `event:<event id>`, `due_soon:<ticket>:<cycle>:<deadline>:<instant>`, `oversight_opened:<order id>`, ... */
  @Column({ type: 'varchar', length: 160 }) sourceKey!: string;
  /** the template folder under templates/ */
  @Column({ type: 'varchar', length: 40 }) notice!: string;
  /** `email` (subject, text, HTML) or `sms` (text only, in `bodyText`; `subject` and `bodyHtml` empty) */
  @Column({ type: 'varchar', length: 8, default: 'email' }) channel!: OutboxChannel;
  @Column({ type: 'varchar', length: 36, nullable: true }) ticketId!: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) ticketNumber!: string | null;
  /** about an integrity report: the admin's view masks recipient and body (DESIGN §1, §7) */
  @Column({ type: 'boolean', default: false, transformer: bool }) sensitive!: boolean;
  /** null while `held` */
  @Column({ type: 'varchar', length: 254, nullable: true }) recipient!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) recipientUserId!: string | null;
  /** the audience the text was rendered for: submitter, handler, head, coordinator, supervisor, attendee, higher */
  @Column({ type: 'varchar', length: 16 }) recipientRole!: string;
  @Column({ type: 'varchar', length: 300 }) subject!: string;
  @Column({ type: 'text' }) bodyText!: string;
  @Column({ type: 'text' }) bodyHtml!: string;
  @Column({ type: 'varchar', length: 12 }) state!: OutboxState;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  /** the Message-ID the mail server accepted (or of the .eml file) */
  @Column({ type: 'varchar', length: 255, nullable: true }) messageId!: string | null;
  /** wall clock: not before this instant */
  @Column(instant) nextAttemptAt!: Date;
  /** service clock: not before this instant (a text to an owner written in quiet hours waits for the morning) */
  @Column({ ...instant, nullable: true }) notBefore!: Date | null;
  /** SMS: the segments of the text (1 when it fits one) */
  @Column({ type: 'int', nullable: true }) segments!: number | null;
  /** wall clock: a worker is delivering it until then (lease); expired leases are free again */
  @Column({ ...instant, nullable: true }) claimedUntil!: Date | null;
  /** the claim that holds the row (random, per batch of claims: issue 15); null when no delivery holds it */
  @Column({ type: 'varchar', length: 32, nullable: true }) claimToken!: string | null;
  @Column({ ...instant, nullable: true }) sentAt!: Date | null;
  @Column(instant) createdAt!: Date;
  @Column(instant) updatedAt!: Date;
}

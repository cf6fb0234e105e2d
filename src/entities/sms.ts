import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * A delivery receipt from the SMS gateway (SMPP `deliver_sm` with a receipt), one per
 * segment's message id; `outboxId` when the id is known (issue 11).
 */
@Entity('sms_receipt')
@Index('idx_sms_receipt_outbox', ['outboxId'])
export class SmsReceipt {
  @PrimaryColumn({ type: 'varchar', length: 64 }) messageId!: string;
  @Column({ type: 'varchar', length: 36, nullable: true }) outboxId!: string | null;
  /** the receipt's `stat`: DELIVRD, UNDELIV, EXPIRED, REJECTD, … */
  @Column({ type: 'varchar', length: 16 }) status!: string;
  /** the receipt's `err` */
  @Column({ type: 'varchar', length: 8, nullable: true }) error!: string | null;
  /** wall clock */
  @Column(instant) receivedAt!: Date;
}

/** What a verification code proves a phone for. */
export type VerificationPurpose = 'register' | 'reset';

/**
 * A one-time code sent by SMS to prove a phone (issue 11): only its HMAC is stored; valid
 * until `expiresAt` (service clock), at most 5 wrong tries, used once.
 */
@Entity('phone_verification')
@Index('idx_phone_verification', ['phone', 'purpose', 'createdAt'])
export class PhoneVerification {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 20 }) phone!: string;
  @Column({ type: 'varchar', length: 16 }) purpose!: VerificationPurpose;
  @Column({ type: 'varchar', length: 64 }) codeHash!: string;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column(instant) expiresAt!: Date;
  @Column({ ...instant, nullable: true }) usedAt!: Date | null;
  @Column(instant) createdAt!: Date;
}

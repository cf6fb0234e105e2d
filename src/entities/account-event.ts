import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant, jsonText } from './columns';
import type { AccountEventType } from '../domain/accounts';

/**
 * One recorded change of an account (docs/decisions/accounts.md): who changed whose account,
 * when, through which edge, and what (no personal values, no password material). Append-only.
 */
@Entity('account_event')
@Index('uq_account_event_seq', ['userId', 'seq'], { unique: true })
export class AccountEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  /** the account changed */
  @Column({ type: 'varchar', length: 36 }) userId!: string;
  /** 1, 2, … per account, in the order the changes happened (written under the account's row lock) */
  @Column({ type: 'int' }) seq!: number;
  @Column({ type: 'varchar', length: 32 }) type!: AccountEventType;
  /** who changed it; null for the command line (an operator on the server) */
  @Column({ type: 'varchar', length: 36, nullable: true }) actorId!: string | null;
  /** `api`, `page` or `cli` */
  @Column({ type: 'varchar', length: 8 }) via!: 'api' | 'page' | 'cli';
  @Column(instant) at!: Date;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) payload!: Record<string, unknown> | null;
}

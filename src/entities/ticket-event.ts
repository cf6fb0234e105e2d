import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant, jsonText } from './columns';

/**
 * Append-only timeline entry (DESIGN §3). Never updated or deleted; `hash` is an HMAC under
 * the configured key `keyId` over the event and `prevHash`, so editing any row breaks the
 * chain of its ticket, and recomputing it needs the key, which the database does not hold.
 * Payloads carry no personal data.
 */
@Entity('ticket_event')
@Index('uq_ticket_event_seq', ['ticketId', 'seq'], { unique: true })
export class TicketEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) seq!: number;
  @Column({ type: 'int' }) cycle!: number;
  @Column({ type: 'varchar', length: 32 }) type!: string;
  @Column({ type: 'varchar', length: 36, nullable: true }) actorId!: string | null;
  @Column({ type: 'varchar', length: 16 }) actorRole!: string;
  @Column(instant) at!: Date;
  @Column({ type: 'varchar', length: 16, nullable: true }) fromState!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) toState!: string | null;
  @Column({ type: 'text', transformer: jsonText }) payload!: Record<string, unknown>;
  @Column({ type: 'varchar', length: 64 }) prevHash!: string;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
  /** the EVENT_CHAIN_KEYS id the hash was made with; null: an unkeyed SHA-256 event written before keys (see EventChainSeal) */
  @Column({ type: 'varchar', length: 32, nullable: true }) keyId!: string | null;
}

/**
 * The keyed seal of a chain written before the chain had keys (issue 13 item 9): an HMAC
 * over the ticket's last unkeyed event (`seq`, `hash`), made once by `sealLegacyChains`
 * after checking the unkeyed chain. A chain whose unkeyed events are followed by a keyed
 * event needs none: that event's HMAC covers their head already.
 */
@Entity('event_chain_seal')
export class EventChainSeal {
  @PrimaryColumn({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) seq!: number;
  @Column({ type: 'varchar', length: 64 }) hash!: string;
  @Column({ type: 'varchar', length: 32 }) keyId!: string;
  @Column({ type: 'varchar', length: 64 }) mac!: string;
  @Column(instant) sealedAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant, jsonText } from './columns';

/**
 * Append-only timeline entry (DESIGN §3). Never updated or deleted; `hash` covers the
 * event and `prevHash`, so editing any row breaks the chain of its ticket. Payloads carry
 * no personal data.
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
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/** `Idempotency-Key` on create, scoped to the caller and kept 24 h (DESIGN §11); purged by the sweep. */
@Entity('idempotency_key')
@Index('idx_idempotency_key_expires', ['expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn({ type: 'varchar', length: 80 }) scope!: string;
  @PrimaryColumn({ type: 'varchar', length: 128 }) idemKey!: string;
  @Column({ type: 'varchar', length: 64 }) requestHash!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  /**
   * the access code shown with the first response, so that a retry shows it again; sealed
   * with AES-256-GCM (`sealAccessCode` in commands/idempotency.ts), never readable at rest
   */
  @Column({ type: 'varchar', length: 128, nullable: true }) accessCode!: string | null;
  /**
   * the first response's body (without the access code), sealed the same way under its own
   * key: a retry gets exactly what the first response showed, never the ticket as it is now
   */
  @Column({ type: 'text', nullable: true }) response!: string | null;
  @Column(instant) createdAt!: Date;
  @Column(instant) expiresAt!: Date;
}

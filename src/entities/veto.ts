import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * The one-vote veto (一票否决) on a department for a year (DESIGN §7): at most one row per
 * (department, year), enforced by the unique key. It stands while a cause is not revoked
 * (`domain/veto.ts`); its history is in `veto_history`.
 */
@Entity('veto')
@Index('uq_veto_department_year', ['departmentCode', 'year'], { unique: true })
export class Veto {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 16 }) departmentCode!: string;
  @Column({ type: 'int' }) year!: number;
  @Column(instant) createdAt!: Date;
  /** the supervisor whose conclusion imposed it first */
  @Column({ type: 'varchar', length: 36 }) createdById!: string;
}

/** A substantiated integrity report behind a veto; one row per ticket ever (unique key). */
@Entity('veto_cause')
@Index('uq_veto_cause_ticket', ['ticketId'], { unique: true })
@Index('idx_veto_cause_veto', ['vetoId'])
export class VetoCause {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) vetoId!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'varchar', length: 32 }) ticketNumber!: string;
  @Column(instant) addedAt!: Date;
  @Column({ type: 'varchar', length: 36 }) addedById!: string;
  /** set when the veto is revoked or the case is re-concluded unsubstantiated */
  @Column({ ...instant, nullable: true }) revokedAt!: Date | null;
}

/** Append-only history of a veto: imposed, cause_added, reinstated, cause_withdrawn, revoked. */
@Entity('veto_history')
@Index('uq_veto_history_seq', ['vetoId', 'seq'], { unique: true })
export class VetoHistory {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) vetoId!: string;
  @Column({ type: 'int' }) seq!: number;
  @Column({ type: 'varchar', length: 20 }) type!: string;
  @Column(instant) at!: Date;
  @Column({ type: 'varchar', length: 36 }) actorId!: string;
  @Column({ type: 'varchar', length: 36, nullable: true }) ticketId!: string | null;
  /** the supervisor's reason for a revocation */
  @Column({ type: 'text', nullable: true }) reason!: string | null;
}

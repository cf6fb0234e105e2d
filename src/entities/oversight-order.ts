import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant } from './columns';

/**
 * An oversight order (督办单, DESIGN §5), opened by a level-2 (yellow card) or level-3 (red
 * card) escalation: addressed to the ticket's department (the coordinator office while the
 * ticket has none), which answers it within 2 working days; the coordinator closes it.
 * `state`: `open` → `responded` → `closed` (the coordinator may close an open order too).
 * Lateness is derived (open and past `respondBy`); `watchAt` is the instant the clock must
 * still look at it (indexed for the sweep), cleared once it is answered, closed or late.
 */
@Entity('oversight_order')
@Index('idx_oversight_order_ticket', ['ticketId'])
@Index('idx_oversight_order_dept_state', ['departmentCode', 'state'])
@Index('idx_oversight_order_watch', ['watchAt'])
@Index('idx_oversight_order_opened', ['openedAt'])
export class OversightOrder {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'varchar', length: 32 }) ticketNumber!: string;
  @Column({ type: 'int' }) cycle!: number;
  /** 2 yellow card, 3 red card */
  @Column({ type: 'int' }) level!: number;
  @Column({ type: 'varchar', length: 36 }) escalationId!: string;
  @Column({ type: 'varchar', length: 24 }) reason!: string;
  /** the department that must answer; null = the coordinator office (ticket not dispatched) */
  @Column({ type: 'varchar', length: 16, nullable: true }) departmentCode!: string | null;
  /** `open`, `responded`, `closed` */
  @Column({ type: 'varchar', length: 12 }) state!: string;
  /** the coordinator's or supervisor's instruction on a manual escalation */
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column(instant) openedAt!: Date;
  /** 2 working days after opening, fixed when the order is served (it states its date) */
  @Column(instant) respondBy!: Date;
  @Column({ type: 'boolean', default: false, transformer: bool }) respondByProvisional!: boolean;
  @Column({ ...instant, nullable: true }) watchAt!: Date | null;
  /** when its lateness was acted upon (red card or notice) */
  @Column({ ...instant, nullable: true }) lateAt!: Date | null;
  @Column({ ...instant, nullable: true }) respondedAt!: Date | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) respondedById!: string | null;
  @Column({ type: 'text', nullable: true }) response!: string | null;
  @Column({ ...instant, nullable: true }) closedAt!: Date | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) closedById!: string | null;
  @Column({ type: 'text', nullable: true }) closeNote!: string | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * One escalation (督办) of a ticket: at most one row per (ticket, cycle, level), enforced by
 * the unique key. Inserting the row is how a worker wins the right to escalate; only the
 * winner writes the `escalated` event (DESIGN §5: exactly once, however many workers run).
 */
@Entity('escalation')
@Index('uq_escalation_ticket_cycle_level', ['ticketId', 'cycle', 'level'], { unique: true })
@Index('idx_escalation_department', ['departmentCode', 'escalatedAt'])
export class Escalation {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  /** 1 reminder (催办), 2 yellow card (黄牌), 3 red card (红牌) */
  @Column({ type: 'int' }) level!: number;
  /** `dispatch_late`, `sign_late`, `reply_late`, `reply_missing`, `oversight_late`, `manual`, `second_reopening` */
  @Column({ type: 'varchar', length: 24 }) reason!: string;
  /** `coordinator_office`, `department_head`, `department`, `supervisors` */
  @Column({ type: 'varchar', length: 24 }) target!: string;
  /** the ticket's department at the time (counts against it in assessment); null while undispatched */
  @Column({ type: 'varchar', length: 16, nullable: true }) departmentCode!: string | null;
  /** the deadline whose passing triggered it; null for manual and reopening escalations */
  @Column({ ...instant, nullable: true }) triggeredAt!: Date | null;
  @Column(instant) escalatedAt!: Date;
  @Column({ type: 'varchar', length: 36, nullable: true }) actorId!: string | null;
  @Column({ type: 'varchar', length: 16 }) actorRole!: string;
  /** the oversight order it opened (levels 2 and 3, not integrity reports) */
  @Column({ type: 'varchar', length: 36, nullable: true }) orderId!: string | null;
}

/**
 * A due-soon notice sent for one deadline instant of a cycle; the unique key makes the
 * notice exactly-once across workers. A moved deadline (extension) gets its own notice.
 */
@Entity('deadline_notice')
@Index('uq_deadline_notice', ['ticketId', 'cycle', 'deadline', 'dueAt'], { unique: true })
export class DeadlineNotice {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  /** `dispatch`, `sign` or `reply` */
  @Column({ type: 'varchar', length: 12 }) deadline!: string;
  @Column(instant) dueAt!: Date;
  @Column(instant) sentAt!: Date;
}

/**
 * The test clock's offset from the wall clock (DESIGN §13, `TEST_CLOCK=1` only), shared by
 * every process of a deployment so that API and worker processes agree on "now".
 */
@Entity('test_clock')
export class TestClock {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id!: string;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } }) offsetMs!: number;
  @Column(instant) updatedAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant, jsonText, yuan } from './columns';
import { deadlineKeySql } from '../queries/deadline-keys';
import type { TicketKind, TicketState, Channel, Priority } from '../domain/lifecycle';

/** The submitter's contact record: the only place personal data of a ticket lives (DESIGN §3). */
export interface Contact {
  name?: string;
  phone?: string;
  creditCode?: string;
  businessName?: string;
  email?: string;
}

/**
 * A ticket (工单). `state` is the single source of truth; open/overdue/due-soon are derived.
 * Deadlines are UTC instants recomputed from their inputs (start, pauses, extensions, calendar).
 */
@Entity('ticket')
@Index('uq_ticket_number', ['number'], { unique: true })
@Index('uq_ticket_source', ['sourceId'], { unique: true })
// the lists' indexes end in (createdAt, id), their order (migration 1797000000000)
@Index('idx_ticket_dept_state_created', ['departmentCode', 'state', 'createdAt', 'id'])
@Index('idx_ticket_dept_created', ['departmentCode', 'createdAt', 'id'])
@Index('idx_ticket_state_created', ['state', 'createdAt', 'id'])
@Index('idx_ticket_level_created', ['escalationLevel', 'createdAt', 'id'])
@Index('idx_ticket_next_check', ['nextCheckAt'])
@Index('idx_ticket_submitter', ['submitterId'])
@Index('idx_ticket_created_id', ['createdAt', 'id'])
@Index('idx_ticket_received', ['receivedAt'])
@Index('idx_ticket_result_notice', ['resultNoticeId'])
@Index('idx_ticket_merged_into', ['mergedIntoId'])
@Index('idx_ticket_symposium', ['symposiumId'])
// the integrity findings of a report and the assessment, from the index alone (migration 1798100000000)
@Index('idx_ticket_accused', ['accusedDepartmentCode', 'occurredOn', 'kind', 'finding'])
// the stored deadline keys' indexes (migration 1798000000000, docs/decisions/lists.md): the deadline sort under each filter, and due soon;
// those a count reads end in the visibility rule's columns, so the count is answered from the index
@Index('idx_ticket_deadline', ['listDeadlineKey', 'id'])
@Index('idx_ticket_state_deadline', ['state', 'listDeadlineKey', 'id', 'kind', 'accusedDepartmentCode'])
@Index('idx_ticket_dept_deadline', ['departmentCode', 'listDeadlineKey', 'id'])
// … and, for the report's live part (readLive), the columns it reads (migration 1798100000000), and the level and due-soon key the head's overview counts (1798300000000)
@Index('idx_ticket_dept_state_deadline', ['departmentCode', 'state', 'listDeadlineKey', 'id', 'kind', 'accusedDepartmentCode', 'receivedAt', 'signBy', 'replyBy', 'escalationLevel', 'dueSoonKey'])
@Index('idx_ticket_level_deadline', ['escalationLevel', 'listDeadlineKey', 'id', 'kind', 'accusedDepartmentCode'])
@Index('idx_ticket_due_soon_key', ['dueSoonKey', 'listDeadlineKey', 'kind', 'accusedDepartmentCode'])
export class Ticket {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 32 }) number!: string;
  @Column({ type: 'varchar', length: 20 }) kind!: TicketKind;
  @Column({ type: 'varchar', length: 12 }) channel!: Channel;
  @Column({ type: 'varchar', length: 32, nullable: true }) categoryCode!: string | null;
  @Column({ type: 'varchar', length: 8 }) priority!: Priority;
  @Column({ type: 'varchar', length: 16 }) state!: TicketState;
  @Column({ type: 'int' }) cycle!: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) departmentCode!: string | null;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  @Column({ type: 'text' }) description!: string;
  /** owner account that submitted it while signed in */
  @Column({ type: 'varchar', length: 36, nullable: true }) submitterId!: string | null;
  /** staff member who registered it on the caller's behalf */
  @Column({ type: 'varchar', length: 36, nullable: true }) createdById!: string | null;
  @Column({ type: 'boolean', default: false, transformer: bool }) anonymous!: boolean;
  @Column({ type: 'varchar', length: 255, nullable: true }) accessCodeHash!: string | null;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) contact!: Contact | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) sourceId!: string | null;

  /** receipt instant (`receivedAt` when staff record an earlier call or meeting) */
  @Column(instant) receivedAt!: Date;
  /** start of the current cycle's reply clock: receipt, or the reopening */
  @Column(instant) cycleStartedAt!: Date;
  /** start of the current routing clock: for a `registered` ticket the dispatch clock (receipt, or the return), for a `dispatched` one the sign-for clock (the latest dispatch; receipt when routed at creation) */
  @Column({ ...instant, nullable: true }) routingClockStart!: Date | null;
  @Column({ ...instant, nullable: true }) dispatchBy!: Date | null;
  @Column({ ...instant, nullable: true }) signBy!: Date | null;
  @Column({ ...instant, nullable: true }) replyBy!: Date | null;
  /** the reply deadline of N + 5 working days: level 3 when still unanswered (DESIGN §5) */
  @Column({ ...instant, nullable: true }) redBy!: Date | null;
  @Column({ ...instant, nullable: true }) rateBy!: Date | null;
  /** from when the earliest owed deadline (dispatch, sign-for or reply) is "due soon" (DESIGN §4) */
  @Column({ ...instant, nullable: true }) dueSoonAt!: Date | null;
  /**
   * Generated by the database (`deadlineKeySql`, queries/deadline-keys.ts): the list sort key,
   * `listDeadline` or `NO_DEADLINE`. Only for SQL: never read into the entity (undefined), never written.
   */
  @Column({ ...instant, name: 'list_deadline', nullable: true, generatedType: 'STORED', asExpression: deadlineKeySql('mysql').list_deadline, select: false, insert: false, update: false })
  readonly listDeadlineKey?: never;
  /** Generated: `dueSoonAt` while the state owes a deadline, else NULL (queries/deadline-keys.ts). Only for SQL, like `listDeadlineKey`. */
  @Column({ ...instant, name: 'due_soon_key', nullable: true, generatedType: 'STORED', asExpression: deadlineKeySql('mysql').due_soon_key, select: false, insert: false, update: false })
  readonly dueSoonKey?: never;
  @Column({ type: 'boolean', default: false, transformer: bool }) deadlinesProvisional!: boolean;
  /** earliest instant at which the clock must look at this ticket again; indexed for the sweep */
  @Column({ ...instant, nullable: true }) nextCheckAt!: Date | null;
  @Column({ ...instant, nullable: true }) pausedAt!: Date | null;
  @Column({ type: 'int', default: 0 }) escalationLevel!: number;

  @Column({ type: 'varchar', length: 16, nullable: true }) outcome!: string | null;
  @Column({ ...instant, nullable: true }) repliedAt!: Date | null;
  @Column({ type: 'varchar', length: 24, nullable: true }) rating!: string | null;
  @Column({ ...instant, nullable: true }) ratedAt!: Date | null;
  @Column({ ...instant, nullable: true }) closedAt!: Date | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) rejectGround!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) mergedIntoId!: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true }) symposiumId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) resultNoticeId!: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) resultEntryId!: string | null;
  @Column({ type: 'varchar', length: 18, nullable: true }) subjectCreditCode!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) decision!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true }) accusedDepartmentCode!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) accusedPerson!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) demand!: string | null;
  @Column({ type: 'decimal', precision: 14, scale: 2, nullable: true, transformer: yuan }) amountYuan!: string | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) occurredOn!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) finding!: string | null;

  @Column({ type: 'int' }) version!: number;
  @Column(instant) createdAt!: Date;
  @Column(instant) updatedAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant } from './columns';

/**
 * Text written on a ticket: request for information, supplement, reply, answer at intake,
 * rating comment, internal note, return reason. Kept apart from events so that events
 * carry no personal data and texts can be erased under a retention rule.
 */
@Entity('ticket_message')
@Index('idx_ticket_message_ticket', ['ticketId'])
export class TicketMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  /** `info_request`, `supplement`, `reply`, `intake_answer`, `rating_comment`, `note`, `return_reason`, `reject_detail`, `extension_reason`, `conclusion`, `decision` */
  @Column({ type: 'varchar', length: 20 }) kind!: string;
  /** internal texts are shown to staff only */
  @Column({ type: 'boolean', default: false, transformer: bool }) internal!: boolean;
  @Column({ type: 'varchar', length: 36, nullable: true }) authorId!: string | null;
  @Column({ type: 'varchar', length: 16 }) authorRole!: string;
  @Column({ type: 'text' }) body!: string;
  @Column(instant) createdAt!: Date;
}

/** An `awaiting_info` interval: the clock does not run inside it (DESIGN §4). */
@Entity('ticket_pause')
@Index('idx_ticket_pause_ticket', ['ticketId'])
export class TicketPause {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  @Column(instant) pausedAt!: Date;
  @Column({ ...instant, nullable: true }) resumedAt!: Date | null;
}

/** A request for more working days; only `approved` ones move the reply deadline. */
@Entity('ticket_extension')
@Index('idx_ticket_extension_ticket', ['ticketId'])
export class TicketExtension {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  @Column({ type: 'int' }) workingDays!: number;
  @Column({ type: 'varchar', length: 500 }) reason!: string;
  /** `requested`, `approved`, `denied`, `cancelled` (the requesting department returned the ticket undecided) */
  @Column({ type: 'varchar', length: 12 }) state!: string;
  @Column({ type: 'varchar', length: 36 }) requestedById!: string;
  @Column(instant) requestedAt!: Date;
  @Column({ type: 'varchar', length: 36, nullable: true }) decidedById!: string | null;
  @Column({ ...instant, nullable: true }) decidedAt!: Date | null;
}

/** 退单: at most once per department per cycle (首接负责), enforced by the unique key. */
@Entity('ticket_return')
@Index('uq_ticket_return', ['ticketId', 'cycle', 'departmentCode'], { unique: true })
export class TicketReturn {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'int' }) cycle!: number;
  @Column({ type: 'varchar', length: 16 }) departmentCode!: string;
  @Column(instant) returnedAt!: Date;
}

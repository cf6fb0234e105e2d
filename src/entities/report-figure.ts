import { Column, Entity, PrimaryColumn } from 'typeorm';
import { instant, jsonText } from './columns';

/**
 * A bucket of the maintained report figures (issue 15 item 2, src/domain/figures.ts): the
 * additive counts of the tickets received on one local `day` (BUSINESS_TZ, 'YYYY-MM-DD')
 * that count for one department, split by the department an integrity report accuses
 * (`accused`, '' for every other ticket) so that a viewer of the accused department can be
 * given the figures without it. Written only by `refreshFigures` (src/commands/figures.ts).
 */
@Entity('report_figure')
export class ReportFigure {
  @PrimaryColumn({ type: 'varchar', length: 16 }) departmentCode!: string;
  @PrimaryColumn({ type: 'varchar', length: 10 }) day!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) accused!: string;
  @Column({ type: 'int', default: 0 }) received!: number;
  @Column({ type: 'int', default: 0 }) signedOnTime!: number;
  @Column({ type: 'int', default: 0 }) signOwed!: number;
  @Column({ type: 'int', default: 0 }) repliedOnTime!: number;
  @Column({ type: 'int', default: 0 }) replyOwed!: number;
  @Column({ type: 'int', default: 0 }) resolved!: number;
  @Column({ type: 'int', default: 0 }) replies!: number;
  @Column({ type: 'int', default: 0 }) satisfied!: number;
  @Column({ type: 'int', default: 0 }) rated!: number;
  @Column({ type: 'int', default: 0 }) reopened!: number;
  @Column({ type: 'int', default: 0 }) answers!: number;
  @Column({ type: 'int', default: 0 }) level1!: number;
  @Column({ type: 'int', default: 0 }) level2!: number;
  @Column({ type: 'int', default: 0 }) level3!: number;
  /** the sum of the working days to each answer (the mean is handlingDays / answers) */
  @Column({ type: 'int', default: 0 }) handlingDays!: number;
}

/** A ticket's contribution as last added to the buckets (`Bucket[]` as JSON), so that a change can be applied as a difference. */
@Entity('ticket_figure')
export class TicketFigure {
  @PrimaryColumn({ type: 'varchar', length: 36 }) ticketId!: string;
  @Column({ type: 'text', transformer: jsonText }) buckets!: unknown[];
  @Column(instant) refreshedAt!: Date;
}

/**
 * A ticket whose contribution must be recomputed: marked in the transaction of every event
 * (and of a calendar change), cleared by `refreshFigures` in the transaction that applies it.
 * One row per ticket, so marking is never a hot row.
 */
@Entity('figure_dirty')
export class FigureDirty {
  @PrimaryColumn({ type: 'varchar', length: 36 }) ticketId!: string;
}

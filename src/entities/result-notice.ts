import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * A result notice (公示) of businesses proposed for 名特优新 recognition (DESIGN §6). The
 * objection window is not stored: it is computed from `publishedOn` and
 * `windowWorkingDays`, or from the explicit `windowFrom`/`windowUntil`, with the current
 * calendar (`domain/objection-window.ts`). `finalizedAt` freezes the list.
 */
@Entity('result_notice')
@Index('idx_result_notice_created', ['createdAt'])
export class ResultNotice {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  /** local date 'YYYY-MM-DD' */
  @Column({ type: 'varchar', length: 10 }) publishedOn!: string;
  /** N working days counting the publication day when it is a working day; null with explicit dates */
  @Column({ type: 'int', nullable: true }) windowWorkingDays!: number | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) windowFrom!: string | null;
  @Column({ type: 'varchar', length: 10, nullable: true }) windowUntil!: string | null;
  @Column({ type: 'varchar', length: 16 }) handlingDepartmentCode!: string;
  /** `api`, `csv` or `xlsx` */
  @Column({ type: 'varchar', length: 8 }) source!: string;
  @Column({ ...instant, nullable: true }) finalizedAt!: Date | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) finalizedById!: string | null;
  @Column({ type: 'varchar', length: 36 }) createdById!: string;
  @Column(instant) createdAt!: Date;
}

/**
 * One business on a result notice. `revokedAt` is set by an upheld objection (DESIGN §6);
 * `disputed` is derived from the undecided objections naming the entry.
 */
@Entity('result_entry')
@Index('uq_result_entry_code', ['noticeId', 'creditCode'], { unique: true })
export class ResultEntry {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) noticeId!: string;
  /** order on the notice, from 1 */
  @Column({ type: 'int' }) position!: number;
  @Column({ type: 'varchar', length: 18 }) creditCode!: string;
  @Column({ type: 'varchar', length: 100 }) businessName!: string;
  /** `famous`, `specialty`, `quality`, `emerging` */
  @Column({ type: 'varchar', length: 12 }) category!: string;
  @Column({ type: 'varchar', length: 100, nullable: true }) sector!: string | null;
  /** the operator's name as published, already masked (张**) */
  @Column({ type: 'varchar', length: 100, nullable: true }) operatorMasked!: string | null;
  @Column({ ...instant, nullable: true }) revokedAt!: Date | null;
  /** the upheld objection that revoked it */
  @Column({ type: 'varchar', length: 36, nullable: true }) revokedByTicketId!: string | null;
}

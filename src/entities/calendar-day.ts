import { Column, Entity, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/** A day of the working calendar that differs from the library: an admin override or a day of a loaded year. */
@Entity('calendar_day')
export class CalendarDay {
  /** local date 'YYYY-MM-DD' */
  @PrimaryColumn({ type: 'varchar', length: 10 }) date!: string;
  /** `holiday` or `workday` */
  @Column({ type: 'varchar', length: 8 }) type!: string;
  /** `override` (one day, PUT /calendar/days/:date) or `official` (part of a loaded year) */
  @Column({ type: 'varchar', length: 8 }) source!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) note!: string | null;
  @Column(instant) updatedAt!: Date;
}

/** A year whose full official schedule was loaded (PUT /calendar/:year). */
@Entity('calendar_year')
export class CalendarYear {
  @PrimaryColumn({ type: 'int' }) year!: number;
  @Column(instant) loadedAt!: Date;
  @Column({ type: 'varchar', length: 36 }) loadedById!: string;
}

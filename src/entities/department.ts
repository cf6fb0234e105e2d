import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bool } from './columns';

/** A government department (`data/departments.csv`); `code` is stable and used in the API. */
@Entity('department')
export class Department {
  @PrimaryColumn({ type: 'varchar', length: 16 }) code!: string;
  @Column({ type: 'varchar', length: 100 }) nameZh!: string;
  @Column({ type: 'varchar', length: 200 }) nameEn!: string;
  /** `coordinator` (SAMR, the dispatch office), `discipline` (DIS) or `department`. */
  @Column({ type: 'varchar', length: 16 }) kind!: string;
  @Column({ type: 'boolean', default: true, transformer: bool }) active!: boolean;
}

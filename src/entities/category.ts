import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bool } from './columns';

/** A complaint/suggestion category (`data/categories.csv`); the default department seeds the routing rules. */
@Entity('category')
export class Category {
  @PrimaryColumn({ type: 'varchar', length: 32 }) code!: string;
  @Column({ type: 'varchar', length: 100 }) nameZh!: string;
  @Column({ type: 'varchar', length: 200 }) nameEn!: string;
  @Column({ type: 'varchar', length: 16, nullable: true }) defaultDepartmentCode!: string | null;
  @Column({ type: 'boolean', default: true, transformer: bool }) active!: boolean;
}

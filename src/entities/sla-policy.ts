import { Column, Entity, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/** Deadlines per (kind, priority) (DESIGN §4); units `working_days` or `hours`. */
@Entity('sla_policy')
export class SlaPolicy {
  @PrimaryColumn({ type: 'varchar', length: 20 }) kind!: string;
  @PrimaryColumn({ type: 'varchar', length: 8 }) priority!: string;
  @Column({ type: 'int' }) signAmount!: number;
  @Column({ type: 'varchar', length: 16 }) signUnit!: string;
  @Column({ type: 'int' }) replyAmount!: number;
  @Column({ type: 'varchar', length: 16 }) replyUnit!: string;
  @Column(instant) updatedAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/** category → department; a ticket whose category has a rule is dispatched at creation (DESIGN §3). */
@Entity('routing_rule')
@Index('uq_routing_rule_category', ['categoryCode'], { unique: true })
export class RoutingRule {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 32 }) categoryCode!: string;
  @Column({ type: 'varchar', length: 16 }) departmentCode!: string;
  @Column(instant) updatedAt!: Date;
}

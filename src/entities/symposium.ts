import { Column, Entity, PrimaryColumn } from 'typeorm';
import { instant, jsonText } from './columns';

export interface Attendee {
  name: string;
  phone?: string;
  email?: string;
  businessName?: string;
}

/** A symposium (座谈会) whose raised issues become tickets on channel `symposium` (DESIGN §8). */
@Entity('symposium')
export class Symposium {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) title!: string;
  /** local date 'YYYY-MM-DD' */
  @Column({ type: 'varchar', length: 10 }) heldOn!: string;
  @Column({ type: 'varchar', length: 16 }) hostDepartmentCode!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) place!: string | null;
  @Column({ type: 'text', transformer: jsonText }) attendees!: Attendee[];
  @Column({ type: 'varchar', length: 36 }) createdById!: string;
  @Column(instant) createdAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bool, instant, jsonText } from './columns';

export type Role = 'owner' | 'intake' | 'handler' | 'coordinator' | 'supervisor' | 'admin';

/** Staff and owner accounts. Owners sign in with their phone number as `username`. */
@Entity('app_user')
@Index('uq_app_user_username', ['username'], { unique: true })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 64 }) username!: string;
  @Column({ type: 'varchar', length: 255 }) passwordHash!: string;
  @Column({ type: 'varchar', length: 16 }) role!: Role;
  @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) phone!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) departmentCode!: string | null;
  @Column({ type: 'boolean', default: false, transformer: bool }) isHead!: boolean;
  @Column({ type: 'varchar', length: 18, nullable: true }) creditCode!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) businessName!: string | null;
  /** per-event mail preferences `{ [event]: boolean }` (DESIGN §10) */
  @Column({ type: 'text', nullable: true, transformer: jsonText }) notifyPrefs!: Record<string, boolean> | null;
  @Column({ type: 'boolean', default: true, transformer: bool }) active!: boolean;
  /** set by an admin's password reset: the account may do nothing but change its password */
  @Column({ type: 'boolean', default: false, transformer: bool }) mustChangePassword!: boolean;
  /** raised when every session must end (password reset or change, deactivation); bearer tokens carry the version they were issued at */
  @Column({ type: 'int', default: 0 }) sessionVersion!: number;
  @Column(instant) createdAt!: Date;
}

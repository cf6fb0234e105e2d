import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { instant } from './columns';

/**
 * A signed-in page session (cookie sessions for the web pages, docs/decisions/pages.md).
 * The cookie carries a random token; the row is keyed by its SHA-256, so a database read
 * does not yield usable cookies. Kept in the database so that every API process shares it;
 * deleting the row signs the browser out everywhere at once.
 */
@Entity('web_session')
@Index('idx_web_session_user', ['userId'])
@Index('idx_web_session_idle', ['idleExpiresAt'])
export class WebSession {
  /** SHA-256 (hex) of the cookie token */
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 36 }) userId!: string;
  @Column(instant) createdAt!: Date;
  /** last request seen (written at most once a minute) */
  @Column(instant) lastSeenAt!: Date;
  /** lastSeenAt + the idle timeout (`SESSION_IDLE_MINUTES`) */
  @Column(instant) idleExpiresAt!: Date;
  /** createdAt + 12 h: a session never outlives a working day, however active */
  @Column(instant) absoluteExpiresAt!: Date;
  /**
   * a one-time message for the next page (Post/Redirect/Get: a temporary password, new access
   * codes), AES-256-GCM under a key derived from the cookie token, which the row does not hold
   * (`SessionStore.setFlash` / `takeFlash`); null when there is none
   */
  @Column({ type: 'text', nullable: true }) flash!: string | null;
}

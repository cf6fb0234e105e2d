import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A one-time message of a page session (issue 10): `web_session.flash` holds what a POST's
 * result page shows once after its redirect (Post/Redirect/Get) — a temporary password, a
 * symposium's new access codes —, sealed with a key only the session's cookie token gives
 * (the row holds the token's SHA-256), and cleared by the GET that shows it. The same file
 * serves MariaDB and SQLite.
 */
export class SessionFlash1796600000000 implements MigrationInterface {
  name = 'SessionFlash1796600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('web_session', new TableColumn({ name: 'flash', type: 'text', isNullable: true }));
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('web_session', 'flash');
  }
}

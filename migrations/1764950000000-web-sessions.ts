import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Page sessions (issue 9, docs/decisions/pages.md): one row per signed-in browser, shared by every API process. */
export class WebSessions1764950000000 implements MigrationInterface {
  name = 'WebSessions1764950000000';

  public async up(q: QueryRunner): Promise<void> {
    const at = (name: string) => ({ name, type: 'datetime', precision: 3 });
    await q.createTable(
      new Table({
        name: 'web_session',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          at('created_at'),
          at('last_seen_at'),
          at('idle_expires_at'),
          at('absolute_expires_at'),
        ],
        indices: [
          { name: 'idx_web_session_user', columnNames: ['user_id'] },
          { name: 'idx_web_session_idle', columnNames: ['idle_expires_at'] },
        ],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('web_session');
  }
}

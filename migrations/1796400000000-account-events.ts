import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Account changes recorded (issue 10, docs/decisions/accounts.md): one `account_event` row per
 * change of a staff account (created, updated, deactivated, reactivated, password reset or
 * changed); `must_change_password` after an admin's reset; `session_version`, raised whenever
 * every session of the account must end (its bearer tokens carry the version they were issued at).
 */
export class AccountEvents1796400000000 implements MigrationInterface {
  name = 'AccountEvents1796400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('app_user', new TableColumn({ name: 'must_change_password', type: 'boolean', default: false }));
    await q.addColumn('app_user', new TableColumn({ name: 'session_version', type: 'int', default: 0 }));
    await q.createTable(
      new Table({
        name: 'account_event',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'seq', type: 'int' },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'actor_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'via', type: 'varchar', length: '8' },
          { name: 'at', type: 'datetime', precision: 3 },
          { name: 'payload', type: 'text', isNullable: true },
        ],
        indices: [{ name: 'uq_account_event_seq', columnNames: ['user_id', 'seq'], isUnique: true }],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('account_event');
    await q.dropColumn('app_user', 'session_version');
    await q.dropColumn('app_user', 'must_change_password');
  }
}

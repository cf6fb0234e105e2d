import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * SMS as a second channel of the outbox (issue 11, docs/decisions/notifications.md):
 * `outbox_message.channel` (`email` for every row before), `not_before` (service clock: quiet
 * hours for owners), `segments` (parts of a text); `sms_receipt`, one row per delivery receipt
 * (per segment message id); `phone_verification`, the hashed one-time codes that prove a phone
 * for owner registration and password reset. The same file serves MariaDB and SQLite.
 */
export class SmsChannel1796500000000 implements MigrationInterface {
  name = 'SmsChannel1796500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('outbox_message', new TableColumn({ name: 'channel', type: 'varchar', length: '8', default: "'email'" }));
    await q.addColumn('outbox_message', new TableColumn({ name: 'not_before', type: 'datetime', precision: 3, isNullable: true }));
    await q.addColumn('outbox_message', new TableColumn({ name: 'segments', type: 'int', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'sms_receipt',
        columns: [
          { name: 'message_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'outbox_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'error', type: 'varchar', length: '8', isNullable: true },
          { name: 'received_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'idx_sms_receipt_outbox', columnNames: ['outbox_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'phone_verification',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'phone', type: 'varchar', length: '20' },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'attempts', type: 'int', default: 0 },
          { name: 'expires_at', type: 'datetime', precision: 3 },
          { name: 'used_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'created_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'idx_phone_verification', columnNames: ['phone', 'purpose', 'created_at'] }],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('phone_verification');
    await q.dropTable('sms_receipt');
    await q.dropColumn('outbox_message', 'segments');
    await q.dropColumn('outbox_message', 'not_before');
    await q.dropColumn('outbox_message', 'channel');
  }
}

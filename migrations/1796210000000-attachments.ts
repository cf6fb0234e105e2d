import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });

/** Files attached to tickets (issue 12): one row per stored file, written with the event that brought it. */
export class Attachments1796210000000 implements MigrationInterface {
  name = 'Attachments1796210000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'ticket_attachment',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          str('ticket_id', 36),
          { name: 'cycle', type: 'int' },
          str('event_id', 36),
          { name: 'event_seq', type: 'int' },
          { name: 'position', type: 'int' },
          str('context', 20),
          str('order_id', 36, true),
          { name: 'internal', type: 'boolean', default: false },
          str('name', 255),
          str('media_type', 100),
          { name: 'size', type: 'int' },
          str('sha256', 64),
          { name: 'has_preview', type: 'boolean', default: false },
          str('uploader_id', 36, true),
          str('uploader_role', 16),
          { name: 'created_at', type: 'datetime', precision: 3 },
        ],
        indices: [{ name: 'idx_ticket_attachment_ticket', columnNames: ['ticket_id', 'event_seq'] }],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_attachment');
  }
}

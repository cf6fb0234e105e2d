import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndexOptions } from 'typeorm';

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const at = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const idx = (name: string, columnNames: string[], isUnique = false): TableIndexOptions => ({ name, columnNames, isUnique });

/** The notification outbox (issue 4, DESIGN §10): one row per (event, recipient). */
export class Outbox1764600000000 implements MigrationInterface {
  name = 'Outbox1764600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'outbox_message',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          str('dedupe_key', 64),
          str('source_key', 160),
          str('notice', 40),
          str('ticket_id', 36, true),
          str('ticket_number', 32, true),
          { name: 'sensitive', type: 'boolean', default: false },
          str('recipient', 254, true),
          str('recipient_user_id', 36, true),
          str('recipient_role', 16),
          str('subject', 300),
          { name: 'body_text', type: 'text' },
          { name: 'body_html', type: 'text' },
          str('state', 12),
          { name: 'attempts', type: 'int', default: 0 },
          str('last_error', 500, true),
          str('message_id', 255, true),
          at('next_attempt_at'),
          at('claimed_until', true),
          at('sent_at', true),
          at('created_at'),
          at('updated_at'),
        ],
        indices: [
          idx('uq_outbox_dedupe', ['dedupe_key'], true),
          idx('idx_outbox_state_next', ['state', 'next_attempt_at']),
          idx('idx_outbox_created', ['created_at', 'id']),
          idx('idx_outbox_ticket', ['ticket_id']),
        ],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('outbox_message');
  }
}

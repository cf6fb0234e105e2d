import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndexOptions } from 'typeorm';

// Dialect-neutral column shorthands (MariaDB and SQLite run the same migration).
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const int = (name: string): TableColumnOptions => ({ name, type: 'int' });
const at = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const idx = (name: string, columnNames: string[], isUnique = false): TableIndexOptions => ({ name, columnNames, isUnique });

/**
 * The clock acting on its own (issue 3): escalations (one row per ticket, cycle and level:
 * the unique key decides the winner), oversight orders, due-soon notices, and the shared
 * offset of the test clock.
 */
export class EscalationAndOversight1764500000000 implements MigrationInterface {
  name = 'EscalationAndOversight1764500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'escalation',
        columns: [
          id(),
          str('ticket_id', 36),
          int('cycle'),
          int('level'),
          str('reason', 24),
          str('target', 24),
          str('department_code', 16, true),
          at('triggered_at', true),
          at('escalated_at'),
          str('actor_id', 36, true),
          str('actor_role', 16),
          str('order_id', 36, true),
        ],
        indices: [idx('uq_escalation_ticket_cycle_level', ['ticket_id', 'cycle', 'level'], true), idx('idx_escalation_department', ['department_code', 'escalated_at'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'oversight_order',
        columns: [
          id(),
          str('ticket_id', 36),
          str('ticket_number', 32),
          int('cycle'),
          int('level'),
          str('escalation_id', 36),
          str('reason', 24),
          str('department_code', 16, true),
          str('state', 12),
          text('note', true),
          at('opened_at'),
          at('respond_by'),
          { name: 'respond_by_provisional', type: 'boolean', default: false },
          at('watch_at', true),
          at('late_at', true),
          at('responded_at', true),
          str('responded_by_id', 36, true),
          text('response', true),
          at('closed_at', true),
          str('closed_by_id', 36, true),
          text('close_note', true),
        ],
        indices: [
          idx('idx_oversight_order_ticket', ['ticket_id']),
          idx('idx_oversight_order_dept_state', ['department_code', 'state']),
          idx('idx_oversight_order_watch', ['watch_at']),
          idx('idx_oversight_order_opened', ['opened_at']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'deadline_notice',
        columns: [id(), str('ticket_id', 36), int('cycle'), str('deadline', 12), at('due_at'), at('sent_at')],
        indices: [idx('uq_deadline_notice', ['ticket_id', 'cycle', 'deadline', 'due_at'], true)],
      }),
    );
    await q.createTable(new Table({ name: 'test_clock', columns: [{ name: 'id', type: 'varchar', length: '16', isPrimary: true }, { name: 'offset_ms', type: 'bigint' }, at('updated_at')] }));
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of ['test_clock', 'deadline_notice', 'oversight_order', 'escalation']) await q.dropTable(t);
  }
}

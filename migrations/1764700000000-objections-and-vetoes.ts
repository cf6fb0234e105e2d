import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndexOptions } from 'typeorm';

// Dialect-neutral column shorthands (MariaDB and SQLite run the same migration).
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'int', isNullable: nullable });
const at = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const idx = (name: string, columnNames: string[], isUnique = false): TableIndexOptions => ({ name, columnNames, isUnique });

/** Result notices and their entries (DESIGN §6); the veto register (DESIGN §7). Issue 5. */
export class ObjectionsAndVetoes1764700000000 implements MigrationInterface {
  name = 'ObjectionsAndVetoes1764700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'result_notice',
        columns: [
          id(),
          str('title', 200),
          str('published_on', 10),
          int('window_working_days', true),
          str('window_from', 10, true),
          str('window_until', 10, true),
          str('handling_department_code', 16),
          str('source', 8),
          at('finalized_at', true),
          str('finalized_by_id', 36, true),
          str('created_by_id', 36),
          at('created_at'),
        ],
        indices: [idx('idx_result_notice_created', ['created_at'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'result_entry',
        columns: [
          id(),
          str('notice_id', 36),
          int('position'),
          str('credit_code', 18),
          str('business_name', 100),
          str('category', 12),
          str('sector', 100, true),
          str('operator_masked', 100, true),
          at('revoked_at', true),
          str('revoked_by_ticket_id', 36, true),
        ],
        indices: [idx('uq_result_entry_code', ['notice_id', 'credit_code'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'veto',
        columns: [id(), str('department_code', 16), int('year'), at('created_at'), str('created_by_id', 36)],
        indices: [idx('uq_veto_department_year', ['department_code', 'year'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'veto_cause',
        columns: [id(), str('veto_id', 36), str('ticket_id', 36), str('ticket_number', 32), at('added_at'), str('added_by_id', 36), at('revoked_at', true)],
        indices: [idx('uq_veto_cause_ticket', ['ticket_id'], true), idx('idx_veto_cause_veto', ['veto_id'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'veto_history',
        columns: [id(), str('veto_id', 36), int('seq'), str('type', 20), at('at'), str('actor_id', 36), str('ticket_id', 36, true), text('reason', true)],
        indices: [idx('uq_veto_history_seq', ['veto_id', 'seq'], true)],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of ['veto_history', 'veto_cause', 'veto', 'result_entry', 'result_notice']) await q.dropTable(t);
  }
}

import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndexOptions } from 'typeorm';

// Dialect-neutral column shorthands (MariaDB and SQLite run the same migration).
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, nullable = false, def?: number): TableColumnOptions => ({ name, type: 'int', isNullable: nullable, ...(def === undefined ? {} : { default: def }) });
const bool = (name: string, def: boolean): TableColumnOptions => ({ name, type: 'boolean', default: def });
const at = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const idx = (name: string, columnNames: string[], isUnique = false): TableIndexOptions => ({ name, columnNames, isUnique });

/** The core loop: reference data, accounts, tickets and their timeline (issue 2). */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({ name: 'department', columns: [{ name: 'code', type: 'varchar', length: '16', isPrimary: true }, str('name_zh', 100), str('name_en', 200), str('kind', 16), bool('active', true)] }),
    );
    await q.createTable(
      new Table({
        name: 'category',
        columns: [{ name: 'code', type: 'varchar', length: '32', isPrimary: true }, str('name_zh', 100), str('name_en', 200), str('default_department_code', 16, true), bool('active', true)],
      }),
    );
    await q.createTable(
      new Table({ name: 'routing_rule', columns: [id(), str('category_code', 32), str('department_code', 16), at('updated_at')], indices: [idx('uq_routing_rule_category', ['category_code'], true)] }),
    );
    await q.createTable(
      new Table({
        name: 'sla_policy',
        columns: [
          { name: 'kind', type: 'varchar', length: '20', isPrimary: true },
          { name: 'priority', type: 'varchar', length: '8', isPrimary: true },
          int('sign_amount'),
          str('sign_unit', 16),
          int('reply_amount'),
          str('reply_unit', 16),
          at('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'app_user',
        columns: [
          id(),
          str('username', 64),
          str('password_hash', 255),
          str('role', 16),
          str('name', 100),
          str('email', 254, true),
          str('phone', 20, true),
          str('department_code', 16, true),
          bool('is_head', false),
          str('credit_code', 18, true),
          str('business_name', 100, true),
          text('notify_prefs', true),
          bool('active', true),
          at('created_at'),
        ],
        indices: [idx('uq_app_user_username', ['username'], true)],
      }),
    );
    await q.createTable(new Table({ name: 'ticket_counter', columns: [{ name: 'year', type: 'int', isPrimary: true }, int('last_value')] }));
    await q.createTable(
      new Table({
        name: 'ticket',
        columns: [
          id(),
          str('number', 32),
          str('kind', 20),
          str('channel', 12),
          str('category_code', 32, true),
          str('priority', 8),
          str('state', 16),
          int('cycle'),
          str('department_code', 16, true),
          str('title', 200),
          text('description'),
          str('submitter_id', 36, true),
          str('created_by_id', 36, true),
          bool('anonymous', false),
          str('access_code_hash', 255, true),
          text('contact', true),
          str('source_id', 64, true),
          at('received_at'),
          at('cycle_started_at'),
          at('routing_clock_start', true),
          at('dispatch_by', true),
          at('sign_by', true),
          at('reply_by', true),
          at('red_by', true),
          at('rate_by', true),
          at('due_soon_at', true),
          bool('deadlines_provisional', false),
          at('next_check_at', true),
          at('paused_at', true),
          int('escalation_level', false, 0),
          str('outcome', 16, true),
          at('replied_at', true),
          str('rating', 24, true),
          at('rated_at', true),
          at('closed_at', true),
          str('reject_ground', 32, true),
          str('merged_into_id', 36, true),
          str('symposium_id', 36, true),
          str('result_notice_id', 36, true),
          str('result_entry_id', 36, true),
          str('subject_credit_code', 18, true),
          str('decision', 16, true),
          str('accused_department_code', 16, true),
          str('accused_person', 100, true),
          str('demand', 16, true),
          { name: 'amount_yuan', type: 'decimal', precision: 14, scale: 2, isNullable: true },
          str('occurred_on', 10, true),
          str('finding', 20, true),
          int('version'),
          at('created_at'),
          at('updated_at'),
        ],
        indices: [
          idx('uq_ticket_number', ['number'], true),
          idx('uq_ticket_source', ['source_id'], true),
          idx('idx_ticket_dept_state', ['department_code', 'state']),
          idx('idx_ticket_state', ['state']),
          idx('idx_ticket_next_check', ['next_check_at']),
          idx('idx_ticket_submitter', ['submitter_id']),
          idx('idx_ticket_created', ['created_at']),
          idx('idx_ticket_received', ['received_at']),
          idx('idx_ticket_result_notice', ['result_notice_id']),
          idx('idx_ticket_symposium', ['symposium_id']),
          idx('idx_ticket_accused', ['accused_department_code']),
          idx('idx_ticket_due_soon', ['due_soon_at']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_event',
        columns: [
          id(),
          str('ticket_id', 36),
          int('seq'),
          int('cycle'),
          str('type', 32),
          str('actor_id', 36, true),
          str('actor_role', 16),
          at('at'),
          str('from_state', 16, true),
          str('to_state', 16, true),
          text('payload'),
          str('prev_hash', 64),
          str('hash', 64),
        ],
        indices: [idx('uq_ticket_event_seq', ['ticket_id', 'seq'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_message',
        columns: [id(), str('ticket_id', 36), int('cycle'), str('kind', 20), bool('internal', false), str('author_id', 36, true), str('author_role', 16), text('body'), at('created_at')],
        indices: [idx('idx_ticket_message_ticket', ['ticket_id'])],
      }),
    );
    await q.createTable(
      new Table({ name: 'ticket_pause', columns: [id(), str('ticket_id', 36), int('cycle'), at('paused_at'), at('resumed_at', true)], indices: [idx('idx_ticket_pause_ticket', ['ticket_id'])] }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_extension',
        columns: [
          id(),
          str('ticket_id', 36),
          int('cycle'),
          int('working_days'),
          str('reason', 500),
          str('state', 12),
          str('requested_by_id', 36),
          at('requested_at'),
          str('decided_by_id', 36, true),
          at('decided_at', true),
        ],
        indices: [idx('idx_ticket_extension_ticket', ['ticket_id'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_return',
        columns: [id(), str('ticket_id', 36), int('cycle'), str('department_code', 16), at('returned_at')],
        indices: [idx('uq_ticket_return', ['ticket_id', 'cycle', 'department_code'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'symposium',
        columns: [id(), str('title', 200), str('held_on', 10), str('host_department_code', 16), str('place', 200, true), text('attendees'), str('created_by_id', 36), at('created_at')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'idempotency_key',
        columns: [
          { name: 'scope', type: 'varchar', length: '80', isPrimary: true },
          { name: 'idem_key', type: 'varchar', length: '128', isPrimary: true },
          str('request_hash', 64),
          str('ticket_id', 36),
          str('access_code', 32, true),
          at('created_at'),
          at('expires_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({ name: 'calendar_day', columns: [{ name: 'date', type: 'varchar', length: '10', isPrimary: true }, str('type', 8), str('source', 8), str('note', 200, true), at('updated_at')] }),
    );
    await q.createTable(new Table({ name: 'calendar_year', columns: [{ name: 'year', type: 'int', isPrimary: true }, at('loaded_at'), str('loaded_by_id', 36)] }));
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'calendar_year',
      'calendar_day',
      'idempotency_key',
      'symposium',
      'ticket_return',
      'ticket_extension',
      'ticket_pause',
      'ticket_message',
      'ticket_event',
      'ticket',
      'ticket_counter',
      'app_user',
      'sla_policy',
      'routing_rule',
      'category',
      'department',
    ]) {
      await q.dropTable(t);
    }
  }
}

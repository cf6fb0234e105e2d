import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The head's overview (issue 15, `departmentOverview`, src/queries/department-overview.ts)
 * answered from an index alone: its per-level count (open tickets of the department with
 * `escalation_level > 0`, grouped by level) and its due-soon count (`due_soon_key`, 1798000000000)
 * read every open ticket's row. With `escalation_level` and `due_soon_key` at the end of
 * `idx_ticket_dept_state_deadline` (1798100000000) they read the index entries the per-state and
 * overdue counts already read, and no row. The leading
 * columns are kept, so every plan that used the index still can. `down` restores it.
 */
const NAME = 'idx_ticket_dept_state_deadline';
const BEFORE = ['department_code', 'state', 'list_deadline', 'id', 'kind', 'accused_department_code', 'received_at', 'sign_by', 'reply_by'];
const AFTER = [...BEFORE, 'escalation_level', 'due_soon_key'];

async function rebuild(q: QueryRunner, columns: string[]): Promise<void> {
  const mysql = q.connection.driver.options.type === 'mysql' || q.connection.driver.options.type === 'mariadb';
  if (mysql) {
    // one ALTER: the table stays readable and the old index serves until the new one is built
    await q.query(`ALTER TABLE \`ticket\` DROP INDEX \`${NAME}\`, ADD INDEX \`${NAME}\` (${columns.map((c) => `\`${c}\``).join(', ')})`);
  } else {
    await q.query(`DROP INDEX "${NAME}"`);
    await q.query(`CREATE INDEX "${NAME}" ON "ticket" (${columns.map((c) => `"${c}"`).join(', ')})`);
  }
}

export class TicketOverviewLevelIndex1798300000000 implements MigrationInterface {
  name = 'TicketOverviewLevelIndex1798300000000';

  public async up(q: QueryRunner): Promise<void> {
    await rebuild(q, AFTER);
  }

  public async down(q: QueryRunner): Promise<void> {
    await rebuild(q, BEFORE);
  }
}

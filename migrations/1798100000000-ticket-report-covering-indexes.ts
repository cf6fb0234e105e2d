import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The report's reads from `ticket` answered from indexes alone (issue 15: the year's report for
 * every department at 1,000,000 tickets):
 * - `idx_ticket_dept_state_deadline` (1798000000000) gains `received_at`, `sign_by`, `reply_by`:
 *   the live part of the figures (`readLive`, src/commands/figures.ts: the missed deadlines of
 *   open tickets, per department) reads the overdue tickets' entries of that index and no row.
 * - `idx_ticket_accused` (accused_department_code) gains `occurred_on`, `kind`, `finding`: the
 *   integrity findings a report and the assessment count (`integrityFindings`,
 *   `substantiatedCases`) are read from the index.
 * Both keep their leading columns, so every plan that used them still can. `down` restores them.
 */
const INDEXES_1798100000000: [name: string, before: string[], after: string[]][] = [
  [
    'idx_ticket_dept_state_deadline',
    ['department_code', 'state', 'list_deadline', 'id', 'kind', 'accused_department_code'],
    ['department_code', 'state', 'list_deadline', 'id', 'kind', 'accused_department_code', 'received_at', 'sign_by', 'reply_by'],
  ],
  ['idx_ticket_accused', ['accused_department_code'], ['accused_department_code', 'occurred_on', 'kind', 'finding']],
];

async function rebuild(q: QueryRunner, pick: 'before' | 'after'): Promise<void> {
  const mysql = q.connection.driver.options.type === 'mysql' || q.connection.driver.options.type === 'mariadb';
  const cols = (c: string[], quote: string) => c.map((x) => `${quote}${x}${quote}`).join(', ');
  if (mysql) {
    // one ALTER: the table stays readable and the old index serves until the new one is built
    await q.query(`ALTER TABLE \`ticket\` ${INDEXES_1798100000000.map(([n, b, a]) => `DROP INDEX \`${n}\`, ADD INDEX \`${n}\` (${cols(pick === 'after' ? a : b, '`')})`).join(', ')}`);
  } else {
    for (const [n, b, a] of INDEXES_1798100000000) {
      await q.query(`DROP INDEX "${n}"`);
      await q.query(`CREATE INDEX "${n}" ON "ticket" (${cols(pick === 'after' ? a : b, '"')})`);
    }
  }
}

export class TicketReportCoveringIndexes1798100000000 implements MigrationInterface {
  name = 'TicketReportCoveringIndexes1798100000000';

  public async up(q: QueryRunner): Promise<void> {
    await rebuild(q, 'after');
  }

  public async down(q: QueryRunner): Promise<void> {
    await rebuild(q, 'before');
  }
}

import { MigrationInterface, QueryRunner, Table } from 'typeorm';

const COUNTS = [
  'received',
  'signed_on_time',
  'sign_owed',
  'replied_on_time',
  'reply_owed',
  'resolved',
  'replies',
  'satisfied',
  'rated',
  'reopened',
  'answers',
  'level1',
  'level2',
  'level3',
  'handling_days',
];

/**
 * Maintained report figures (issue 15 item 2, docs/decisions/reporting.md): `report_figure`
 * (additive counts per department, local day of receipt and accused department),
 * `ticket_figure` (each ticket's contribution as last applied) and `figure_dirty` (tickets
 * to recompute). Every existing ticket is marked, so the first refresh builds the figures of
 * the history. The same file serves MariaDB and SQLite; `down` drops the three tables.
 */
export class ReportFigures1796800000000 implements MigrationInterface {
  name = 'ReportFigures1796800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'report_figure',
        columns: [
          { name: 'department_code', type: 'varchar', length: '16', isPrimary: true },
          { name: 'day', type: 'varchar', length: '10', isPrimary: true },
          { name: 'accused', type: 'varchar', length: '16', isPrimary: true },
          ...COUNTS.map((name) => ({ name, type: 'int', default: 0 })),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ticket_figure',
        columns: [
          { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'buckets', type: 'text' },
          { name: 'refreshed_at', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await q.createTable(new Table({ name: 'figure_dirty', columns: [{ name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true }] }));
    await q.query('INSERT INTO figure_dirty (ticket_id) SELECT id FROM ticket');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('figure_dirty');
    await q.dropTable('ticket_figure');
    await q.dropTable('report_figure');
  }
}

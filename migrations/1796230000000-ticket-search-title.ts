import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { searchForm } from '../src/domain/text';

/**
 * The title as searched (issue 13 item 10): `ticket.search_title` holds `searchForm(title)`
 * (NFKC, invisible characters removed, lower case), so that a zero-width character inside a
 * word cannot hide a ticket from `GET /tickets?q=`; the title stays as given. Existing rows
 * are filled here, 500 at a time in id order. `down` drops the column.
 */
export class TicketSearchTitle1796230000000 implements MigrationInterface {
  name = 'TicketSearchTitle1796230000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('ticket', new TableColumn({ name: 'search_title', type: 'varchar', length: '800', default: "''" }));
    let after = '';
    for (;;) {
      const rows: { id: string; title: string }[] = await q.query('SELECT id, title FROM ticket WHERE id > ? ORDER BY id LIMIT 500', [after]);
      if (!rows.length) break;
      for (const r of rows) await q.query('UPDATE ticket SET search_title = ? WHERE id = ?', [searchForm(r.title), r.id]);
      after = rows[rows.length - 1].id;
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('ticket', 'search_title');
  }
}

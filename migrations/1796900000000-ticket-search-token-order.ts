import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { reindexSearch } from '../src/commands/search-index';
import { ticketSearchTokens } from '../src/domain/search';

const mysqlOf = (q: QueryRunner) => ['mysql', 'mariadb'].includes(q.connection.options.type);
const token = (q: QueryRunner) => ({ name: 'token', type: 'varchar', length: '64', isPrimary: true, ...(mysqlOf(q) ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}) });

/**
 * The search index keyed newest first (issue 15 item 3, docs/decisions/search.md):
 * `ticket_search_token` gets the ticket's `created_at` in its primary key (token,
 * created_at, ticket_id), so that a list of a common word's tickets, newest first, reads the
 * index in order and stops at the page's end instead of sorting every match (measured:
 * docs/performance.md). The table holds only derived rows: it is recreated and every ticket
 * indexed again, 2,000 at a time (`reindexSearch`). `down` restores the (token, ticket_id)
 * table of `1796700000000-ticket-search-tokens`, filled again.
 */
export class TicketSearchTokenOrder1796900000000 implements MigrationInterface {
  name = 'TicketSearchTokenOrder1796900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_search_token');
    await q.createTable(
      new Table({
        name: 'ticket_search_token',
        columns: [token(q), { name: 'created_at', type: 'datetime', precision: 3, isPrimary: true }, { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true }],
        indices: [{ name: 'idx_ticket_search_token_ticket', columnNames: ['ticket_id'] }],
      }),
    );
    let after: string | undefined;
    for (;;) {
      const r = await reindexSearch(q.manager, { after, limit: 2000 });
      if (!r.last) break;
      after = r.last;
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_search_token');
    await q.createTable(
      new Table({
        name: 'ticket_search_token',
        columns: [token(q), { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true }],
        indices: [{ name: 'idx_ticket_search_token_ticket', columnNames: ['ticket_id'] }],
      }),
    );
    let after = '';
    for (;;) {
      const rows: { id: string; kind: never; number: string; title: string; description: string; contact: string | null; subject_credit_code: string | null }[] = await q.query(
        'SELECT id, kind, number, title, description, contact, subject_credit_code FROM ticket WHERE id > ? ORDER BY id LIMIT 500',
        [after],
      );
      if (!rows.length) break;
      for (const r of rows) {
        const tokens = ticketSearchTokens({
          kind: r.kind,
          number: r.number,
          title: r.title,
          description: r.description,
          contact: r.contact ? JSON.parse(r.contact) : null,
          subjectCreditCode: r.subject_credit_code,
        });
        if (tokens.length)
          await q.query(
            `INSERT INTO ticket_search_token (token, ticket_id) VALUES ${tokens.map(() => '(?, ?)').join(', ')}`,
            tokens.flatMap((x) => [x, r.id]),
          );
      }
      after = rows[rows.length - 1].id;
    }
  }
}

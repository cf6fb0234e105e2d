import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { reindexSearch } from '../src/commands/search-index';

/**
 * The search index (issue 15 item 3, docs/decisions/search.md): `ticket_search_token`, one row
 * per (token, ticket), primary key (token, ticket_id) for the query's joins, an index on
 * ticket_id for rewriting one ticket's rows. The token compares byte for byte on both
 * databases (`utf8mb4_bin` on MariaDB; SQLite's default is binary). Existing tickets are
 * indexed here, 2,000 at a time in id order (`reindexSearch`). `down` drops the table.
 */
export class TicketSearchTokens1796700000000 implements MigrationInterface {
  name = 'TicketSearchTokens1796700000000';

  public async up(q: QueryRunner): Promise<void> {
    const mysql = ['mysql', 'mariadb'].includes(q.connection.options.type);
    await q.createTable(new Table({ name: 'ticket_search_token', columns: [
      { name: 'token', type: 'varchar', length: '64', isPrimary: true, ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}) },
      { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true },
    ], indices: [{ name: 'idx_ticket_search_token_ticket', columnNames: ['ticket_id'] }] }));
    let after: string | undefined;
    for (;;) {
      const r = await reindexSearch(q.manager, { after, limit: 2000 });
      if (!r.last) break;
      after = r.last;
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_search_token');
  }
}

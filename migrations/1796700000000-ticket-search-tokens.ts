import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * The search index (issue 15 item 3, docs/decisions/search.md): `ticket_search_token`, one row
 * per (token, ticket), primary key (token, ticket_id) for the query's joins, an index on
 * ticket_id for rewriting one ticket's rows. The token compares byte for byte on both
 * databases (`utf8mb4_bin` on MariaDB; SQLite's default is binary). `down` drops the table.
 * The existing tickets are indexed by the next migration, which gives the table its final
 * key (`1796900000000-ticket-search-token-order`; this one filled it too when it landed
 * alone, and the next one recreates it).
 */
export class TicketSearchTokens1796700000000 implements MigrationInterface {
  name = 'TicketSearchTokens1796700000000';

  public async up(q: QueryRunner): Promise<void> {
    const mysql = ['mysql', 'mariadb'].includes(q.connection.options.type);
    await q.createTable(
      new Table({
        name: 'ticket_search_token',
        columns: [
          { name: 'token', type: 'varchar', length: '64', isPrimary: true, ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}) },
          { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true },
        ],
        indices: [{ name: 'idx_ticket_search_token_ticket', columnNames: ['ticket_id'] }],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('ticket_search_token');
  }
}

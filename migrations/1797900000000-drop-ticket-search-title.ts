import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops `ticket.search_title` (added by 1796230000000 for `q=` as a substring of the title):
 * since the search index (1796700000000, docs/decisions/search.md) no query reads it, and
 * every ticket row carried up to 800 more bytes. Plain `ALTER TABLE … DROP COLUMN` on both
 * databases (MariaDB drops it in place; SQLite ≥ 3.35 drops an unindexed column without
 * rebuilding the table). `down` adds the column back empty: nothing reads it.
 */
export class DropTicketSearchTitle1797900000000 implements MigrationInterface {
  name = 'DropTicketSearchTitle1797900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE ticket DROP COLUMN search_title');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE ticket ADD COLUMN search_title varchar(800) NOT NULL DEFAULT ''");
  }
}

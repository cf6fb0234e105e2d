import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `outbox_message.claim_token` (issue 15 item 4): the mail worker claims the rows of several
 * jobs in one UPDATE (`… SET claim_token = <random>, claimed_until = … WHERE id IN (…) AND
 * <free>`) and reads them back in one SELECT; the rows carrying its token are the ones it won
 * (MariaDB's UPDATE returns no rows). Null on every row before, and again once a row is sent,
 * failed or deferred. The same file serves MariaDB and SQLite.
 */
export class OutboxClaimToken1798200000000 implements MigrationInterface {
  name = 'OutboxClaimToken1798200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('outbox_message', new TableColumn({ name: 'claim_token', type: 'varchar', length: '32', isNullable: true }));
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('outbox_message', 'claim_token');
  }
}

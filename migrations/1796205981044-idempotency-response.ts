import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Idempotency-Key rows keep the first response, sealed (issue 13 item 5): a retry returns
 * what the first response returned, never the ticket as it is now. Rows written before this
 * migration have none and replay the receipt (id, number, kind) only.
 */
export class IdempotencyResponse1796205981044 implements MigrationInterface {
  name = 'IdempotencyResponse1796205981044';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('idempotency_key', new TableColumn({ name: 'response', type: 'text', isNullable: true }));
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('idempotency_key', 'response');
  }
}

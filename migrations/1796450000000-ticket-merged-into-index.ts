import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * An index on `ticket.merged_into_id` (issue 13 items 1 and 2): the tickets merged into a
 * primary are read under a lock (SELECT … FOR UPDATE) when it is merged on or ends without an
 * answer; without the index that locking read would lock every row it scans. `down` drops it.
 */
export class TicketMergedIntoIndex1796450000000 implements MigrationInterface {
  name = 'TicketMergedIntoIndex1796450000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.createIndex('ticket', new TableIndex({ name: 'idx_ticket_merged_into', columnNames: ['merged_into_id'] }));
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('ticket', 'idx_ticket_merged_into');
  }
}

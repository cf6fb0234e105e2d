import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Keyed event chain (issue 13 item 9): each event names the key of its HMAC (`key_id`;
 * NULL for the unkeyed SHA-256 events written before), and chains that end in unkeyed
 * events get a keyed seal over their head (`event_chain_seal`, written by the workers'
 * sweep or `npm run cli -- seal-event-chains`, which hold the key; a migration does not).
 * Existing hashes are not rewritten. `down` drops both; events written with keys then no
 * longer verify under the old rule (the old code knows no keys).
 */
export class EventChainKeys1796220000000 implements MigrationInterface {
  name = 'EventChainKeys1796220000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.addColumn('ticket_event', new TableColumn({ name: 'key_id', type: 'varchar', length: '32', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'event_chain_seal',
        columns: [
          { name: 'ticket_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'seq', type: 'int' },
          { name: 'hash', type: 'varchar', length: '64' },
          { name: 'key_id', type: 'varchar', length: '32' },
          { name: 'mac', type: 'varchar', length: '64' },
          { name: 'sealed_at', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropTable('event_chain_seal');
    await q.dropColumn('ticket_event', 'key_id');
  }
}

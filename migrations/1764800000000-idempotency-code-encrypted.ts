import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

const accessCode = (length: number) => new TableColumn({ name: 'access_code', type: 'varchar', length: String(length), isNullable: true });

/**
 * Idempotency-Key rows keep the access code sealed (AES-256-GCM, base64, ~55 characters)
 * instead of readable: the column widens from 32 to 128, and the index on `expires_at`
 * serves the sweep's purge. Codes stored readable before are erased (they cannot be sealed
 * here without the secret; a retry within their 24 h gets its ticket without the code).
 * `down` erases the sealed codes too: they do not fit the old width and are not codes.
 */
export class IdempotencyCodeEncrypted1764800000000 implements MigrationInterface {
  name = 'IdempotencyCodeEncrypted1764800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('UPDATE idempotency_key SET access_code = NULL');
    await q.changeColumn('idempotency_key', 'access_code', accessCode(128));
    await q.createIndex('idempotency_key', new TableIndex({ name: 'idx_idempotency_key_expires', columnNames: ['expires_at'] }));
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('idempotency_key', 'idx_idempotency_key_expires');
    await q.query('UPDATE idempotency_key SET access_code = NULL');
    await q.changeColumn('idempotency_key', 'access_code', accessCode(32));
  }
}

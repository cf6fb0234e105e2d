import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Brackets, DataSource, LessThan } from 'typeorm';
import { IdempotencyKey } from '../entities';

/**
 * Idempotency-Key rows (DESIGN §11): the access code they keep for a retry, sealed, and
 * their purge after expiry. Access codes are never stored readable (DESIGN §1 "stored
 * hashed"); this one copy must be recoverable, since the retrying client lost the first
 * response, so it is encrypted instead (docs/decisions/security.md).
 */

/** HKDF `info`: a key for this purpose only, never the JWT signing key itself. */
const PURPOSE = 'grievance/idempotency-key/access-code/v1';
const VERSION = 'v1.';
const derived = new Map<string, Buffer>();

function sealKey(secret: string): Buffer {
  let k = derived.get(secret);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), PURPOSE, 32));
    derived.set(secret, k);
  }
  return k;
}

/** What a sealed code is bound to: its row, so that a sealed value copied to another row does not open. */
export interface SealContext { scope: string; idemKey: string; ticketId: string }
const aad = (c: SealContext) => Buffer.from(`${c.scope}\n${c.idemKey}\n${c.ticketId}`, 'utf8');

/**
 * Encrypts an access code for `idempotency_key.access_code`: AES-256-GCM under a key derived
 * with HKDF-SHA-256 from `secret` (config.jwtSecret), a fresh 12-byte IV, the row's
 * (scope, key, ticket) as associated data. Returns `v1.` + base64(iv ‖ tag ‖ ciphertext),
 * 55 characters for a 10-character code (the column holds 128).
 */
export function sealAccessCode(secret: string, ctx: SealContext, code: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  c.setAAD(aad(ctx));
  const ct = Buffer.concat([c.update(code, 'utf8'), c.final()]);
  return VERSION + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

/**
 * The code sealed by `sealAccessCode`, or null when it does not open: another secret
 * (JWT_SECRET rotated), another row, a changed value, or a value from before sealing.
 * A retry then gets its ticket without the code, never an error.
 */
export function openAccessCode(secret: string, ctx: SealContext, sealed: string | null): string | null {
  if (!sealed || !sealed.startsWith(VERSION)) return null;
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64');
  if (raw.length < 12 + 16 + 1) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, 12));
    d.setAAD(aad(ctx));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * Deletes Idempotency-Key rows whose `expires_at` is before `now` (kept 24 h, DESIGN §11),
 * `batch` rows per statement (ids read first: SQLite has no DELETE … LIMIT), at most
 * `maxBatches` statements per call so that one sweep stays short; the next sweep goes on.
 * A row renewed between the read and the delete (the create route replaces an expired key)
 * is not deleted: the delete re-checks the expiry.
 * @returns rows deleted
 */
export async function purgeExpiredIdempotencyKeys(db: DataSource, now: Date, o: { batch?: number; maxBatches?: number } = {}): Promise<number> {
  const batch = o.batch ?? 200;
  const maxBatches = o.maxBatches ?? 50;
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const rows = await db.getRepository(IdempotencyKey).find({
      select: { scope: true, idemKey: true }, where: { expiresAt: LessThan(now) }, order: { expiresAt: 'ASC' }, take: batch,
    });
    if (!rows.length) break;
    const res = await db.createQueryBuilder().delete().from(IdempotencyKey)
      .where('expires_at < :now', { now })
      .andWhere(new Brackets((w) => {
        rows.forEach((r, j) => w.orWhere(`(scope = :s${j} AND idem_key = :k${j})`, { [`s${j}`]: r.scope, [`k${j}`]: r.idemKey }));
      }))
      .execute();
    deleted += res.affected ?? 0;
    if (rows.length < batch) break;
  }
  return deleted;
}

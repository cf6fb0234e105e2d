import { AppError } from './errors';

/** Driver error codes that mean the database cannot be reached, or dropped the connection. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'DATABASE_ACQUIRE_TIMEOUT',
  'POOL_CLOSED',
]);

/**
 * Whether an error means "the database is not there right now" (stopped, restarting,
 * unreachable, out of connections) rather than a fault of the request or of the code:
 * mysql2's connection-level (`fatal`) errors and the codes above, raw or wrapped in
 * TypeORM's QueryFailedError. Such a request is answered 503 with Retry-After (DESIGN §11).
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let err = e as { code?: string; fatal?: boolean; driverError?: unknown; message?: string } | undefined, depth = 0; err && depth < 3; depth++) {
    if (err.code && UNAVAILABLE_CODES.has(err.code)) return true;
    if (err.fatal === true) return true;
    if (/connection is in closed state|Pool is closed|Connection lost/i.test(err.message ?? '')) return true;
    err = err.driverError as typeof err;
  }
  return false;
}

/** How long a client should wait before trying again when the database is unavailable (seconds). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Whether an unavailable database failed the COMMIT itself (the connection lost, or no
 * answer within the statement bound, after COMMIT was sent): the server may have committed
 * before or during the stall, so whether the change was saved is unknown to this process.
 */
export function isCommitInDoubt(e: unknown): boolean {
  const q = (e as { query?: unknown } | undefined)?.query;
  return typeof q === 'string' && /^\s*COMMIT\s*$/i.test(q) && isDatabaseUnavailable(e);
}

/**
 * 503 `database-unavailable` with `retryAfter`. The request changed nothing that was not
 * rolled back, except when the COMMIT itself got no answer (`isCommitInDoubt`): then the body
 * says `outcome: "unknown"` and the detail asks for the same request again with the same
 * Idempotency-Key (a create is not made twice; the pages' forms send their formKey).
 */
export class DatabaseUnavailable extends AppError {
  readonly inDoubt: boolean;
  constructor(readonly cause: unknown) {
    const inDoubt = isCommitInDoubt(cause);
    super(
      503,
      'database-unavailable',
      inDoubt
        ? `the database stopped answering while this change was being committed, so it may have been saved; send the same request again with the same Idempotency-Key in ${DATABASE_RETRY_AFTER_SECONDS} seconds (it is not done twice)`
        : `the database cannot be reached just now; try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
      [],
      inDoubt ? { retryAfter: DATABASE_RETRY_AFTER_SECONDS, outcome: 'unknown' } : { retryAfter: DATABASE_RETRY_AFTER_SECONDS },
    );
    this.inDoubt = inDoubt;
  }
}

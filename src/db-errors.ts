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

/** 503 `database-unavailable` with `retryAfter` (the request changed nothing that was not rolled back). */
export class DatabaseUnavailable extends AppError {
  constructor(readonly cause: unknown) {
    super(503, 'database-unavailable', `the database cannot be reached just now; try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`, [], { retryAfter: DATABASE_RETRY_AFTER_SECONDS });
  }
}

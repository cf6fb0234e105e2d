import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from 'koa';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterSQLite, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import { fastRedis, RedisClient } from '../redis';

/**
 * One counter: at most `max` attempts per window of `windowMs` (whole seconds), the window
 * opening with the first attempt counted (a fixed window per key, the same on every store).
 */
export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/** `ok`, or the milliseconds until the latest of the exhausted windows closes. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Where the counters live. Attempts are reserved before the expensive or guessable work
 * (argon2, a code comparison), so that concurrent requests cannot all pass a check made
 * before any of them failed; a success gives its reservation back (`refund`) or wipes the
 * key (`clear`).
 */
export interface AttemptStore {
  /** if every key has room, counts one attempt on each; if any key is exhausted, counts nothing */
  take(limits: readonly Limit[]): Promise<TakeResult>;
  /** takes back one attempt counted by `take` (the attempt succeeded); an absent key stays absent */
  refund(keys: readonly string[]): Promise<void>;
  /** forgets the keys (e.g. a successful login clears the username's failures) */
  clear(keys: readonly string[]): Promise<void>;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
/** The library limiter never refuses by itself: each take compares the count with its own `max`. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;
const options = (keyPrefix: string) => ({ points: UNLIMITED, duration: ATTEMPT_WINDOW_MS / 1000, keyPrefix });

/**
 * The attempt counters on rate-limiter-flexible (issue 8: no hand-rolled Lua): one library
 * limiter per store; each key is counted atomically by the store (`consume`, with the key's
 * window as its duration when the key is new) and compared with its limit here, so keys of
 * different limits share one key space and `refund`/`clear` need only the key.
 * A take over several keys is all-or-nothing: a key already exhausted is refused without
 * counting (`get`); otherwise every key is counted, and if one of them went over, every count
 * of this take is given back (`reward`), so a refused take leaves the counts as they were.
 * Between the consume and the reward a concurrent take on the same key can see the passing
 * over-count and be refused too (a false 429 for that instant, never a pass too many: each
 * pass saw a count within its limit).
 */
export class FlexibleAttemptStore implements AttemptStore {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async take(limits: readonly Limit[]): Promise<TakeResult> {
    const rl = this.limiter;
    // Locked already: refuse without counting.
    let wait = 0;
    const current = await Promise.all(limits.map((l) => rl.get(l.key)));
    limits.forEach((l, i) => {
      const r = current[i];
      if (r && r.consumedPoints >= l.max && r.msBeforeNext > 0) wait = Math.max(wait, r.msBeforeNext);
    });
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    const counted = await Promise.all(limits.map((l) => rl.consume(l.key, 1, { customDuration: seconds(l.windowMs) })));
    const over = counted.filter((r, i) => r.consumedPoints > limits[i].max);
    if (!over.length) return { ok: true };
    await Promise.all(limits.map((l) => rl.reward(l.key)));
    return { ok: false, retryAfterMs: Math.max(1, ...over.map((r) => r.msBeforeNext)) };
  }

  async refund(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (k) => {
        const r = await this.limiter.get(k);
        if (r && r.consumedPoints > 0) await this.limiter.reward(k);
      }),
    );
  }

  async clear(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => this.limiter.delete(k)));
  }
}

/** Counters in this process's memory (tests; the insurance of the Redis store). */
export function memoryAttemptStore(keyPrefix = 'limit'): FlexibleAttemptStore {
  return new FlexibleAttemptStore(new RateLimiterMemory(options(keyPrefix)));
}

/** The few calls of better-sqlite3 used here (it ships no types; TypeORM's driver loads the same module). */
interface SqliteDb {
  pragma(s: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): { changes: number } };
}
const openSqlite = (file: string): SqliteDb => {
  const Database = require('better-sqlite3') as new (file: string) => SqliteDb;
  return new Database(file);
};
const sqliteHandles = new Map<string, SqliteDb>();

/**
 * Counters in a SQLite file of their own (the embedded default: one process). On disk, so a
 * flood of made-up keys costs disk rows, not memory, and evicts nothing: a locked key stays
 * locked until its window closes; rows of closed windows are deleted by the library every
 * five minutes (an hour after they closed). A restart keeps the counts.
 */
export function sqliteAttemptStore(file: string): FlexibleAttemptStore {
  let db = sqliteHandles.get(file);
  if (!db) {
    mkdirSync(dirname(file), { recursive: true });
    db = openSqlite(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.prepare('CREATE TABLE IF NOT EXISTS attempt_limit (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)').run();
    sqliteHandles.set(file, db);
  }
  const client = db;
  return new FlexibleAttemptStore(
    new RateLimiterSQLite({
      storeClient: client,
      storeType: 'better-sqlite3',
      tableName: 'attempt_limit',
      tableCreated: true,
      clearExpiredByTimeout: true,
      ...options('limit'),
    }),
  );
}

/** Removes the expired rows of a SQLite attempt file now (tests; the library does it every five minutes). */
export function clearExpiredAttempts(file: string, beforeMs: number): number {
  const db = sqliteHandles.get(file);
  return db ? db.prepare('DELETE FROM attempt_limit WHERE expire < ?').run(beforeMs).changes : 0;
}

/**
 * Counters in Redis, shared by every API process, so the limit holds however many processes
 * answer: rate-limiter-flexible's RateLimiterRedis on any ioredis client (one node, a
 * Sentinel-managed master, a Cluster). Keys are `<prefix>:limit:<key>`; with the default
 * prefix `{grievance}` every key is in the prefix's Cluster hash slot. Windows are measured
 * by Redis's clock. If Redis does not answer within `timeoutMs`, counting goes on in this
 * process's memory (the insurance limiter) and a warning is logged at most once a minute;
 * counts taken in memory during an outage are not carried over.
 */
export function redisAttemptStore(client: RedisClient, prefix: string, log?: Pick<Logger, 'warn'>, timeoutMs = 1000): FlexibleAttemptStore {
  let warnedAt = 0;
  const warn = () => {
    const now = Date.now();
    if (now - warnedAt > 60_000) {
      warnedAt = now;
      log?.warn({ store: 'redis' }, 'attempt limiter: Redis unavailable, counting in process memory');
    }
  };
  const keyPrefix = `${prefix}:limit`;
  return new FlexibleAttemptStore(
    new RLWrapperTimeouts({
      limiter: new RateLimiterRedis({ storeClient: client, ...options(keyPrefix) }),
      timeoutMs,
      insuranceLimiter: new NoticedMemoryLimiter(options(keyPrefix), warn),
    }) as unknown as RateLimiterAbstract,
  );
}

/** The insurance limiter: process memory, calling `used` whenever it stands in for Redis. */
class NoticedMemoryLimiter extends RateLimiterMemory {
  private readonly used: () => void;
  constructor(opts: ConstructorParameters<typeof RateLimiterMemory>[0], used: () => void) {
    super(opts);
    this.used = used;
  }
  consume(...a: Parameters<RateLimiterMemory['consume']>) {
    this.used();
    return super.consume(...a);
  }
  get(...a: Parameters<RateLimiterMemory['get']>) {
    this.used();
    return super.get(...a);
  }
  reward(...a: Parameters<RateLimiterMemory['reward']>) {
    this.used();
    return super.reward(...a);
  }
  delete(...a: Parameters<RateLimiterMemory['delete']>) {
    this.used();
    return super.delete(...a);
  }
}

/**
 * The store for this deployment (decision: docs/decisions/security.md): Redis-backed (shared
 * by all API processes) when `REDIS_URL` is set; else, on the embedded default, a SQLite file
 * `limits.sqlite` beside the database; else (MariaDB without Redis) process memory.
 */
export function createAttemptStore(deps: { config: Pick<Config, 'redisUrl' | 'redis' | 'queuePrefix' | 'embedded' | 'dataDir'>; log?: Logger }): AttemptStore {
  const { config } = deps;
  if (config.redisUrl && config.redis) return redisAttemptStore(fastRedis(config.redisUrl, config.redis), config.queuePrefix, deps.log);
  if (config.embedded) return sqliteAttemptStore(join(config.dataDir, 'limits.sqlite'));
  return memoryAttemptStore();
}

const shared = new WeakMap<object, AttemptStore>();
/**
 * The one attempt store of a process's wiring (`deps`): the API routes and the pages count
 * on the same counters, so that a guesser gains nothing by switching between them.
 */
export function sharedAttemptStore(deps: Parameters<typeof createAttemptStore>[0]): AttemptStore {
  let s = shared.get(deps);
  if (!s) {
    s = createAttemptStore(deps);
    shared.set(deps, s);
  }
  return s;
}

/**
 * Reserves one attempt on each limit or answers 429 `too-many-attempts` with `Retry-After`
 * (whole seconds, rounded up) and `retryAfter` in the problem body.
 * @throws AppError 429 when any of the keys has used up its window
 */
export async function takeAttempt(ctx: Context, store: AttemptStore, limits: readonly Limit[], detail: string): Promise<void> {
  const r = await store.take(limits);
  if (r.ok) return;
  const s = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  ctx.set('Retry-After', String(s));
  throw new AppError(429, 'too-many-attempts', detail, [], { retryAfter: s });
}

/** Fifteen minutes, the window of the login and access-code limits (DESIGN §1 "rate-limited"). */
export const ATTEMPT_WINDOW_MS = 15 * 60_000;

/** Failed sign-ins allowed per username (lower-cased) in 15 minutes, then 429 (docs/decisions/security.md). */
export const LOGIN_MAX_PER_USERNAME = 10;
/** Failed sign-ins allowed per client address in 15 minutes: higher, as a service hall or an office shares one address. */
export const LOGIN_MAX_PER_ADDRESS = 30;

/**
 * The sign-in limits, the same for the API and the pages: per username and per client
 * address. A success clears the username's count and gives the address its attempt back.
 */
export function loginLimits(username: string, ip: string): { limits: Limit[]; onSuccess: (store: AttemptStore) => Promise<void> } {
  const userKey = `login:user:${username.toLowerCase()}`;
  const addrKey = `login:addr:${ip}`;
  return {
    limits: [
      { key: userKey, max: LOGIN_MAX_PER_USERNAME, windowMs: ATTEMPT_WINDOW_MS },
      { key: addrKey, max: LOGIN_MAX_PER_ADDRESS, windowMs: ATTEMPT_WINDOW_MS },
    ],
    onSuccess: async (store) => {
      await store.clear([userKey]);
      await store.refund([addrKey]);
    },
  };
}

/** Wrong access codes allowed per (ticket number, client address) in 15 minutes (docs/decisions/security.md). */
export const TRACK_MAX_PER_NUMBER = 10;
/** The access-code limit, the same for the API and the pages; a right code clears it. */
export const trackLimit = (number: string, ip: string): Limit => ({ key: `track:${number}|${ip}`, max: TRACK_MAX_PER_NUMBER, windowMs: ATTEMPT_WINDOW_MS });

/** Verification codes sent per phone number in an hour (issue 11; docs/decisions/security.md). */
export const CODE_MAX_PER_PHONE = 5;
export const CODE_WINDOW_MS = 60 * 60_000;
/**
 * The limits of `POST /owners/verification-codes` and the pages' "send code": per number
 * (5 an hour: nobody's phone is flooded) and per client address (`SMS_CODE_MAX_PER_CLIENT`
 * an hour, default 20: nobody probes or spends texts in bulk). Never refunded.
 */
export const codeLimits = (phone: string, ip: string, perClient: number): Limit[] => [
  { key: `code:phone:${phone}`, max: CODE_MAX_PER_PHONE, windowMs: CODE_WINDOW_MS },
  { key: `code:addr:${ip}`, max: perClient, windowMs: CODE_WINDOW_MS },
];
/**
 * The limit of registration and password-reset attempts per client address (issue 13 item
 * 12): the sign-in address limit (30 in 15 minutes); a success gives its attempt back.
 */
export const ownerFormLimit = (ip: string): Limit => ({ key: `owner-form:addr:${ip}`, max: LOGIN_MAX_PER_ADDRESS, windowMs: ATTEMPT_WINDOW_MS });

import Redis from 'ioredis';
import type { Context } from 'koa';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { AppError } from '../errors';

/**
 * One counter: at most `max` attempts per window of `windowMs`, the window opening with the
 * first attempt counted (a fixed window per key, the same on both stores).
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
  /** takes back one attempt counted by `take` (the attempt succeeded) */
  refund(keys: readonly string[]): Promise<void>;
  /** forgets the keys (e.g. a successful login clears the username's failures) */
  clear(keys: readonly string[]): Promise<void>;
}

interface Entry { count: number; resetAt: number; max: number }

/**
 * Counters in this process's memory: enough for one API process; behind several the limit is
 * per process (see `RedisAttemptStore`). At most about `maxKeys` keys are kept: past that the
 * oldest windows are dropped first (a Map iterates in insertion order, and a key enters it
 * when its window opens), except keys that are locked out, which stay until their window
 * closes, so flooding the store with made-up keys cannot lift a lockout (nor can a new key
 * be dropped by its own take). Locked keys cost `max` attempts each, which bounds them.
 */
export class MemoryAttemptStore implements AttemptStore {
  private readonly entries = new Map<string, Entry>();
  private blockedUntil = 0;
  private blockedAtSize = 0;

  /** @param now wall-clock milliseconds (injectable for tests; abuse windows are real time, not the business clock) */
  constructor(private readonly maxKeys = 50_000, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.live(key, this.now()) !== undefined;
  }

  async take(limits: readonly Limit[]): Promise<TakeResult> {
    const now = this.now();
    let wait = 0;
    for (const l of limits) {
      const e = this.live(l.key, now);
      if (e && e.count >= l.max) wait = Math.max(wait, e.resetAt - now);
    }
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    for (const l of limits) {
      const e = this.live(l.key, now);
      if (e) {
        e.count++;
        e.max = l.max;
      } else {
        this.entries.set(l.key, { count: 1, resetAt: now + l.windowMs, max: l.max });
      }
    }
    if (this.entries.size > this.maxKeys) this.evict(now, limits);
    return { ok: true };
  }

  async refund(keys: readonly string[]): Promise<void> {
    const now = this.now();
    for (const k of keys) {
      const e = this.live(k, now);
      if (e && e.count > 0) e.count--;
    }
  }

  async clear(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
  }

  /** the entry if its window is still open; a closed window is dropped (so a new one re-enters at the end) */
  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.resetAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Drops the oldest entries that are neither locked out nor part of the current take, down
   * to 90 % of `maxKeys` (amortizes the walk). When locked keys alone fill the store, the
   * walk is not repeated until the first of their windows closes or the store has grown by
   * another 10 %, so that a full store does not cost a full walk per request.
   */
  private evict(now: number, current: readonly Limit[]) {
    if (now < this.blockedUntil && this.entries.size < this.blockedAtSize + this.maxKeys * 0.1) return;
    const target = Math.floor(this.maxKeys * 0.9);
    const keep = new Set(current.map((l) => l.key));
    let firstUnlock = Infinity;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= target) break;
      if (keep.has(k)) continue;
      if (e.resetAt > now && e.count >= e.max) {
        firstUnlock = Math.min(firstUnlock, e.resetAt);
        continue;
      }
      this.entries.delete(k);
    }
    if (this.entries.size > target) {
      this.blockedUntil = firstUnlock;
      this.blockedAtSize = this.entries.size;
    } else {
      this.blockedUntil = 0;
    }
  }
}

// KEYS: counters; ARGV: max and window (ms) per key, in pairs. Checks all, then counts on all
// or none, atomically. A counter found without an expiry (cannot happen through this script,
// but a manual SET could) gets its window, so that no key locks forever.
const TAKE = `
local wait = 0
for i, k in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', k) or '0')
  if n >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', k)
    if ttl < 0 then ttl = tonumber(ARGV[2 * i]); redis.call('PEXPIRE', k, ttl) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, k in ipairs(KEYS) do
  if redis.call('INCR', k) == 1 then redis.call('PEXPIRE', k, ARGV[2 * i]) end
end
return 0`;
const REFUND = `
for _, k in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', k) or '0')
  if n > 0 then redis.call('DECR', k) end
end
return 0`;

/**
 * Counters in Redis (INCR + PEXPIRE in one Lua script), shared by every API process, so the
 * limit holds however many processes answer. Keys are `<prefix>:limit:<key>`; with the
 * default prefix `{grievance}` every key is in one Redis Cluster hash slot, which the
 * multi-key script needs. Windows are measured by Redis's clock.
 */
export class RedisAttemptStore implements AttemptStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private k(key: string) {
    return `${this.prefix}:limit:${key}`;
  }

  async take(limits: readonly Limit[]): Promise<TakeResult> {
    const argv = limits.flatMap((l) => [String(l.max), String(Math.max(1, Math.round(l.windowMs)))]);
    const wait = Number(await this.redis.eval(TAKE, limits.length, ...limits.map((l) => this.k(l.key)), ...argv));
    return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
  }

  async refund(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.redis.eval(REFUND, keys.length, ...keys.map((k) => this.k(k)));
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys.map((k) => this.k(k)));
  }
}

/**
 * A Redis store that falls back to process memory while Redis does not answer (within
 * `commandTimeout`): logins keep working and stay limited per process, and a warning is
 * logged at most once a minute. Counts taken in memory during an outage are not carried over.
 */
export class FallbackAttemptStore implements AttemptStore {
  private warnedAt = 0;
  constructor(private readonly primary: AttemptStore, private readonly fallback: AttemptStore, private readonly log?: Logger) {}

  private async run<T>(f: (s: AttemptStore) => Promise<T>): Promise<T> {
    try {
      return await f(this.primary);
    } catch (err) {
      const now = Date.now();
      if (now - this.warnedAt > 60_000) {
        this.warnedAt = now;
        this.log?.warn({ err }, 'attempt limiter: Redis unavailable, counting in process memory');
      }
      return f(this.fallback);
    }
  }

  take(limits: readonly Limit[]) { return this.run((s) => s.take(limits)); }
  refund(keys: readonly string[]) { return this.run((s) => s.refund(keys)); }
  clear(keys: readonly string[]) { return this.run((s) => s.clear(keys)); }
}

const connections = new Map<string, Redis>();

/**
 * One connection per Redis URL for every limiter in the process. Its socket is unref'd: an
 * attempt counter must not keep a process alive that has nothing else to do (the HTTP
 * server keeps a serving process alive). Commands fail fast (1 s, no retries) so that the
 * fallback takes over instead of holding logins.
 */
function limiterConnection(url: string): Redis {
  let c = connections.get(url);
  if (!c) {
    c = new Redis(url, { maxRetriesPerRequest: 0, commandTimeout: 1000, enableReadyCheck: false, lazyConnect: false });
    const conn = c;
    conn.on('error', () => undefined); // surfaced through failed commands → FallbackAttemptStore
    conn.on('connect', () => (conn as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
    connections.set(url, conn);
  }
  return c;
}

/**
 * The store for this deployment: Redis-backed (shared by all API processes) when
 * `REDIS_URL` is set, else process memory. Decision: docs/decisions/security.md.
 */
export function createAttemptStore(deps: { config: Pick<Config, 'redisUrl' | 'queuePrefix'>; log?: Logger }): AttemptStore {
  const memory = new MemoryAttemptStore();
  if (!deps.config.redisUrl) return memory;
  return new FallbackAttemptStore(new RedisAttemptStore(limiterConnection(deps.config.redisUrl), deps.config.queuePrefix), memory, deps.log);
}

/**
 * Reserves one attempt on each limit or answers 429 `too-many-attempts` with `Retry-After`
 * (whole seconds, rounded up) and `retryAfter` in the problem body.
 * @throws AppError 429 when any of the keys has used up its window
 */
export async function takeAttempt(ctx: Context, store: AttemptStore, limits: readonly Limit[], detail: string): Promise<void> {
  const r = await store.take(limits);
  if (r.ok) return;
  const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  ctx.set('Retry-After', String(seconds));
  throw new AppError(429, 'too-many-attempts', detail, [], { retryAfter: seconds });
}

/** Fifteen minutes, the window of the login and access-code limits (DESIGN §1 "rate-limited"). */
export const ATTEMPT_WINDOW_MS = 15 * 60_000;

import client from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from './domain/lifecycle';
import type { Logger } from './logger';
import { metrics } from './metrics';
import { fastRedis, RedisClient, RedisTarget } from './redis';

/**
 * Read replicas for reads that tolerate lag (DESIGN §11; docs/deployment.md): reports, the
 * assessment, the veto register, ticket and oversight lists. Every command and every other
 * read uses the primary. A user who changed something within the last `stickyMs` reads
 * from the primary (read-your-writes): a successful write request marks its actor in a
 * store that every API process sees (Redis when configured, else this process's memory).
 * A replica that does not answer is taken out for a few seconds (mysql2's pool cluster) and
 * the read runs on the primary.
 */
export interface RecentWrites {
  /** the actor changed something now */
  mark(actorKey: string): Promise<void>;
  /** whether the actor changed something within the window */
  has(actorKey: string): Promise<boolean>;
}

/** The key of an actor for read-your-writes, or null for those who never read lists. */
export const actorKey = (a: Actor | undefined): string | null => (a?.kind === 'user' ? `u:${a.userId}` : a?.kind === 'access_code' ? `t:${a.ticketId}` : null);

/** Marks in this process's memory (one API process, or no Redis); entries expire with the window. */
export function memoryRecentWrites(stickyMs: number, now: () => number = Date.now): RecentWrites {
  const until = new Map<string, number>();
  let sweepAt = 0;
  return {
    async mark(k) {
      const t = now();
      until.set(k, t + stickyMs);
      if (t >= sweepAt) {
        sweepAt = t + stickyMs;
        for (const [key, u] of until) if (u <= t) until.delete(key);
      }
    },
    async has(k) {
      return (until.get(k) ?? 0) > now();
    },
  };
}

/**
 * Marks in Redis (`<prefix>:ryw:<actor>` with the window as expiry, in the prefix's Cluster
 * slot), shared by every API process. If Redis does not answer, `has` says yes (the read
 * goes to the primary: never stale for the user who wrote) and `mark` gives up quietly.
 */
export function redisRecentWrites(redis: RedisClient, prefix: string, stickyMs: number, log?: Pick<Logger, 'warn'>): RecentWrites {
  const key = (k: string) => `${prefix}:ryw:${k}`;
  return {
    async mark(k) {
      await redis.set(key(k), '1', 'PX', stickyMs).catch((err) => log?.warn({ err }, 'read-your-writes mark failed; this user may read a replica that lags'));
    },
    async has(k) {
      try {
        return (await redis.exists(key(k))) === 1;
      } catch {
        return true;
      }
    },
  };
}

/** Builds the store for this deployment. */
export function createRecentWrites(config: { redisUrl?: string; redis?: RedisTarget; queuePrefix: string; replicaStickyMs: number }, log?: Logger): RecentWrites {
  if (config.redisUrl && config.redis) return redisRecentWrites(fastRedis(config.redisUrl, config.redis), config.queuePrefix, config.replicaStickyMs, log);
  return memoryRecentWrites(config.replicaStickyMs);
}

const reads = new client.Counter({
  name: 'db_lag_tolerant_reads_total',
  help: 'Lag-tolerant reads by where they ran: replica, primary (read-your-writes or no replica) or primary after a replica failed',
  labelNames: ['target'],
  registers: [metrics],
});

const hasReplicas = (ds: DataSource) => !!(ds.driver.options as { replication?: unknown }).replication;

/**
 * Runs a lag-tolerant read: on a replica unless there is none, or `actor` wrote within the
 * window; on the primary when no replica answers (connecting or during the read: a read can
 * simply be run again).
 */
export async function readLagTolerant<T>(
  deps: { db: DataSource; recentWrites?: RecentWrites; log?: Pick<Logger, 'warn'> },
  actor: Actor | undefined,
  fn: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const { db } = deps;
  const k = actorKey(actor);
  if (!hasReplicas(db) || (k && deps.recentWrites && (await deps.recentWrites.has(k)))) {
    reads.inc({ target: 'primary' });
    return fn(db.manager);
  }
  const qr = db.createQueryRunner('slave');
  try {
    try {
      await qr.connect();
    } catch (err) {
      reads.inc({ target: 'primary-fallback' });
      deps.log?.warn({ err: (err as Error).message }, 'no replica answers; reading from the primary');
      return await fn(db.manager);
    }
    try {
      const r = await fn(qr.manager);
      reads.inc({ target: 'replica' });
      return r;
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).code ?? (err as { driverError?: { code?: string } }).driverError?.code;
      if (!code || !/^(PROTOCOL_|ECONN|ETIMEDOUT|EPIPE|ER_SERVER_SHUTDOWN|ER_CON_COUNT_ERROR)/.test(code)) throw err;
      reads.inc({ target: 'primary-fallback' });
      deps.log?.warn({ err: (err as Error).message }, 'a replica failed during a read; reading from the primary');
      return await fn(db.manager);
    }
  } finally {
    await qr.release().catch(() => undefined);
  }
}

import type Bull from 'bull';
import type { RedisOptions } from 'ioredis';
import { connectRedis, parseRedisUrl, RedisClient } from '../redis';

/**
 * The one queue factory (STYLE: queues through one factory). Every queue shares one
 * command connection and one subscriber; each queue gets its own blocking connection (bull
 * needs that). All keys carry the configured prefix, one Redis Cluster hash tag such as
 * `{grievance}`, so bull's multi-key scripts work on a cluster (DESIGN §11). `redisUrl` is
 * any form of src/redis.ts: one node, a Cluster (bull, its blocking client and the timers'
 * hashes all in the prefix's slot) or a Sentinel-managed master (ioredis follows a failover;
 * bull's jobs are in Redis, so a promoted replica carries them on).
 */
export interface QueueFactory {
  /** the shared command connection (also for the timers' bookkeeping keys) */
  readonly redis: RedisClient;
  readonly prefix: string;
  create<T = unknown>(name: string): Bull.Queue<T>;
  /** true when Redis answers PING */
  ready(): Promise<boolean>;
  /** closes every queue (waiting for active jobs unless `force`) and the connections */
  close(force?: boolean): Promise<void>;
}

export function createQueueFactory(redisUrl: string, prefix: string): QueueFactory {
  // loaded with the first queue: a process without Redis does not carry bull (issue 15)
  const BullQueue = require('bull') as typeof Bull;
  const base: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: false, lazyConnect: false };
  const target = parseRedisUrl(redisUrl);
  const client = connectRedis(target, base);
  const subscriber = connectRedis(target, base);
  const blocking: RedisClient[] = [];
  const queues: Bull.Queue[] = [];
  // Errors surface through the queues' own 'error' events; keep ioredis from crashing the process.
  for (const c of [client, subscriber]) c.on('error', () => undefined);
  return {
    redis: client,
    prefix,
    create<T>(name: string) {
      const q = new BullQueue<T>(name, {
        prefix,
        createClient: (type) => {
          if (type === 'client') return client;
          if (type === 'subscriber') return subscriber;
          const b = connectRedis(target, base);
          b.on('error', () => undefined);
          blocking.push(b);
          return b;
        },
      });
      queues.push(q as Bull.Queue);
      return q;
    },
    async ready() {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close(force = false) {
      await Promise.all(queues.map((q) => q.close(force).catch(() => undefined)));
      for (const c of [...blocking, subscriber, client]) c.disconnect();
    },
  };
}

import type { default as Redis, Cluster, ClusterOptions, RedisOptions } from 'ioredis';

/** ioredis, loaded with the first client: a process without REDIS_URL never needs it (issue 15 item 5). */
const ioredis = () => require('ioredis') as typeof import('ioredis');

/**
 * Where Redis is, from `REDIS_URL` (DESIGN §11; docs/deployment.md):
 * - `redis://[user:pass@]host:port[/db]` (or `rediss://`, TLS): one node;
 * - `redis+cluster://[user:pass@]h1:p1,h2:p2,…`: a Redis Cluster, through its seed nodes
 *   (ioredis discovers the others); there is no database number on a cluster;
 * - `redis+sentinel://[user:pass@]s1:p1,s2:p2,…/mastername[/db]`: the master that the
 *   sentinels name `mastername` (ioredis asks them, and follows a failover). The password
 *   is the data nodes'; a `sentinelPassword` query parameter is the sentinels' own.
 * Every client of the service (bull, the timers' bookkeeping, the rate limiter, the test
 * clock's announcements) connects through `connectRedis`, so all of them follow the same
 * topology.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; db: number; username?: string; password?: string; sentinelPassword?: string; tls: boolean };

export interface HostPort {
  host: string;
  port: number;
}

/** Any of ioredis' clients: one node (also a Sentinel-managed master) or a Cluster. */
export type RedisClient = Redis | Cluster;

const FORM = /^(redis|rediss|redis\+cluster|rediss\+cluster|redis\+sentinel|rediss\+sentinel):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/;

function hostPorts(list: string, defaultPort: number): HostPort[] {
  return list.split(',').map((hp) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hp.trim());
    if (!m) throw new Error(`"${hp}" is not host:port`);
    const port = m[2] ? Number(m[2]) : defaultPort;
    if (port < 1 || port > 65535) throw new Error(`"${hp}": port out of range`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * Parses `REDIS_URL`.
 * @throws Error with a one-line reason when the URL is none of the three forms
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = FORM.exec(url);
  if (!m) throw new Error('must be redis://host:port[/db], redis+cluster://h1:p1,h2:p2 or redis+sentinel://s1:p1,s2:p2/mastername');
  const [, scheme, user, pass, hosts, path = '', query = ''] = m;
  const tls = scheme.startsWith('rediss');
  const username = user ? decodeURIComponent(user) : undefined;
  const password = pass ? decodeURIComponent(pass) : undefined;
  if (scheme === 'redis' || scheme === 'rediss') {
    if (hosts.includes(',')) throw new Error('one host only in redis:// (use redis+cluster:// or redis+sentinel:// for several)');
    return { kind: 'single', url };
  }
  if (scheme.endsWith('+cluster')) {
    if (path && path !== '/') throw new Error('a Redis Cluster has no database number: remove the path');
    return { kind: 'cluster', nodes: hostPorts(hosts, 6379), username, password, tls };
  }
  const parts = path.split('/').filter(Boolean);
  if (parts.length < 1 || parts.length > 2) throw new Error('redis+sentinel:// needs the master name: redis+sentinel://s1:26379,s2:26379/mymaster[/db]');
  const db = parts[1] === undefined ? 0 : Number(parts[1]);
  if (!Number.isInteger(db) || db < 0) throw new Error(`"${parts[1]}" is not a database number`);
  const sentinelPassword = new URLSearchParams(query).get('sentinelPassword') ?? undefined;
  return { kind: 'sentinel', sentinels: hostPorts(hosts, 26379), name: decodeURIComponent(parts[0]), db, username, password, sentinelPassword, tls };
}

/**
 * Opens one client of `target` with `options` (the per-node options; on a Cluster they go
 * to every node, and the cluster itself keeps retrying through failovers).
 */
export function connectRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  switch (target.kind) {
    case 'single':
      return new (ioredis().default)(target.url, options);
    case 'cluster': {
      const { maxRetriesPerRequest, enableReadyCheck, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: {
          ...nodeOptions,
          username: target.username,
          password: target.password,
          ...(target.tls ? { tls: {} } : {}),
          // bull refuses a blocking or subscriber client with either set (it reads redisOptions on a cluster)
          maxRetriesPerRequest,
          enableReadyCheck,
        },
        enableReadyCheck: enableReadyCheck ?? true,
        // a failover takes a few seconds: keep commands queued meanwhile, then retry them
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        retryDelayOnTryAgain: 200,
        maxRedirections: 32,
        lazyConnect: options.lazyConnect,
      };
      return new (ioredis().Cluster)(target.nodes, clusterOptions);
    }
    case 'sentinel':
      return new (ioredis().default)({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        // after a failover the old master may answer READONLY for a moment: reconnect to the new one
        reconnectOnError: (err) => err.message.startsWith('READONLY'),
      });
  }
}

/**
 * Lets the process exit while this client is open (an idle limiter or clock connection must
 * not keep a finished process alive). Works on one node and on every node of a Cluster.
 */
export function unrefRedis(client: RedisClient): void {
  const unrefNode = (r: Redis) => {
    const s = (r as unknown as { stream?: { unref?: () => void } }).stream;
    s?.unref?.();
    r.on('connect', () => (r as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
  };
  if (client instanceof ioredis().Cluster) {
    client.on('+node', (node: Redis) => unrefNode(node));
    for (const n of client.nodes()) unrefNode(n);
  } else {
    unrefNode(client);
  }
}

/** Every key under `pattern` (SCAN on every master of a cluster), for tests and operator tools. */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes: Redis[] = client instanceof ioredis().Cluster ? client.nodes('master') : [client];
  const out: string[] = [];
  for (const n of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await n.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

const fastClients = new Map<string, RedisClient>();

/**
 * One fail-fast connection per Redis URL for the process's small synchronous needs (the
 * attempt limiter, read-your-writes marks): commands fail within 1 s without retries, so that
 * the caller's fallback takes over instead of holding a request. Its sockets are unref'd: it
 * must not keep a process alive that has nothing else to do.
 */
export function fastRedis(url: string, target: RedisTarget): RedisClient {
  let c = fastClients.get(url);
  if (!c) {
    c = connectRedis(target, { maxRetriesPerRequest: 0, commandTimeout: 1000, enableReadyCheck: false, lazyConnect: false });
    c.on('error', () => undefined); // surfaced through failed commands → the callers' fallbacks
    unrefRedis(c);
    fastClients.set(url, c);
  }
  return c;
}

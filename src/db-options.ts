import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { Config } from './config';
import { entities } from './entities';
import { SnakeNamingStrategy } from './entities/naming';

/**
 * Builds the DataSource options from the configuration: MariaDB/MySQL through mysql2
 * when `DATABASE_URL` is set (utf8mb4, UTC, millisecond datetimes), else the embedded
 * SQLite file under `var/`. The schema comes only from `migrations/`.
 */
export function dataSourceOptions(config: Config, overrides: { database?: string } = {}): DataSourceOptions {
  const migrations = [join(__dirname, '..', 'migrations', '*.js')];
  const common = { entities, migrations, synchronize: false, migrationsRun: false, namingStrategy: new SnakeNamingStrategy(), logging: false } as const;
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    const node = (u: URL) => ({
      host: u.hostname,
      port: Number(u.port || 3306),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: overrides.database ?? u.pathname.replace(/^\//, ''),
    });
    // Replicas (DATABASE_REPLICA_URLS): TypeORM replication on mysql2's pool cluster. Reads use
    // the primary unless a caller asks for a replica (src/replicas.ts: lag-tolerant reads only);
    // a replica that fails a connection is left out for 5 s, and another is tried.
    const replicas = config.databaseReplicaUrls ?? [];
    const where = replicas.length
      ? {
          replication: {
            master: node(url),
            slaves: replicas.map((r) => node(new URL(r))),
            defaultMode: 'master' as const,
            canRetry: true,
            removeNodeErrorCount: 1,
            restoreNodeTimeout: 5000,
            defaultSelector: 'RR',
          },
        }
      : node(url);
    return {
      ...common,
      type: config.databaseType,
      ...where,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      // Bounded, so that an unreachable server is a fast 503 rather than a hanging request (issue 13 item 15).
      connectTimeout: config.databaseConnectTimeoutMs,
      // trace: false — mysql2's promise API otherwise captures a stack trace for every query
      // (~2% of the create path's CPU, issue 15); our errors are classified by code, not stack.
      extra: { connectionLimit: Number(url.searchParams.get('connectionLimit') ?? 20), trace: false },
    };
  }
  const path = overrides.database ?? config.sqlitePath;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: path,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
  };
}

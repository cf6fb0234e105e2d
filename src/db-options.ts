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
    return {
      ...common,
      type: config.databaseType,
      host: url.hostname,
      port: Number(url.port || 3306),
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: overrides.database ?? url.pathname.replace(/^\//, ''),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
      extra: { connectionLimit: Number(url.searchParams.get('connectionLimit') ?? 20) },
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


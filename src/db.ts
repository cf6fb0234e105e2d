import 'reflect-metadata';
import { DataSource, EntityManager } from 'typeorm';
import { Config } from './config';
import { dataSourceOptions } from './db-options';

/** Opens the database of `config` (optionally another database name, for tests) and, when asked, runs migrations. */
export async function openDatabase(config: Config, opts: { migrate?: boolean; database?: string } = {}): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config, { database: opts.database }));
  await ds.initialize();
  if (opts.migrate ?? config.migrateOnStart) await ds.runMigrations({ transaction: 'each' });
  return ds;
}

export const isMysql = (em: EntityManager | DataSource) => {
  const t = (em instanceof DataSource ? em : em.connection).options.type;
  return t === 'mysql' || t === 'mariadb';
};

/**
 * Runs `fn` in one transaction. MariaDB's deadlock and lock-wait errors, and SQLite's
 * busy error, are retried a few times: they are the normal price of row locks under load.
 */
export async function inTransaction<T>(ds: DataSource, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ds.transaction(fn);
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as { driverError?: { code?: string } }).driverError?.code;
      const retryable = code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
      if (!retryable || attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1) + Math.random() * 20));
    }
  }
}

/** Whether an error is a unique-key violation (either database). */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string }; message?: string };
  const code = err.code ?? err.driverError?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

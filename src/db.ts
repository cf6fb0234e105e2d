import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { Config } from './config';
import { dataSourceOptions } from './db-options';

/** Opens the database of `config` (optionally another database name, for tests) and, when asked, runs migrations. */
export async function openDatabase(config: Config, opts: { migrate?: boolean; database?: string } = {}): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config, { database: opts.database }));
  await ds.initialize();
  if (!isMysql(ds)) serializeSqlite(ds);
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
  if (!isMysql(ds)) {
    if (inSqliteWork.getStore() === ds) return ds.transaction(fn);
    const release = await sqliteLock(ds).acquire();
    try {
      return await inSqliteWork.run(ds, () => ds.transaction(fn));
    } finally {
      release();
    }
  }
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

/** A FIFO async mutex. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => { release = r; });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
const sqliteLocks = new WeakMap<DataSource, Mutex>();
const sqliteLock = (ds: DataSource) => {
  let m = sqliteLocks.get(ds);
  if (!m) sqliteLocks.set(ds, (m = new Mutex()));
  return m;
};
/** Marks the async work that holds the SQLite lock (a transaction and everything it awaits). */
const inSqliteWork = new AsyncLocalStorage<DataSource>();

/**
 * TypeORM's better-sqlite3 driver runs everything on one connection: two concurrent
 * transactions would interleave as savepoints of one another, and a plain write issued
 * while another request's transaction is open would join (and roll back with) it. The
 * embedded default therefore serializes its database work: a transaction holds a lock
 * for its whole duration, and any statement issued outside a transaction waits for it.
 * SQLite has a single writer anyway; MariaDB is not affected.
 */
function serializeSqlite(ds: DataSource) {
  const runner = ds.driver.createQueryRunner('master');
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  (runner as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
    if (inSqliteWork.getStore() === ds) return query(...args);
    const release = await sqliteLock(ds).acquire();
    try {
      return await inSqliteWork.run(ds, () => query(...args));
    } finally {
      release();
    }
  };
}

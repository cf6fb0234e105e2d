import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { Config } from './config';
import client from 'prom-client';
import { dataSourceOptions } from './db-options';
import { AppError } from './errors';
import { metrics } from './metrics';
import { chainKeysOf, configureEventChain } from './chain-keys';

/** Opens the database of `config` (optionally another database name, for tests) and, when asked, runs migrations. */
export async function openDatabase(config: Config, opts: { migrate?: boolean; database?: string } = {}): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config, { database: opts.database }));
  // The event chain's keys come from the configuration (the embedded default keeps its own
  // under DATA_DIR; else derived from JWT_SECRET); without them no event can be written.
  const ring = chainKeysOf(config);
  if (ring) configureEventChain(ds, ring);
  await ds.initialize();
  if (!isMysql(ds)) serializeSqlite(ds);
  else {
    await limitPreferringPlans(ds);
    boundConnections(ds, config.databaseAcquireTimeoutMs);
  }
  if (opts.migrate ?? config.migrateOnStart) await ds.runMigrations({ transaction: 'each' });
  return ds;
}

export const isMysql = (em: EntityManager | DataSource) => {
  const t = (em instanceof DataSource ? em : em.connection).options.type;
  return t === 'mysql' || t === 'mariadb';
};

/** Settings of the transaction runner per database (set once by `boot()`; tests may set their own). */
export interface TransactionSettings {
  /** how many times a whole transaction is run again after a conflict (DATABASE_RETRIES) */
  retries: number;
  /** backoff before attempt n+1: a random delay in [0, min(capMs, baseMs · 2^n)] ("full jitter") */
  baseMs: number;
  capMs: number;
}
const DEFAULT_SETTINGS: TransactionSettings = { retries: 8, baseMs: 5, capMs: 250 };
const txSettings = new WeakMap<DataSource, TransactionSettings>();

/** Sets how `inTransaction` retries on `ds` (DATABASE_RETRIES; docs/deployment.md). */
export function configureTransactions(ds: DataSource, s: Partial<TransactionSettings>): void {
  txSettings.set(ds, { ...DEFAULT_SETTINGS, ...txSettings.get(ds), ...s });
}

/** Conflicts retried, by kind (Prometheus `db_transaction_retries_total`; the benchmark reads it). */
const retriesTotal = new client.Counter({
  name: 'db_transaction_retries_total',
  help: 'Whole transactions run again after a deadlock or a certification conflict',
  labelNames: ['reason'],
  registers: [metrics],
});
const exhaustedTotal = new client.Counter({
  name: 'db_transaction_retries_exhausted_total',
  help: 'Transactions given up after DATABASE_RETRIES conflicts (answered 503)',
  registers: [metrics],
});

/**
 * Why a failed transaction may simply be run again, or null. MariaDB/MySQL deadlocks (1213)
 * and lock-wait timeouts (1205); a Galera certification conflict or brute-force abort also
 * surfaces as 1213 ("Deadlock found when trying to get lock") on the node that loses, at a
 * statement or at COMMIT. TiDB: write conflicts of optimistic transactions (9007), its
 * "retryable" error (8022) and a schema change during the transaction (8028). In every case
 * the transaction was rolled back whole, so running it again is safe.
 */
export function conflictReason(e: unknown): string | null {
  const err = e as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } };
  const code = err.code ?? err.driverError?.code;
  const errno = err.errno ?? err.driverError?.errno;
  if (code === 'ER_LOCK_DEADLOCK' || errno === 1213) return 'deadlock';
  if (code === 'ER_LOCK_WAIT_TIMEOUT' || errno === 1205) return 'lock-wait-timeout';
  if (errno === 9007) return 'write-conflict';
  if (errno === 8022 || errno === 8028) return 'retryable';
  return null;
}

/** A transaction that kept conflicting: 503 with Retry-After (DESIGN §11; the client may send it again). */
export class ConflictsExhausted extends AppError {
  constructor(
    attempts: number,
    public readonly cause: unknown,
  ) {
    super(503, 'database-conflict', `the database kept reporting conflicts (${attempts} attempts); try again in a moment`, [], { retryAfter: 1 });
  }
}

/**
 * Runs `fn` in one transaction: the one place where a whole unit of work is retried
 * (DESIGN §11). On MariaDB/MySQL (also Galera and TiDB) a deadlock, a lock-wait timeout or a
 * certification/write conflict rolls the transaction back, and `fn` is run again from the
 * start, up to `DATABASE_RETRIES` more times, after a random "full jitter" backoff (so that
 * two nodes' writers of the same counter row do not meet again at once); when they are used
 * up it throws `ConflictsExhausted` (503). `fn` must therefore have no effect outside the
 * transaction before it returns: work after the commit (outbox hand-over, timer re-arming)
 * hangs on the commit (`afterCommit`, `onTicketsChanged` after `runAs`), and a rolled-back
 * attempt's hand-overs are dropped with its query runner. On the embedded SQLite there are
 * no conflicts: transactions are serialized (see below).
 * @throws ConflictsExhausted after the last retry; any other error of `fn` at once
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
  const s = txSettings.get(ds) ?? DEFAULT_SETTINGS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ds.transaction(fn);
    } catch (e) {
      const reason = conflictReason(e);
      if (!reason) throw e;
      if (attempt >= s.retries) {
        exhaustedTotal.inc();
        throw new ConflictsExhausted(attempt + 1, e);
      }
      retriesTotal.inc({ reason });
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(s.capMs, s.baseMs * 2 ** attempt)));
    }
  }
}

/**
 * The bound on each statement of the unit of work running now: set for every HTTP request
 * (`DATABASE_STATEMENT_TIMEOUT_MS`), larger for the reports (`DATABASE_REPORT_STATEMENT_TIMEOUT_MS`),
 * absent (no bound) for migrations, the workers' sweep and jobs, and the CLI. `open` turns
 * false when the unit that set it ends, so work it started that outlives it (a check handed
 * to the in-process runner) is not bounded by it.
 */
interface StatementBound {
  ms: number | null;
  open: boolean;
}
const statementBound = new AsyncLocalStorage<StatementBound>();

/**
 * Runs `fn` with every MariaDB/MySQL statement it issues bounded to `ms` (null or 0: no
 * bound), replacing any bound of the caller for its duration. A statement that gets no
 * answer within `ms` fails with mysql2's `PROTOCOL_SEQUENCE_TIMEOUT` (503
 * `database-unavailable`, src/db-errors.ts) and its connection is destroyed, not returned to
 * the pool (see `boundConnections`). No effect on the embedded SQLite (no network to stall).
 */
export function withStatementTimeout<T>(ms: number | null, fn: () => Promise<T>): Promise<T> {
  const bound: StatementBound = { ms: ms && ms > 0 ? ms : null, open: true };
  return statementBound.run(bound, async () => {
    try {
      return await fn();
    } finally {
      bound.open = false;
    }
  });
}

/** The bound on a statement issued now, ms, or null. */
function currentStatementBound(): number | null {
  const b = statementBound.getStore();
  return b?.open ? b.ms : null;
}

/** Statements that got no answer within their bound (Prometheus `db_statement_timeouts_total`). */
const statementTimeouts = new client.Counter({
  name: 'db_statement_timeouts_total',
  help: 'Statements that got no answer within their bound (the connection was destroyed; the request answered 503)',
  registers: [metrics],
});

type Callback = (err: ({ code?: string } & Error) | null, ...rest: unknown[]) => void;
interface PooledConnection {
  release(): void;
  destroy(): void;
  stream?: { destroy?: () => void };
  query(sql: unknown, values?: unknown, cb?: unknown): unknown;
}
const boundedConnections = new WeakSet<object>();

/**
 * Puts the bound of `withStatementTimeout` on every statement of `conn` (mysql2's per-query
 * `timeout`). mysql2 only fails the caller when it fires: the stalled command stays at the
 * head of the connection's queue, so the ROLLBACK that TypeORM sends next would wait behind
 * it for the whole stall, and the connection, back in the pool, would fail later requests
 * once the server answers. So a connection whose statement timed out is destroyed: its
 * ROLLBACK fails at once ("connection is in closed state"), the server rolls the
 * transaction back when it sees the connection close, and the pool opens a new one.
 * Streamed queries (no callback) keep no bound.
 */
function boundStatements(conn: PooledConnection): void {
  if (boundedConnections.has(conn)) return;
  boundedConnections.add(conn);
  const query = conn.query;
  conn.query = function (this: PooledConnection, sql: unknown, values?: unknown, cb?: unknown) {
    const ms = currentStatementBound();
    if (typeof values === 'function') {
      cb = values;
      values = undefined;
    }
    if (!ms || typeof cb !== 'function' || (typeof sql !== 'string' && (typeof sql !== 'object' || sql === null || 'onResult' in sql))) return query.call(this, sql, values, cb);
    const options = typeof sql === 'string' ? { sql, timeout: ms } : { ...(sql as object), timeout: (sql as { timeout?: number }).timeout ?? ms };
    const done = cb as Callback;
    return query.call(this, options, values, (err: ({ code?: string } & Error) | null, ...rest: unknown[]) => {
      if (err?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        statementTimeouts.inc();
        this.destroy();
        this.stream?.destroy?.();
      }
      done(err, ...rest);
    });
  };
}

/**
 * `SET SESSION optimizer_join_limit_pref_ratio = 100` on every connection, once, before its
 * first use (the connection handed out by the pool is checked against those already set).
 * Without it MariaDB plans a join with `ORDER BY … LIMIT` by its whole cost, not by how soon it
 * may stop: a search for a word most tickets have (`GET /tickets?q=经营`) read every ticket, then
 * sorted the matches (EXPLAIN: `ticket` ALL, Using temporary; Using filesort; the slow log of
 * `bench:submit --mixed`: ~7,000 → 12,000 rows examined per search as the run created tickets),
 * instead of reading the word's index rows newest first and stopping at the page's end. With it
 * the search starts at the index (`ticket_search_token` ref, no filesort). The variable is
 * MariaDB's since 10.6.20 and 10.11.10 (MDEV-34720); a server without it (MySQL, an older
 * MariaDB) is left as it is. Test: test/queries/search-plan.test.ts.
 */
async function limitPreferringPlans(ds: DataSource): Promise<void> {
  try {
    await ds.query('SELECT @@optimizer_join_limit_pref_ratio');
  } catch {
    return; // not this server's variable
  }
  type Raw = { query(sql: string, cb: (err: unknown) => void): void; release(): void };
  const set = new WeakSet<object>();
  const driver = ds.driver as unknown as Record<'obtainMasterConnection' | 'obtainSlaveConnection', () => Promise<Raw>>;
  for (const name of ['obtainMasterConnection', 'obtainSlaveConnection'] as const) {
    const obtain = driver[name].bind(driver);
    driver[name] = async () => {
      const c = await obtain();
      if (set.has(c)) return c;
      try {
        await new Promise<void>((ok, fail) => c.query('SET SESSION optimizer_join_limit_pref_ratio = 100', (err) => (err ? fail(err) : ok())));
      } catch (e) {
        c.release();
        throw e;
      }
      set.add(c);
      return c;
    };
  }
}

/**
 * mysql2's pool has no bound on waiting for a connection: when every connection hangs on an
 * unreachable server, new requests would queue for ever. Each acquisition (primary and
 * replicas) now fails after `ms` with `DATABASE_ACQUIRE_TIMEOUT`; a connection that
 * arrives later is given back to the pool at once. Every connection handed out carries the
 * statement bound of `boundStatements`.
 */
function boundConnections(ds: DataSource, ms: number): void {
  const driver = ds.driver as unknown as Record<'obtainMasterConnection' | 'obtainSlaveConnection', () => Promise<PooledConnection>>;
  for (const name of ['obtainMasterConnection', 'obtainSlaveConnection'] as const) {
    const obtain = driver[name].bind(driver);
    driver[name] = () =>
      new Promise((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
          settled = true;
          reject(Object.assign(new Error(`no database connection within ${ms} ms`), { code: 'DATABASE_ACQUIRE_TIMEOUT' }));
        }, ms);
        obtain().then(
          (c) => {
            if (settled) c.release();
            else {
              settled = true;
              clearTimeout(timer);
              boundStatements(c);
              resolve(c);
            }
          },
          (e) => {
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              reject(e);
            }
          },
        );
      });
  }
}

/** Whether an error is a unique-key violation (either database). */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string }; message?: string };
  const code = err.code ?? err.driverError?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Inserts `row`, or does nothing when a row with the same unique key exists: only a
 * duplicate key is ignored, every other failure is thrown (and rolls the transaction back).
 * @returns whether the row was inserted
 */
export async function insertUnlessDuplicate(em: EntityManager, entity: Parameters<EntityManager['insert']>[0], row: object): Promise<boolean> {
  try {
    await em.insert(entity, row as never);
    return true;
  } catch (e) {
    if (isDuplicateKey(e)) return false;
    throw e;
  }
}

/** A FIFO async mutex. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}
const sqliteLocks = new WeakMap<DataSource, Mutex>();
const sqliteLock = (ds: DataSource) => {
  let m = sqliteLocks.get(ds);
  if (!m) {
    m = new Mutex();
    sqliteLocks.set(ds, m);
  }
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

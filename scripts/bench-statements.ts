/**
 * Statement and commit counts of a service process, for `bench:submit --whole-job` (issue 15
 * item 4). Loaded into the service with `node --require build/scripts/bench-statements.js`,
 * so it counts any build (main's too, `BENCH_BASELINE_ROOT`) without a line of the service
 * changed: it wraps mysql2's base `Connection.prototype.query`/`execute` and ioredis's
 * `sendCommand`, resolved from the service's working directory.
 *
 * Counts, per process: SQL statements by verb and first table (`INSERT ticket_event`,
 * `UPDATE outbox_message`, `START TRANSACTION`, `COMMIT`, …), commits (each COMMIT, and each
 * write outside a transaction: an autocommit), and Redis commands by name (EVALSHA for
 * bull's scripts). On SIGUSR2 the counts so far are written as JSON to
 * `$BENCH_STATEMENTS_FILE` (written to a temp file and renamed); the benchmark takes two
 * snapshots around its timed load and divides the difference by the tickets.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const sql = new Map<string, number>();
const redis = new Map<string, number>();
let commits = 0;
let statements = 0;
const inTx = new WeakSet<object>();

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** `INSERT ticket_event`, `SELECT outbox_message`, `COMMIT`, …: the verb and the first table named. */
export function statementKind(text: string): string {
  const s = text.trimStart();
  const verb = (/^[A-Za-z]+(?:\s+TRANSACTION)?/.exec(s)?.[0] ?? '?').toUpperCase();
  let table: string | undefined;
  if (verb === 'INSERT') table = /^INSERT\s+(?:IGNORE\s+)?INTO\s+[`"]?(\w+)/i.exec(s)?.[1];
  else if (verb === 'UPDATE') table = /^UPDATE\s+[`"]?(\w+)/i.exec(s)?.[1];
  else if (verb === 'DELETE') table = /^DELETE\s+FROM\s+[`"]?(\w+)/i.exec(s)?.[1];
  else if (verb === 'SELECT') table = /\sFROM\s+[`"]?(\w+)/i.exec(s)?.[1];
  return table ? `${verb} ${table}` : verb;
}

function count(conn: object, q: unknown) {
  const text = typeof q === 'string' ? q : ((q as { sql?: string } | null)?.sql ?? '');
  const kind = statementKind(text);
  statements++;
  bump(sql, kind);
  const verb = kind.split(' ')[0];
  if (kind === 'START TRANSACTION' || verb === 'BEGIN') inTx.add(conn);
  else if (verb === 'COMMIT') {
    commits++;
    inTx.delete(conn);
  } else if (verb === 'ROLLBACK' && !/TO\s+SAVEPOINT/i.test(text)) inTx.delete(conn);
  else if ((verb === 'INSERT' || verb === 'UPDATE' || verb === 'DELETE') && !inTx.has(conn)) commits++;
}

function patch() {
  const paths = [process.cwd()];
  try {
    const Connection = require(join(dirname(require.resolve('mysql2', { paths })), 'lib', 'base', 'connection.js'));
    for (const name of ['query', 'execute'] as const) {
      const orig = Connection.prototype[name];
      Connection.prototype[name] = function (this: object, q: unknown, ...rest: unknown[]) {
        count(this, q);
        return orig.call(this, q, ...rest);
      };
    }
  } catch (e) {
    process.stderr.write(`bench-statements: mysql2 not patched: ${(e as Error).message}\n`);
  }
  try {
    const Redis = require(require.resolve('ioredis', { paths }));
    const proto = (Redis.default ?? Redis).prototype;
    const orig = proto.sendCommand;
    proto.sendCommand = function (this: unknown, cmd: { name?: string }, ...rest: unknown[]) {
      bump(redis, String(cmd?.name ?? '?').toUpperCase());
      return orig.call(this, cmd, ...rest);
    };
  } catch (e) {
    process.stderr.write(`bench-statements: ioredis not patched: ${(e as Error).message}\n`);
  }
}

/** The counts so far. */
export function snapshot() {
  return { statements, commits, sql: Object.fromEntries(sql), redis: Object.fromEntries(redis) };
}

const file = process.env.BENCH_STATEMENTS_FILE;
if (file) {
  patch();
  process.on('SIGUSR2', () => {
    writeFileSync(`${file}.tmp`, JSON.stringify(snapshot()));
    renameSync(`${file}.tmp`, file);
  });
}

/**
 * The stored deadline keys of `ticket` (issue 15: the deadline sort and the overdue and
 * due-soon filters at 1,000,000 tickets; docs/decisions/lists.md). Two generated columns,
 * computed by the database itself from the row, so that no write path (the commands, a raw
 * UPDATE, the bulk loader, an import) can leave them stale:
 *
 * - `list_deadline`: the list sort key, {@link listDeadline} (domain/owed.ts) of the row, or
 *   `NO_DEADLINE` (queries/cursor.ts, far future) when it has none, never NULL, so that
 *   `ORDER BY list_deadline, id` reads an index in order and tickets without a deadline sort last;
 * - `due_soon_key`: `due_soon_at` while the state owes a deadline (`OWING_STATES`), else NULL,
 *   so that closed and paused tickets are not in its index.
 *
 * In a state that owes a deadline the list deadlines are exactly the owed ones (checked below),
 * so `list_deadline` is there the earliest owed deadline ({@link earliestOwedDeadline}):
 * overdue ⇔ owing state and `list_deadline ≤ now`; due soon ⇔ `due_soon_key ≤ now <
 * list_deadline`. The expressions are generated here from the domain's tables; the migration
 * that adds the columns (1798000000000) holds a frozen copy of this text, and
 * `test/db/deadline-keys.test.ts` checks both the text and the stored values against the
 * domain functions on both databases. Changing the rule therefore means a new migration.
 */
import type { TicketState } from '../domain/lifecycle';
import { LIST_DEADLINE_IN_STATE, type ListDeadlineField, OWED_FIELD, OWED_IN_STATE, OWING_STATES } from '../domain/owed';
import { NO_DEADLINE } from './cursor';

/** The SQL dialects the service runs on. */
export type KeyDialect = 'mysql' | 'sqlite';

/** The generated columns, by property of the `Ticket` entity. */
export const DEADLINE_KEY_COLUMNS = { listDeadlineKey: 'list_deadline', dueSoonKey: 'due_soon_key' } as const;

const LIST_COLUMN: Record<ListDeadlineField, string> = { dispatchBy: 'dispatch_by', signBy: 'sign_by', replyBy: 'reply_by', rateBy: 'rate_by' };
const inList = (states: readonly string[]) => states.map((s) => `'${s}'`).join(',');

// The keys rest on this: in an owing state, the list deadlines are the owed deadlines.
for (const s of OWING_STATES) {
  const owed = OWED_IN_STATE[s].map((d) => OWED_FIELD[d]).join(',');
  if (LIST_DEADLINE_IN_STATE[s].join(',') !== owed) throw new Error(`deadline keys: the list deadlines of ${s} are not its owed deadlines`);
}

/** The smallest non-null of `cols` (NULL when all are); ties keep the first. Same text on both databases. */
function least(cols: readonly string[]): string {
  if (cols.length === 1) return cols[0];
  const [a, ...rest] = cols;
  const b = least(rest);
  return `CASE WHEN ${a} IS NULL THEN ${b} WHEN ${b} IS NULL OR ${a} <= ${b} THEN ${a} ELSE ${b} END`;
}

/** `NO_DEADLINE` as a datetime literal: MariaDB allows no string-to-datetime conversion in a generated column; SQLite stores datetimes as TypeORM's text. */
function noDeadlineLiteral(d: KeyDialect): string {
  const text = NO_DEADLINE.toISOString().replace('T', ' ').replace('Z', '');
  return d === 'mysql' ? `TIMESTAMP'${text}'` : `'${text}'`;
}

/**
 * The expressions of the generated columns (bare column names, as a generated column
 * refers to its row), from `LIST_DEADLINE_IN_STATE` and `OWING_STATES`.
 */
export function deadlineKeySql(d: KeyDialect): { list_deadline: string; due_soon_key: string } {
  const arms = (Object.entries(LIST_DEADLINE_IN_STATE) as [TicketState, readonly ListDeadlineField[]][])
    .filter(([, fields]) => fields.length)
    .map(([state, fields]) => `WHEN '${state}' THEN ${least(fields.map((f) => LIST_COLUMN[f]))}`);
  return {
    list_deadline: `COALESCE(CASE state ${arms.join(' ')} ELSE NULL END, ${noDeadlineLiteral(d)})`,
    due_soon_key: `CASE WHEN state IN (${inList(OWING_STATES)}) THEN due_soon_at ELSE NULL END`,
  };
}

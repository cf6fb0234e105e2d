import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Stored deadline keys of `ticket` for the workbench's deadline sort and the overdue and
 * due-soon filters at a city's scale (issue 15; docs/decisions/lists.md): two generated
 * columns the database computes from the row, so no write path can leave them stale, and
 * indexes over them.
 *
 * - `list_deadline` (never NULL): the earliest list deadline of the state (`listDeadline`,
 *   domain/owed.ts), or `NO_DEADLINE` (9999-01-01) when none;
 * - `due_soon_key`: `due_soon_at` while the state owes a deadline, else NULL.
 *
 * The expressions are a frozen copy of `deadlineKeySql` (src/queries/deadline-keys.ts) as it
 * was when this migration was written; `test/db/deadline-keys.test.ts` checks that they still
 * agree with it and with the domain functions. STORED (PERSISTENT) on MariaDB: with an index
 * on a VIRTUAL column MariaDB 10.11 returned wrong rows (a rowid filter over the index skipped
 * matching rows of the report's live part), and it pushes no index condition down on one; the
 * price is one copy of the table when this migration runs. VIRTUAL on SQLite, which allows
 * only that in `ALTER TABLE ADD COLUMN`. The deadline indexes have `id` after the key (the
 * keyset's tie-break; SQLite does not append the primary key); those a count reads end in the
 * visibility rule's columns (kind, accused_department_code), so the count reads no row.
 * `idx_ticket_due_soon` (due_soon_at), whose only reader was the due-soon filter and which
 * closed tickets filled, gives way to (due_soon_key, list_deadline, …). The expressions are recorded in `typeorm_metadata`, where
 * TypeORM looks for a generated column's expression (its schema diff and SQLite table copies).
 */
export const DEADLINE_KEYS_1798000000000 = {
  mysql: {
    list_deadline:
      "COALESCE(CASE state WHEN 'registered' THEN CASE WHEN dispatch_by IS NULL THEN reply_by WHEN reply_by IS NULL OR dispatch_by <= reply_by THEN dispatch_by ELSE reply_by END WHEN 'dispatched' THEN CASE WHEN sign_by IS NULL THEN reply_by WHEN reply_by IS NULL OR sign_by <= reply_by THEN sign_by ELSE reply_by END WHEN 'in_progress' THEN reply_by WHEN 'replied' THEN rate_by ELSE NULL END, TIMESTAMP'9999-01-01 00:00:00.000')",
    due_soon_key: "CASE WHEN state IN ('registered','dispatched','in_progress') THEN due_soon_at ELSE NULL END",
  },
  sqlite: {
    list_deadline:
      "COALESCE(CASE state WHEN 'registered' THEN CASE WHEN dispatch_by IS NULL THEN reply_by WHEN reply_by IS NULL OR dispatch_by <= reply_by THEN dispatch_by ELSE reply_by END WHEN 'dispatched' THEN CASE WHEN sign_by IS NULL THEN reply_by WHEN reply_by IS NULL OR sign_by <= reply_by THEN sign_by ELSE reply_by END WHEN 'in_progress' THEN reply_by WHEN 'replied' THEN rate_by ELSE NULL END, '9999-01-01 00:00:00.000')",
    due_soon_key: "CASE WHEN state IN ('registered','dispatched','in_progress') THEN due_soon_at ELSE NULL END",
  },
} as const;

// The indexes a count reads end in the columns of the visibility rule (kind, accused department),
// so the workbench's counts and the head's overview are answered from the index alone.
const VISIBILITY = ['kind', 'accused_department_code'];
const INDEXES: [name: string, columns: string[]][] = [
  ['idx_ticket_deadline', ['list_deadline', 'id']],
  ['idx_ticket_state_deadline', ['state', 'list_deadline', 'id', ...VISIBILITY]],
  ['idx_ticket_dept_deadline', ['department_code', 'list_deadline', 'id']],
  ['idx_ticket_dept_state_deadline', ['department_code', 'state', 'list_deadline', 'id', ...VISIBILITY]],
  ['idx_ticket_level_deadline', ['escalation_level', 'list_deadline', 'id', ...VISIBILITY]],
  ['idx_ticket_due_soon_key', ['due_soon_key', 'list_deadline', ...VISIBILITY]],
];

export class TicketDeadlineKeys1798000000000 implements MigrationInterface {
  name = 'TicketDeadlineKeys1798000000000';

  public async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type === 'mysql' || q.connection.driver.options.type === 'mariadb';
    const x = mysql ? DEADLINE_KEYS_1798000000000.mysql : DEADLINE_KEYS_1798000000000.sqlite;
    await q.createTable(
      new Table({
        name: 'typeorm_metadata',
        columns: [
          { name: 'type', type: 'varchar', length: '255', isNullable: false },
          { name: 'database', type: 'varchar', length: '255', isNullable: true },
          { name: 'schema', type: 'varchar', length: '255', isNullable: true },
          { name: 'table', type: 'varchar', length: '255', isNullable: true },
          { name: 'name', type: 'varchar', length: '255', isNullable: true },
          { name: 'value', type: 'text', isNullable: true },
        ],
      }),
      true,
    );
    if (mysql) {
      // one ALTER: one copy of the table, with the stored columns and every index built in it
      await q.query(
        `ALTER TABLE \`ticket\` ${[
          `ADD COLUMN \`list_deadline\` datetime(3) AS (${x.list_deadline}) STORED`,
          `ADD COLUMN \`due_soon_key\` datetime(3) AS (${x.due_soon_key}) STORED`,
          'DROP INDEX `idx_ticket_due_soon`',
          ...INDEXES.map(([n, cols]) => `ADD INDEX \`${n}\` (${cols.map((c) => `\`${c}\``).join(', ')})`),
        ].join(', ')}`,
      );
    } else {
      await q.query(`ALTER TABLE "ticket" ADD COLUMN "list_deadline" datetime GENERATED ALWAYS AS (${x.list_deadline}) VIRTUAL`);
      await q.query(`ALTER TABLE "ticket" ADD COLUMN "due_soon_key" datetime GENERATED ALWAYS AS (${x.due_soon_key}) VIRTUAL`);
      await q.query('DROP INDEX "idx_ticket_due_soon"');
      for (const [n, cols] of INDEXES) await q.query(`CREATE INDEX "${n}" ON "ticket" (${cols.map((c) => `"${c}"`).join(', ')})`);
    }
    const schema = mysql ? (await q.query('SELECT DATABASE() AS db'))[0].db : null;
    for (const name of ['list_deadline', 'due_soon_key'] as const)
      await q.query(
        mysql
          ? 'INSERT INTO `typeorm_metadata` (`type`, `database`, `schema`, `table`, `name`, `value`) VALUES (?, NULL, ?, ?, ?, ?)'
          : 'INSERT INTO "typeorm_metadata" ("type", "database", "schema", "table", "name", "value") VALUES (?, NULL, ?, ?, ?, ?)',
        ['GENERATED_COLUMN', schema, 'ticket', name, x[name]],
      );
  }

  public async down(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type === 'mysql' || q.connection.driver.options.type === 'mariadb';
    await q.query(
      mysql
        ? "DELETE FROM `typeorm_metadata` WHERE `type` = 'GENERATED_COLUMN' AND `table` = 'ticket' AND `name` IN ('list_deadline', 'due_soon_key')"
        : `DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'ticket' AND "name" IN ('list_deadline', 'due_soon_key')`,
    );
    if (mysql) {
      await q.query(
        `ALTER TABLE \`ticket\` ${[...INDEXES.map(([n]) => `DROP INDEX \`${n}\``), 'DROP COLUMN `list_deadline`', 'DROP COLUMN `due_soon_key`', 'ADD INDEX `idx_ticket_due_soon` (`due_soon_at`)'].join(
          ', ',
        )}`,
      );
    } else {
      for (const [n] of INDEXES) await q.query(`DROP INDEX "${n}"`);
      await q.query('ALTER TABLE "ticket" DROP COLUMN "list_deadline"');
      await q.query('ALTER TABLE "ticket" DROP COLUMN "due_soon_key"');
      await q.query('CREATE INDEX "idx_ticket_due_soon" ON "ticket" ("due_soon_at")');
    }
  }
}

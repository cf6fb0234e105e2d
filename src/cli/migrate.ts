import { parseConfig } from '../config';
import { openDatabase } from '../db';
import { parseArgs } from './args';

export const MIGRATE_USAGE = `migrate
    Runs the pending migrations of migrations/ on the configured database (DATABASE_URL,
    else the embedded SQLite file under DATA_DIR) and lists what it applied.`;

/** `migrate`: returns the exit code. */
export async function migrateCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.flags.help) {
    process.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  const config = parseConfig(process.env);
  const db = await openDatabase(config, { migrate: false });
  try {
    const applied = await db.runMigrations({ transaction: 'each' });
    const where = config.embedded ? config.sqlitePath : `${new URL(config.databaseUrl!).host}${new URL(config.databaseUrl!).pathname}`;
    if (applied.length === 0) process.stdout.write(`${where}: up to date\n`);
    for (const m of applied) process.stdout.write(`${where}: applied ${m.name}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

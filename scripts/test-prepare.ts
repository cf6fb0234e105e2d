/**
 * Runs before `ava` in `npm test`: says which backend the suite will use, and on MariaDB
 * drops databases left behind by interrupted test runs (`gt_*`, older than an hour).
 */
import { createConnection } from 'mysql2/promise';

async function main() {
  const url = process.env.DATABASE_URL;
  process.stdout.write(`test backend: ${url ? `MariaDB/MySQL ${new URL(url).host}` : 'embedded SQLite'}; queue: ${process.env.REDIS_URL ? 'Redis' : 'in-process'}\n`);
  if (!url) return;
  const u = new URL(url);
  const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  const [rows] = await conn.query("SHOW DATABASES LIKE 'gt\\_%'");
  const cutoff = Date.now() - 3600_000;
  for (const r of rows as Record<string, string>[]) {
    const name = Object.values(r)[0];
    const stamp = parseInt(name.split('_')[1], 36);
    if (Number.isFinite(stamp) && stamp < cutoff) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  }
  await conn.end();
}
main().catch((e) => {
  process.stderr.write(`test-prepare: ${e.message}\n`);
  process.exit(1);
});

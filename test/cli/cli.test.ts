import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { TEST_CHAIN_KEYS, scratchDatabaseName } from '../helpers/harness';

// The command line as a user runs it: a child process on a fresh database (a new MariaDB
// database when DATABASE_URL is set, else an embedded SQLite file in a temporary dir).
const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'build', 'src', 'cli', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'grievance-cli-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DATA_DIR: dir, BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Cli-Pw-1!', LOG_LEVEL: 'warn' };
let dbName: string | undefined;

const admin = () => {
  const u = new URL(process.env.DATABASE_URL!);
  return createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
};
test.before(async () => {
  if (!process.env.DATABASE_URL) return;
  dbName = scratchDatabaseName();
  const c = await admin();
  await c.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  const u = new URL(process.env.DATABASE_URL);
  u.pathname = `/${dbName}`;
  Object.assign(env, { DATABASE_URL: u.toString(), JWT_SECRET: 'cli-test-secret-cli-test-secret', EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS });
});
test.after.always(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (dbName) {
    const c = await admin();
    await c.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await c.end();
  }
});

function cli(args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...env, ...extra }, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('usage on --help, no command, an unknown command or option', (t) => {
  const help = cli(['--help']);
  t.is(help.code, 0);
  t.true(help.out.includes('import-hotline <file.csv> [--as <username>] [--dry-run] [--codes <file.csv>]'));
  for (const c of [
    'demo [--data-dir DIR] [--port N]',
    'create-user <username> --role',
    'update-user <username>',
    'reset-password <username>',
    'deactivate-user <username>',
    'migrate',
    'preview',
    'reindex-search [--batch N] [--after ID]',
  ])
    t.true(help.out.includes(c), c);
  t.is(cli([]).code, 2);
  const unknown = cli(['frobnicate']);
  t.is(unknown.code, 2);
  t.true(unknown.err.startsWith('unknown command "frobnicate"'));
  const opt = cli(['import-hotline', 'x.csv', '--force']);
  t.is(opt.code, 2);
  t.is(opt.err, 'import-hotline: unknown option --force (see import-hotline --help)\n');
  t.is(cli(['import-hotline', '--help']).code, 0);
});

test.serial('migrate applies the migrations once', (t) => {
  const first = cli(['migrate']);
  t.is(first.code, 0, first.err);
  t.regex(first.out, /applied \S*initial\S*|: applied /);
  const second = cli(['migrate']);
  t.is(second.code, 0);
  t.regex(second.out, /: up to date\n$/);
});

test.serial("create-user creates a staff account with the API's rules; import-hotline imports, skips and rejects", (t) => {
  const made = cli(['create-user', 'hotline1', '--role', 'intake', '--department', 'SAMR', '--name', '热线受理员'], { NEW_USER_PASSWORD: 'Hotline-Pw-123' });
  t.is(made.code, 0, made.err);
  t.is(made.out, 'created intake "hotline1" in SAMR\n');
  const piped = cli(['create-user', 'tax9', '--role', 'handler', '--department', 'TAX', '--head'], {}, 'Tax9-Password\n');
  t.is(piped.out, 'created handler "tax9" in TAX (department head)\n');
  const taken = cli(['create-user', 'hotline1', '--role', 'intake', '--department', 'SAMR'], { NEW_USER_PASSWORD: 'Hotline-Pw-123' });
  t.is(taken.code, 1);
  t.is(taken.err, 'create-user: username hotline1 is taken\n');
  const coord = cli(['create-user', 'coordx', '--role', 'coordinator', '--department', 'TAX'], { NEW_USER_PASSWORD: 'Coord-Pw-1234' });
  t.is(coord.code, 1);
  t.is(coord.err, 'create-user: departmentCode: the coordinator office is SAMR (区市场监管局)\n');
  const owner = cli(['create-user', 'owner1', '--role', 'owner'], { NEW_USER_PASSWORD: 'Owner-Pw-1234' });
  t.is(owner.code, 1);
  t.is(owner.err, 'create-user: invalid account\n  role: Invalid option: expected one of "intake"|"handler"|"coordinator"|"supervisor"|"admin"\n');
  t.is(cli(['create-user', 'x1']).code, 2);

  const codes = join(dir, 'codes.csv');
  const imp = cli(['import-hotline', 'seed/sample-hotline.csv', '--codes', codes]);
  t.is(imp.code, 0, imp.err);
  const lines = imp.out.trim().split('\n');
  t.is(lines[0], 'sample-hotline.csv: utf-8, registered by hotline1');
  t.is(lines[lines.length - 1], '30 imported, 0 skipped (already imported), 0 rejected');
  const written = readFileSync(codes, 'utf8');
  t.true(written.startsWith('\ufeffsource_id,number,access_code\n12345-20261102-0001,FL2026000001,'));
  t.is(written.trim().split('\n').length, 31);

  const again = cli(['import-hotline', 'seed/sample-hotline.csv', '--as', 'hotline1']);
  t.is(again.code, 0);
  t.is(again.out.trim().split('\n').pop(), '0 imported, 30 skipped (already imported), 0 rejected');

  // the chains of new tickets are keyed from their first event: nothing to seal (issue 13 item 9)
  const seal = cli(['seal-event-chains']);
  t.deepEqual([seal.code, seal.out], [0, '0 chain(s) sealed, 0 broken\n'], seal.err);
  // the search index is rebuilt in batches (issue 15 item 3): the 30 imported tickets, 7 at a time
  const reindex = cli(['reindex-search', '--batch', '7']);
  t.is(reindex.code, 0, reindex.err);
  t.regex(reindex.out, /^30 ticket\(s\) indexed, [1-9]\d* token\(s\), in \d+\.\d s\n$/);
  t.is(cli(['reindex-search', '--batch', 'x']).code, 2);

  // the maintained report figures: the sweep has not run here, so the imported tickets are still marked; rebuilt, they agree with the raw rows
  const figures = cli(['figures', '--rebuild', '--verify', '--from', '2026-11-01', '--to', '2026-11-30']);
  t.is(figures.code, 0, figures.out + figures.err);
  t.regex(figures.out, /^30 ticket\(s\) refreshed in [\d.]+ s\n/);
  t.regex(figures.out, /\n13 department\(s\) × 14 viewer\(s\) 2026-11-01\.\.2026-11-30: 0 difference\(s\)\n$/);
  t.is(cli(['figures', '--verify']).code, 2);
  // arguments are checked before anything is done: an impossible date, --to before --from, or a period without
  // --verify is a usage error (exit code 2, not 1 "differences found") and nothing is refreshed
  for (const [args, err] of [
    [['--verify', '--from', '2026-02-30', '--to', '2026-03-01'], '--from 2026-02-30 is not a date YYYY-MM-DD (a real day of the calendar)'],
    [['--verify', '--from', '2026-11-01', '--to', '2026-11-31'], '--to 2026-11-31 is not a date YYYY-MM-DD (a real day of the calendar)'],
    [['--verify', '--from', '2026-11-30', '--to', '2026-11-01'], '--to 2026-11-01 is before --from 2026-11-30'],
    [['--verify', '--from', '2026-11-01'], '--verify needs --from and --to (YYYY-MM-DD)'],
    [['--from', '2026-11-01', '--to', '2026-11-30'], '--from and --to only go with --verify (they name the period it compares)'],
    [['--rebuild', '--to', '2026-11-30'], '--from and --to only go with --verify (they name the period it compares)'],
  ] as const) {
    const r = cli(['figures', ...args]);
    t.deepEqual([r.code, r.out, r.err], [2, '', `figures: ${err} (see figures --help)\n`], args.join(' '));
  }

  const bad = join(dir, 'bad.csv');
  const sample = readFileSync(join(ROOT, 'seed', 'sample-hotline.csv'), 'utf8').split('\r\n');
  writeFileSync(bad, [sample[0], sample[1], sample[2].replace('13800003658', '1380000365'), sample[3].replace('WEB-20261102-0003', 'NEW-0003')].join('\r\n'));
  const mixed = cli(['import-hotline', bad, '--as', 'hotline1', '--codes', join(dir, 'codes2.csv')]);
  t.is(mixed.code, 1);
  t.is(
    mixed.out
      .split('\n')
      .filter((l) => l.startsWith('row '))
      .join('\n'),
    'row 3: owner_phone: not a valid mobile number (11 digits starting 1[3-9])',
  );
  t.is(mixed.out.trim().split('\n').pop(), '1 imported, 1 skipped (already imported), 1 rejected');

  const missing = cli(['import-hotline', join(dir, 'nope.csv')]);
  t.is(missing.code, 2);
});

test.serial("update-user, reset-password, deactivate-user and reactivate-user apply the API's rules to a named account", (t) => {
  const moved = cli(['update-user', 'tax9', '--department', 'HRSS', '--name', '人社科长']);
  t.is(moved.code, 0, moved.err);
  t.is(moved.out, 'updated handler "tax9" in HRSS (department head)\n');
  const head = cli(['update-user', 'tax9', '--role', 'intake']);
  t.is(head.code, 1);
  t.is(head.err, 'update-user: isHead: only a handler can head a department\n');
  const nobody = cli(['update-user', 'nobody', '--name', 'x']);
  t.is(nobody.code, 2);
  t.is(nobody.err, 'update-user: no account "nobody" (see update-user --help)\n');
  const reset = cli(['reset-password', 'tax9']);
  t.is(reset.code, 0, reset.err);
  t.regex(reset.out, /^temporary password of "tax9": [A-HJ-NP-Za-km-z2-9]{12} \(shown once; it must be changed at the next sign-in\)\n$/);
  t.is(cli(['deactivate-user', 'tax9', '--reason', '退休']).out, 'deactivated "tax9"\n');
  t.is(cli(['reactivate-user', 'tax9']).out, 'reactivated "tax9"\n');
});

test('preview is delegated to src/cli/preview.ts', (t) => {
  const r = cli(['preview', '--help']);
  t.is(r.code, 0);
  t.true(r.out.startsWith('preview <template>'));
  const bad = cli(['preview', 'no_such_template']);
  t.is(bad.code, 2);
  t.true(bad.err.startsWith('preview: no template "no_such_template"'));
});

import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { formatProblem, importHotline, ImportReport, summarizeImport } from '../commands/import-hotline';
import { bootForCli } from './common';
import { checkFileSize, HOTLINE_EXPORT_FILE } from '../uploads/limits';
import { flag, parseArgs, UsageError } from './args';

export const IMPORT_USAGE = `import-hotline <file.csv> [--as <username>] [--dry-run] [--codes <file.csv>]
    Imports a hotline export (columns as in seed/sample-hotline.csv; UTF-8 or GBK).
    --as       the intake (or coordinator) account that registers the tickets; may be
               left out when exactly one intake account exists
    --dry-run  validate and count only; nothing is written
    --codes    where to write the access codes of the new tickets (source_id, number,
               access_code); default <DATA_DIR>/imports/<file>-<time>-access-codes.csv
    Good rows are imported, bad rows are listed with their line numbers and reasons and
    the exit code is 1; rows imported before (same source_id) are skipped.`;

/** Writes the new tickets' access codes for the hotline office to pass on to the callers (owner-only file). */
function writeCodes(report: ImportReport, file: string) {
  mkdirSync(dirname(file), { recursive: true });
  const rows = report.imported.filter((r) => r.accessCode).map((r) => [r.sourceId, r.number, r.accessCode]);
  writeFileSync(file, stringify(rows, { header: true, columns: ['source_id', 'number', 'access_code'], bom: true }), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** `import-hotline`: returns the exit code (0 all good, 1 some rows rejected). */
export async function importHotlineCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['as', 'codes'], booleans: ['dry-run'] });
  if (a.flags.help) {
    process.stdout.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length !== 1) throw new UsageError('import-hotline takes one file');
  const path = resolve(a.positionals[0]);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  // Bounded before reading: a file past the import's size is refused without loading it.
  checkFileSize(size, HOTLINE_EXPORT_FILE);
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const deps = await bootForCli();
  try {
    const report = await importHotline(deps, file, { as: flag(a, 'as'), dryRun: a.flags['dry-run'] === true });
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`${basename(path)}: ${report.encoding}, registered by ${report.actor}`);
    if (report.ignoredColumns.length) out(`ignored columns: ${report.ignoredColumns.join(', ')}`);
    for (const p of report.problems) out(formatProblem(p));
    if (report.imported.length) {
      const stamp = deps.clock
        .now()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      const codes = resolve(flag(a, 'codes') ?? join(deps.config.dataDir, 'imports', `${basename(path).replace(/\.[^.]*$/, '')}-${stamp}-access-codes.csv`));
      writeCodes(report, codes);
      out(`access codes of the new tickets (pass them on to the callers; shown nowhere else): ${codes}`);
    }
    out(summarizeImport(report));
    return report.rejectedRows > 0 ? 1 : 0;
  } finally {
    await deps.db.destroy();
  }
}

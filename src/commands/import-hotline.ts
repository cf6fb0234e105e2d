import iconv from 'iconv-lite';
import { DateTime } from 'luxon';
import { In } from 'typeorm';
import { Category, Ticket, User } from '../entities';
import { Instant, TicketCreate, line } from '../schemas';
import type { AppDeps } from '../deps';
import type { Actor } from '../domain/lifecycle';
import { AppError } from '../errors';
import { inTransaction } from '../db';
import { createTicket, CreateTicketInput } from './create-ticket';
import { checkFileSize, FileLimits, HOTLINE_EXPORT_FILE } from '../uploads/limits';
import { parseCsvBounded } from '../uploads/csv';

/**
 * Import of a hotline export (12345 / symposium / letter registers) in the shape of
 * `seed/sample-hotline.csv` (DESIGN §2, issue 2 item 9). Decisions:
 * docs/decisions/import-and-demo.md.
 */

/** Columns a file must have (header row, any order). */
export const REQUIRED_COLUMNS = ['source_id', 'received_at', 'channel', 'category', 'title', 'description', 'owner_name', 'owner_phone'] as const;
/** Columns read when present: `priority` (default normal), `kind` (default complaint), and the business's details. */
export const OPTIONAL_COLUMNS = ['priority', 'kind', 'credit_code', 'business_name'] as const;

/** How the file's bytes were decoded. */
export type FileEncoding = 'utf-8' | 'utf-8-bom' | 'gbk';

/** A valid row, ready for `createTicket` (instants UTC). `line` is the CSV line the record starts on (header = line 1). */
export interface HotlineRow {
  line: number;
  sourceId: string;
  input: CreateTicketInput & { sourceId: string; receivedAt: Date };
}

/** One reason a row (or the file) was refused; `field` is the CSV column name. */
export interface RowProblem {
  line: number;
  sourceId: string | null;
  field: string;
  code: string;
  message: string;
}

export interface ParsedExport {
  encoding: FileEncoding;
  rows: HotlineRow[];
  problems: RowProblem[];
  /** header columns that are neither required nor optional; ignored */
  ignoredColumns: string[];
}

/** `row 7: owner_phone: not a valid mobile number (…)` */
export const formatProblem = (p: RowProblem) => `row ${p.line}: ${p.field}: ${p.message}`;

/**
 * Decodes an export: a UTF-8 byte-order mark → UTF-8; else strict UTF-8 if every byte
 * sequence is valid; else GBK (Excel on Windows saves "CSV" in the ANSI code page, cp936),
 * decoded as GB 18030, its superset. Throws nothing: GBK decoding accepts any bytes.
 */
export function decodeExport(file: Buffer): { text: string; encoding: FileEncoding } {
  if (file.length >= 3 && file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(file.subarray(3)), encoding: 'utf-8-bom' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(file), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(file, 'gb18030'), encoding: 'gbk' };
  }
}

const LOCAL_TIME = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
/**
 * A receipt time as exported: ISO 8601 with offset, or a local wall-clock time without
 * offset (`2026-11-02 09:14[:00]`, `2026/11/2 9:14` as Excel re-saves it), which is read
 * in the business time zone. Anything else is passed through for the schema to refuse.
 */
export function normalizeReceivedAt(value: string, tz: string): string {
  const m = LOCAL_TIME.exec(value);
  if (!m) return value;
  const dt = DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: m[6] ? +m[6] : 0 }, { zone: tz });
  return dt.isValid ? dt.toISO()! : value;
}

/** zod path of TicketCreate → CSV column */
const FIELD_OF: Record<string, string> = {
  kind: 'kind',
  channel: 'channel',
  title: 'title',
  description: 'description',
  category: 'category',
  priority: 'priority',
  receivedAt: 'received_at',
  'owner.name': 'owner_name',
  'owner.phone': 'owner_phone',
  'owner.creditCode': 'credit_code',
  'owner.businessName': 'business_name',
  owner: 'owner_name',
  anonymous: 'owner_name',
  sourceId: 'source_id',
};
/** The CSV column an API field name refers to (for errors raised by `createTicket`). */
export const columnOf = (field: string) => FIELD_OF[field] ?? field;

const SourceId = line(64);
const IMPORTABLE_KINDS = ['complaint', 'suggestion'] as const;

/**
 * Parses and validates a hotline export. Pure: no database, no clock (`opts.now` is given). Every row is checked with the API's own schemas
 * (`TicketCreate`, with `OwnerContact`, `Mobile`, `CreditCode`, `Instant`), plus:
 * `source_id` required, ≤ 64 characters, unique within the file; `received_at` not after
 * `opts.now`; `category` one of `opts.categories`; `kind` complaint or suggestion.
 * A row with both `owner_name` and `owner_phone` empty is an anonymous caller; one of
 * them empty is an error. Row numbers are the CSV line the record starts on (header = 1).
 *
 * @param file the raw bytes (UTF-8 with or without BOM, or GBK)
 * @param opts.now UTC instant imports are judged against; opts.categories active category
 *   codes; opts.tz business zone for receipt times without offset (default Asia/Shanghai);
 *   opts.limits the file's bounds (default `HOTLINE_EXPORT_FILE`)
 * @returns valid rows in file order and every problem found; a file-level problem (bad
 *   CSV syntax, missing column, empty file) yields no rows
 * @throws AppError 413 `file-too-large` when the file passes `HOTLINE_EXPORT_FILE` (bytes,
 *   rows, cells per row, characters per cell or row): nothing is imported
 */
export function parseHotlineExport(file: Buffer, opts: { now: Date; categories: ReadonlySet<string>; tz?: string; limits?: FileLimits }): ParsedExport {
  const limits = opts.limits ?? HOTLINE_EXPORT_FILE;
  checkFileSize(file.length, limits);
  const tz = opts.tz ?? 'Asia/Shanghai';
  const { text, encoding } = decodeExport(file);
  const problems: RowProblem[] = [];
  const empty: ParsedExport = { encoding, rows: [], problems, ignoredColumns: [] };
  let records: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    // Line breaks normalised first (CRLF from Excel, CR from old Mac exports), so that line numbers count as editors do.
    records = parseCsvBounded(text.replace(/\r\n?/g, '\n'), limits, { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    if (e instanceof AppError) throw e;
    const err = e as { lines?: number; message: string };
    problems.push({ line: err.lines ?? 1, sourceId: null, field: '(file)', code: 'csv_syntax', message: `not a readable CSV file: ${err.message}` });
    return empty;
  }
  if (records.length === 0) {
    problems.push({ line: 1, sourceId: null, field: '(file)', code: 'empty', message: 'the file is empty (expected a header row)' });
    return empty;
  }
  const header = records[0].record.map((h) => h.toLowerCase());
  const index = new Map(header.map((h, i) => [h, i] as const));
  for (const col of REQUIRED_COLUMNS) {
    if (!index.has(col)) problems.push({ line: records[0].info.lines, sourceId: null, field: col, code: 'missing_column', message: 'required column is missing from the header' });
  }
  if (problems.length) return empty;
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const ignoredColumns = header.filter((h) => h && !known.has(h));

  const rows: HotlineRow[] = [];
  const firstSeen = new Map<string, number>();
  let prevEnd = records[0].info.lines;
  let prevEmpty = records[0].info.empty_lines;
  for (const { record, info } of records.slice(1)) {
    const lineNo = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    const get = (col: string) => {
      const i = index.get(col);
      return i === undefined ? '' : (record[i] ?? '');
    };
    const rawSource = get('source_id');
    const sourceId = rawSource || null;
    const bad = (field: string, code: string, message: string) => problems.push({ line: lineNo, sourceId, field, code, message });
    if (record.length !== header.length) {
      bad('(row)', 'field_count', `expected ${header.length} fields, found ${record.length}`);
      continue;
    }
    let ok = true;
    if (!rawSource) {
      bad('source_id', 'required', 'required');
      ok = false;
    } else {
      const s = SourceId.safeParse(rawSource);
      if (!s.success) {
        bad('source_id', 'invalid', s.error.issues[0].message);
        ok = false;
      } else if (firstSeen.has(rawSource)) {
        bad('source_id', 'duplicate', `duplicate source_id (first at row ${firstSeen.get(rawSource)})`);
        ok = false;
      } else {
        firstSeen.set(rawSource, lineNo);
      }
    }
    const kind = get('kind') || 'complaint';
    if (!(IMPORTABLE_KINDS as readonly string[]).includes(kind)) {
      bad('kind', 'not_importable', `must be complaint or suggestion (objections and integrity reports are not imported), got "${kind}"`);
      ok = false;
    }
    const name = get('owner_name');
    const phone = get('owner_phone');
    if (!!name !== !!phone) {
      bad(name ? 'owner_phone' : 'owner_name', 'required', 'required when the other contact column is filled (leave both empty for an anonymous caller)');
      ok = false;
    }
    const anonymous = !name && !phone;
    const candidate: Record<string, unknown> = {
      kind,
      channel: get('channel'),
      title: get('title'),
      description: get('description'),
      category: get('category') || undefined,
      priority: get('priority') || undefined,
      receivedAt: normalizeReceivedAt(get('received_at'), tz),
      ...(anonymous
        ? { anonymous: true }
        : { owner: { name, phone, ...(get('credit_code') ? { creditCode: get('credit_code') } : {}), ...(get('business_name') ? { businessName: get('business_name') } : {}) } }),
    };
    if (!get('received_at')) {
      bad('received_at', 'required', 'required');
      ok = false;
      delete candidate.receivedAt;
    }
    if (!get('category')) {
      bad('category', 'required', 'required');
      ok = false;
    }
    const parsed = TicketCreate.safeParse(candidate);
    if (!parsed.success) {
      ok = false;
      const reported = new Set<string>(problems.filter((p) => p.line === lineNo).map((p) => p.field));
      for (const issue of parsed.error.issues) {
        const field = columnOf(issue.path.join('.'));
        // one reason per column is enough to fix it
        if (reported.has(field)) continue;
        reported.add(field);
        bad(field, issue.code, issue.message);
      }
    }
    const category = get('category');
    if (category && !opts.categories.has(category)) {
      bad('category', 'unknown', `unknown category "${category}"`);
      ok = false;
    }
    const at = candidate.receivedAt === undefined ? null : Instant.safeParse(candidate.receivedAt);
    if (at?.success && at.data.getTime() > opts.now.getTime()) {
      bad('received_at', 'in_future', 'must not be in the future');
      ok = false;
    }
    if (!ok || !parsed.success) continue;
    const d = parsed.data;
    rows.push({
      line: lineNo,
      sourceId: rawSource,
      input: {
        kind: d.kind,
        channel: d.channel,
        title: d.title,
        description: d.description,
        category: d.category,
        priority: d.priority ?? 'normal',
        ...(d.owner ? { owner: d.owner } : { anonymous: true }),
        receivedAt: d.receivedAt!,
        sourceId: rawSource,
      },
    });
  }
  return { encoding, rows, problems, ignoredColumns };
}

/** Who an import is attributed to: an active intake (or coordinator) account. */
export async function resolveImportActor(deps: Pick<AppDeps, 'db'>, username?: string): Promise<User> {
  const repo = deps.db.getRepository(User);
  if (username) {
    const u = await repo.findOneBy({ username });
    if (!u?.active) throw new AppError(400, 'unknown-user', `no active account "${username}"`);
    if (u.role !== 'intake' && u.role !== 'coordinator') throw new AppError(400, 'wrong-role', `"${username}" is a ${u.role}; imports are registered by an intake or coordinator account`);
    return u;
  }
  const intake = await repo.find({ where: { role: 'intake', active: true }, order: { username: 'ASC' }, take: 2 });
  if (intake.length === 1) return intake[0];
  throw new AppError(
    400,
    'import-actor-required',
    intake.length === 0
      ? 'no intake account exists: create one (create-user <username> --role intake --department SAMR) and pass --as <username>'
      : 'several intake accounts exist: say who registers the import with --as <username>',
  );
}

export interface ImportedRow {
  line: number;
  sourceId: string;
  ticketId: string;
  number: string;
  state: string;
  departmentCode: string | null;
  accessCode?: string;
}
export interface SkippedRow {
  line: number;
  sourceId: string;
  number: string;
  ticketId: string;
}
export interface ImportReport {
  encoding: FileEncoding;
  dryRun: boolean;
  actor: string;
  imported: ImportedRow[];
  /** dry run: valid new rows that a real run would import */
  wouldImport: { line: number; sourceId: string }[];
  /** rows whose source_id was imported before */
  skipped: SkippedRow[];
  /** every problem; `rejectedRows` counts the distinct rows (or 1 for a file-level problem) */
  problems: RowProblem[];
  rejectedRows: number;
  ignoredColumns: string[];
}

/** `30 imported, 0 skipped (already imported), 0 rejected` */
export function summarizeImport(r: ImportReport): string {
  const first = r.dryRun ? `${r.wouldImport.length} to import (dry run)` : `${r.imported.length} imported`;
  return `${first}, ${r.skipped.length} skipped (already imported), ${r.rejectedRows} rejected`;
}

/**
 * Imports a hotline export as tickets through `createTicket`, one transaction per row,
 * registered by an intake account (`opts.as`, or the only intake account). Rows whose
 * `source_id` already exists are skipped (the unique index on `ticket.source_id` makes a
 * concurrent second import skip too: 409 `duplicate-source`). Good rows are imported even
 * when others are refused; refused rows are reported with their line numbers and reasons,
 * and can be fixed and re-imported. Account-less submitters get an access code each,
 * returned once in `imported[].accessCode`.
 *
 * @param opts.now UTC instant of the import (default the service clock); opts.as the
 *   importing account's username; opts.dryRun validate and count only; opts.only restrict
 *   to these source ids (the demo imports the export in daily batches)
 * @throws AppError 400 when the import actor cannot be resolved; database errors
 */
export async function importHotline(
  deps: Pick<AppDeps, 'db' | 'calendar' | 'config' | 'clock' | 'onTicketsChanged'>,
  file: Buffer,
  opts: { as?: string; dryRun?: boolean; now?: Date; only?: ReadonlySet<string> } = {},
): Promise<ImportReport> {
  const user = await resolveImportActor(deps, opts.as);
  const now = opts.now ?? deps.clock.now();
  const categories = new Set((await deps.db.getRepository(Category).findBy({ active: true })).map((c) => c.code));
  const parsed = parseHotlineExport(file, { now, categories, tz: deps.config.businessTz });
  if (opts.only) {
    const only = opts.only;
    parsed.rows = parsed.rows.filter((r) => only.has(r.sourceId));
    parsed.problems = parsed.problems.filter((p) => p.sourceId === null || only.has(p.sourceId));
  }
  const report: ImportReport = {
    encoding: parsed.encoding,
    dryRun: !!opts.dryRun,
    actor: user.username,
    imported: [],
    wouldImport: [],
    skipped: [],
    problems: [...parsed.problems],
    rejectedRows: 0,
    ignoredColumns: parsed.ignoredColumns,
  };
  const existing = new Map<string, { id: string; number: string }>();
  const ids = parsed.rows.map((r) => r.sourceId);
  for (let i = 0; i < ids.length; i += 500) {
    const found = await deps.db.getRepository(Ticket).find({ where: { sourceId: In(ids.slice(i, i + 500)) }, select: { id: true, number: true, sourceId: true } });
    for (const t of found) existing.set(t.sourceId!, { id: t.id, number: t.number });
  }
  const actor: Actor = { kind: 'user', userId: user.id, role: user.role, departmentCode: user.departmentCode, isHead: user.isHead };
  const cal = await deps.calendar.get(deps.db.manager);
  const changed: string[] = [];
  for (const row of parsed.rows) {
    const before = existing.get(row.sourceId);
    if (before) {
      report.skipped.push({ line: row.line, sourceId: row.sourceId, number: before.number, ticketId: before.id });
      continue;
    }
    if (opts.dryRun) {
      report.wouldImport.push({ line: row.line, sourceId: row.sourceId });
      continue;
    }
    try {
      const { ticket, accessCode } = await inTransaction(deps.db, (em) =>
        createTicket(
          {
            em,
            actor,
            now,
            cal,
            tz: deps.config.businessTz,
            ticketPrefix: deps.config.ticketPrefix,
            secret: deps.config.jwtSecret,
          },
          row.input,
        ),
      );
      changed.push(ticket.id);
      report.imported.push({
        line: row.line,
        sourceId: row.sourceId,
        ticketId: ticket.id,
        number: ticket.number,
        state: ticket.state,
        departmentCode: ticket.departmentCode,
        ...(accessCode ? { accessCode } : {}),
      });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      if (e.code === 'duplicate-source') {
        const t = await deps.db.getRepository(Ticket).findOneByOrFail({ sourceId: row.sourceId });
        report.skipped.push({ line: row.line, sourceId: row.sourceId, number: t.number, ticketId: t.id });
        continue;
      }
      const fields = e.errors.length ? e.errors : [{ field: '(row)', code: e.code, message: e.detail }];
      for (const f of fields) report.problems.push({ line: row.line, sourceId: row.sourceId, field: columnOf(f.field), code: f.code, message: f.message });
    }
  }
  if (changed.length) deps.onTicketsChanged?.(changed);
  report.problems.sort((a, b) => a.line - b.line);
  report.rejectedRows = new Set(report.problems.map((p) => p.line)).size;
  return report;
}

import { BEFORE_REPLY_STATES, DISCIPLINE_DEPARTMENT, OPEN_STATES } from '../domain/lifecycle';
import { randomUUID } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import * as iconv from 'iconv-lite';
import { Department, ResultEntry, ResultNotice, Ticket } from '../entities';
import { CATEGORY_ALIASES, DEFAULT_WINDOW_WORKING_DAYS, ObjectionWindow, RecognitionCategory, windowOf, windowPhase } from '../domain/objection-window';
import type { WorkCalendar } from '../domain/calendar';
import { isValidCreditCode, SINGLELINE_FORBIDDEN } from '../domain/validators';
import { hasVisibleText } from '../domain/text';
import { AppError, conflict, fieldError, FieldError, forbidden, notFound, unprocessable } from '../errors';
import { isMysql } from '../db';
import { CommandContext } from './context';
import { checkFileSize, RESULT_NOTICE_FILE } from '../uploads/limits';
import { readFirstSheet } from '../uploads/xlsx';
import { parseCsvBounded } from '../uploads/csv';
import { importGate } from '../uploads/gate';

/** One business on a notice (DESIGN §13 `entries[]`). */
export interface EntryInput {
  creditCode: string;
  businessName: string;
  category: RecognitionCategory;
  sector?: string;
  /** the operator's name as published, masked (张**) */
  operatorMasked?: string;
}

/** Body of `POST /result-notices` after validation (DESIGN §13); dates are local 'YYYY-MM-DD'. */
export interface NoticeInput {
  title: string;
  publishedOn: string;
  /** N working days counting the publication day (default 5); or the explicit dates below */
  windowWorkingDays?: number;
  windowFrom?: string;
  windowUntil?: string;
  /** default SAMR, the evaluation office (DESIGN §6) */
  handlingDepartmentCode?: string;
  entries: EntryInput[];
}

/** Most entries one notice may list (a district's yearly list is a few hundred). */
export const MAX_ENTRIES = 5000;
export const DEFAULT_HANDLING_DEPARTMENT = 'SAMR';

/** Reads a notice, locking its row on MariaDB so that filing, deciding and finalizing serialize on it. */
export async function lockNotice(em: EntityManager, id: string): Promise<ResultNotice | null> {
  return em.getRepository(ResultNotice).findOne({ where: { id }, ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
}

/** The notice's objection window by the current calendar (DESIGN §6). */
export const noticeWindow = (n: ResultNotice, cal: WorkCalendar, tz: string): ObjectionWindow => windowOf(n, cal, tz);

/**
 * Creates a result notice with its entries (DESIGN §6, §13), coordinator only. The window is
 * N working days (default 5) or explicit dates; an explicit window may not start before the
 * publication day. Throws 403 for other roles, 422 naming the field (unknown handling
 * department, window dates out of order, duplicate credit codes: `entries.N.creditCode`).
 * Nothing is written unless all of it is valid.
 */
export async function createResultNotice(ctx: CommandContext, input: NoticeInput, source: 'api' | 'csv' | 'xlsx' = 'api'): Promise<ResultNotice> {
  const { em, actor, now } = ctx;
  if (actor.kind !== 'user' || actor.role !== 'coordinator') throw forbidden('result notices are published by the coordinator (evaluation office)');
  const depCode = input.handlingDepartmentCode ?? DEFAULT_HANDLING_DEPARTMENT;
  const dep = await em.findOneBy(Department, { code: depCode });
  if (!dep?.active) throw fieldError('handlingDepartmentCode', 'unknown', `unknown department ${depCode}`);
  if (dep.code === DISCIPLINE_DEPARTMENT) throw fieldError('handlingDepartmentCode', 'discipline', 'the discipline department receives integrity reports only');
  const explicit = input.windowFrom !== undefined || input.windowUntil !== undefined;
  if (explicit) {
    if (!input.windowFrom || !input.windowUntil) throw fieldError(input.windowFrom ? 'windowUntil' : 'windowFrom', 'required', 'an explicit window names its first and last day');
    if (input.windowWorkingDays !== undefined) throw fieldError('windowWorkingDays', 'exclusive', 'give either windowWorkingDays or windowFrom and windowUntil');
    if (input.windowFrom < input.publishedOn) throw fieldError('windowFrom', 'before_publication', 'the window cannot open before the notice is published');
    if (input.windowUntil < input.windowFrom) throw fieldError('windowUntil', 'before_start', 'the last day is before the first day');
  }
  if (input.entries.length === 0) throw fieldError('entries', 'required', 'a notice lists at least one business');
  if (input.entries.length > MAX_ENTRIES) throw fieldError('entries', 'too_many', `at most ${MAX_ENTRIES} entries`);
  const seen = new Map<string, number>();
  input.entries.forEach((e, i) => {
    const first = seen.get(e.creditCode);
    if (first !== undefined) throw fieldError(`entries.${i}.creditCode`, 'duplicate', `the same credit code as entries.${first}`);
    seen.set(e.creditCode, i);
  });

  const n = new ResultNotice();
  Object.assign(n, {
    id: randomUUID(),
    title: input.title,
    publishedOn: input.publishedOn,
    windowWorkingDays: explicit ? null : (input.windowWorkingDays ?? DEFAULT_WINDOW_WORKING_DAYS),
    windowFrom: explicit ? input.windowFrom! : null,
    windowUntil: explicit ? input.windowUntil! : null,
    handlingDepartmentCode: dep.code,
    source,
    finalizedAt: null,
    finalizedById: null,
    createdById: actor.userId,
    createdAt: now,
  } satisfies ResultNotice);
  await em.insert(ResultNotice, n);
  const rows = input.entries.map((e, i) => ({
    id: randomUUID(),
    noticeId: n.id,
    position: i + 1,
    creditCode: e.creditCode,
    businessName: e.businessName,
    category: e.category,
    sector: e.sector ?? null,
    operatorMasked: e.operatorMasked ?? null,
    revokedAt: null,
    revokedByTicketId: null,
  }));
  // Chunks keep each INSERT well under the drivers' parameter limits.
  for (let i = 0; i < rows.length; i += 200) await em.insert(ResultEntry, rows.slice(i, i + 200));
  return n;
}

/**
 * Finalizes a notice (DESIGN §6 `POST /result-notices/:id/finalize`), coordinator only:
 * 409 `objection-window-open` while the window has not closed yet, 409 `objections-open`
 * (with `openObjections`) while an objection on it is open (including one answered and
 * waiting for its rating, since a bad rating would reopen it), 409 `already-finalized`.
 * Afterwards the list is frozen: no new objections, decisions no longer change entries.
 */
export async function finalizeResultNotice(ctx: CommandContext, id: string): Promise<ResultNotice> {
  const { em, actor, now } = ctx;
  if (actor.kind !== 'user' || actor.role !== 'coordinator') throw forbidden('result notices are finalized by the coordinator');
  // Locked: an objection filed at the same moment either commits first (and is counted by the
  // locking read below) or waits and then finds the notice finalized.
  const n = await lockNotice(em, id);
  if (!n) throw notFound('result notice');
  if (n.finalizedAt) throw conflict('already-finalized', `the notice was finalized at ${n.finalizedAt.toISOString()}`);
  const w = noticeWindow(n, ctx.cal, ctx.tz);
  if (windowPhase(w, now) !== 'closed') {
    throw conflict('objection-window-open', `the objection window is open until ${w.closesAt.toISOString()}`, { closesAt: w.closesAt.toISOString() });
  }
  const open = await em.find(Ticket, {
    where: { kind: 'objection', resultNoticeId: n.id, state: In([...OPEN_STATES]) },
    select: { id: true, number: true, state: true },
    order: { createdAt: 'ASC' },
    ...(isMysql(em) ? { lock: { mode: 'pessimistic_read' as const } } : {}),
  });
  if (open.length) {
    throw conflict('objections-open', `${open.length} objection(s) on this notice are still open`, { openObjections: open.map((t) => ({ ticketId: t.id, number: t.number, state: t.state })) });
  }
  n.finalizedAt = now;
  n.finalizedById = actor.userId;
  await em.update(ResultNotice, { id: n.id }, { finalizedAt: now, finalizedById: actor.userId });
  return n;
}

/** Undecided objections per entry id of a notice (they make the entry `disputed`). */
export async function undecidedByEntry(em: EntityManager, noticeIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!noticeIds.length) return out;
  const rows: { entry: string; n: string | number }[] = await em
    .createQueryBuilder(Ticket, 't')
    .select('t.result_entry_id', 'entry')
    .addSelect('COUNT(*)', 'n')
    .where("t.kind = 'objection' AND t.result_notice_id IN (:...ids) AND t.result_entry_id IS NOT NULL AND t.state IN (:...states)", { ids: noticeIds, states: [...BEFORE_REPLY_STATES] })
    .groupBy('t.result_entry_id')
    .getRawMany();
  for (const r of rows) out.set(r.entry, Number(r.n));
  return out;
}

// ---------------------------------------------------------------------------------------
// Import (CSV and XLSX, shape of data/sample-result-notice.csv)
// ---------------------------------------------------------------------------------------

/** Column headers accepted in an import, by field: the sample's snake_case, the API's camelCase, Chinese. */
const HEADER_ALIASES: Record<keyof EntryInput, string[]> = {
  creditCode: ['credit_code', 'creditcode', '统一社会信用代码', '信用代码'],
  businessName: ['business_name', 'businessname', '名称', '经营者名称', '个体工商户名称', '字号名称'],
  category: ['category', '类别', '认定类别'],
  sector: ['sector', '行业', '经营类别'],
  operatorMasked: ['operator_masked', 'operatormasked', '经营者', '经营者姓名'],
};
const REQUIRED_COLUMNS: (keyof EntryInput)[] = ['creditCode', 'businessName', 'category'];
const SNAKE: Record<keyof EntryInput, string> = { creditCode: 'credit_code', businessName: 'business_name', category: 'category', sector: 'sector', operatorMasked: 'operator_masked' };

/** A bad row of an import, with its row number as the user sees it (header = row 1). */
export interface ImportRowError extends FieldError {
  row: number;
}

/**
 * Decodes a CSV file (Excel on Windows often writes GBK): a UTF-8 BOM → UTF-8; else strict
 * UTF-8 if the bytes are valid UTF-8; else GBK (STACK.md).
 */
export function decodeCsv(buf: Buffer): string {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return iconv.decode(buf, 'gbk');
  }
}

/** XLSX files are ZIP archives: they start with "PK\x03\x04". */
export const isXlsx = (buf: Buffer) => buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;

/** Rows of a CSV file as [line number where the record starts, cells], within the import's bounds. */
function csvRows(buf: Buffer): [number, string[]][] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsvBounded(decodeCsv(buf), RESULT_NOTICE_FILE, { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (e) {
    if ((e as { status?: number }).status) throw e;
    const line = (e as { lines?: number }).lines;
    throw unprocessable('import-unreadable', `the CSV file cannot be parsed${line ? ` (line ${line})` : ''}`, [{ field: 'file', code: 'malformed_csv', message: (e as Error).message }]);
  }
  // info.lines is the line where the record ends; quoted fields may span lines.
  return records.map(({ record, info }) => [info.lines - record.reduce((k, f) => k + (f.match(/\n/g)?.length ?? 0), 0), record]);
}

/**
 * Parses an import file (DESIGN §6: CSV or XLSX in the shape of
 * `data/sample-result-notice.csv`): a header row naming at least `credit_code`,
 * `business_name`, `category` (also `sector`, `operator_masked`; camelCase and Chinese
 * headers accepted; categories also as 知名/特色/优质/新兴); one business per row; blank
 * rows skipped. XLSX is recognized by its content, anything else is read as CSV.
 * Every bad row is reported (`errors[]` with `row`, the row number as the spreadsheet shows
 * it, and `field` `rows.<row>.<column>`): 422 `import-invalid`; nothing is imported then.
 * The file is read within `RESULT_NOTICE_FILE` (bytes, inflated size, rows, cells; 413
 * `file-too-large`) and through the process's import gate (503 `imports-busy` when full).
 */
export async function parseNoticeFile(buf: Buffer): Promise<{ entries: EntryInput[]; format: 'csv' | 'xlsx' }> {
  checkFileSize(buf.length, RESULT_NOTICE_FILE);
  const format = isXlsx(buf) ? 'xlsx' : 'csv';
  const read = await importGate.run(async () => (format === 'xlsx' ? readFirstSheet(buf, RESULT_NOTICE_FILE) : csvRows(buf)));
  const rows = read.filter(([, cells]) => cells.some((c) => c !== ''));
  if (rows.length === 0) throw unprocessable('import-invalid', 'the file is empty', [{ field: 'file', code: 'empty', message: 'no header row' }]);
  const [headerRow, header] = rows[0];
  const col = {} as Record<keyof EntryInput, number>;
  const normalized = header.map((h) =>
    h
      .replace(/^\uFEFF/, '')
      .trim()
      .toLowerCase(),
  );
  for (const key of Object.keys(HEADER_ALIASES) as (keyof EntryInput)[]) {
    col[key] = normalized.findIndex((h) => HEADER_ALIASES[key].includes(h) || h === key.toLowerCase());
  }
  const missing = REQUIRED_COLUMNS.filter((k) => col[k] < 0);
  if (missing.length) {
    throw unprocessable(
      'import-invalid',
      `the header row (row ${headerRow}) lacks the column(s) ${missing.map((k) => SNAKE[k]).join(', ')}`,
      missing.map((k) => ({ field: `header.${SNAKE[k]}`, code: 'missing_column', message: `column ${SNAKE[k]} is required`, row: headerRow })),
    );
  }
  const data = rows.slice(1);
  if (data.length === 0) throw unprocessable('import-invalid', 'the file lists no business', [{ field: 'file', code: 'no_rows', message: 'no rows after the header' }]);
  if (data.length > MAX_ENTRIES) throw unprocessable('import-invalid', `at most ${MAX_ENTRIES} rows`, [{ field: 'file', code: 'too_many_rows', message: `${data.length} rows` }]);

  const errors: ImportRowError[] = [];
  const entries: EntryInput[] = [];
  const firstRowOf = new Map<string, number>();
  for (const [row, cells] of data) {
    const get = (k: keyof EntryInput) => (col[k] >= 0 ? (cells[col[k]] ?? '').trim() : '');
    const bad = (k: keyof EntryInput, code: string, message: string) => errors.push({ row, field: `rows.${row}.${k}`, code, message });
    const creditCode = get('creditCode').toUpperCase();
    if (!creditCode) bad('creditCode', 'required', 'the credit code is missing');
    else if (!isValidCreditCode(creditCode)) bad('creditCode', 'invalid', `${creditCode} is not a valid unified social credit code (GB 32100 check character)`);
    else if (firstRowOf.has(creditCode)) bad('creditCode', 'duplicate', `the same credit code as row ${firstRowOf.get(creditCode)}`);
    else firstRowOf.set(creditCode, row);
    const texts: Partial<Record<keyof EntryInput, string>> = {};
    for (const k of ['businessName', 'sector', 'operatorMasked'] as const) {
      const v = get(k);
      // A cell that shows nothing (spaces, zero-width or other invisible characters) is empty.
      if (!hasVisibleText(v)) {
        if (k === 'businessName') bad(k, 'required', 'the business name is missing');
        continue;
      }
      if (Array.from(v).length > 100) bad(k, 'too_long', 'at most 100 characters');
      else if (SINGLELINE_FORBIDDEN.test(v)) bad(k, 'control_characters', 'control characters are not allowed');
      else texts[k] = v;
    }
    const rawCategory = get('category');
    const category = CATEGORY_ALIASES[rawCategory.toLowerCase()] ?? CATEGORY_ALIASES[rawCategory];
    if (!rawCategory) bad('category', 'required', 'the category is missing');
    else if (!category) bad('category', 'invalid_enum_value', `${rawCategory} is not one of famous, specialty, quality, emerging (知名, 特色, 优质, 新兴)`);
    if (texts.businessName && category && isValidCreditCode(creditCode)) {
      entries.push({
        creditCode,
        businessName: texts.businessName,
        category,
        ...(texts.sector ? { sector: texts.sector } : {}),
        ...(texts.operatorMasked ? { operatorMasked: texts.operatorMasked } : {}),
      });
    }
  }
  if (errors.length) {
    const badRows = [...new Set(errors.map((e) => e.row))];
    throw new AppError(422, 'import-invalid', `${badRows.length} row(s) are invalid: ${badRows.slice(0, 20).join(', ')}${badRows.length > 20 ? ', …' : ''}; nothing was imported`, errors, { badRows });
  }
  return { entries, format };
}

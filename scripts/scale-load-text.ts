/**
 * The text of `LOAD DATA LOCAL INFILE` for the bulk loader (scripts/scale-load.ts), shared by
 * its generator and its second thread (scale-load-worker.ts).
 */
import type { CalendarSource } from '../src/domain/calendar';
import type { MetricEvent, MetricPause, MetricTicket } from '../src/domain/metrics';
import type { SearchableTicket } from '../src/domain/search';

/** Rows of one table, as the driver binds them (`preparePersistentValue`), in the columns named. */
export interface TableRows {
  table: string;
  columns: string[];
  rows: unknown[][];
}

/** The same rows as `LOAD DATA` text, in pieces of ~256 KB (mysql2 sends each piece of the stream as one packet). */
export interface TableText {
  table: string;
  columns: string[];
  rows: number;
  chunks: Uint8Array[];
}

/** What the second thread needs of one ticket for its derived rows. */
export interface DerivedInput {
  ticket: SearchableTicket & MetricTicket & { createdAt: Date };
  events: MetricEvent[];
  pauses: MetricPause[];
}

/** What the second thread is started with. */
export interface WorkerInit {
  cal: CalendarSource;
  tz: string;
  refreshedAt: Date;
  tokenTable: string;
  /** property names of the token rows' columns, in the order of `tokenDbColumns` */
  tokenColumns: string[];
  tokenDbColumns: string[];
  figureTable: string;
  figureColumns: string[];
  figureDbColumns: string[];
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * A bound value as a field of `LOAD DATA` text (tab-separated, backslash escapes, `\N` for
 * NULL), meaning what mysql2 would send for it as a parameter on a connection with
 * `timezone: 'Z'`: a Date in UTC with milliseconds, a boolean as 1/0.
 */
export function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return /[\\\t\n\r\0]/.test(v) ? v.replace(/[\\\t\n\r\0]/g, (c) => ESCAPES[c]) : v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot load ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Date) {
    const iso = v.toISOString();
    if (iso.length !== 24) throw new Error(`cannot load the date ${iso}`);
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  throw new Error(`cannot load a ${typeof v} value through LOAD DATA`);
}

/** Rows as `LOAD DATA` text (fields by tab, rows by newline). */
export function loadText({ table, columns, rows }: TableRows): TableText {
  const chunks: Uint8Array[] = [];
  let part = '';
  for (const r of rows) {
    part += `${r.map(field).join('\t')}\n`;
    if (part.length > 128 * 1024) {
      chunks.push(Buffer.from(part, 'utf8'));
      part = '';
    }
  }
  if (part) chunks.push(Buffer.from(part, 'utf8'));
  return { table, columns, rows: rows.length, chunks };
}

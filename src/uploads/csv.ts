import { parse, Options } from 'csv-parse/sync';
import { FileLimits, fileTooLarge } from './limits';

/** A parsed CSV record with csv-parse's `info` (`lines`: the line where the record ends). */
export interface CsvRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/**
 * Parses CSV text within `limits` (issue 13 item 3): the parse stops at the first record
 * past `maxRows`, at a record longer than `maxRowChars`, or with more than `maxCellsPerRow`
 * cells or a cell longer than `maxCellChars`; each is 413 `file-too-large` naming the line.
 * Other csv-parse errors (bad quoting) are thrown as they are, for the caller to report.
 *
 * @param options csv-parse options of the caller (`info` is always on)
 */
export function parseCsvBounded(text: string, limits: FileLimits, options: Options = {}): CsvRecord[] {
  let records: CsvRecord[];
  try {
    records = parse(text, {
      ...options,
      info: true,
      // one record past the bound is read, to know that the file has too many
      to: limits.maxRows + 1,
      max_record_size: limits.maxRowChars,
      on_record: (r: CsvRecord) => {
        if (r.record.length > limits.maxCellsPerRow) throw fileTooLarge('too_many_cells', `line ${r.info.lines} has ${r.record.length} cells, more than ${limits.maxCellsPerRow}`);
        if (r.record.some((c) => c.length > limits.maxCellChars)) throw fileTooLarge('cell_too_long', `a cell of line ${r.info.lines} has more than ${limits.maxCellChars} characters`);
        return r;
      },
    } as unknown as Options) as unknown as CsvRecord[];
  } catch (e) {
    const err = e as { code?: string; status?: number; lines?: number };
    if (err.status) throw e;
    if (err.code === 'CSV_MAX_RECORD_SIZE') throw fileTooLarge('row_too_long', `line ${err.lines ?? '?'} has more than ${limits.maxRowChars} characters`);
    throw e;
  }
  if (records.length > limits.maxRows) throw fileTooLarge('too_many_rows', `the file has more than ${limits.maxRows} rows`);
  return records;
}

import { AppError } from '../errors';

/**
 * Bounds of a file the service reads (DESIGN §12; issue 13 item 3). A file is refused as
 * soon as one bound is passed, before or while it is read, never after it has been
 * materialised: a 1 MB XLSX can declare (or, lying, inflate to) a gigabyte of XML, and a
 * CSV can be one row of a million cells. Sizes are bytes, counts are rows and cells as
 * the spreadsheet shows them (blank rows and cells included: they cost memory too).
 */
export interface FileLimits {
  /** the file as received */
  maxBytes: number;
  /** rows (CSV records, XLSX `<row>` elements) including the header and blank ones */
  maxRows: number;
  /** cells in one row */
  maxCellsPerRow: number;
  /** characters in one cell (Excel's own limit is 32,767) */
  maxCellChars: number;
  /** characters in one row (CSV record) */
  maxRowChars: number;
  /** archives (XLSX): entries in the zip's central directory */
  maxEntries: number;
  /** archives: declared and actual inflated size of any one entry */
  maxInflatedEntryBytes: number;
  /** archives: declared size of all entries together, and actual size of what is read */
  maxInflatedBytes: number;
}

const MB = 1024 * 1024;

/**
 * A result notice import (`POST /result-notices/import`, CSV or XLSX). A district's yearly
 * list is a few hundred businesses, at most 5,000 entries (`MAX_ENTRIES`): such an XLSX is
 * about 2 MB of XML inflated, so 8 MB per entry and 24 MB in all leave a wide margin.
 */
export const RESULT_NOTICE_FILE: FileLimits = {
  maxBytes: 1 * MB,
  maxRows: 10_000,
  maxCellsPerRow: 256,
  maxCellChars: 32_767,
  maxRowChars: 65_536,
  maxEntries: 200,
  maxInflatedEntryBytes: 8 * MB,
  maxInflatedBytes: 24 * MB,
};

/**
 * A hotline export (`import-hotline`, CSV): a district's 12345 calls of a year are some tens
 * of thousands of rows of a few hundred bytes each.
 */
export const HOTLINE_EXPORT_FILE: FileLimits = {
  maxBytes: 32 * MB,
  maxRows: 100_000,
  maxCellsPerRow: 64,
  maxCellChars: 10_000,
  maxRowChars: 65_536,
  maxEntries: 0,
  maxInflatedEntryBytes: 0,
  maxInflatedBytes: 0,
};

/** Which bound a file passed: the `code` of its field error. */
export type LimitCode = 'too_large' | 'inflated_too_large' | 'too_many_entries' | 'too_many_rows' | 'too_many_cells' | 'cell_too_long' | 'row_too_long';

/**
 * 413 `file-too-large`, naming the field (`file` unless told) and the bound passed; the
 * file was not imported and nothing was written.
 */
export function fileTooLarge(code: LimitCode, message: string, field = 'file'): AppError {
  return new AppError(413, 'file-too-large', `${field}: ${message}; nothing was imported`, [{ field, code, message }]);
}

/** Throws 413 when a file's size passes `limits.maxBytes` (checked before reading it). */
export function checkFileSize(bytes: number, limits: FileLimits, field = 'file'): void {
  if (bytes > limits.maxBytes) throw fileTooLarge('too_large', `the file has ${bytes} bytes, more than ${limits.maxBytes}`, field);
}

import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { SaxesParser, SaxesTagPlain } from 'saxes';
import { unprocessable } from '../errors';
import { FileLimits, fileTooLarge } from './limits';

/** One row of a sheet: its number as the spreadsheet shows it (1-based) and its cells' text from column A on. */
export type SheetRow = [number, string[]];

const unreadable = (message: string) => unprocessable('import-unreadable', 'the file is not a readable XLSX workbook', [{ field: 'file', code: 'unreadable', message }]);

/**
 * Reads the rows of the first worksheet of an XLSX workbook within `limits`, without ever
 * holding more than the bounds allow (issue 13 item 3):
 *
 * - the zip's central directory is read first: too many entries, or an entry (or all of
 *   them) declaring more inflated bytes than allowed, is refused before anything inflates;
 * - entries are inflated as streams whose actual size is checked against the declared one
 *   (yauzl `validateEntrySizes`) and against the bounds, so a lying header stops there;
 * - the sheet's XML is parsed as a stream (saxes): rows, cells per row and characters per
 *   cell are counted as they arrive and the read stops at the first bound passed.
 *
 * Cell text: shared and inline strings (rich text runs joined, phonetic runs left out),
 * formula results as saved (a formula without a saved result is empty), booleans as
 * `true`/`false`, error values as written (`#N/A`), numbers as their shortest decimal
 * (date-formatted numbers are not turned into dates: no imported field is a date).
 *
 * @returns rows with at least one cell, in sheet order
 * @throws AppError 413 `file-too-large` (a bound passed), 422 `import-unreadable` (not a
 *   zip, no workbook or sheet, malformed XML, an unsupported compression)
 */
export async function readFirstSheet(buf: Buffer, limits: FileLimits): Promise<SheetRow[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (e) {
    throw unreadable((e as Error).message);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw fileTooLarge('too_many_entries', `the archive has ${zip.entryCount} entries, more than ${limits.maxEntries}`);
    const entries = await centralDirectory(zip, limits);
    const budget = { left: limits.maxInflatedBytes };
    const text = async (name: string) => {
      const e = entries.get(name);
      return e ? readEntryText(zip, e, limits, budget) : null;
    };
    const sheetPath = await firstSheetPath(await text('xl/workbook.xml'), await text('xl/_rels/workbook.xml.rels'));
    const sheet = entries.get(sheetPath);
    if (!sheet) throw unreadable(`the workbook has no worksheet ${sheetPath}`);
    const shared = entries.has('xl/sharedStrings.xml') ? await sharedStrings(zip, entries.get('xl/sharedStrings.xml')!, limits, budget) : [];
    return await sheetRows(zip, sheet, shared, limits, budget);
  } finally {
    zip.close();
  }
}

/** Every entry by name, refusing declared sizes past the bounds before anything is inflated. */
function centralDirectory(zip: yauzl.ZipFile, limits: FileLimits): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, yauzl.Entry>();
    let declared = 0;
    zip.on('entry', (e: yauzl.Entry) => {
      declared += e.uncompressedSize;
      if (e.uncompressedSize > limits.maxInflatedEntryBytes) {
        reject(fileTooLarge('inflated_too_large', `${e.fileName} inflates to ${e.uncompressedSize} bytes, more than ${limits.maxInflatedEntryBytes}`));
      } else if (declared > limits.maxInflatedBytes) {
        reject(fileTooLarge('inflated_too_large', `the archive inflates to more than ${limits.maxInflatedBytes} bytes`));
      } else {
        out.set(e.fileName.replace(/^\/+/, ''), e);
        zip.readEntry();
      }
    });
    zip.once('end', () => resolve(out));
    zip.once('error', (e: Error) => reject(unreadable(e.message)));
    zip.readEntry();
  });
}

/**
 * Streams one entry's inflated text to `onText` in chunks, stopping (413) when the entry
 * passes its bound or the read budget runs out; yauzl itself stops an entry that inflates
 * past its declared size.
 */
async function streamEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: FileLimits, budget: { left: number }, onText: (s: string) => void): Promise<void> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw unreadable(`${entry.fileName}: ${(e as Error).message}`);
  }
  const decoder = new StringDecoder('utf8');
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      budget.left -= chunk.length;
      if (read > limits.maxInflatedEntryBytes || budget.left < 0)
        throw fileTooLarge('inflated_too_large', `${entry.fileName} inflates to more than ${Math.min(limits.maxInflatedEntryBytes, read + budget.left)} bytes`);
      onText(decoder.write(chunk));
    }
    onText(decoder.end());
  } catch (e) {
    stream.destroy();
    if ((e as { status?: number }).status) throw e;
    // yauzl: "too many bytes in the stream" (a lying header), a CRC or inflate error
    const msg = (e as Error).message;
    if (/too many bytes|expected .* bytes/i.test(msg)) throw fileTooLarge('inflated_too_large', `${entry.fileName} inflates to more than its declared ${entry.uncompressedSize} bytes`);
    throw unreadable(`${entry.fileName}: ${msg}`);
  }
}

async function readEntryText(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: FileLimits, budget: { left: number }): Promise<string> {
  const parts: string[] = [];
  await streamEntry(zip, entry, limits, budget, (s) => parts.push(s));
  return parts.join('');
}

/** Parses XML text with saxes, calling the handlers; malformed XML is 422. */
function xmlParser(handlers: { open?: (t: SaxesTagPlain) => void; close?: (name: string) => void; text?: (s: string) => void }) {
  const p = new SaxesParser({ xmlns: false });
  if (handlers.open) p.on('opentag', handlers.open);
  if (handlers.close) p.on('closetag', (t) => handlers.close!(t.name));
  if (handlers.text) {
    p.on('text', handlers.text);
    p.on('cdata', handlers.text);
  }
  let failure: Error | null = null;
  p.on('error', (e) => {
    failure ??= e;
  });
  // A bound passed inside a handler (413) is thrown as it is; a saxes error is malformed XML (422).
  const check = () => {
    if (failure) throw (failure as { status?: number }).status ? failure : unreadable(`malformed XML: ${failure.message}`);
  };
  return {
    write(s: string) {
      try {
        p.write(s);
      } catch (e) {
        failure ??= e as Error;
      }
      check();
    },
    close() {
      try {
        p.close();
      } catch (e) {
        failure ??= e as Error;
      }
      check();
    },
  };
}

/** Local name of an element (`x:row` → `row`): some writers prefix the spreadsheet namespace. */
const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** The path of the first worksheet: workbook.xml's first `<sheet r:id>` resolved through its relationships. */
async function firstSheetPath(workbook: string | null, rels: string | null): Promise<string> {
  if (!workbook) throw unreadable('no xl/workbook.xml');
  let rid: string | null = null;
  const w = xmlParser({
    open: (t) => {
      if (rid === null && local(t.name) === 'sheet') rid = String(t.attributes['r:id'] ?? Object.entries(t.attributes).find(([k]) => local(k) === 'id')?.[1] ?? '');
    },
  });
  w.write(workbook);
  w.close();
  if (!rid) throw unreadable('the workbook has no worksheet');
  let target: string | null = null;
  if (rels) {
    const r = xmlParser({
      open: (t) => {
        if (target === null && local(t.name) === 'Relationship' && t.attributes.Id === rid) target = String(t.attributes.Target ?? '');
      },
    });
    r.write(rels);
    r.close();
  }
  if (!target) return 'xl/worksheets/sheet1.xml';
  const tgt = target as string;
  return tgt.startsWith('/') ? tgt.slice(1) : `xl/${tgt}`.replace(/\/\.\//g, '/');
}

/** The shared strings table, each `<si>` as its text (runs joined, phonetic `<rPh>` left out). */
async function sharedStrings(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: FileLimits, budget: { left: number }): Promise<string[]> {
  const out: string[] = [];
  // A sheet can reference at most rows × cells strings; a longer table is padding.
  const maxStrings = limits.maxRows * limits.maxCellsPerRow;
  let cur: string[] | null = null;
  let curLen = 0;
  let inT = false;
  let inPhonetic = 0;
  const x = xmlParser({
    open: (t) => {
      const n = local(t.name);
      if (n === 'si') {
        cur = [];
        curLen = 0;
      } else if (n === 'rPh') inPhonetic++;
      else if (n === 't' && !t.isSelfClosing) inT = true;
    },
    close: (name) => {
      const n = local(name);
      if (n === 'si' && cur) {
        if (out.length >= maxStrings) throw fileTooLarge('too_many_cells', `the shared strings table lists more than ${maxStrings} strings`);
        out.push(cur.join(''));
        cur = null;
      } else if (n === 'rPh') inPhonetic--;
      else if (n === 't') inT = false;
    },
    text: (s) => {
      if (!cur || !inT || inPhonetic > 0) return;
      curLen += s.length;
      if (curLen > limits.maxCellChars) throw fileTooLarge('cell_too_long', `shared string ${out.length} has more than ${limits.maxCellChars} characters`);
      (cur as string[]).push(s);
    },
  });
  await streamEntry(zip, entry, limits, budget, (s) => x.write(s));
  x.close();
  return out;
}

/** Column index (0-based) of a cell reference such as `AB12`; null when absent or malformed. */
function columnOf(ref: string | undefined): number | null {
  if (!ref) return null;
  const m = /^([A-Z]{1,3})\d*$/.exec(ref.toUpperCase());
  if (!m) return null;
  let n = 0;
  for (const ch of m[1]) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function numberText(v: string): string {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? String(n) : v;
}

async function sheetRows(zip: yauzl.ZipFile, entry: yauzl.Entry, shared: string[], limits: FileLimits, budget: { left: number }): Promise<SheetRow[]> {
  const rows: SheetRow[] = [];
  let rowCount = 0;
  let rowNumber = 0;
  let cells: string[] | null = null;
  let cellCount = 0;
  let nextCol = 0;
  // the cell being read
  let cell: { col: number; type: string; v: string[]; inline: string[]; hasV: boolean } | null = null;
  let inV = false;
  let inT = false;
  let inPhonetic = 0;
  let textLen = 0;
  const x = xmlParser({
    open: (t) => {
      const n = local(t.name);
      if (n === 'row') {
        if (++rowCount > limits.maxRows) throw fileTooLarge('too_many_rows', `the sheet has more than ${limits.maxRows} rows`);
        const r = Number(t.attributes.r);
        rowNumber = Number.isInteger(r) && r > rowNumber ? r : rowNumber + 1;
        cells = [];
        cellCount = 0;
        nextCol = 0;
      } else if (n === 'c' && cells) {
        if (++cellCount > limits.maxCellsPerRow) throw fileTooLarge('too_many_cells', `row ${rowNumber} has more than ${limits.maxCellsPerRow} cells`);
        const col = columnOf(t.attributes.r as string | undefined) ?? nextCol;
        if (col >= limits.maxCellsPerRow) throw fileTooLarge('too_many_cells', `row ${rowNumber} has a cell beyond column ${limits.maxCellsPerRow}`);
        nextCol = col + 1;
        cell = { col, type: String(t.attributes.t ?? 'n'), v: [], inline: [], hasV: false };
        textLen = 0;
      } else if (cell) {
        if (n === 'v') {
          inV = !t.isSelfClosing;
          cell.hasV = true;
        } else if (n === 'rPh') inPhonetic++;
        else if (n === 't' && !t.isSelfClosing) inT = true;
      }
    },
    close: (name) => {
      const n = local(name);
      if (n === 'v') inV = false;
      else if (n === 't') inT = false;
      else if (n === 'rPh') inPhonetic--;
      else if (n === 'c' && cell && cells) {
        const v = cell.v.join('');
        let s: string;
        switch (cell.type) {
          case 's':
            s = shared[Number(v)] ?? '';
            break;
          case 'inlineStr':
            s = cell.inline.join('');
            break;
          case 'b':
            s = v === '1' ? 'true' : v === '0' ? 'false' : v;
            break;
          case 'str':
          case 'e':
            s = v;
            break;
          default:
            s = cell.hasV ? numberText(v) : '';
        }
        cells[cell.col] = s;
        cell = null;
      } else if (n === 'row' && cells) {
        const dense = Array.from(cells as string[], (c) => (c ?? '').trim());
        if (dense.length) rows.push([rowNumber, dense]);
        cells = null;
      }
    },
    text: (s) => {
      if (!cell) return;
      if (inV) cell.v.push(s);
      else if (inT && inPhonetic === 0) cell.inline.push(s);
      else return;
      textLen += s.length;
      if (textLen > limits.maxCellChars) throw fileTooLarge('cell_too_long', `a cell of row ${rowNumber} has more than ${limits.maxCellChars} characters`);
    },
  });
  await streamEntry(zip, entry, limits, budget, (s) => x.write(s));
  x.close();
  return rows;
}

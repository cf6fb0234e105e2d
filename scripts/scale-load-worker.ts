/**
 * The second thread of the bulk loader (scripts/scale-load.ts, LOAD DATA path): turns one
 * chunk's rows into `LOAD DATA` text, and computes the chunk's derived rows with the
 * service's own pure functions (the search tokens by `ticketSearchTokens`, each ticket's
 * figure buckets by `ticketBuckets`), so that jieba, the calendar arithmetic and the text
 * building run beside the generator instead of after it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WorkCalendar } from '../src/domain/calendar';
import { Bucket, bucketId, FIGURE_COUNTS, ticketBuckets } from '../src/domain/figures';
import { ticketSearchTokens } from '../src/domain/search';
import { DerivedInput, loadText, TableRows, TableText, WorkerInit } from './scale-load-text';

const init = workerData as WorkerInit;
const cal = new WorkCalendar(init.cal);

/** The chunk's rows as text, and its tickets' summed buckets. */
function run(tables: TableRows[], derived: DerivedInput[]): { tables: TableText[]; buckets: Bucket[] } {
  const sum = new Map<string, Bucket>();
  if (derived.length) {
    const tokens: unknown[][] = [];
    const figures: unknown[][] = [];
    for (const d of derived) {
      const t = d.ticket;
      for (const token of ticketSearchTokens(t)) tokens.push(init.tokenColumns.map((p) => (p === 'token' ? token : p === 'createdAt' ? t.createdAt : t.id)));
      const buckets = ticketBuckets(t, d.events, d.pauses, cal, init.tz);
      if (!buckets.length) continue;
      // the jsonText transformer's form of the column, as refreshFigures stores it
      figures.push(init.figureColumns.map((p) => (p === 'ticketId' ? t.id : p === 'buckets' ? JSON.stringify(buckets) : init.refreshedAt)));
      for (const b of buckets) {
        const known = sum.get(bucketId(b));
        if (!known) sum.set(bucketId(b), { ...b, counts: { ...b.counts } });
        else for (const c of FIGURE_COUNTS) known.counts[c] += b.counts[c];
      }
    }
    tables = [...tables, { table: init.tokenTable, columns: init.tokenDbColumns, rows: tokens }, { table: init.figureTable, columns: init.figureDbColumns, rows: figures }];
  }
  return { tables: tables.filter((t) => t.rows.length).map(loadText), buckets: [...sum.values()] };
}

parentPort!.on('message', (m: { seq: number; tables: TableRows[]; derived: DerivedInput[] }) => {
  try {
    const out = run(m.tables, m.derived);
    parentPort!.postMessage(
      { seq: m.seq, ...out },
      // moved, not copied (a piece sharing Buffer's small pool is copied)
      out.tables.flatMap((t) => t.chunks.filter((c) => c.byteOffset === 0 && c.byteLength === c.buffer.byteLength).map((c) => c.buffer as ArrayBuffer)),
    );
  } catch (e) {
    parentPort!.postMessage({ seq: m.seq, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});

import test from 'ava';
import { readFirstSheet } from '../../src/uploads/xlsx';
import { FileLimits, RESULT_NOTICE_FILE, HOTLINE_EXPORT_FILE } from '../../src/uploads/limits';
import { ImportGate } from '../../src/uploads/gate';
import { parseNoticeFile } from '../../src/commands/result-notices';
import { parseHotlineExport } from '../../src/commands/import-hotline';
import { xlsxBomb, xlsxWithSheet } from '../helpers/xlsx-bomb';

// issue 13 item 3: every file the service reads is bounded before or while it is read.
const small: FileLimits = { ...RESULT_NOTICE_FILE, maxRows: 3, maxCellsPerRow: 3, maxCellChars: 10, maxEntries: 8, maxInflatedEntryBytes: 4096, maxInflatedBytes: 8192 };

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as { status: number; code: string; errors: { field: string; code: string }[] };
    return [err.status, err.code, err.errors[0]?.code];
  }
  return 'accepted';
}

test('the first sheet is read: shared, inline, rich, boolean, number, formula and error cells, by column', async (t) => {
  const file = xlsxWithSheet(
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>' +
      '<row r="4"><c r="A4" t="b"><v>1</v></c><c r="B4"><v>1.50</v></c><c r="C4" t="str"><f>A1</f><v>算</v></c><c r="D4"><f>X()</f></c><c r="E4" t="e"><v>#N/A</v></c></row>' +
      '<row r="5"/>',
    '<si><t>名称</t><rPh><t>mingcheng</t></rPh></si>',
  );
  t.deepEqual(await readFirstSheet(file, RESULT_NOTICE_FILE), [
    [1, ['名称', '', '富文本']],
    [4, ['true', '1.5', '算', '', '#N/A']],
  ]);
});

test('a zip declaring more inflated bytes than allowed is refused before anything inflates', async (t) => {
  t.deepEqual(await refusal(readFirstSheet(xlsxBomb(850), RESULT_NOTICE_FILE)), [413, 'file-too-large', 'inflated_too_large']);
});

test('a zip that lies about its sizes is stopped when the stream passes what it declared', async (t) => {
  t.deepEqual(await refusal(readFirstSheet(xlsxBomb(850, { lie: true }), RESULT_NOTICE_FILE)), [413, 'file-too-large', 'inflated_too_large']);
  // and by the entry's own bound when it declares that much honestly
  t.deepEqual(await refusal(readFirstSheet(xlsxBomb(1), small)), [413, 'file-too-large', 'inflated_too_large']);
});

test('rows, cells per row, far columns and long cells are counted while reading', async (t) => {
  const row = (r: number) => `<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>x</t></is></c></row>`;
  t.is((await readFirstSheet(xlsxWithSheet([1, 2, 3].map(row).join('')), small)).length, 3);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet([1, 2, 3, 4].map(row).join('')), small)), [413, 'file-too-large', 'too_many_rows']);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet('<row><c/><c/><c/><c/></row>'), small)), [413, 'file-too-large', 'too_many_cells']);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet('<row><c r="XFD1"><v>1</v></c></row>'), small)), [413, 'file-too-large', 'too_many_cells']);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet('<row><c t="inlineStr"><is><t>12345678901</t></is></c></row>'), small)), [413, 'file-too-large', 'cell_too_long']);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet('<row><c t="s"><v>0</v></c></row>', '<si><t>12345678901</t></si>'), small)), [413, 'file-too-large', 'cell_too_long']);
  t.deepEqual(await refusal(readFirstSheet(xlsxWithSheet('<row><c><v>1</v></c>'), small)), [422, 'import-unreadable', 'unreadable']);
});

test('result notice CSV: rows, cells and row length are bounded (413), the 5,000-entry rule stays 422', async (t) => {
  const header = 'credit_code,business_name,category\n';
  t.deepEqual(await refusal(parseNoticeFile(Buffer.from(header + 'x,y,z\n'.repeat(RESULT_NOTICE_FILE.maxRows)))), [413, 'file-too-large', 'too_many_rows']);
  t.deepEqual(await refusal(parseNoticeFile(Buffer.from(`${header + ','.repeat(300)}\n`))), [413, 'file-too-large', 'too_many_cells']);
  t.deepEqual(await refusal(parseNoticeFile(Buffer.from(`${header}92500102EUHUXQEEG7,"${'长'.repeat(70_000)}",famous\n`))), [413, 'file-too-large', 'row_too_long']);
  t.deepEqual(await refusal(parseNoticeFile(Buffer.from(header + 'x,y,z\n'.repeat(5001)))), [422, 'import-invalid', 'too_many_rows']);
  t.deepEqual(await refusal(parseNoticeFile(Buffer.alloc(RESULT_NOTICE_FILE.maxBytes + 1, 0x41))), [413, 'file-too-large', 'too_large']);
});

test('hotline export: the same bounds (bytes, rows, cells, cell length) before any row is judged', (t) => {
  const limits = { ...HOTLINE_EXPORT_FILE, maxRows: 5, maxCellsPerRow: 10, maxCellChars: 20 };
  const opts = { now: new Date('2026-11-02T00:00:00Z'), categories: new Set(['tax']), limits };
  const header = 'source_id,received_at,channel,category,title,description,owner_name,owner_phone\n';
  const code = (f: () => unknown) => {
    try {
      f();
      return 'accepted';
    } catch (e) {
      const x = e as { status: number; errors: { code: string }[] };
      return [x.status, x.errors[0].code];
    }
  };
  t.deepEqual(
    code(() => parseHotlineExport(Buffer.from(header + 'a,b\n'.repeat(5)), opts)),
    [413, 'too_many_rows'],
  );
  t.is(parseHotlineExport(Buffer.from(header + 'a,b\n'.repeat(4)), opts).problems.length, 4, 'within the bound: each row judged');
  t.deepEqual(
    code(() => parseHotlineExport(Buffer.from(`${header + ','.repeat(10)}\n`), opts)),
    [413, 'too_many_cells'],
  );
  t.deepEqual(
    code(() => parseHotlineExport(Buffer.from(`${header}1,2,3,4,5,"${'长'.repeat(21)}",7,8\n`), opts)),
    [413, 'cell_too_long'],
  );
  t.deepEqual(
    code(() => parseHotlineExport(Buffer.alloc(HOTLINE_EXPORT_FILE.maxBytes + 1, 0x41), { ...opts, limits: undefined })),
    [413, 'too_large'],
  );
});

test('the import gate runs two at once, queues a bounded number and refuses the rest with 503 and a retry time', async (t) => {
  const gate = new ImportGate(2, 1, 7);
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const job = () =>
    gate.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
      return 'done';
    });
  const jobs = [job(), job(), job()];
  const refused = await job().then(
    () => null,
    (e) => e,
  );
  t.deepEqual([refused.status, refused.code, refused.extra.retryAfter], [503, 'imports-busy', 7]);
  await new Promise((r) => setImmediate(r));
  t.is(releases.length, 2);
  releases.shift()!();
  await new Promise((r) => setTimeout(r, 5));
  t.is(releases.length, 2, 'the waiting job took the freed slot');
  while (releases.length) {
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 5));
  }
  t.deepEqual(await Promise.all(jobs), ['done', 'done', 'done']);
  t.is(peak, 2);
});

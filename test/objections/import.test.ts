import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { decodeCsv, parseNoticeFile } from '../../src/commands/result-notices';

// build/test/objections → the repository's seed folder (a copy of data/sample-result-notice.csv)
const SAMPLE = readFileSync(join(__dirname, '..', '..', '..', 'seed', 'sample-result-notice.csv'));
const FIELDS = { title: '2026年度名特优新个体工商户认定结果公示', publishedOn: '2026-11-02' };

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

/** POSTs a multipart form (fields + a `file` part) as the given client. */
async function upload(client: unknown, fields: Record<string, string>, file?: { data: Buffer | string; name: string; type: string }) {
  const c = client as { base: string; token?: string };
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([file.data]), file.name);
  const r = await fetch(`${c.base}/api/v1/result-notices/import`, { method: 'POST', headers: c.token ? { authorization: `Bearer ${c.token}` } : {}, body: form });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) };
}
const csv = (data: Buffer | string) => ({ data, name: 'notice.csv', type: 'text/csv' });
async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('公示名单');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const noticeCount = async () => (await h.http.get('/api/v1/result-notices?limit=200')).body.items.length;

test.serial('the sample CSV imports: 20 entries with their columns', async (t) => {
  const r = await upload(s.coord, { ...FIELDS, windowWorkingDays: '7', handlingDepartmentCode: 'SAMR' }, csv(SAMPLE));
  t.is(r.status, 201);
  t.is(r.body.source, 'csv');
  t.is(r.body.entries.length, 20);
  t.deepEqual(r.body.entries[0], {
    id: r.body.entries[0].id,
    position: 1,
    creditCode: '92500102EUHUXQEEG7',
    businessName: '涪陵区江东01号榨菜加工坊',
    category: 'famous',
    sector: '榨菜加工坊',
    operatorMasked: '张**',
    status: 'listed',
    revokedAt: null,
  });
  t.deepEqual(r.body.entries.map((e: any) => e.category).slice(0, 4), ['famous', 'specialty', 'quality', 'emerging']);
  t.is(r.body.window.workingDays, 7);
  // Nov 2 (Mon) counts: Nov 2–6, 9, 10 → closes Nov 11 00:00 local
  t.is(r.body.window.closesAt, '2026-11-10T16:00:00.000Z');
});

test.serial('GBK and BOM-prefixed CSV from Excel on Windows read the same', async (t) => {
  const gbk = iconv.encode(SAMPLE.toString('utf8'), 'gbk');
  t.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk), undefined, 'the fixture really is not UTF-8');
  const a = await upload(s.coord, FIELDS, csv(gbk));
  t.is(a.status, 201);
  t.is(a.body.entries[19].businessName, '涪陵区马鞍20号民宿');
  t.is(a.body.entries[19].operatorMasked, '吴**');
  const bom = await upload(s.coord, FIELDS, csv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), SAMPLE])));
  t.is(bom.status, 201);
  t.is(bom.body.entries[0].creditCode, '92500102EUHUXQEEG7');
});

test.serial('XLSX with Chinese headers and categories imports', async (t) => {
  const file = await xlsx([
    ['统一社会信用代码', '名称', '类别', '行业'],
    ['92500102EUHUXQEEG7', { richText: [{ text: '涪陵区江东01号' }, { text: '榨菜加工坊' }] }, '知名', '榨菜加工坊'],
    [],
    ['92500102UJ65RGFLKP', '涪陵区崇义02号小面馆', '特色'],
  ]);
  const r = await upload(
    s.coord,
    { ...FIELDS, windowFrom: '2026-11-02', windowUntil: '2026-11-08' },
    { data: file, name: 'notice.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  );
  t.is(r.status, 201);
  t.is(r.body.source, 'xlsx');
  t.deepEqual(
    r.body.entries.map((e: any) => [e.creditCode, e.businessName, e.category, e.sector]),
    [
      ['92500102EUHUXQEEG7', '涪陵区江东01号榨菜加工坊', 'famous', '榨菜加工坊'],
      ['92500102UJ65RGFLKP', '涪陵区崇义02号小面馆', 'specialty', null],
    ],
  );
  t.deepEqual([r.body.window.firstDay, r.body.window.lastDay, r.body.window.closesAt], ['2026-11-02', '2026-11-08', '2026-11-08T16:00:00.000Z']);
});

test.serial('bad rows are reported with their row numbers and nothing is imported', async (t) => {
  const before = await noticeCount();
  const lines = SAMPLE.toString('utf8').trim().split(/\r?\n/);
  const bad = [
    lines[0],
    lines[1],
    lines[2].replace('92500102UJ65RGFLKP', '92500102UJ65RGFLKQ'), // row 3: check character wrong
    lines[3],
    lines[4].replace(',emerging,', ',,'), // row 5: no category
    lines[1].replace('famous', 'best'), // row 6: same code as row 2, unknown category
    '"92500102PKL5K0TG2N","涪陵区马鞍05号\n五金店",famous,五金店,刘**', // rows 7–8: a line break inside a name, reported at the row where it starts
    '',
    `92500102116W7K0QEJ,${'长'.repeat(101)},specialty,茶叶店,陈**`, // row 10 (after a blank line): name too long
  ].join('\r\n');
  const r = await upload(s.coord, FIELDS, csv(bad));
  t.is(r.status, 422);
  t.is(r.body.code, 'import-invalid');
  t.deepEqual(r.body.badRows, [3, 5, 6, 7, 10]);
  t.deepEqual(
    r.body.errors.map((e: any) => [e.row, e.field, e.code]),
    [
      [3, 'rows.3.creditCode', 'invalid'],
      [5, 'rows.5.category', 'required'],
      [6, 'rows.6.creditCode', 'duplicate'],
      [6, 'rows.6.category', 'invalid_enum_value'],
      [7, 'rows.7.businessName', 'control_characters'],
      [10, 'rows.10.businessName', 'too_long'],
    ],
  );
  const x = await upload(s.coord, FIELDS, {
    data: await xlsx([
      ['credit_code', 'business_name', 'category'],
      ['92500102EUHUXQEEG7', '', 'famous'],
      ['bad', '某店', 'quality'],
    ]),
    name: 'n.xlsx',
    type: 'application/octet-stream',
  });
  t.is(x.status, 422);
  t.deepEqual(
    x.body.errors.map((e: any) => [e.row, e.field, e.code]),
    [
      [2, 'rows.2.businessName', 'required'],
      [3, 'rows.3.creditCode', 'invalid'],
    ],
  );
  const header = await upload(s.coord, FIELDS, csv('code,name\n92500102EUHUXQEEG7,某店\n'));
  t.is(header.status, 422);
  t.deepEqual(
    header.body.errors.map((e: any) => e.field),
    ['header.credit_code', 'header.business_name', 'header.category'],
  );
  const broken = await upload(s.coord, FIELDS, { data: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 1)]), name: 'n.xlsx', type: 'application/octet-stream' });
  t.deepEqual([broken.status, broken.body.code], [422, 'import-unreadable']);
  t.deepEqual([(await upload(s.coord, FIELDS, csv('credit_code,business_name,category\n'))).status], [422]);
  t.is(await noticeCount(), before);
});

test.serial('the form: who, content type, fields, size', async (t) => {
  const before = await noticeCount();
  t.is((await upload(s.samr, FIELDS, csv(SAMPLE))).status, 403);
  t.is((await upload(h.http, FIELDS, csv(SAMPLE))).status, 401);
  const json = await s.coord.post('/api/v1/result-notices/import', { ...FIELDS });
  t.deepEqual([json.status, json.body.code], [415, 'unsupported-media-type']);
  const nofile = await upload(s.coord, FIELDS);
  t.deepEqual([nofile.status, nofile.body.errors[0].field], [400, 'file']);
  const notitle = await upload(s.coord, { publishedOn: '2026-11-02' }, csv(SAMPLE));
  t.deepEqual([notitle.status, notitle.body.errors[0].field], [400, 'title']);
  const days = await upload(s.coord, { ...FIELDS, windowWorkingDays: 'five' }, csv(SAMPLE));
  t.deepEqual([days.status, days.body.errors[0].field], [400, 'windowWorkingDays']);
  const big = await upload(s.coord, FIELDS, csv(Buffer.alloc(1024 * 1024 + 1, 0x41)));
  t.deepEqual([big.status, big.body.code], [413, 'body-too-large']);
  t.is(await noticeCount(), before);
});

test('decodeCsv: BOM → UTF-8, else strict UTF-8, else GBK', (t) => {
  t.is(decodeCsv(Buffer.from('\uFEFF名称', 'utf8')), '名称');
  t.is(decodeCsv(Buffer.from('名称', 'utf8')), '名称');
  t.is(decodeCsv(iconv.encode('名称,类别', 'gbk')), '名称,类别');
});

test('parseNoticeFile: blank lines skipped, camelCase headers, categories case-insensitive', async (t) => {
  const r = await parseNoticeFile(Buffer.from('creditCode,businessName,Category\n\n92500102EUHUXQEEG7, 某店 ,FAMOUS\n'));
  t.deepEqual(r, { format: 'csv', entries: [{ creditCode: '92500102EUHUXQEEG7', businessName: '某店', category: 'famous' }] });
});

test('XLSX formula cells: a saved result is the value; no result or an error value is refused naming the field', async (t) => {
  const withResult = await xlsx([
    ['credit_code', 'business_name', 'category'],
    ['92500102EUHUXQEEG7', { formula: 'CONCAT("某","店")', result: '某店' }, 'famous'],
  ]);
  t.deepEqual(await parseNoticeFile(withResult), { format: 'xlsx', entries: [{ creditCode: '92500102EUHUXQEEG7', businessName: '某店', category: 'famous' }] });
  const noResult = await xlsx([
    ['credit_code', 'business_name', 'category'],
    ['92500102EUHUXQEEG7', { formula: 'HYPERLINK("http://x","x")' }, 'famous'],
    [{ error: '#N/A' }, '某店', 'famous'],
  ]);
  const e = (await t.throwsAsync(parseNoticeFile(noResult))) as unknown as { status: number; errors: { field: string }[] };
  t.is(e.status, 422);
  t.deepEqual(
    e.errors.map((x) => x.field),
    ['rows.2.businessName', 'rows.3.creditCode'],
  );
});

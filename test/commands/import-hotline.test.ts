import test, { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { Ticket, TicketEvent } from '../../src/entities';
import { decodeExport, formatProblem, importHotline, normalizeReceivedAt, parseHotlineExport, summarizeImport } from '../../src/commands/import-hotline';
import { AppError } from '../../src/errors';
import { Harness, standardStaff, startHarness } from '../helpers/harness';

const SAMPLE = readFileSync(join(__dirname, '..', '..', '..', 'seed', 'sample-hotline.csv'));
const SAMPLE_TEXT = SAMPLE.toString('utf8');
const HEADER = SAMPLE_TEXT.split(/\r?\n/)[0];
const CATEGORIES = new Set(
  readFileSync(join(__dirname, '..', '..', '..', 'seed', 'categories.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0])
    .filter(Boolean),
);
const NOW = new Date('2026-11-20T09:00:00+08:00');
const parseAt = (buf: Buffer, now = NOW) => parseHotlineExport(buf, { now, categories: CATEGORIES });
/** A good row as in the sample, with `over` replacing columns. */
function row(over: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    source_id: 'T-0001',
    received_at: '2026-11-02T09:14:00+08:00',
    channel: 'hotline',
    category: 'market_access',
    priority: 'normal',
    title: '许可证材料多次被退回',
    description: '希望一次性告知需要补哪些材料。',
    owner_name: '经营户001',
    owner_phone: '13800001951',
    credit_code: '92500102AGYGLUY3WU',
    business_name: '涪陵区示例商户001',
  };
  const cols = HEADER.split(',');
  return cols
    .map((c) => {
      const v = over[c] ?? base[c];
      return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    })
    .join(',');
}
const csv = (...lines: string[]) => Buffer.from(`${HEADER}\n${lines.join('\n')}\n`);

test('the sample export parses to 30 valid rows with exact values', (t) => {
  const r = parseAt(SAMPLE);
  t.is(r.encoding, 'utf-8');
  t.deepEqual(r.problems, []);
  t.deepEqual(r.ignoredColumns, []);
  t.is(r.rows.length, 30);
  t.deepEqual(
    r.rows.map((x) => x.line),
    Array.from({ length: 30 }, (_, i) => i + 2),
  );
  t.deepEqual(r.rows[0], {
    line: 2,
    sourceId: '12345-20261102-0001',
    input: {
      kind: 'complaint',
      channel: 'hotline',
      title: '食品经营许可证材料多次被退回',
      description: '在江东街道开小面馆，申请食品经营许可证，窗口三次以材料不全退回，每次说法不一样，希望一次性告知需要补哪些材料。',
      category: 'market_access',
      priority: 'normal',
      owner: { name: '经营户001', phone: '13800001951', creditCode: '92500102AGYGLUY3WU', businessName: '涪陵区示例商户001' },
      receivedAt: new Date('2026-11-02T01:14:00.000Z'),
      sourceId: '12345-20261102-0001',
    },
  });
  const channels: Record<string, number> = {};
  for (const x of r.rows) channels[x.input.channel] = (channels[x.input.channel] ?? 0) + 1;
  t.deepEqual(channels, { hotline: 15, web: 9, symposium: 5, letter: 1 });
  t.deepEqual(
    r.rows.filter((x) => x.input.priority === 'urgent').map((x) => x.sourceId),
    ['12345-20261109-0015', '12345-20261111-0020'],
  );
});

test('a GBK copy (Excel on Windows) and a UTF-8 copy with BOM parse identically', (t) => {
  const utf8 = parseAt(SAMPLE);
  const gbk = iconv.encode(SAMPLE_TEXT, 'gbk');
  t.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk));
  const g = parseAt(gbk);
  t.is(g.encoding, 'gbk');
  t.deepEqual(g.rows, utf8.rows);
  t.deepEqual(g.problems, []);
  const bom = parseAt(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), SAMPLE]));
  t.is(bom.encoding, 'utf-8-bom');
  t.deepEqual(bom.rows, utf8.rows);
  // the sample has CRLF line ends (Excel); LF and CR only change nothing either
  t.true(SAMPLE_TEXT.includes('\r\n'));
  t.deepEqual(parseAt(Buffer.from(SAMPLE_TEXT.replace(/\r\n/g, '\n'))).rows, utf8.rows);
  t.deepEqual(parseAt(Buffer.from(SAMPLE_TEXT.replace(/\r\n/g, '\r'))).rows, utf8.rows);
  t.is(decodeExport(Buffer.from('a,b\n')).encoding, 'utf-8');
});

test('receipt times without an offset are read in the business time zone', (t) => {
  t.is(normalizeReceivedAt('2026-11-02 09:14', 'Asia/Shanghai'), '2026-11-02T09:14:00.000+08:00');
  t.is(normalizeReceivedAt('2026/11/2 9:14:30', 'Asia/Shanghai'), '2026-11-02T09:14:30.000+08:00');
  t.is(normalizeReceivedAt('2026-11-02T09:14:00Z', 'Asia/Shanghai'), '2026-11-02T09:14:00Z');
  t.is(normalizeReceivedAt('2026-13-02 09:14', 'Asia/Shanghai'), '2026-13-02 09:14');
  const r = parseAt(csv(row({ received_at: '2026/11/2 9:14' })));
  t.deepEqual(r.problems, []);
  t.is(r.rows[0].input.receivedAt.toISOString(), '2026-11-02T01:14:00.000Z');
});

const badRows = test.macro(async (t: ExecutionContext, file: Buffer, expected: string[], validRows: number) => {
  const r = parseAt(file);
  t.deepEqual(r.problems.map(formatProblem), expected);
  t.is(r.rows.length, validRows);
});

test('bad mobile number', badRows, csv(row({ source_id: 'A' }), row({ source_id: 'B', owner_phone: '12800001951' })), ['row 3: owner_phone: not a valid mobile number (11 digits starting 1[3-9])'], 1);
test('bad credit code check character', badRows, csv(row({ credit_code: '92500102AGYGLUY3WX' })), ['row 2: credit_code: not a valid unified social credit code (GB 32100 check character)'], 0);
test('receipt in the future', badRows, csv(row({ received_at: '2026-11-20T09:00:01+08:00' })), ['row 2: received_at: must not be in the future'], 0);
test('receipt not a date', badRows, csv(row({ received_at: '昨天上午' })), ['row 2: received_at: must be an ISO 8601 instant with offset'], 0);
test('receipt missing', badRows, csv(row({ received_at: '' })), ['row 2: received_at: required'], 0);
test('unknown category', badRows, csv(row({ category: 'parking' })), ['row 2: category: unknown category "parking"'], 0);
test('missing category', badRows, csv(row({ category: '' })), ['row 2: category: required'], 0);
test('unknown channel', badRows, csv(row({ channel: 'fax' })), ['row 2: channel: Invalid option: expected one of "web"|"hotline"|"symposium"|"letter"'], 0);
test('unknown priority', badRows, csv(row({ priority: 'high' })), ['row 2: priority: Invalid option: expected one of "normal"|"urgent"'], 0);
test('missing source_id', badRows, csv(row({ source_id: '' })), ['row 2: source_id: required'], 0);
test('source_id over 64 characters', badRows, csv(row({ source_id: 'X'.repeat(65) })), ['row 2: source_id: at most 64 characters'], 0);
test('source_id repeated in the file', badRows, csv(row({ source_id: 'A' }), row({ source_id: 'B' }), row({ source_id: 'A' })), ['row 4: source_id: duplicate source_id (first at row 2)'], 2);
test('title over 200 characters', badRows, csv(row({ title: '长'.repeat(201) })), ['row 2: title: at most 200 characters'], 0);
test('control character in the title', badRows, csv(row({ title: '标题\u0007' })), ['row 2: title: control, bidirectional-override and invalid characters are not allowed'], 0);
test('empty description', badRows, csv(row({ description: '' })), ['row 2: description: must not be empty'], 0);
test('name without phone', badRows, csv(row({ owner_phone: '' })), ['row 2: owner_phone: required when the other contact column is filled (leave both empty for an anonymous caller)'], 0);
test(
  'objections are not imported',
  badRows,
  Buffer.from(`kind,${HEADER}\nobjection,${row()}\n`),
  ['row 2: kind: must be complaint or suggestion (objections and integrity reports are not imported), got "objection"'],
  0,
);
test(
  'several problems in one row, one line each',
  badRows,
  csv(row({ owner_phone: '1380000195', credit_code: 'X', category: 'nope' })),
  [
    'row 2: owner_phone: not a valid mobile number (11 digits starting 1[3-9])',
    'row 2: credit_code: not a valid unified social credit code (GB 32100 check character)',
    'row 2: category: unknown category "nope"',
  ],
  0,
);
test(
  'a quoted multi-line description and blank lines keep line numbers exact',
  badRows,
  csv(row({ source_id: 'A', description: '第一行\n第二行\n第三行' }), '', row({ source_id: 'B', owner_phone: '123' }), row({ source_id: 'C' })),
  ['row 6: owner_phone: not a valid mobile number (11 digits starting 1[3-9])'],
  2,
);
test('a row with the wrong number of fields', badRows, csv(row({ source_id: 'A' }), 'B,2026-11-02T09:14:00+08:00,hotline'), ['row 3: (row): expected 11 fields, found 3'], 1);
test(
  'a header without a required column rejects the file',
  badRows,
  Buffer.from(`${HEADER.replace('owner_phone', 'phone')}\n${row()}\n`),
  ['row 1: owner_phone: required column is missing from the header'],
  0,
);
test(
  'an unreadable CSV rejects the file',
  badRows,
  csv(`"A,${row().slice(2)}`),
  ['row 2: (file): not a readable CSV file: Quote Not Closed: the parsing is finished with an opening quote at line 2'],
  0,
);
test('an empty file', badRows, Buffer.alloc(0), ['row 1: (file): the file is empty (expected a header row)'], 0);

test('anonymous callers (no name and no phone) and extra columns', (t) => {
  const r = parseAt(Buffer.from(`${HEADER},remark\n${row({ owner_name: '', owner_phone: '', credit_code: '', business_name: '' })},备注\n`));
  t.deepEqual(r.problems, []);
  t.deepEqual(r.ignoredColumns, ['remark']);
  t.true(r.rows[0].input.anonymous);
  t.is(r.rows[0].input.owner, undefined);
});

// ---- against the database (SQLite, or MariaDB when DATABASE_URL is set) ----

let h: Harness;
let staff: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-20T09:00:00+08:00' });
  staff = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

test.serial('importing the sample creates 30 tickets, routed, with deadlines, events and access codes; a second run imports nothing', async (t) => {
  const r = await importHotline(h.deps, SAMPLE, { as: 'intake1' });
  t.is(summarizeImport(r), '30 imported, 0 skipped (already imported), 0 rejected');
  t.is(r.actor, 'intake1');
  t.deepEqual(r.problems, []);
  t.is(r.imported.length, 30);
  t.true(r.imported.every((x) => /^[A-Z2-9]{10}$/.test(x.accessCode ?? '')));
  t.deepEqual(
    r.imported.filter((x) => x.state === 'registered').map((x) => x.sourceId),
    ['12345-20261109-0017'],
  );
  t.deepEqual(
    r.imported.map((x) => x.number),
    Array.from({ length: 30 }, (_, i) => `FL2026${String(i + 1).padStart(6, '0')}`),
  );

  const repo = h.deps.db.getRepository(Ticket);
  const first = await repo.findOneByOrFail({ sourceId: '12345-20261102-0001' });
  t.is(first.state, 'dispatched');
  t.is(first.departmentCode, 'SAMR');
  t.is(first.channel, 'hotline');
  t.is(first.createdById, staff.intake.id);
  t.is(first.receivedAt.toISOString(), '2026-11-02T01:14:00.000Z');
  t.is(first.signBy!.toISOString(), '2026-11-03T16:00:00.000Z');
  t.is(first.replyBy!.toISOString(), '2026-11-09T16:00:00.000Z');
  t.deepEqual(first.contact, { name: '经营户001', phone: '13800001951', creditCode: '92500102AGYGLUY3WU', businessName: '涪陵区示例商户001' });
  const web = await repo.findOneByOrFail({ sourceId: 'WEB-20261102-0003' });
  t.is(web.channel, 'web');
  t.is(web.departmentCode, 'TAX');
  t.is(web.createdById, staff.intake.id);
  const urgent = await repo.findOneByOrFail({ sourceId: '12345-20261109-0015' });
  t.is(urgent.signBy!.toISOString(), '2026-11-09T03:30:00.000Z');
  t.is(urgent.replyBy!.toISOString(), '2026-11-10T01:30:00.000Z');

  const events = await h.deps.db.getRepository(TicketEvent).find({ where: { ticketId: first.id }, order: { seq: 'ASC' } });
  t.deepEqual(
    events.map((e) => [e.type, e.actorRole, e.at.toISOString()]),
    [
      ['created', 'intake', '2026-11-20T01:00:00.000Z'],
      ['dispatched', 'system', '2026-11-20T01:00:00.000Z'],
    ],
  );
  t.is(events[0].payload.receivedAt, '2026-11-02T01:14:00.000Z');
  t.is(await h.deps.db.getRepository(TicketEvent).countBy({ type: 'created' }), 30);
  t.is(await h.deps.db.getRepository(TicketEvent).countBy({ type: 'dispatched' }), 29);

  // the access code works on the public tracking endpoint
  const x = r.imported[2];
  const tr = await h.http.get(`/api/v1/track/${x.number}?code=${x.accessCode}`);
  t.is(tr.status, 200);
  t.is(tr.body.state, 'dispatched');

  const again = await importHotline(h.deps, iconv.encode(SAMPLE_TEXT, 'gbk'), { as: 'intake1' });
  t.is(summarizeImport(again), '0 imported, 30 skipped (already imported), 0 rejected');
  t.deepEqual(
    again.skipped.map((s) => s.number),
    r.imported.map((i) => i.number),
  );
  t.is(await repo.count(), 30);
});

test.serial('a file with bad rows imports the good ones and reports the bad ones; fixed, they import on the next run', async (t) => {
  const file = csv(
    row({ source_id: 'NEW-1', title: '新的诉求一' }),
    row({ source_id: 'NEW-2', owner_phone: '1380000' }),
    row({ source_id: '12345-20261102-0001' }),
    row({ source_id: 'NEW-3', category: 'parking', channel: 'web' }),
  );
  const dry = await importHotline(h.deps, file, { as: 'intake1', dryRun: true });
  t.is(summarizeImport(dry), '1 to import (dry run), 1 skipped (already imported), 2 rejected');
  t.is(await h.deps.db.getRepository(Ticket).count(), 30);

  const r = await importHotline(h.deps, file, { as: 'intake1' });
  t.is(summarizeImport(r), '1 imported, 1 skipped (already imported), 2 rejected');
  t.deepEqual(r.problems.map(formatProblem), ['row 3: owner_phone: not a valid mobile number (11 digits starting 1[3-9])', 'row 5: category: unknown category "parking"']);
  t.deepEqual(
    r.skipped.map((s) => [s.line, s.number]),
    [[4, 'FL2026000001']],
  );
  t.deepEqual(
    r.imported.map((i) => [i.line, i.sourceId, i.number]),
    [[2, 'NEW-1', 'FL2026000031']],
  );

  const fixed = await importHotline(h.deps, csv(row({ source_id: 'NEW-1' }), row({ source_id: 'NEW-2' }), row({ source_id: 'NEW-3', category: 'other', channel: 'web' })), { as: 'intake1' });
  t.is(summarizeImport(fixed), '2 imported, 1 skipped (already imported), 0 rejected');
  t.deepEqual(
    fixed.imported.map((i) => [i.sourceId, i.state]),
    [
      ['NEW-2', 'dispatched'],
      ['NEW-3', 'registered'],
    ],
  );
});

test.serial('anonymous callers get an access code and no contact', async (t) => {
  const r = await importHotline(h.deps, csv(row({ source_id: 'ANON-1', owner_name: '', owner_phone: '', credit_code: '', business_name: '' })), { as: 'intake1' });
  t.is(r.imported.length, 1);
  const tk = await h.deps.db.getRepository(Ticket).findOneByOrFail({ sourceId: 'ANON-1' });
  t.true(tk.anonymous);
  t.is(tk.contact, null);
  t.truthy(tk.accessCodeHash);
});

test.serial('the import is attributed to an intake (or coordinator) account', async (t) => {
  const wrong = await t.throwsAsync(importHotline(h.deps, SAMPLE, { as: 'tax1' }), { instanceOf: AppError });
  t.is(wrong!.code, 'wrong-role');
  const unknown = await t.throwsAsync(importHotline(h.deps, SAMPLE, { as: 'nobody' }), { instanceOf: AppError });
  t.is(unknown!.code, 'unknown-user');
  // exactly one intake account: --as may be left out
  const r = await importHotline(h.deps, SAMPLE, {});
  t.is(r.actor, 'intake1');
  t.is(r.skipped.length, 30);
  await h.staff('intake2', 'intake', 'SAMR');
  const several = await t.throwsAsync(importHotline(h.deps, SAMPLE, {}), { instanceOf: AppError });
  t.is(several!.code, 'import-actor-required');
  t.is((await importHotline(h.deps, SAMPLE, { as: 'coord1' })).skipped.length, 30);
});

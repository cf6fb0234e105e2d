/**
 * `GET /api/v1/tickets?q=` and the workbench lists through the search index (issue 15 item 3,
 * docs/decisions/search.md), on whichever backend the run uses: exact results for
 * 2-character words (in the title or the description), all words of a query, numbers, phone
 * numbers and credit codes; visibility inside the query; the backfill rebuilds the same rows.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';
import { reindexSearch } from '../../src/commands/search-index';
import { possibleDuplicates, workTickets } from '../../src/queries/workbench';
import { TicketSearchToken } from '../../src/entities';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
const T: Record<string, { id: string; number: string }> = {};

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  const make = async (key: string, c: Client, body: Record<string, unknown>) => {
    const r = await c.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', ...body });
    if (r.status !== 201) throw new Error(`${key}: ${r.status} ${r.text}`);
    T[key] = { id: r.body.id, number: r.body.number };
    h.clock.advance(1000);
  };
  await make('A', s.intake, { category: 'tax_fees', title: '餐馆乱收费', description: '门口噪音扰民', owner: { name: '赵六', phone: '13800138001', creditCode: '92500102AY4CL12TH8' } });
  await make('B', s.intake, { category: 'employment', title: '营业执照办理太慢了', description: '窗口排队两个小时', owner: { name: '钱七', phone: '13800138002' } });
  await make('C', s.intake, { kind: 'suggestion', category: 'training', title: '路灯坏了', description: '晚上很黑，噪音也大', owner: { name: '赵六', phone: '13800138001' } });
  // a ticket whose text names another caller's phone
  await make('D', s.intake, { category: 'other', title: '转告来电', description: '请回电13800138002', owner: { name: '周九', phone: '13800138003' } });
  // an integrity report accusing TAX, with the reporter's phone: only DIS handles it, TAX must not find it
  await make('G', h.http as unknown as Client, {
    kind: 'integrity_report',
    channel: 'web',
    title: '税务所长索要财物',
    description: '餐馆被索要红包',
    owner: { name: '孙八', phone: '13900139000' },
    accused: { departmentCode: 'TAX', demand: 'property', occurredOn: '2026-10-01' },
  });
});
test.after.always(async () => {
  await h?.close();
});

async function found(c: Client, q: string): Promise<string[]> {
  const r = await c.get(`/api/v1/tickets?limit=200&q=${encodeURIComponent(q)}`);
  if (r.status !== 200) throw new Error(`${q}: ${r.status} ${r.text}`);
  return (r.body.items as { id: string }[]).map((x) => x.id).sort();
}
const of = (...keys: string[]) => keys.map((k) => T[k].id).sort();

const search = test.macro({
  async exec(t, who: keyof typeof s, q: string, expected: string[]) {
    t.deepEqual(await found(s[who], q), of(...expected));
  },
  title: (_p, who: string, q: string, expected: string[]) => `${who}: q=${q} → ${expected.join(', ') || 'nothing'}`,
});

// 2-character words, in the title or the description, also inside a longer word (收费 of 乱收费, 执照 of 营业执照)
test.serial(search, 'coord', '噪音', ['A', 'C']);
test.serial(search, 'coord', '收费', ['A']);
test.serial(search, 'coord', '执照', ['B']);
test.serial(search, 'coord', '营业执照', ['B']);
test.serial(search, 'coord', '路灯', ['C']);
test.serial(search, 'coord', '餐馆', ['A', 'G']);
test.serial(search, 'sup', '餐馆', ['A', 'G']);
// words that match nothing
test.serial(search, 'coord', '飞机', []);
test.serial(search, 'coord', '噪音 飞机', []);
// every word of a query must match
test.serial(search, 'coord', '餐馆 噪音', ['A']);
test.serial(search, 'coord', '餐馆噪音', ['A']);
test.serial(search, 'coord', '噪音，路灯', ['C']);
// numbers, phone numbers and credit codes exactly
test.serial('a ticket number finds its ticket (any case); a phone or credit code finds the caller’s tickets', async (t) => {
  t.deepEqual(await found(s.coord, T.B.number), of('B'));
  t.deepEqual(await found(s.coord, T.B.number.toLowerCase()), of('B'));
  t.deepEqual(await found(s.coord, T.B.number.slice(0, -1)), [], 'a part of a number is not the number');
  t.deepEqual(await found(s.intake, '13800138001'), of('A', 'C'));
  t.deepEqual(await found(s.intake, '13800138002'), of('B', 'D'), 'a number in the text is a word of it too');
  t.deepEqual(await found(s.coord, '92500102AY4CL12TH8'), of('A'));
  t.deepEqual(await found(s.coord, '92500102ay4cl12th8'), of('A'));
  t.deepEqual(await found(s.coord, '1380013800'), []);
  t.deepEqual(await found(s.sup, T.G.number), of('G'));
  t.deepEqual(await found(s.sup, '13900139000'), [], 'an integrity report is not found by its reporter’s phone');
});
test.serial('a phone or credit code typed in groups (spaces, hyphens, +86) finds what the whole value finds, never nothing', async (t) => {
  for (const q of ['138 0013 8001', '138-0013-8001', '+86 138 0013 8001', '+8613800138001', '86-138-0013-8001', '１３８ ００１３ ８００１']) t.deepEqual(await found(s.intake, q), of('A', 'C'), q);
  t.deepEqual(await found(s.intake, '138 0013 8002'), of('B', 'D'));
  for (const q of ['9250 0102 AY4C L12T H8', '92500102-AY4CL12TH8', '9250 0102 ay4c l12t h8']) t.deepEqual(await found(s.coord, q), of('A'), q);
  t.deepEqual(await found(s.sup, '139 0013 9000'), [], 'an integrity report is not found by its reporter’s phone, however typed');
  // digits that are no whole phone or credit code stay separate words
  t.deepEqual(await found(s.coord, '138 0013 800'), []);
  t.deepEqual(await found(s.coord, '9250 0102 AY4C L12T H9'), [], 'a credit code with a wrong check character is no credit code');
});
// visibility applies inside the query
test.serial(search, 'tax', '餐馆', ['A']);
test.serial(search, 'taxHead', '餐馆', ['A']);
test.serial(search, 'hrss', '餐馆', []);
test.serial(search, 'hrss', '执照', ['B']);
test.serial(search, 'intake', '餐馆', ['A']);
test.serial('the accused department and a handler of another department do not find the integrity report by its words or number', async (t) => {
  for (const who of ['tax', 'taxHead', 'hrss', 'samr', 'intake'] as const) {
    for (const q of ['索要', '财物', '红包', '税务所长', T.G.number]) t.deepEqual(await found(s[who], q), [], `${who} q=${q}`);
  }
  for (const q of ['索要', '财物', '红包', T.G.number]) t.deepEqual(await found(s.sup, q), of('G'), `sup q=${q}`);
});

test.serial('the workbench list counts and lists the same matches', async (t) => {
  const actor = (c: Client & { id: string }, role: 'coordinator' | 'handler', departmentCode: string, isHead = false) => ({ kind: 'user' as const, userId: c.id, role, departmentCode, isHead });
  const coord = await workTickets(h.deps, actor(s.coord, 'coordinator', 'SAMR'), { q: '餐馆' }, { limit: 1 });
  t.deepEqual([coord.total, coord.items.length, !!coord.nextCursor], [2, 1, true]);
  const tax = await workTickets(h.deps, actor(s.taxHead, 'handler', 'TAX', true), { q: '餐馆' }, { limit: 1 });
  t.deepEqual([tax.total, tax.items.map((x) => x.id)], [1, of('A')]);
});

test.serial('the call form’s possible duplicates come through the index: the caller’s own tickets, not those naming the phone', async (t) => {
  const intake = { kind: 'user' as const, userId: (s.intake as Client & { id: string }).id, role: 'intake' as const, departmentCode: 'SAMR', isHead: false };
  const ids = async (who: { phone?: string; creditCode?: string }) => (await possibleDuplicates(h.deps, intake, who)).map((x) => x.id);
  t.deepEqual(await ids({ phone: '13800138001' }), [T.C.id, T.A.id], 'newest first');
  t.deepEqual(await ids({ phone: '13800138002' }), [T.B.id]);
  t.deepEqual(await ids({ creditCode: '92500102AY4CL12TH8' }), [T.A.id]);
  t.deepEqual(await ids({ phone: '13800138002', creditCode: '92500102AY4CL12TH8' }), [T.B.id, T.A.id]);
  t.deepEqual(await ids({ phone: '13900139000' }), [], 'never an integrity report');
});

test.serial('reindexSearch rebuilds exactly the rows written at creation, in batches', async (t) => {
  const repo = h.deps.db.getRepository(TicketSearchToken);
  const rows = async () => (await repo.find()).map((r) => `${r.token}|${r.ticketId}`).sort();
  const before = await rows();
  t.true(before.includes(`${T.A.number.toLowerCase()}|${T.A.id}`));
  await repo.clear();
  t.deepEqual(await found(s.coord, '噪音'), []);
  let after: string | undefined;
  const batches: number[] = [];
  for (;;) {
    const r = await reindexSearch(h.deps.db.manager, { after, limit: 3 });
    if (!r.last) break;
    batches.push(r.tickets);
    after = r.last;
  }
  t.deepEqual(batches, [3, 2]);
  t.deepEqual(await rows(), before);
  // a second run replaces rather than adds
  await reindexSearch(h.deps.db.manager, { limit: 100 });
  t.deepEqual(await rows(), before);
  t.deepEqual(await found(s.coord, '噪音'), of('A', 'C'));
});

/**
 * `GET /api/v1/tickets` (DESIGN §13): filters (state, kind, departmentCode, overdue,
 * dueSoon, escalationLevel, q, from/to) and keyset paging with an opaque cursor that walks
 * every page without duplicates or gaps, also when many tickets share one creation instant.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
const T: Record<string, any> = {};
const CALLER = { name: '赵六', phone: '13812345678' };

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  const make = async (key: string, body: Record<string, unknown>) => {
    const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: `工单${key}`, description: '内容', owner: CALLER, ...body });
    if (r.status !== 201) throw new Error(`${key}: ${r.status} ${r.text}`);
    T[key] = r.body;
    h.clock.advance(1000);
  };
  // A: received Tue Oct 20, sign-for and reply deadlines long past → overdue
  await make('A', { category: 'tax_fees', receivedAt: '2026-10-20T10:00:00+08:00' });
  // B: received now (Mon Nov 2): sign for by Wed Nov 4 00:00 → neither due soon nor overdue
  await make('B', { category: 'employment' });
  // C: a suggestion received Fri Oct 30 16:00: sign for by Tue Nov 3 00:00 → due soon on Mon Nov 2
  await make('C', { kind: 'suggestion', category: 'training', receivedAt: '2026-10-30T16:00:00+08:00' });
  // D: category other → registered
  await make('D', { category: 'other' });
  // E: closed
  await make('E', { category: 'tax_fees', title: '已办结的工单' });
  await s.tax.post(`/api/v1/tickets/${T.E.id}/sign`, {});
  await s.tax.post(`/api/v1/tickets/${T.E.id}/reply`, { outcome: 'resolved', message: '已办' });
  await s.intake.post(`/api/v1/tickets/${T.E.id}/rate`, { rating: 'satisfied', via: 'callback' });
  // F: LIKE metacharacters in the title
  await make('F', { category: 'commerce', title: '商场100%_折扣虚假宣传' });
  // G: an integrity report (not visible to intake)
  const g = await h.http.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '工单G',
    description: '被索要',
    anonymous: true,
    accused: { departmentCode: 'TRN', demand: 'fee', amountYuan: '200', occurredOn: '2026-10-01' },
  });
  if (g.status !== 201) throw new Error(g.text);
  T.G = g.body;
});
test.after.always(async () => {
  await h?.close();
});

async function ids(c: Client, query: string) {
  const r = await c.get(`/api/v1/tickets?limit=200&${query}`);
  if (r.status !== 200) throw new Error(`${query}: ${r.status} ${r.text}`);
  return (r.body.items as any[]).map((x) => x.id).sort();
}
const of = (...keys: string[]) => keys.map((k) => T[k].id).sort();

const filter = test.macro({
  async exec(t, query: string, expected: string[], who: 'coord' | 'tax' | 'hrss' | 'intake' = 'coord') {
    t.deepEqual(await ids(s[who], query), of(...expected));
  },
  title: (_p, query: string, expected: string[], who = 'coord') => `${who}: ?${query} → ${expected.join(', ') || 'nothing'}`,
});

test.serial(filter, '', ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
test.serial(filter, '', ['A', 'B', 'C', 'D', 'E', 'F'], 'intake');
test.serial(filter, 'state=dispatched', ['A', 'B', 'C', 'F', 'G']);
test.serial(filter, 'state=registered', ['D']);
test.serial(filter, 'state=closed', ['E']);
test.serial(filter, 'kind=suggestion', ['C']);
test.serial(filter, 'kind=integrity_report', ['G']);
test.serial(filter, 'kind=integrity_report', [], 'intake');
test.serial(filter, 'departmentCode=HRSS', ['B', 'C']);
test.serial(filter, 'departmentCode=HRSS', [], 'tax');
test.serial(filter, 'departmentCode=TAX', ['A', 'E'], 'tax');
test.serial(filter, 'overdue=true', ['A']);
test.serial(filter, 'overdue=false', ['B', 'C', 'D', 'E', 'F', 'G']);
test.serial(filter, 'dueSoon=true', ['C']);
test.serial(filter, 'dueSoon=true', ['C'], 'hrss');
test.serial(filter, 'dueSoon=true', [], 'tax');
test.serial(filter, 'escalationLevel=0', ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
test.serial(filter, `q=${encodeURIComponent('折扣')}`, ['F']);
test.serial(filter, `q=${encodeURIComponent('100%')}`, ['F']);
// q matches words, not substrings (issue 15 item 3, docs/decisions/search.md): `0` is not a
// word of 商场100%_折扣…, and punctuation alone is no word at all.
test.serial(filter, `q=${encodeURIComponent('0%_')}`, []);
test.serial(filter, `q=${encodeURIComponent('%')}`, []);
test.serial(filter, `q=${encodeURIComponent('100')}`, ['F']);
test.serial(filter, `q=${encodeURIComponent('已办结')}`, ['E']);
test.serial(filter, `q=${encodeURIComponent('工单')}`, ['A', 'B', 'C', 'D', 'E', 'G']);
test.serial(filter, `from=${encodeURIComponent('2026-10-20T00:00:00+08:00')}&to=${encodeURIComponent('2026-10-21T00:00:00+08:00')}`, ['A']);
test.serial(filter, `from=${encodeURIComponent('2026-10-30T16:00:00+08:00')}&to=${encodeURIComponent('2026-11-01T00:00:00+08:00')}`, ['C']);
test.serial(filter, `to=${encodeURIComponent('2026-10-30T16:00:00+08:00')}`, ['A']);
test.serial(filter, 'state=dispatched&departmentCode=HRSS&kind=complaint', ['B']);

test.serial('q finds a ticket by its exact number', async (t) => {
  t.deepEqual(await ids(s.coord, `q=${T.A.number}`), of('A'));
  t.deepEqual(await ids(s.hrss, `q=${T.A.number}`), []);
});

test.serial('q over 100 characters or with a line break: 400 validation-failed naming q with a plain reason, never a list', async (t) => {
  const long = await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('查'.repeat(101))}`);
  t.is(long.status, 400);
  t.like(long.body, { type: 'urn:problem:validation-failed', status: 400, detail: 'invalid query: q: the search text is at most 100 characters' });
  t.deepEqual(long.body.errors, [{ field: 'q', code: 'custom', message: 'the search text is at most 100 characters' }]);
  t.is(long.body.items, undefined);
  const broken = await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('折扣\n')}`);
  t.is(broken.status, 400);
  t.deepEqual(broken.body.errors, [{ field: 'q', code: 'custom', message: 'the search text must not contain control characters or line breaks' }]);
  // exactly 100 (emoji count as one character) is searched
  t.is((await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('😀'.repeat(100))}`)).status, 200);
});

test.serial('list items carry the derived flags the filters use', async (t) => {
  const items = (await s.coord.get('/api/v1/tickets?limit=200')).body.items as any[];
  const by = (k: string) => items.find((x) => x.id === T[k].id);
  t.like(by('A'), { overdue: true, dueSoon: false });
  t.like(by('B'), { overdue: false, dueSoon: false });
  t.like(by('C'), { overdue: false, dueSoon: true });
  t.like(by('E'), { overdue: false, dueSoon: false, state: 'closed' });
});

test.serial('a day later the flags move: B is due soon, C is overdue', async (t) => {
  h.clock.set(new Date('2026-11-03T10:00:00+08:00'));
  t.deepEqual(await ids(s.coord, 'dueSoon=true'), of('B', 'D', 'F', 'G'));
  t.deepEqual(await ids(s.coord, 'overdue=true'), of('A', 'C'));
});

test.serial('cursor paging walks every page once, in creation order (newest first), also through ties on the creation instant', async (t) => {
  // 23 more tickets, most of them created at the very same instant
  for (let i = 0; i < 23; i++) {
    const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: `分页${i}`, description: '内容', owner: CALLER });
    t.is(r.status, 201);
    if (i % 10 === 9) h.clock.advance(1);
  }
  const all = (await s.coord.get('/api/v1/tickets?limit=200')).body.items as any[];
  t.is(all.length, 30);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: any = await s.coord.get(`/api/v1/tickets?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.is(r.status, 200);
    t.true(r.body.items.length <= 7);
    seen.push(...r.body.items.map((x: any) => x.id));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor);
  t.is(pages, 5);
  t.is(new Set(seen).size, seen.length);
  t.deepEqual(
    seen,
    all.map((x) => x.id),
  );
  for (let i = 1; i < all.length; i++) t.true(all[i - 1].createdAt >= all[i].createdAt);
  // an exact multiple of the page size ends with nextCursor null, not with an empty page
  const r10 = await s.coord.get('/api/v1/tickets?limit=10');
  const p2 = await s.coord.get(`/api/v1/tickets?limit=10&cursor=${encodeURIComponent(r10.body.nextCursor)}`);
  const p3 = await s.coord.get(`/api/v1/tickets?limit=10&cursor=${encodeURIComponent(p2.body.nextCursor)}`);
  t.is(p3.body.items.length, 10);
  t.is(p3.body.nextCursor, null);
  // paging respects the filters
  const dispatchedTax: string[] = [];
  cursor = null;
  do {
    const r: any = await s.tax.get(`/api/v1/tickets?limit=4&state=dispatched${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    dispatchedTax.push(...r.body.items.map((x: any) => x.id));
    cursor = r.body.nextCursor;
  } while (cursor);
  t.is(dispatchedTax.length, 24); // A and the 23 new ones
  t.is(new Set(dispatchedTax).size, 24);
});

test.serial('bad list queries are 400 naming the parameter', async (t) => {
  const cases: [string, string][] = [
    ['state=open', 'state'],
    ['kind=letter', 'kind'],
    ['departmentCode=tax', 'departmentCode'],
    ['overdue=yes', 'overdue'],
    ['dueSoon=1', 'dueSoon'],
    ['escalationLevel=4', 'escalationLevel'],
    ['from=yesterday', 'from'],
    ['to=2026-11-01', 'to'],
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    [`q=${'x'.repeat(101)}`, 'q'],
    ['sort=title', 'sort'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('x|y').toString('base64url')}`, 'cursor'],
  ];
  for (const [q, field] of cases) {
    const r = await s.coord.get(`/api/v1/tickets?${q}`);
    t.is(r.status, 400, q);
    t.is(r.body.code, 'validation-failed', q);
    t.deepEqual(
      r.body.errors.map((e: any) => e.field),
      [field],
      q,
    );
  }
});

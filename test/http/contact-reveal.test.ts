/**
 * Revealing the submitter's phone (docs/decisions/core.md "Personal data"): handlers see it
 * masked; `GET /tickets/:id?contact=true` by a handler of the department that holds the ticket
 * shows it whole for that read and records one `contact_read` event with the actor. Nobody else
 * gets anything from the flag (no error, nothing recorded); a ticket the caller may not see is
 * 404 as always; the submitter's own timeline does not show the reads.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, Client, OWNER } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };
let dis: Client & { id: string };
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  owner = await h.owner();
  dis = await h.staff('dis1', 'handler', 'DIS');
});
test.after.always(async () => {
  await h?.close();
});

const MASKED = '138****1234';
/** an owner's complaint routed to TAX at once (dispatched) */
async function complaint() {
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '定额税偏高', description: '营业额下降，定额没有调整。' });
  if (r.status !== 201) throw new Error(r.text);
  return r.body.id as string;
}
const events = async (id: string, c: Client = s.coord) => (await c.get(`/api/v1/tickets/${id}/events`)).body.items as any[];
const contactReads = async (id: string) => (await events(id)).filter((e) => e.type === 'contact_read').map((e) => [e.actor.id, e.actor.role, e.payload]);

test.serial('the handler of the holding department sees the whole phone only with contact=true, each such read one contact_read event with the actor', async (t) => {
  const id = await complaint();
  t.is((await s.tax.get(`/api/v1/tickets/${id}`)).body.state, 'dispatched');
  for (const q of ['', '?contact=false', '?contact=']) {
    const r = await s.tax.get(`/api/v1/tickets/${id}${q}`);
    t.is(r.status, 200, q);
    t.is(r.body.contact.phone, MASKED, q);
  }
  t.deepEqual(await contactReads(id), [], 'a plain read records nothing');

  const shown = await s.tax.get(`/api/v1/tickets/${id}?contact=true`);
  t.is(shown.status, 200);
  t.is(shown.body.contact.phone, OWNER.phone);
  t.is(shown.body.contact.name, OWNER.name);
  t.is(shown.body.contact.email, undefined, 'the email stays hidden from the department');
  t.deepEqual(await contactReads(id), [[s.tax.id, 'handler', { field: 'phone' }]]);
  // the next plain read is masked again: the reveal was for that read only
  t.is((await s.tax.get(`/api/v1/tickets/${id}`)).body.contact.phone, MASKED);
  // lists stay masked
  t.is((await s.tax.get('/api/v1/tickets?limit=200')).body.items.find((x: any) => x.id === id).contact.phone, MASKED);

  // signed for, awaiting information, replied: the department still holds it
  t.is((await s.tax.post(`/api/v1/tickets/${id}/sign`, {})).status, 200);
  t.is((await s.taxHead.get(`/api/v1/tickets/${id}?contact=true`)).body.contact.phone, OWNER.phone);
  t.is((await s.tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请补充去年的纳税记录。' })).status, 200);
  t.is((await s.tax.get(`/api/v1/tickets/${id}?contact=true`)).body.contact.phone, OWNER.phone);
  t.deepEqual(await contactReads(id), [
    [s.tax.id, 'handler', { field: 'phone' }],
    [s.taxHead.id, 'handler', { field: 'phone' }],
    [s.tax.id, 'handler', { field: 'phone' }],
  ]);
  const chain = await s.coord.get(`/api/v1/tickets/${id}/events/verify`);
  t.true(chain.body.ok, chain.text);

  // the submitter's own timeline does not show who looked at the number
  const mine = await events(id, owner);
  t.true(mine.length > 0);
  t.false(mine.some((e) => e.type === 'contact_read'));
});

test.serial('anyone else asking with contact=true gets the view of their role and nothing is recorded; another department gets 404', async (t) => {
  const id = await complaint();
  const before = (await events(id)).length;
  for (const [name, c] of [
    ['coordinator', s.coord],
    ['intake', s.intake],
    ['supervisor', s.sup],
    ['owner', owner],
  ] as const) {
    const r = await c.get(`/api/v1/tickets/${id}?contact=true`);
    t.is(r.status, 200, name);
    t.is(r.body.contact.phone, OWNER.phone, `${name} sees the whole number anyway`);
  }
  for (const c of [s.hrss, s.samr, dis]) t.is((await c.get(`/api/v1/tickets/${id}?contact=true`)).status, 404);
  t.is((await events(id)).length, before, 'no event for any of them');
  // not a boolean: refused like any bad query
  const bad = await s.tax.get(`/api/v1/tickets/${id}?contact=1`);
  t.is(bad.status, 400);
  t.deepEqual(
    bad.body.errors.map((e: any) => e.field),
    ['contact'],
  );
  // once the department no longer holds it (withdrawn), the handler sees it masked, nothing recorded
  t.is((await owner.post(`/api/v1/tickets/${id}/withdraw`, { reason: '已自行解决' })).status, 200);
  const late = await s.tax.get(`/api/v1/tickets/${id}?contact=true`);
  t.is(late.status, 200);
  t.is(late.body.contact.phone, MASKED);
  t.deepEqual(await contactReads(id), []);
});

test.serial('an anonymous ticket and an integrity report: no reveal, no event', async (t) => {
  const anon = await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '匿名反映', description: '内容', anonymous: true });
  t.is(anon.status, 201, anon.text);
  const a = await s.tax.get(`/api/v1/tickets/${anon.body.id}?contact=true`);
  t.is(a.status, 200);
  t.is(a.body.contact, null);
  t.is(a.body.reporter, 'anonymous');
  t.deepEqual(await contactReads(anon.body.id), []);

  const report = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '索要财物',
    description: '办事时被索要购物卡',
    accused: { departmentCode: 'HRSS', demand: 'property', amountYuan: '500.00', occurredOn: '2026-10-20' },
  });
  t.is(report.status, 201, report.text);
  const r = await dis.get(`/api/v1/tickets/${report.body.id}?contact=true`);
  t.is(r.status, 200, r.text);
  t.is(r.body.departmentCode, 'DIS');
  t.is(r.body.reporter, 'masked');
  t.is(r.body.contact, null);
  const all = await events(report.body.id, s.sup);
  t.false(all.some((e) => e.type === 'contact_read'));
  t.false(
    all.some((e) => e.type === 'identity_read'),
    'the handler read no identity either',
  );
});

test.serial('a HEAD with contact=true shows no number and records no reveal (API and page); the GET after it records one', async (t) => {
  const id = await complaint();
  const head = await s.tax.raw('HEAD', `/api/v1/tickets/${id}?contact=true`);
  t.is(head.status, 200);
  t.is(head.bytes.length, 0);
  t.deepEqual(await contactReads(id), [], 'no reveal for a HEAD');
  t.is((await s.tax.get(`/api/v1/tickets/${id}?contact=true`)).status, 200);
  t.is((await contactReads(id)).length, 1, 'the GET records it');
});

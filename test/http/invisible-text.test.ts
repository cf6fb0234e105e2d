import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { Ticket } from '../../src/entities';

// issue 13 item 10 through the API: text that shows nothing is blank (a 4xx naming the field,
// nothing written); invisible characters inside a word do not defeat search; text is stored as given.
let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness();
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const base = { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '定额税偏高', description: '营业额下降', owner: { name: '经营户乙', phone: '13800005678' } };
const FILLERS = ['\u200B', '\u2060', '\u180E', '\u3164', '\u115F', '\u034F', '\u00AD', '\u2800'];

test.serial('titles, descriptions and names of invisible characters only are blank: 400 naming the field, nothing stored', async (t) => {
  const before = await h.deps.db.getRepository(Ticket).count();
  for (const c of FILLERS) {
    const blank = `${c}${c} ${c}`;
    for (const [field, body] of [
      ['title', { ...base, title: blank }],
      ['description', { ...base, description: blank }],
      ['owner.name', { ...base, owner: { ...base.owner, name: blank } }],
    ] as const) {
      const r = await s.intake.post('/api/v1/tickets', body);
      t.deepEqual([r.status, r.body.code, r.body.errors?.map((e: any) => e.field)], [400, 'validation-failed', [field]], `U+${c.codePointAt(0)!.toString(16)} in ${field}`);
    }
  }
  const owner = await h.http.post('/api/v1/owners', { phone: '13300000009', code: '123456', password: 'Owner-Pw-123!', name: '\u3164\u3164' });
  t.deepEqual([owner.status, owner.body.errors?.[0]?.field], [400, 'name']);
  t.is(await h.deps.db.getRepository(Ticket).count(), before);
});

test.serial('an invisible character inside a word does not hide a ticket from search; the title is kept as given', async (t) => {
  const hidden = await s.intake.post('/api/v1/tickets', { ...base, title: '违\u200B规收\u2060费' });
  t.is(hidden.status, 201);
  t.is(hidden.body.title, '违\u200B规收\u2060费');
  const plain = await s.intake.post('/api/v1/tickets', { ...base, title: '违规收费二' });
  t.is(plain.status, 201);
  const found = async (q: string) => (await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent(q)}`)).body.items.map((x: any) => x.id).sort();
  t.deepEqual(await found('违规收费'), [hidden.body.id, plain.body.id].sort());
  t.deepEqual(await found('违\u00AD规'), [hidden.body.id, plain.body.id].sort(), 'an invisible character in the query does not matter either');
  t.deepEqual(await found('收费二'), [plain.body.id]);
  t.deepEqual(await found(hidden.body.number), [hidden.body.id]);
  t.is((await s.coord.get(`/api/v1/tickets/${hidden.body.id}`)).body.title, '违\u200B规收\u2060费');
});

test.serial('a result notice import refuses a business name that shows nothing', async (t) => {
  const form = new FormData();
  form.append('title', '公示');
  form.append('publishedOn', '2026-11-02');
  form.append('file', new Blob(['credit_code,business_name,category\n92500102EUHUXQEEG7,\u200B\u3164,famous\n']), 'n.csv');
  const c = s.coord as unknown as { base: string; token: string };
  const r = await fetch(`${c.base}/api/v1/result-notices/import`, { method: 'POST', headers: { authorization: `Bearer ${c.token}` }, body: form });
  const body = (await r.json()) as any;
  t.deepEqual([r.status, body.code, body.errors.map((e: any) => [e.field, e.code])], [422, 'import-invalid', [['rows.2.businessName', 'required']]]);
});

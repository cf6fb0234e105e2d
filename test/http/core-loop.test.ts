import test from 'ava';
import { startHarness, standardStaff, OWNER, Harness } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-04-30T15:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

test.serial('owner complaint is routed, signed, replied, badly rated into cycle 2, then closed; events and deadlines exact', async (t) => {
  const owner = await h.owner();
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '定额税核定偏高', description: '营业额下降但定额未调整。' });
  t.is(r.status, 201);
  t.is(r.body.state, 'dispatched');
  t.is(r.body.departmentCode, 'TAX');
  t.is(r.body.deadlines.signBy, '2026-05-06T16:00:00.000Z');
  t.is(r.body.deadlines.replyBy, '2026-05-11T16:00:00.000Z');
  t.false(r.body.deadlines.provisional);
  t.regex(r.body.number, /^FL2026\d{6}$/);
  t.is(r.body.accessCode, undefined);
  const id = r.body.id;

  t.is((await s.hrss.get(`/api/v1/tickets/${id}`)).status, 404);
  const sign = await s.tax.post(`/api/v1/tickets/${id}/sign`, {}, { 'if-match': r.headers.get('etag')! });
  t.is(sign.status, 200);
  t.is(sign.body.state, 'in_progress');
  const stale = await s.tax.post(`/api/v1/tickets/${id}/note`, { text: 'x' }, { 'if-match': r.headers.get('etag')! });
  t.is(stale.status, 412);
  t.is(stale.body.code, 'version-mismatch');

  h.clock.advance(3600_000);
  const rep = await s.tax.post(`/api/v1/tickets/${id}/reply`, { outcome: 'explained', message: '已重新核定。' });
  t.is(rep.body.state, 'replied');
  t.is(rep.body.deadlines.rateBy, '2026-05-08T16:00:00.000Z'); // replied Apr 30 16:00 local → May 6, 7, 8 → May 9 00:00
  const bad = await owner.post(`/api/v1/tickets/${id}/rate`, { rating: 'very_dissatisfied', comment: '没有解决' });
  t.is(bad.status, 200);
  t.is(bad.body.state, 'dispatched');
  t.is(bad.body.cycle, 2);
  t.is(bad.body.departmentCode, 'TAX');

  const ev = await owner.get(`/api/v1/tickets/${id}/events`);
  t.deepEqual(
    ev.body.items.map((e: any) => [e.type, e.cycle, e.fromState, e.toState]),
    [
      ['created', 1, null, 'registered'],
      ['dispatched', 1, 'registered', 'dispatched'],
      ['signed', 1, 'dispatched', 'in_progress'],
      ['replied', 1, 'in_progress', 'replied'],
      ['rated', 1, 'replied', 'replied'],
      ['reopened', 2, 'replied', 'dispatched'],
    ],
  );
  t.deepEqual(ev.body.items[4].payload, { rating: 'very_dissatisfied', via: 'owner', messageId: ev.body.items[4].payload.messageId, reopened: true });
  const ver = await s.coord.get(`/api/v1/tickets/${id}/events/verify`);
  t.deepEqual(ver.body, { ok: true, checked: 6 });
});

test.serial('anonymous web complaint gets an access code, tracks and rates with it', async (t) => {
  const r = await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'commerce', title: '摊位费上涨', description: '无公示依据', anonymous: true });
  t.is(r.status, 201);
  t.regex(r.body.accessCode, /^[A-Z2-9]{10}$/);
  t.is(r.body.contact, null);
  const tr = await h.http.get(`/api/v1/track/${r.body.number}?code=${r.body.accessCode}`);
  t.is(tr.status, 200);
  t.is(tr.body.state, 'dispatched');
  t.is((await h.http.get(`/api/v1/track/${r.body.number}?code=WRONGWRONG`)).status, 404);
});

test.serial('bad input: each a 4xx problem naming the field, nothing written', async (t) => {
  const before = (await s.coord.get('/api/v1/tickets?limit=200')).body.items.length;
  const cases: [unknown, number, string][] = [
    ['{"kind":', 400, 'body'],
    [{ kind: 'complaint', channel: 'hotline', title: 't', description: 'd', owner: { ...OWNER, creditCode: '92500102AY4CL12TH9' } }, 400, 'owner.creditCode'],
    [{ kind: 'complaint', channel: 'hotline', title: 't', description: 'd', owner: { ...OWNER, phone: '12800001234' } }, 400, 'owner.phone'],
    [{ kind: 'grievance', channel: 'hotline', title: 't', description: 'd', owner: OWNER }, 400, 'kind'],
    [{ kind: 'complaint', channel: 'hotline', description: 'd', owner: OWNER }, 400, 'title'],
    [{ kind: 'complaint', channel: 'hotline', title: 'x'.repeat(201), description: 'd', owner: OWNER }, 400, 'title'],
    [{ kind: 'complaint', channel: 'hotline', title: 'a\u0007b', description: 'd', owner: OWNER }, 400, 'title'],
    [{ kind: 'complaint', channel: 'hotline', title: 't', description: 'd'.repeat(5001), owner: OWNER }, 400, 'description'],
    [{ kind: 'complaint', channel: 'hotline', title: 't', description: 'd', owner: OWNER, receivedAt: '2030-01-01T00:00:00+08:00' }, 422, 'receivedAt'],
    [{ kind: 'complaint', channel: 'hotline', title: 't', description: 'd', owner: OWNER, priority: 'high' }, 400, 'priority'],
    [{ kind: 'complaint', channel: 'hotline', title: 123, description: 'd', owner: OWNER }, 400, 'title'],
  ];
  for (const [body, status, field] of cases) {
    const r = await s.intake.post('/api/v1/tickets', body);
    t.is(r.status, status, JSON.stringify(body).slice(0, 80));
    t.is(r.headers.get('content-type'), 'application/problem+json');
    t.true(
      r.body.errors.some((e: any) => e.field === field),
      `${field} in ${JSON.stringify(r.body.errors)}`,
    );
  }
  const big = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', title: 't', description: 'x'.repeat(1_100_000), owner: OWNER });
  t.is(big.status, 413);
  t.is((await s.coord.get('/api/v1/tickets?limit=200')).body.items.length, before);
});

test.serial('text is stored exactly as given', async (t) => {
  const title = '<script>alert("x")</script> 面馆 😀 \'引号\'';
  const r = await s.intake.post('/api/v1/tickets', { kind: 'suggestion', channel: 'letter', category: 'training', title, description: '第一行\n\t第二行 & <b>', owner: OWNER });
  t.is(r.status, 201);
  const g = await s.coord.get(`/api/v1/tickets/${r.body.id}`);
  t.is(g.body.title, title);
  t.is(g.body.description, '第一行\n\t第二行 & <b>');
});

/**
 * Defects found by the adversarial review, each pinned: the integrity reporter's id in the
 * timeline, concurrent audited reads, media types, encodings, roles before validation,
 * year bounds, re-dispatch to the same department, DIS receiving complaints.
 */
import test from 'ava';
import { gzipSync } from 'node:zlib';
import { startHarness, standardStaff, Harness, OWNER } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const report = {
  kind: 'integrity_report',
  channel: 'web',
  title: '索要财物',
  description: '经过',
  accused: { departmentCode: 'TAX', demand: 'property', amountYuan: '300.10', occurredOn: '2026-10-20' },
};
const count = async () => (await s.coord.get('/api/v1/tickets?limit=200')).body.items.length;

test.serial('the reporter of an integrity report is not named by the timeline, except to the reporter', async (t) => {
  const owner = await h.owner('13900000011');
  const r = await owner.post('/api/v1/tickets', report);
  t.is(r.status, 201);
  for (const [who, c] of [
    ['coordinator', s.coord],
    ['supervisor', s.sup],
    ['admin', h.admin],
  ] as const) {
    const ev = await c.get(`/api/v1/tickets/${r.body.id}/events`);
    t.is(ev.status, 200, who);
    t.deepEqual(ev.body.items[0].actor, { id: null, role: 'owner', masked: true }, who);
    t.false(ev.text.includes(owner.id), who);
  }
  const mine = await owner.get(`/api/v1/tickets/${r.body.id}/events`);
  t.deepEqual(mine.body.items[0].actor, { id: owner.id, role: 'owner' });
  // …and the reporter sees their own contact record on their own report.
  t.is((await owner.get(`/api/v1/tickets/${r.body.id}`)).body.contact.phone, '13900000011');
});

test.serial('concurrent audited reads by supervisors and an action beside them: all succeed, one event each, chain intact', async (t) => {
  const r = await s.intake.post('/api/v1/tickets', { ...report, channel: 'hotline', owner: OWNER });
  const id = r.body.id;
  const reads = await Promise.all(Array.from({ length: 12 }, () => s.sup.get(`/api/v1/tickets/${id}`)));
  const note = await s.sup.post(`/api/v1/tickets/${id}/note`, { text: '并行' });
  t.deepEqual(
    reads.map((x) => x.status),
    Array(12).fill(200),
  );
  t.is(note.status, 200);
  const ev = (await s.sup.get(`/api/v1/tickets/${id}/events`)).body.items;
  t.is(ev.filter((e: any) => e.type === 'identity_read').length, 12);
  t.deepEqual(
    ev.map((e: any) => e.seq),
    ev.map((_: unknown, i: number) => i + 1),
  );
  t.deepEqual((await s.sup.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: ev.length });
});

test.serial('a body that is not JSON is 415; a gzip body that does not decode is 400; nothing written', async (t) => {
  const before = await count();
  const form = await s.intake.req('POST', '/api/v1/tickets', 'kind=complaint&title=x', { 'content-type': 'application/x-www-form-urlencoded' });
  t.is(form.status, 415);
  t.is(form.body.code, 'unsupported-media-type');
  t.deepEqual(
    form.body.errors.map((e: any) => e.field),
    ['Content-Type'],
  );
  const text = await s.intake.req('POST', '/api/v1/tickets', '{"kind":"complaint"}', { 'content-type': 'text/plain' });
  t.is(text.status, 415);
  const badGzip = await s.intake.req('POST', '/api/v1/tickets', JSON.stringify({ kind: 'complaint' }), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  t.is(badGzip.status, 400);
  t.is(badGzip.body.code, 'malformed-body');
  const body = { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '压缩', description: '正文', owner: OWNER };
  const r = await fetch(`${(s.intake as any).base}/api/v1/tickets`, {
    method: 'POST',
    body: gzipSync(Buffer.from(JSON.stringify(body))),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${(s.intake as any).token}` },
  });
  t.is(r.status, 201); // a well-formed gzip body is fine
  t.is(await count(), before + 1);
});

test.serial('the role is checked before the body: a wrong role learns nothing of the schema', async (t) => {
  const owner = await h.owner('13900000012');
  for (const [path, method] of [
    ['/api/v1/users', 'POST'],
    ['/api/v1/calendar/2027', 'PUT'],
    ['/api/v1/sla-policies', 'PUT'],
    ['/api/v1/routing-rules', 'PUT'],
    ['/api/v1/symposiums', 'POST'],
    ['/api/v1/result-notices', 'POST'],
  ] as const) {
    const r = await owner.req(method, path, {});
    t.is(r.status, 403, path);
    t.is(r.body.code, 'forbidden', path);
    t.is(r.body.errors, undefined, path);
  }
});

test.serial('dates outside 2000–2100 are refused at the edge (no 500 from the calendar)', async (t) => {
  const cases: [string, string][] = [
    ['/api/v1/calendar/deadline?start=9999-12-31T00:00:00Z&workingDays=1', 'start'],
    ['/api/v1/reports/departments?from=9999-12-31&to=9999-12-31', 'from'],
  ];
  for (const [path, field] of cases) {
    const r = await s.coord.get(path);
    t.is(r.status, 400, path);
    t.true(
      r.body.errors.some((e: any) => e.field === field),
      path,
    );
  }
  const n = await s.coord.post('/api/v1/result-notices', { title: '公示', publishedOn: '9999-12-31', entries: [] });
  t.is(n.status, 400);
  t.true(n.body.errors.some((e: any) => e.field === 'publishedOn'));
});

test.serial('re-dispatch to the department that has the ticket, or any complaint to DIS, is refused', async (t) => {
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '改派', description: '正文', owner: OWNER });
  const same = await s.coord.post(`/api/v1/tickets/${r.body.id}/dispatch`, { departmentCode: 'TAX' });
  t.is(same.status, 422);
  t.deepEqual(
    same.body.errors.map((e: any) => [e.field, e.code]),
    [['departmentCode', 'same_department']],
  );
  const dis = await s.coord.post(`/api/v1/tickets/${r.body.id}/dispatch`, { departmentCode: 'DIS' });
  t.is(dis.status, 422);
  t.deepEqual(
    dis.body.errors.map((e: any) => [e.field, e.code]),
    [['departmentCode', 'discipline']],
  );
  const ev = (await s.coord.get(`/api/v1/tickets/${r.body.id}/events`)).body.items.map((e: any) => e.type);
  t.deepEqual(ev, ['created', 'dispatched']);
});

test.serial('booleans are booleans on every backend, also right after an insert', async (t) => {
  const r = await h.admin.post('/api/v1/users', { username: 'booly', password: 'Pw-booly-123!', name: 'b', role: 'handler', departmentCode: 'TAX' });
  t.is(r.body.isHead, false);
  t.is(r.body.active, true);
});

// Found in the final review: a returned ticket lost its cycle's pauses when recomputed.
// (It moves the clock forward: tests after it must not depend on the clock.)
test.serial("a return keeps the reply deadline: the cycle's pause still counts while the ticket waits for re-dispatch", async (t) => {
  h.clock.set(new Date('2026-11-02T09:30:00+08:00'));
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '暂停后退单', description: '正文', owner: OWNER });
  t.is(r.body.deadlines.replyBy, '2026-11-09T16:00:00.000Z'); // Nov 3, 4, 5, 6, 9 → Nov 10 00:00 local
  await s.tax.post(`/api/v1/tickets/${r.body.id}/sign`);
  await s.tax.post(`/api/v1/tickets/${r.body.id}/request-info`, { message: '请补充材料' });
  h.clock.set(new Date('2026-11-04T10:00:00+08:00'));
  const sup = await s.intake.post(`/api/v1/tickets/${r.body.id}/supplement`, { message: '已补充' });
  t.is(sup.body.deadlines.replyBy, '2026-11-11T16:00:00.000Z'); // the pause adds Nov 3 and 4
  const ret = await s.tax.post(`/api/v1/tickets/${r.body.id}/return`, { reason: '不属于本部门' });
  t.is(ret.body.state, 'registered');
  t.is(ret.body.deadlines.replyBy, '2026-11-11T16:00:00.000Z');
});

test.serial('SLA policies: a (kind, priority) twice, or a sign-for period not shorter than the reply period, is refused', async (t) => {
  const p = { kind: 'complaint', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 5, replyUnit: 'working_days' };
  const twice = await h.admin.put('/api/v1/sla-policies', { items: [p, p] });
  t.is(twice.status, 422);
  t.deepEqual(
    twice.body.errors.map((e: any) => e.field),
    ['items.1'],
  );
  const inverted = await h.admin.put('/api/v1/sla-policies', { items: [{ ...p, signAmount: 20, replyAmount: 1 }] });
  t.is(inverted.status, 422);
  t.deepEqual(
    inverted.body.errors.map((e: any) => e.field),
    ['items.0.signAmount'],
  );
  const stored = (await h.admin.get('/api/v1/sla-policies')).body.items.find((x: any) => x.kind === 'complaint' && x.priority === 'normal');
  t.like(stored, { signAmount: 1, replyAmount: 5 });
});

test.serial('the symposium list validates its paging and walks pages with the cursor', async (t) => {
  for (const q of ['limit=abc', 'limit=-1', 'cursor=%25%25%25']) {
    const r = await s.coord.get(`/api/v1/symposiums?${q}`);
    t.is(r.status, 400, q);
  }
  for (const title of ['一', '二', '三']) await s.intake.post('/api/v1/symposiums', { title, heldOn: '2026-11-01' });
  const first = await s.coord.get('/api/v1/symposiums?limit=2');
  t.is(first.body.items.length, 2);
  const second = await s.coord.get(`/api/v1/symposiums?limit=2&cursor=${first.body.nextCursor}`);
  t.deepEqual(
    [...first.body.items, ...second.body.items]
      .map((x: any) => x.title)
      .filter((x: string) => ['一', '二', '三'].includes(x))
      .sort(),
    ['一', '三', '二'].sort(),
  );
});

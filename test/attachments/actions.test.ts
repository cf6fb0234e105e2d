import test from 'ava';
import { Readable } from 'node:stream';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';
import { form, gpsJpeg, pdf, png, sha256, storedKeys } from './fixtures';
import { stageFile } from '../../src/uploads/stage';
import { sweepOnce, SWEEP_TASKS } from '../../src/jobs/sweep';
import { finalKey, stagingKey } from '../../src/storage/blob-store';

type Staff = Awaited<ReturnType<typeof standardStaff>>;
let h: Harness;
let s: Staff;
let owner: Client & { id: string };

test.before(async () => {
  h = await startHarness();
  s = await standardStaff(h);
  owner = await h.owner();
});
test.after.always(async () => {
  await h?.close();
});

const COMPLAINT = { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '多收税费', description: '定额税偏高，附收据。' };
const payload = (body: unknown) => ({ payload: JSON.stringify(body) });
const rows = async () => Number((await h.deps.db.query('SELECT COUNT(*) AS n FROM ticket_attachment'))[0].n);
const eventOf = async (cl: Client, id: string, type: string) => (await cl.get(`/api/v1/tickets/${id}/events`)).body.items.filter((e: any) => e.type === type);

test.serial('files on create (signed in and account-less), supplement, reply and the oversight answer; each in its event', async (t) => {
  const c = await owner.form(
    '/api/v1/tickets',
    form(
      [
        ['收据.jpg', await gpsJpeg()],
        ['通知.pdf', pdf()],
      ],
      payload(COMPLAINT),
    ),
  );
  t.is(c.status, 201, c.text);
  t.is(c.body.state, 'dispatched');
  t.deepEqual(
    c.body.attachments.map((a: any) => [a.name, a.type]),
    [
      ['收据.jpg', 'image/jpeg'],
      ['通知.pdf', 'application/pdf'],
    ],
  );
  const id = c.body.id;
  const [created] = await eventOf(owner, id, 'created');
  t.deepEqual(
    created.payload.attachments,
    c.body.attachments.map(({ name: _n, ...ref }: any) => ref),
  );

  // the department asks for information; the owner supplements with a photo; the department replies with its stamped answer
  await s.tax.post(`/api/v1/tickets/${id}/sign`);
  await s.tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供缴费凭证' });
  const sup = await owner.form(`/api/v1/tickets/${id}/supplement`, form([['凭证.png', await png()]], { message: '凭证见附件' }));
  t.is(sup.status, 200, sup.text);
  t.is(sup.body.state, 'in_progress');
  const rep = await s.tax.form(`/api/v1/tickets/${id}/reply`, form([['答复函.pdf', pdf(100)]], payload({ outcome: 'resolved', message: '已退还多收税款，答复函见附件。' })), {
    'if-match': `"${sup.body.version}"`,
  });
  t.is(rep.status, 200, rep.text);
  t.is(rep.body.state, 'replied');
  const list = (await owner.get(`/api/v1/tickets/${id}/attachments`)).body.items;
  t.deepEqual(
    list.map((a: any) => [a.name, a.context, a.internal, a.by]),
    [
      ['收据.jpg', 'create', false, 'owner'],
      ['通知.pdf', 'create', false, 'owner'],
      ['凭证.png', 'supplement', false, 'owner'],
      ['答复函.pdf', 'reply', false, 'handler'],
    ],
  );
  const [replied] = await eventOf(owner, id, 'replied');
  t.deepEqual(replied.payload.attachments, [{ id: rep.body.attachments[0].id, sha256: sha256(pdf(100)), size: pdf(100).length, type: 'application/pdf' }]);
  t.is(list[3].eventSeq, replied.seq);
  t.deepEqual((await owner.get(`/api/v1/tickets/${id}/events/verify`)).body.ok, true);

  // an action that takes no files refuses multipart; files on it are never stored
  const before = await rows();
  const sign = await s.coord.form(`/api/v1/tickets/${id}/note`, form([['x.pdf', pdf()]], { text: 'x' }));
  t.deepEqual([sign.status, sign.body.code], [415, 'unsupported-media-type']);

  // an oversight order answered with material: internal, for staff
  const c2 = (await owner.post('/api/v1/tickets', COMPLAINT)).body;
  t.is((await s.coord.post(`/api/v1/tickets/${c2.id}/escalate`, { level: 2, note: '群众反映强烈' })).status, 200);
  const order = (await s.coord.get(`/api/v1/oversight?ticketId=${c2.id}`)).body.items[0];
  const bad = await s.hrss.form(`/api/v1/oversight/${order.id}/respond`, form([['x.pdf', pdf()]], { message: 'x' }));
  t.is(bad.status, 404);
  const ans = await s.tax.form(`/api/v1/oversight/${order.id}/respond`, form([['整改报告.pdf', pdf(10)]], { message: '已整改，报告见附件' }));
  t.is(ans.status, 200, ans.text);
  t.is(ans.body.state, 'responded');
  const [responded] = await eventOf(s.coord, c2.id, 'oversight_responded');
  t.is(responded.payload.attachments[0].id, ans.body.attachments[0].id);
  t.deepEqual(
    (await s.coord.get(`/api/v1/tickets/${c2.id}/attachments`)).body.items.map((a: any) => [a.context, a.internal]),
    [['oversight_response', true]],
  );
  t.deepEqual((await owner.get(`/api/v1/tickets/${c2.id}/attachments`)).body.items, []);
  t.is(await rows(), before + 1);
});

test.serial('the account-less submitter: files on create, then with the access code (list, download, attach, supplement)', async (t) => {
  const c = await h.http.form(
    '/api/v1/tickets',
    form(
      [['摊派通知.jpg', await gpsJpeg()]],
      payload({
        kind: 'integrity_report',
        channel: 'web',
        title: '摊派赞助费',
        description: '不交就不给年检。',
        anonymous: true,
        accused: { departmentCode: 'SAMR', demand: 'levy', amountYuan: '200', occurredOn: '2026-10-01' },
      }),
    ),
  );
  t.is(c.status, 201, c.text);
  t.regex(c.body.accessCode, /^[A-Z2-9]{10}$/);
  const { number, accessCode: code } = c.body;
  const mine = await h.http.get(`/api/v1/track/${number}/attachments?code=${code}`);
  t.deepEqual(
    mine.body.items.map((a: any) => [a.name, a.by]),
    [['摊派通知.jpg', 'anonymous']],
  );
  const got = await h.http.raw('GET', `/api/v1/track/${number}/attachments/${mine.body.items[0].id}?code=${code}`);
  t.is(sha256(got.bytes), mine.body.items[0].sha256);
  // a wrong code: 404, nothing stored
  const before = await rows();
  const wrong = await h.http.form(`/api/v1/track/${number}/attachments`, form([['x.pdf', pdf()]], { code: 'WRONGCODE1' }));
  t.is(wrong.status, 404);
  t.is((await h.http.get(`/api/v1/track/${number}/attachments/${mine.body.items[0].id}?code=WRONGCODE1`)).status, 404);
  t.is(await rows(), before);
  // the code must come before the files
  const late = new FormData();
  late.append('file', new Blob([pdf()]), 'x.pdf');
  late.append('code', code);
  t.is((await h.http.form(`/api/v1/track/${number}/attachments`, late)).status, 400);
  const add = await h.http.form(`/api/v1/track/${number}/attachments`, form([['转账记录.png', await png()]], { code }));
  t.is(add.status, 201, add.text);
  t.deepEqual(
    add.body.items.map((a: any) => [a.name, a.by, a.internal]),
    [['转账记录.png', 'access_code', false]],
  );
  // the supervisors asked for more; the submitter answers with the code and a file
  const sup = await h.staff('sup2', 'supervisor', 'DIS');
  await sup.post(`/api/v1/tickets/${c.body.id}/sign`);
  await sup.post(`/api/v1/tickets/${c.body.id}/request-info`, { message: '请补充收款凭证' });
  const more = await h.http.form(`/api/v1/track/${number}/supplement`, form([['收款凭证.pdf', pdf()]], { code, message: '见附件' }));
  t.is(more.status, 200, more.text);
  t.is(more.body.state, 'in_progress');
  t.deepEqual(
    (await h.http.get(`/api/v1/track/${number}/attachments?code=${code}`)).body.items.map((a: any) => a.context),
    ['create', 'attach', 'supplement'],
  );
  t.deepEqual(
    (await sup.get(`/api/v1/tickets/${c.body.id}/attachments`)).body.items.map((a: any) => a.name),
    ['attachment-1.jpg', 'attachment-2.png', 'attachment-3.pdf'],
  );
});

test.serial('a rolled-back action leaves no file; a replayed create stores nothing twice', async (t) => {
  const c = (await owner.post('/api/v1/tickets', COMPLAINT)).body;
  await s.tax.post(`/api/v1/tickets/${c.id}/sign`);
  const keys = storedKeys(h);
  const n = await rows();
  // a stale If-Match passes every check made before the files are stored and fails in the transaction
  const stale = await s.tax.form(
    `/api/v1/tickets/${c.id}/reply`,
    form(
      [
        ['答复.pdf', pdf()],
        ['照片.jpg', await gpsJpeg()],
      ],
      payload({ outcome: 'resolved', message: '已处理' }),
    ),
    { 'if-match': '"1"' },
  );
  t.deepEqual([stale.status, stale.body.code], [412, 'version-mismatch']);
  t.is(await rows(), n);
  t.deepEqual(storedKeys(h), keys);
  t.is((await eventOf(s.tax, c.id, 'replied')).length, 0);
  // an invalid payload with files: 400 before any file is stored
  const invalid = await s.tax.form(`/api/v1/tickets/${c.id}/reply`, form([['答复.pdf', pdf()]], payload({ outcome: 'maybe', message: 'x' })));
  t.deepEqual([invalid.status, invalid.body.errors[0].field], [400, 'outcome']);
  t.deepEqual(storedKeys(h), keys);

  const f = () => form([['收据.pdf', pdf(7)]], payload(COMPLAINT));
  const first = await owner.form('/api/v1/tickets', f(), { 'idempotency-key': 'attach-create-1' });
  const again = await owner.form('/api/v1/tickets', f(), { 'idempotency-key': 'attach-create-1' });
  t.is(first.status, 201);
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.is(again.body.id, first.body.id);
  t.is(await rows(), n + 1);
  t.is(storedKeys(h).length, keys.length + 1);
  const other = await owner.form('/api/v1/tickets', form([['收据.pdf', pdf(8)]], payload(COMPLAINT)), { 'idempotency-key': 'attach-create-1' });
  t.deepEqual([other.status, other.body.code], [422, 'idempotency-key-reused']);
  t.is(storedKeys(h).length, keys.length + 1);
});

test.serial('the orphan sweep deletes staged files no row refers to and finishes moves a crash left', async (t) => {
  const store = h.deps.storage;
  const orphan = await stageFile(h.deps.uploads, { name: 'lost.pdf', stream: Readable.from([pdf()]) });
  const c = await owner.form('/api/v1/tickets', form([['kept.pdf', pdf(3)]], payload(COMPLAINT)));
  const kept = c.body.attachments[0].id;
  // as if the process stopped between the commit and the move
  await store.move(finalKey(kept), stagingKey(kept));
  t.true(storedKeys(h).includes(stagingKey(orphan.id)));
  // still readable meanwhile
  t.is((await owner.bytes(`/api/v1/tickets/${c.body.id}/attachments/${kept}`)).status, 200);
  const env = { storage: store, uploadTmpDir: h.deps.uploads.tmpDir };
  // within the grace period nothing is touched (an upload may be under way)
  await sweepOnce(h.deps.db, h.clock.now(), async () => true, { tasks: SWEEP_TASKS, env });
  t.true(storedKeys(h).includes(stagingKey(orphan.id)));
  await sweepOnce(h.deps.db, new Date(Date.now() + 2 * 3600_000), async () => true, { tasks: SWEEP_TASKS, env });
  t.false(storedKeys(h).some((k) => k.startsWith('staging/')));
  t.true(storedKeys(h).includes(finalKey(kept)));
  t.false(storedKeys(h).some((k) => k.includes(orphan.id)));
  t.is(sha256((await owner.bytes(`/api/v1/tickets/${c.body.id}/attachments/${kept}`)).bytes), sha256(pdf(3)));
});

test.serial('a conclusion with files: the answer reaches the reporter; staff other than supervisors see none of it', async (t) => {
  const r = (
    await owner.post('/api/v1/tickets', {
      kind: 'integrity_report',
      channel: 'web',
      title: '检查人员索要购物卡',
      description: '要求购买购物卡。',
      accused: { departmentCode: 'TAX', demand: 'property', occurredOn: '2026-10-10' },
    })
  ).body;
  await s.sup.post(`/api/v1/tickets/${r.id}/sign`);
  const done = await s.sup.form(`/api/v1/tickets/${r.id}/conclude`, form([['调查结论.pdf', pdf(5)]], payload({ finding: 'substantiated', summary: '经查属实，已立案处理。' })));
  t.is(done.status, 200, done.text);
  t.is(done.body.state, 'replied');
  const [concluded] = await eventOf(s.sup, r.id, 'concluded');
  t.deepEqual(concluded.payload.attachments, [{ id: done.body.attachments[0].id, sha256: sha256(pdf(5)), size: pdf(5).length, type: 'application/pdf' }]);
  t.deepEqual(
    (await owner.get(`/api/v1/tickets/${r.id}/attachments`)).body.items.map((a: any) => [a.name, a.context]),
    [['调查结论.pdf', 'conclude']],
  );
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${r.id}/attachments`)).body.items, []);
  t.is((await s.tax.get(`/api/v1/tickets/${r.id}/attachments`)).status, 404);
});

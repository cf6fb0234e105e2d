/**
 * What the pages say about the submitter's contact details matches who sees them (docs/decisions/core.md
 * "Personal data"; a newcomer found the owner form promising that the department would call while the
 * handler saw the phone masked): the form says the platform texts and mails, the 12345 hotline calls
 * back and the department sees part of the number; the handler's ticket page says how to reach the
 * submitter and offers 显示完整电话 (recorded as `contact_read`, docs/decisions/core.md); the
 * coordinator sees the whole number and no such hint.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, OWNER } from '../helpers/harness';
import { Browserless } from '../helpers/browserless';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const HINT = '电话默认只显示一部分。要提交人补充材料，请用“请提交人补充材料”，平台会用短信和邮件转达；要打电话了解情况或约定上门核实，可以显示完整电话。满意度回访由12345热线负责。';
const REVEAL = (id: string) =>
  `<p><a class="button button--secondary" href="/work/tickets/${id}?contact=1" id="contact-reveal">显示完整电话</a></p><p class="hint" id="contact-reveal-hint">每次查看都会记录在办理过程中。</p>`;
const signedIn = async (username: string, password = `Pw-${username}-123!`) => {
  const b = new Browserless(h.url);
  if ((await b.post('/account/sign-in', { phone: username, password }, '/account/sign-in')).status !== 303) throw new Error(`sign-in ${username}`);
  return b;
};

test.serial('the contact fields say who uses them; the handler sees part of the phone and how to reach the submitter, the coordinator the whole number', async (t) => {
  const form = await new Browserless(h.url).get('/submit/complaint');
  t.true(
    form.text.includes(
      '<p class="hint" id="contact-use">平台会用这些信息把办理进度告诉您（短信、邮件），需要时12345热线会打电话回访您；办理部门平时只看到部分电话号码，需要打电话向您了解情况时才显示完整号码，每次查看都有记录，您的信息不会公开。</p>',
    ),
  );
  // an integrity reporter is told nothing of a department's call: no department sees the reporter
  const report = await new Browserless(h.url).get('/submit/integrity');
  t.true(report.text.includes('办理部门只看到部分电话号码，您的信息不会公开。</p>'));
  t.false(report.text.includes('显示完整号码'));
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '定额税偏高', description: '营业额下降，定额没有调整。', owner: OWNER });
  t.is(r.status, 201, r.text);
  const page = async (username: string) => {
    const b = new Browserless(h.url);
    t.is((await b.post('/account/sign-in', { phone: username, password: `Pw-${username}-123!` }, '/account/sign-in')).status, 303);
    return (await b.get(`/work/tickets/${r.body.id}`)).text;
  };
  const handler = await page('tax1');
  t.true(handler.includes('<dd>138****1234</dd>'), 'masked for the handler');
  t.false(handler.includes(OWNER.phone));
  t.true(handler.includes(`<p class="hint" id="contact-masked-hint">${HINT}</p>`));
  t.true(handler.includes(REVEAL(r.body.id)));
  const coord = await page('coord1');
  t.true(coord.includes(`<dd>${OWNER.phone}</dd>`), 'whole for the coordinator');
  t.false(coord.includes('contact-masked-hint'));
  t.false(coord.includes('显示完整电话'));
});

const contactReads = async (id: string) =>
  ((await h.deps.db.query(`SELECT actor_id, actor_role FROM ticket_event WHERE ticket_id = '${id}' AND type = 'contact_read' ORDER BY seq`)) as { actor_id: string; actor_role: string }[]).map((e) => [
    e.actor_id,
    e.actor_role,
  ]);

test.serial('显示完整电话 (no JavaScript): the handler of the department sees the whole phone at ?contact=1, each time one contact_read in the timeline; the owner never sees it', async (t) => {
  const owner = await h.owner('13900005678');
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '门前占道处罚', description: '需要现场看一下。' });
  t.is(r.status, 201, r.text);
  const id = r.body.id as string;
  const ownerBrowser = await signedIn('13900005678', 'Owner-Pw-123!');
  const track = async () => (await ownerBrowser.get(`/track?number=${r.body.number}`)).text;
  const steps = (page: string) => page.split('class="timeline__item"').length - 1;
  const trackedBefore = steps(await track());
  t.true(trackedBefore > 0);

  const tax = await signedIn('tax1');
  const plain = (await tax.get(`/work/tickets/${id}`)).text;
  t.true(plain.includes('<dd>139****5678</dd>'));
  t.true(plain.includes(REVEAL(id)));
  t.deepEqual(await contactReads(id), [], 'opening the page records nothing');

  const shown = await tax.get(`/work/tickets/${id}?contact=1`);
  t.is(shown.status, 200);
  t.true(shown.text.includes('<dd>13900005678</dd>'), 'the whole number');
  t.false(shown.text.includes('139****5678'));
  t.false(shown.text.includes('id="contact-reveal"'), 'no link while it is shown');
  t.true(shown.text.includes('<p class="hint" id="contact-revealed-hint">完整电话只在这次显示，本次查看已记录在办理过程中。</p>'));
  t.true(shown.text.includes('查看提交人完整电话（已记录）'), 'the read is in the timeline of the page');
  t.deepEqual(await contactReads(id), [[s.tax.id, 'handler']]);
  // the next plain visit is masked again; a second reveal is a second record
  t.true((await tax.get(`/work/tickets/${id}`)).text.includes('<dd>139****5678</dd>'));
  t.true((await tax.get(`/work/tickets/${id}?contact=1`)).text.includes('<dd>13900005678</dd>'));
  t.deepEqual(await contactReads(id), [
    [s.tax.id, 'handler'],
    [s.tax.id, 'handler'],
  ]);

  // another department: no such ticket; the coordinator: the whole number, no link, nothing recorded
  t.is((await (await signedIn('hrss1')).get(`/work/tickets/${id}?contact=1`)).status, 404);
  const coord = (await (await signedIn('coord1')).get(`/work/tickets/${id}?contact=1`)).text;
  t.true(coord.includes('<dd>13900005678</dd>'));
  t.false(coord.includes('显示完整电话'));
  t.is((await contactReads(id)).length, 2);

  // the owner's own views do not show who looked at the number
  const tracked = await track();
  t.is(steps(tracked), trackedBefore);
  t.false(tracked.includes('完整电话'));
  t.false((await owner.get(`/api/v1/tickets/${id}/events`)).body.items.some((e: any) => e.type === 'contact_read'));
});

test.serial('no 显示完整电话 on an anonymous ticket or once the department no longer holds it', async (t) => {
  const anon = await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '匿名反映', description: '内容', anonymous: true });
  t.is(anon.status, 201, anon.text);
  const tax = await signedIn('tax1');
  const a = await tax.get(`/work/tickets/${anon.body.id}?contact=1`);
  t.is(a.status, 200);
  t.true(a.text.includes('匿名提交，没有联系方式。'));
  t.false(a.text.includes('显示完整电话'));
  t.deepEqual(await contactReads(anon.body.id), []);

  const owner = await h.owner('13900007777');
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '已解决', description: '内容' });
  t.is((await owner.post(`/api/v1/tickets/${r.body.id}/withdraw`, {})).status, 200);
  const late = (await tax.get(`/work/tickets/${r.body.id}?contact=1`)).text;
  t.true(late.includes('<dd>139****7777</dd>'));
  t.false(late.includes('显示完整电话'));
  t.true(late.includes('<p class="hint" id="contact-masked-hint">办理部门看到的电话只显示一部分。'));
  t.deepEqual(await contactReads(r.body.id), []);
});

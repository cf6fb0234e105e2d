/**
 * What the pages say about the submitter's contact details matches who sees them (docs/decisions/core.md
 * "Personal data"; a newcomer found the owner form promising that the department would call while the
 * handler saw the phone masked): the form says the platform texts and mails, the 12345 hotline calls
 * back and the department sees part of the number; the handler's ticket page says how to reach the
 * submitter; the coordinator sees the whole number and no such hint.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, OWNER } from '../helpers/harness';
import { Browserless } from '../helpers/browserless';

let h: Harness;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
});
test.after.always(async () => {
  await h?.close();
});

const HINT = '办理部门看到的电话只显示一部分。需要提交人补充情况时，请用“请提交人补充材料”，平台会用短信和邮件转达；电话回访由12345热线负责。';

test.serial('the contact fields say who uses them; the handler sees part of the phone and how to reach the submitter, the coordinator the whole number', async (t) => {
  const s = await standardStaff(h);
  const form = await new Browserless(h.url).get('/submit/complaint');
  t.true(form.text.includes('<p class="hint" id="contact-use">平台会用这些信息把办理进度告诉您（短信、邮件），需要时12345热线会打电话回访您；办理部门只看到部分电话号码，您的信息不会公开。</p>'));
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
  const coord = await page('coord1');
  t.true(coord.includes(`<dd>${OWNER.phone}</dd>`), 'whole for the coordinator');
  t.false(coord.includes('contact-masked-hint'));
});

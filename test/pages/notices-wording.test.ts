/**
 * What the pages say after a newcomer's steps (plain HTTP): a dispatch names the ticket and the
 * department it went to, on the board and on the ticket page; a rating of 不满意 says the ticket
 * went back to the department and what happens next (a good one that it is closed); the
 * handler's reply sent without a choice says 请选择办理结果; an old receipt opened in another
 * browser has a heading that says what happened.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
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

async function signedIn(username: string) {
  const b = new Browserless(h.url);
  const r = await b.post('/account/sign-in', { phone: username, password: `Pw-${username}-123!` }, '/account/sign-in');
  if (r.status !== 303) throw new Error(`sign-in ${username}: ${r.status}`);
  return b;
}
/** The success notice of a page (the `.inset--done` or `[role=status]` box), tags stripped. */
const notice = (html: string) =>
  /<div class="inset[^"]*" role="status">([\s\S]*?)<\/div>/
    .exec(html)?.[1]
    .replace(/<[^>]+>/g, '')
    .trim() ?? null;
const version = async (id: string) => String((await s.coord.get(`/api/v1/tickets/${id}`)).body.version);

/** A call taken by intake and returned by TAX: on the coordinator's board, waiting. */
async function waiting(title: string) {
  const c = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title, description: 'd', owner: { name: '王五', phone: '13912345678' } });
  if (c.status !== 201) throw new Error(c.text);
  await s.tax.post(`/api/v1/tickets/${c.body.id}/return`, { reason: '不属于本部门职责。' });
  return c.body as { id: string; number: string; accessCode: string };
}

test.serial('a dispatch says which ticket went to which department, on the board and on the ticket page', async (t) => {
  const a = await waiting('派单提示一');
  const b2 = await waiting('派单提示二');
  const b = await signedIn('coord1');
  const fromBoard = await b.post(`/work/tickets/${a.id}/dispatch`, { version: await version(a.id), back: '/work', departmentCode: 'HRSS' }, '/work');
  t.is(fromBoard.status, 303);
  t.is(fromBoard.headers.get('location'), '/work');
  const board = await b.get('/work');
  t.is(notice(board.text), `已把 ${a.number} 分派给区人力社保局。`);
  t.is(notice((await b.get('/work')).text), null, 'once');
  const fromTicket = await b.post(`/work/tickets/${b2.id}/dispatch`, { version: await version(b2.id), departmentCode: 'SAMR' }, `/work/tickets/${b2.id}`);
  t.is(fromTicket.status, 303);
  t.is(notice((await b.get(`/work/tickets/${b2.id}`)).text), `已把 ${b2.number} 分派给区市场监管局。`);
});

test.serial("the owner's rating: 不满意 says the ticket went back to the department and what comes next; 满意 that it is closed", async (t) => {
  for (const [rating, expected] of [
    ['dissatisfied', /^谢谢您的评价。您对答复不满意，工单已经退回区税务局重新办理，答复期限重新计算，最晚在2026年\d+月\d+日（周.）24:00前答复您。新的答复出来后，请您再次评价。$/],
    ['satisfied', /^谢谢您的评价，这件工单已经办结。$/],
  ] as const) {
    const c = await s.intake.post('/api/v1/tickets', {
      kind: 'complaint',
      channel: 'hotline',
      category: 'tax_fees',
      title: `评价${rating}`,
      description: 'd',
      owner: { name: '王五', phone: '13912345678' },
    });
    await s.tax.post(`/api/v1/tickets/${c.body.id}/sign`, {});
    t.is((await s.tax.post(`/api/v1/tickets/${c.body.id}/reply`, { outcome: 'resolved', message: '已处理。' })).status, 200);
    const o = new Browserless(h.url);
    t.is((await o.post('/track', { number: c.body.number, code: c.body.accessCode }, '/track')).status, 303);
    const rated = await o.post('/track/rate', { number: c.body.number, code: c.body.accessCode, rating }, `/track?number=${c.body.number}`);
    t.is(rated.status, 303, rated.text.slice(0, 200));
    const page = await o.get(`/track?number=${c.body.number}`);
    t.regex(notice(page.text) ?? '', expected, rating);
    t.is((await s.coord.get(`/api/v1/tickets/${c.body.id}`)).body.state, rating === 'satisfied' ? 'closed' : 'dispatched');
  }
});

test.serial("the handler's reply sent without a choice: 请选择办理结果 next to the field and in the summary, not the generic words", async (t) => {
  const c = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '空的答复', description: 'd', owner: { name: '王五', phone: '13912345678' } });
  await s.tax.post(`/api/v1/tickets/${c.body.id}/sign`, {});
  const b = await signedIn('tax1');
  const page = `/work/tickets/${c.body.id}`;
  const r = await b.multipart(`${page}/reply`, { _csrf: await b.csrf(page), version: await version(c.body.id), message: '' }, []);
  t.is(r.status, 400);
  t.true(r.text.includes('<a href="#f-reply-outcome">请选择办理结果。</a>'), 'in the summary');
  t.regex(r.text, /id="f-reply-outcome-error"><span class="visually-hidden">错误：<\/span>请选择办理结果。/);
  t.false(r.text.includes('请从给出的选项中选择。'));
  // a value made up (not one of the options) keeps the words for that
  const made = await b.multipart(`${page}/reply`, { _csrf: await b.csrf(page), version: await version(c.body.id), outcome: 'maybe', message: '答复' }, []);
  t.is(made.status, 400);
  t.true(made.text.includes('请从给出的选项中选择。'));
});

test.serial('an old receipt opened in another browser: 410 with a heading that says what happened', async (t) => {
  const b = new Browserless(h.url);
  const form = { formKey: '7f3a8c2d-4b5e-4f60-8a12-c3d4e5f6a7b8', kind: 'complaint', category: 'tax_fees', title: '回执', description: 'd', 'owner.name': '孙七', 'owner.phone': '13900000017' };
  const r = await b.post('/submit/complaint', form);
  t.is(r.status, 303);
  const gone = await new Browserless(h.url).get(r.headers.get('location')!);
  t.is(gone.status, 410);
  t.true(gone.text.includes('<h1 class="heading-l">回执只在提交时的浏览器里显示30分钟</h1>'));
  t.false(gone.text.includes('无法完成操作'));
  t.regex(gone.text, /请凭工单编号和查询码查询办理进度/);
});

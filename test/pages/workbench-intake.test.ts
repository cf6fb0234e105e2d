/**
 * The workbench pages of intake, symposiums, result notices and the department head, in a
 * real browser at 1366×768 (issue 10): intake registers a call, is shown the caller's earlier
 * ticket as a possible duplicate, registers anyway and reads out the number and access code;
 * "the same problem" registers nothing; answer-at-intake; the callback list records a rating.
 * Every page visited gets an axe check; SCREENSHOTS=1 writes docs/screenshots/work-*.png.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { afterPost, DESKTOP, openBrowser, look, staffSignIn, text, TestBrowser } from '../helpers/browser';

const CALLER = { name: '王五', phone: '13912345678' };
let h: Harness;
let b: TestBrowser;
let s: Awaited<ReturnType<typeof standardStaff>>;

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
  b = await openBrowser();
});
test.after.always(async () => {
  await b?.close();
  await h?.close();
});

const signIn = (username: string, page?: Page) => staffSignIn(b, h.url, username, { page });

/** A call registered by intake through the API. */
async function call(body: Record<string, unknown> = {}) {
  const r = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税核定偏高',
    description: '营业额下降了三成，定额没有调整。',
    owner: CALLER,
    ...body,
  });
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; number: string; accessCode: string };
}
const api = async (id: string) => (await s.coord.get(`/api/v1/tickets/${id}`)).body;
const countTickets = async () => {
  let n = 0;
  let cursor: string | null = null;
  do {
    const r: { body: { items: unknown[]; nextCursor: string | null } } = await s.coord.get(`/api/v1/tickets?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    n += r.body.items.length;
    cursor = r.body.nextCursor;
  } while (cursor);
  return n;
};

/** Fills the call form with a caller's complaint about the tax. */
async function fillCall(p: Page, o: { title: string; phone?: string; name?: string }) {
  await p.selectOption('#f-category', 'tax_fees');
  await p.fill('#f-title', o.title);
  await p.fill('#f-description', '来电人说营业额下降，定额税没有调整。');
  await p.fill('#f-owner-name', o.name ?? CALLER.name);
  await p.fill('#f-owner-phone', o.phone ?? CALLER.phone);
}

test.serial("intake registers a call, sees the caller's earlier ticket as a possible duplicate, saves anyway and reads out the number and access code", async (t) => {
  const earlier = await call({ title: '十月反映过的定额税' });
  const p = await signIn('intake1');
  t.is(p.url(), `${h.url}/work/call`, 'intake lands on the call form');
  t.is(await text(p, 'h1'), '登记来电');
  t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['登记来电', '回访', '工单', '座谈会']);
  t.is(await p.inputValue('#f-receivedAt'), '2026-11-02T09:00', 'the call is now, Beijing time');
  await look(t, p, 'work-call');

  // an empty form: the operator's messages, nothing saved
  const before = await countTickets();
  await p.click('main button:has-text("登记")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), [
    '请选择问题的类别；不确定的，请选“其他”。',
    '请用一句话记下来电人反映的问题。',
    '请记下具体情况：发生了什么、在哪里、什么时候、希望怎么解决。',
    '请填写来电人的姓名，或勾选“来电人不愿留下姓名”。',
    '请填写来电人的手机号码。',
  ]);

  // the first save shows the caller's earlier ticket and asks
  await fillCall(p, { title: '定额税又核高了' });
  await p.fill('#f-receivedAt', '2026-11-02T08:40');
  await p.check('#f-urgent');
  await p.click('main button:has-text("登记")');
  t.regex(await text(p, '.work-dupes'), /来电人以前反映过 1 件事/);
  const dupRow = p.locator('#dupes tr', { hasText: earlier.number });
  t.regex((await dupRow.textContent()) ?? '', /十月反映过的定额税\s*待签收/);
  t.is(await countTickets(), before, 'nothing saved before the operator chooses');
  t.is(await p.inputValue('#f-title'), '定额税又核高了', 'the form keeps what was typed');
  await look(t, p, 'work-call-duplicates');

  await p.click('button:has-text("不是同一问题，登记为新工单")');
  t.is(await text(p, 'h1'), '已登记');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  t.regex(number, /^FL2026\d{6}$/);
  t.regex(code, /^\S{6,}$/);
  t.regex(await text(p, '.work-receipt + p'), /已按类别分派到 区税务局/);
  await look(t, p, 'work-call-receipt');
  const tracked = await h.http.get(`/api/v1/track/${number}?code=${encodeURIComponent(code)}`);
  t.is(tracked.status, 200, 'the code read out opens the ticket');
  const list = (await s.coord.get(`/api/v1/tickets?q=${number}`)).body.items;
  t.is(list.length, 1);
  const saved = await api(list[0].id);
  t.like(saved, { channel: 'hotline', priority: 'urgent', category: 'tax_fees', state: 'dispatched', departmentCode: 'TAX', receivedAt: '2026-11-02T00:40:00.000Z' });
  t.like(saved.contact, { name: CALLER.name, phone: CALLER.phone });

  // a second tap on the same form (back button, resend) shows the same receipt, no second ticket
  t.is(await countTickets(), before + 1);
});

test.serial('"the same problem" registers nothing and opens the earlier ticket with the note form', async (t) => {
  const earlier = await call({ title: '门面租金问题', category: 'other', owner: { name: '赵六', phone: '13700001111' } });
  const before = await countTickets();
  const p = await signIn('intake1');
  await fillCall(p, { title: '又打电话问门面租金', name: '赵六', phone: '13700001111' });
  await p.click('main button:has-text("登记")');
  t.is(await afterPost(p, () => p.locator('#dupes tr', { hasText: earlier.number }).locator('button:has-text("是同一问题")').click()), `${h.url}/work/tickets/${earlier.id}`);
  t.is(await text(p, '.inset--done'), '没有登记新工单：来电人反映的是这件工单的同一问题，请把新情况记在这件工单上。');
  t.true(await p.locator('#act-note').evaluate((d) => (d as unknown as { open: boolean }).open));
  t.is(await countTickets(), before);
});

test.serial('a phone typed with full-width digits (a Chinese input method) is the same number: registered as ASCII, and earlier tickets of that number found', async (t) => {
  const p = await signIn('intake1');
  await fillCall(p, { title: '全角数字的来电号码', name: '孙八', phone: '１３７０００２２２２２' });
  await p.click('main button:has-text("登记")');
  t.is(await text(p, 'h1'), '已登记', 'no message on the phone: it is a valid number');
  const number = await text(p, '#ticket-number');
  const list = (await s.coord.get(`/api/v1/tickets?q=${number}`)).body.items;
  t.like((await api(list[0].id)).contact, { name: '孙八', phone: '13700022222' });
  // the same caller again, typed in full width: the ticket just registered is offered as the same problem
  await p.goto(`${h.url}/work/call`);
  await fillCall(p, { title: '再次来电', name: '孙八', phone: '１３７０００２２２２２' });
  await p.click('main button:has-text("登记")');
  t.regex(await text(p, '.work-dupes'), /来电人以前反映过 1 件事/);
  t.is(await p.locator('#dupes tr', { hasText: number }).count(), 1);
  await p.close();
});

test.serial('answer at intake: the ticket is replied at once and goes to the callback list; a callback rating is recorded there', async (t) => {
  const p = await signIn('intake1');
  await fillCall(p, { title: '咨询个体户定额税怎么申报', name: '钱七', phone: '13600002222' });
  await p.check('#f-answer');
  await p.fill('#f-answerAtIntake-message', '已告知：每年1月到区税务局办税服务厅申报，也可以在电子税务局申报。');
  await p.click('main button:has-text("登记")');
  t.is(await text(p, 'h1'), '已登记');
  t.is(await text(p, '.work-receipt + p'), '已记录当场答复，等待来电人评价。');
  const number = await text(p, '#ticket-number');
  const id = (await s.coord.get(`/api/v1/tickets?q=${number}`)).body.items[0].id;
  t.like(await api(id), { state: 'replied', outcome: 'explained' });

  // a ticket the tax office replied to: awaiting a rating on the callback list
  const c = await call({ title: '回访测试：定额税', owner: { name: '孙八', phone: '13500003333' } });
  await s.tax.post(`/api/v1/tickets/${c.id}/sign`, {});
  await s.tax.post(`/api/v1/tickets/${c.id}/reply`, { outcome: 'resolved', message: '已重新核定。' });
  const bad = await call({ title: '回访测试：差评', owner: { name: '周九', phone: '13500004444' } });
  await s.tax.post(`/api/v1/tickets/${bad.id}/sign`, {});
  await s.tax.post(`/api/v1/tickets/${bad.id}/reply`, { outcome: 'explained', message: '按政策执行。' });

  await p.click('.work-nav__link:has-text("回访")');
  const awaiting = await p.locator('#awaiting ~ table').first().locator('.work-table__num').allTextContents();
  t.true(awaiting.includes(c.number) && awaiting.includes(bad.number) && awaiting.includes(number));
  await look(t, p, 'work-callbacks');
  const row = p.locator('#awaiting ~ table tr', { hasText: c.number });
  await row.locator('select').selectOption('satisfied');
  t.regex(await afterPost(p, () => row.locator('button:has-text("记录")').click()), /\/work\/callbacks$/);
  t.is(await text(p, '.inset--done'), '回访评价已记录。');
  t.like(await api(c.id), { state: 'closed', rating: 'satisfied' });
  const badRow = p.locator('#awaiting ~ table tr', { hasText: bad.number });
  await badRow.locator('select').selectOption('dissatisfied');
  await afterPost(p, () => badRow.locator('button:has-text("记录")').click());
  t.like(await api(bad.id), { state: 'dispatched', rating: 'dissatisfied', cycle: 2 });
  t.regex(await text(p, `#bad ~ table tr:has-text("${bad.number}")`), /不满意/);
  // a rating without a choice is refused with its message on the ticket page; nothing changes
  const again = p.locator('#awaiting ~ table tr', { hasText: number });
  await again.locator('button:has-text("记录")').click();
  t.is(await text(p, '.error-summary li'), '请选择来电人的评价。');
  t.is((await api(id)).state, 'replied');
  await p.close();
});

test.serial('intake of the department that handled a ticket is not offered its callback rating: the row says why; a post is refused with the Chinese message, nothing changes', async (t) => {
  // DESIGN §2/§3: intake records callback ratings, never on a ticket handled by their own department (403 rating-own-department)
  const intakeTax = await h.staff('intaketax', 'intake', 'TAX');
  const c = await call({ title: '税务窗口答复的问题', owner: { name: '钱九', phone: '13900001234' } });
  await s.tax.post(`/api/v1/tickets/${c.id}/sign`, {});
  await s.tax.post(`/api/v1/tickets/${c.id}/reply`, { outcome: 'resolved', message: '已重新核定。' });
  const before = await api(c.id);
  const events = async () => (await s.coord.get(`/api/v1/tickets/${c.id}/events`)).body.items.length;
  const n = await events();
  const p = await signIn('intaketax');
  await p.click('.work-nav__link:has-text("回访")');
  const row = p.locator('#awaiting ~ table tr', { hasText: c.number });
  t.is(await row.locator('form, select, button').count(), 0, 'no rating form on a ticket of the own department');
  t.is(((await row.locator('.work-callback-refusal').textContent()) ?? '').trim(), '本部门办理的工单，不能由您登记评价；请由其他部门的回访人员回访。');
  await look(t, p, 'work-callback-own-department');
  // intake of another department (SAMR) has the form on the same ticket
  const other = await signIn('intake1');
  await other.click('.work-nav__link:has-text("回访")');
  const otherRow = other.locator('#awaiting ~ table tr', { hasText: c.number });
  t.is(await otherRow.locator('select[name=rating]').count(), 1);
  t.is(await otherRow.locator('.work-callback-refusal').count(), 0);
  // the rule itself is the rate action's: a rating sent anyway is refused, nothing changes
  const refused = await intakeTax.post(`/api/v1/tickets/${c.id}/rate`, { rating: 'very_satisfied', via: 'callback' });
  t.like(refused, { status: 403, body: { type: 'urn:problem:rating-own-department' } });
  const after = await api(c.id);
  t.deepEqual([after.state, after.rating, after.version], ['replied', before.rating, before.version]);
  t.is(await events(), n, 'no event');
  await p.close();
  await other.close();
});

test.serial("a symposium is recorded with several issues in one form; its closed-loop view shows each issue's state and answer and prints without the menus", async (t) => {
  const p = await signIn('intake1');
  await p.click('.work-nav__link:has-text("座谈会")');
  await p.click('a:has-text("登记座谈会")');
  t.is(await text(p, 'h1'), '登记座谈会');
  t.is(await p.inputValue('#f-heldOn'), '2026-11-02');
  await p.fill('#f-title', '2026年第四季度个体工商户座谈会');
  await p.fill('#f-place', '区市场监管局三楼会议室');
  await p.fill('#f-attendees', '李一，13811112222，李记面馆\n张二');
  const issue = async (i: number, o: { category?: string; title: string; name?: string; phone?: string; anonymous?: boolean }) => {
    if (o.category) await p.selectOption(`#f-r${i}_category`, o.category);
    await p.fill(`#f-r${i}_title`, o.title);
    await p.fill(`#f-r${i}_description`, `${o.title}：会上提出的具体情况。`);
    if (o.anonymous) await p.check(`#f-r${i}_anonymous`);
    else {
      await p.fill(`#f-r${i}_owner_name`, o.name ?? '李一');
      await p.fill(`#f-r${i}_owner_phone`, o.phone ?? '13811112222');
    }
  };
  await issue(0, { category: 'tax_fees', title: '希望简化定额税申报' });
  await issue(1, { category: 'financing', title: '小额贷款门槛高', name: '张二', phone: '13822223333' });
  await issue(2, { title: '夜市摊位规划', anonymous: true });
  // more rows: the form comes back with everything typed and five more rows, nothing saved
  await p.click('button:has-text("再加5个问题")');
  t.is(await p.locator('fieldset.work-issue').count(), 10);
  t.is(await p.inputValue('#f-r1_title'), '小额贷款门槛高');
  // the third issue has no category: refused, the message names the row
  await p.click('button:has-text("登记座谈会和问题")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['第3个问题：请选择问题的类别；不确定的，请选“其他”。']);
  t.is((await s.intake.get('/api/v1/symposiums')).body.items.length, 0);
  await look(t, p, 'work-symposium-new');
  await p.selectOption('#f-r2_category', 'premises');
  t.regex(await afterPost(p, () => p.click('button:has-text("登记座谈会和问题")')), /\/work\/symposiums\/[0-9a-f-]{36}#main$/);
  t.is(await text(p, 'h1'), '2026年第四季度个体工商户座谈会');
  t.regex(await text(p, '.inset--done'), /已登记 3 个问题/);
  const rows = p.locator('.work-loop tbody tr');
  t.is(await rows.count(), 3);
  t.regex((await rows.nth(0).textContent()) ?? '', /希望简化定额税申报\s*区税务局\s*待签收\s*尚未答复/);
  t.regex((await rows.nth(0).textContent()) ?? '', /查询码 \S{6,}/, "a named issue's code, shown once");
  // Post/Redirect/Get: a reload shows the codes no more and records nothing
  await p.reload();
  t.is(await p.locator('.inset--done').count(), 0);
  t.is(await p.locator('main .inset').count(), 0, 'the plain page: the notice of the save was for the page the POST led to, once');
  t.is(await p.locator('.work-code').count(), 0);
  t.is((await s.intake.get('/api/v1/symposiums')).body.items.length, 1);
  t.is(await rows.count(), 3);
  const sid = (await s.intake.get('/api/v1/symposiums')).body.items[0].id;
  const api1 = (await s.intake.get(`/api/v1/symposiums/${sid}`)).body;
  t.deepEqual(
    api1.issues.map((i: { title: string; state: string; departmentCode: string }) => [i.title, i.state, i.departmentCode]),
    [
      ['希望简化定额税申报', 'dispatched', 'TAX'],
      ['小额贷款门槛高', 'dispatched', 'PBC'],
      ['夜市摊位规划', 'dispatched', 'HUD'],
    ],
  );
  t.deepEqual(api1.attendees, [{ name: '李一', phone: '13811112222', businessName: '李记面馆' }, { name: '张二' }]);
  const first = await api(api1.issues[0].id);
  t.like(first, { channel: 'symposium', receivedAt: '2026-11-02T01:00:00.000Z' });

  // the tax office answers the first; the view shows the answer (the closed loop)
  await s.tax.post(`/api/v1/tickets/${api1.issues[0].id}/sign`, {});
  await s.tax.post(`/api/v1/tickets/${api1.issues[0].id}/reply`, { outcome: 'explained', message: '明年起定额税可在电子税务局一键申报。' });
  await p.goto(`${h.url}/work/symposiums/${sid}`);
  t.regex((await rows.nth(0).textContent()) ?? '', /已答复.*已解释说明.*明年起定额税可在电子税务局一键申报。/s);
  t.is(await p.locator('.inset--done').count(), 0, 'the codes are not shown again');
  t.regex(await text(p, 'main'), /共 3 个问题，已答复 1 个，已办结 0 个/);
  await look(t, p, 'work-symposium');
  await p.emulateMedia({ media: 'print' });
  t.false(await p.locator('.work-nav').isVisible());
  t.false(await p.locator('#add').isVisible());
  t.true(await p.locator('.work-print-only').isVisible());
  await look(t, p, 'work-symposium-print');
  await p.emulateMedia({ media: 'screen' });

  // more issues for the recorded meeting
  await issue(0, { category: 'other', title: '会后补充：停车难', name: '李一' });
  t.is(await afterPost(p, () => p.click('button:has-text("登记这些问题")')), `${h.url}/work/symposiums/${sid}#main`);
  t.is(await p.locator('.work-loop tbody tr').count(), 4);
  t.regex(await text(p, '.inset--done'), /已登记 1 个问题/);
  await p.reload();
  t.is(await p.locator('.work-loop tbody tr').count(), 4, 'a reload adds nothing');
  t.is(await p.locator('.work-code').count(), 0);
  t.is((await s.intake.get(`/api/v1/symposiums/${sid}`)).body.issues.length, 4);
  await p.close();
});

test.serial('the symposium form posted six times at once (a double click, impatient taps) records one meeting; each post answers with it', async (t) => {
  const before = (await s.intake.get('/api/v1/symposiums')).body.items.length;
  const p = await signIn('intake1');
  await p.goto(`${h.url}/work/symposiums/new`);
  await p.fill('#f-title', '并发提交的座谈会');
  await p.selectOption('#f-r0_category', 'tax_fees');
  await p.fill('#f-r0_title', '重复提交检查');
  await p.fill('#f-r0_description', '同一张表提交了六次。');
  await p.fill('#f-r0_owner_name', '赵六');
  await p.fill('#f-r0_owner_phone', '13833334444');
  // the same form (its CSRF token and form key) six times concurrently, as the browser would send it
  const answers = (await p.evaluate(`(() => {
    const f = document.querySelector('form[action="/work/symposiums"]');
    const body = new URLSearchParams(new FormData(f)).toString();
    const one = () => fetch(f.action, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).then((r) => [r.status, r.url]);
    return Promise.all([one(), one(), one(), one(), one(), one()]);
  })()`)) as [number, string][];
  const list = (await s.intake.get('/api/v1/symposiums')).body.items as { id: string; title: string }[];
  t.is(list.length, before + 1);
  const made = list.find((x) => x.title === '并发提交的座谈会');
  t.truthy(made);
  t.deepEqual(
    answers,
    Array.from({ length: 6 }, () => [200, `${h.url}/work/symposiums/${made?.id}`]),
  );
  t.is((await s.intake.get(`/api/v1/symposiums/${made?.id}`)).body.issues.length, 1);
  await p.close();
});

/** A fresh API client for an account (tokens last 12 hours; tests move the clock by days). */
async function relogin(username: string, password = `Pw-${username}-123!`) {
  const r = await h.http.post('/api/v1/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return h.http.as(r.body.token);
}

/** A page's HTML without what differs per render (CSRF tokens, form keys). */
async function snapshot(p: Page, url: string): Promise<string> {
  const r = await p.goto(url);
  if (r?.status() !== 200) throw new Error(`${url}: ${r?.status()}`);
  return (await p.content()).replace(/name="_csrf" value="[^"]*"/g, '').replace(/name="formKey" value="[^"]*"/g, '');
}
/** The call form posted with a caller's phone: the duplicates panel as the operator sees it. */
async function callSnapshot(p: Page, phone: string): Promise<string> {
  await p.goto(`${h.url}/work/call`);
  await fillCall(p, { title: '金丝雀来电', name: '金丝雀', phone });
  await p.click('main button:has-text("登记")');
  // the page as loaded, with its (deferred) script run, as `goto` gives the other pages
  await p.waitForLoadState('load');
  await p.waitForSelector('html.js', { state: 'attached' });
  return (await p.content()).replace(/name="_csrf" value="[^"]*"/g, '').replace(/name="formKey" value="[^"]*"/g, '');
}

test.serial(
  'the head sees the department overview with the veto; integrity reports accusing a department leave no trace on any page its users reach (intake, symposium and head pages included)',
  async (t) => {
    const CANARY_PHONE = '13900009999';
    await call({ title: '金丝雀来电人的旧工单', owner: { name: '金丝雀', phone: CANARY_PHONE } });
    const sym = (
      await s.intake.post('/api/v1/symposiums', {
        title: '金丝雀座谈会',
        heldOn: '2026-11-02',
        issues: [{ kind: 'suggestion', title: '金丝雀座谈问题', description: '会上的问题。', category: 'tax_fees', anonymous: true }],
      })
    ).body;
    const pages = (extra: string[]) =>
      [
        `${h.url}/work`,
        `${h.url}/work/tickets`,
        `${h.url}/work/tickets?kind=integrity_report`,
        `${h.url}/work/tickets?q=${encodeURIComponent('索要')}`,
        `${h.url}/work/tickets?escalationLevel=0`,
        ...extra,
      ].map((u) => (u.startsWith('http') ? u : h.url + u));
    const viewers = {
      taxhead: pages(['/work/oversight', `/work/symposiums/${sym.id}`]),
      tax1: pages(['/work/oversight', `/work/symposiums/${sym.id}`]),
      intake1: pages(['/work/call', '/work/callbacks', '/work/symposiums', `/work/symposiums/${sym.id}`]),
      samr1: pages(['/work/oversight', `/work/symposiums/${sym.id}`]),
    };
    const browsers: Record<string, Page> = {};
    const before: Record<string, string[]> = {};
    for (const who of Object.keys(viewers)) browsers[who] = await b.page(undefined, DESKTOP);
    // one cookie jar: each viewer in turn, the same session before and after
    for (const [who, urls] of Object.entries(viewers)) {
      const p = await signIn(who, browsers[who]);
      before[who] = [];
      for (const u of urls) before[who].push(await snapshot(p, u));
      if (who === 'intake1') before[who].push(await callSnapshot(p, CANARY_PHONE));
      if (who === 'taxhead') {
        await p.goto(`${h.url}/work/department`);
        t.regex(await text(p, 'main'), /2026年没有一票否决/);
      }
      const cookies = await b.context.cookies();
      (browsers[who] as unknown as { jar: typeof cookies }).jar = cookies;
    }

    // reports accusing TAX (raised at the symposium, then substantiated) and SAMR (by the caller's phone)
    const taxReport = (
      await s.intake.post('/api/v1/tickets', {
        kind: 'integrity_report',
        channel: 'symposium',
        symposiumId: sym.id,
        title: '金丝雀：税务所索要好处费',
        description: '金丝雀举报内容。',
        owner: { name: '金丝雀举报人', phone: '13900008888' },
        accused: { departmentCode: 'TAX', demand: 'property', amountYuan: '500', occurredOn: '2026-10-28' },
      })
    ).body;
    t.is(taxReport.departmentCode, 'DIS');
    const samrReport = (
      await s.intake.post('/api/v1/tickets', {
        kind: 'integrity_report',
        channel: 'hotline',
        title: '金丝雀：登记窗口乱收费',
        description: '金丝雀举报内容二。',
        owner: { name: '金丝雀', phone: CANARY_PHONE },
        accused: { departmentCode: 'SAMR', demand: 'fee', amountYuan: '200', occurredOn: '2026-10-29' },
      })
    ).body;
    t.is((await s.sup.post(`/api/v1/tickets/${taxReport.id}/sign`, {})).status, 200);
    t.is((await s.sup.post(`/api/v1/tickets/${taxReport.id}/conclude`, { finding: 'substantiated', summary: '经查属实。' })).status, 200);

    for (const [who, urls] of Object.entries(viewers)) {
      await b.reset();
      await b.context.addCookies((browsers[who] as unknown as { jar: Parameters<typeof b.context.addCookies>[0] }).jar);
      const p = browsers[who];
      const after: string[] = [];
      for (const u of urls) after.push(await snapshot(p, u));
      if (who === 'intake1') after.push(await callSnapshot(p, CANARY_PHONE));
      for (const [i, html] of after.entries()) {
        t.false(/金丝雀：|金丝雀举报/.test(html), `${who} ${urls[i] ?? 'call form'}: no trace of a report`);
        t.false(html.includes(taxReport.number) || html.includes(samrReport.number), `${who} ${urls[i] ?? 'call form'}: no report number`);
        t.is(html, before[who][i], `${who} ${urls[i] ?? 'call form'}: the page is as it was before the reports`);
      }
    }

    // the head: the overview with the veto, its count and nothing of the report
    const p = browsers.taxhead;
    await b.reset();
    await b.context.addCookies((p as unknown as { jar: Parameters<typeof b.context.addCookies>[0] }).jar);
    await p.goto(`${h.url}/work`);
    t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['待办', '工单', '本部门概况', '督办单', '统计报表']);
    await p.click('.work-nav__link:has-text("本部门概况")');
    t.is(await text(p, 'h1'), '区税务局概况');
    const mine = (await s.taxHead.get('/api/v1/tickets?departmentCode=TAX&limit=200')).body.items as { state: string; escalationLevel: number }[];
    const open = mine.filter((x) => ['dispatched', 'in_progress', 'awaiting_info', 'replied'].includes(x.state));
    t.is(await text(p, '.work-figures li:nth-child(1) .work-figure'), String(open.length));
    t.is(await text(p, '.work-figures li:nth-child(2) .work-figure'), '0');
    t.regex(await text(p, '.warning'), /一票否决：本部门 2026 年有 1 件举报经查属实，年度考核结果为否决，当年不能参加评选表彰。/);
    const html = await p.content();
    t.false(html.includes(taxReport.number) || /金丝雀：|金丝雀举报/.test(html), 'the veto without the report');
    await look(t, p, 'work-department');
    // a handler who is not head: 403
    await signIn('tax1', p);
    t.is((await p.goto(`${h.url}/work/department`))?.status(), 403);
    for (const q of Object.values(browsers)) await q.close();
  },
);

test.serial(
  'the coordinator imports a result notice: a bad row is listed with its number and nothing is imported; the fixed file publishes it; an objection shows on its entry; finalizing waits for the window and then freezes the list',
  async (t) => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'wb-notice-'));
    const bad = join(dir, '名单.csv');
    writeFileSync(bad, '统一社会信用代码,名称,类别\n92500102MA5U0001XN,涪陵榨菜老店,知名\n92500102MA5U0002XA,江东小面,特色\n92500102MA5U0003XQ,白鹤梁茶馆,优等\n');
    // a week later (API tokens last 12 hours: sign in again)
    h.clock.set(new Date('2026-11-09T09:00:00+08:00'));
    const coord = await relogin('coord1');
    const good = join(dir, '名单-改正.csv');
    writeFileSync(good, '统一社会信用代码,名称,类别\n92500102MA5U0001XN,涪陵榨菜老店,知名\n92500102MA5U0002XP,江东小面,特色\n92500102MA5U0003XQ,白鹤梁茶馆,优质\n');
    const p = await signIn('coord1');
    await p.click('.work-nav__link:has-text("公示")');
    await p.click('a:has-text("发布公示")');
    t.is(await p.inputValue('#f-publishedOn'), '2026-11-09');
    await p.fill('#f-title', '2026年度“知名、特色、优质、新兴”个体工商户认定结果公示');
    await p.setInputFiles('#f-file', bad);
    await p.click('button:has-text("发布公示")');
    t.deepEqual(await p.locator('#row-errors tbody tr').allInnerTexts(), [
      '第3行\t统一社会信用代码\t不是有效的统一社会信用代码（第18位校验码不对），请对照营业执照核对。',
      '第4行\t类别\t类别只能是：知名、特色、优质、新兴。',
    ]);
    t.regex(await text(p, '.error-summary'), /名单里有 2 行有错误，请改正后重新上传：什么都没有导入。/);
    t.is((await coord.get('/api/v1/result-notices')).body.items.length, 0, 'nothing imported');
    t.is(await p.inputValue('#f-title'), '2026年度“知名、特色、优质、新兴”个体工商户认定结果公示');
    await look(t, p, 'work-notice-import-errors');
    await p.setInputFiles('#f-file', good);
    t.regex(await afterPost(p, () => p.click('button:has-text("发布公示")')), /\/work\/notices\/[0-9a-f-]{36}$/);
    t.is(await text(p, '.inset--done'), '已发布，共3户。');
    const id = new URL(p.url()).pathname.split('/').pop()!;
    const notice = (await coord.get(`/api/v1/result-notices/${id}`)).body;
    t.deepEqual(
      notice.entries.map((e: { businessName: string; category: string }) => [e.businessName, e.category]),
      [
        ['涪陵榨菜老店', 'famous'],
        ['江东小面', 'specialty'],
        ['白鹤梁茶馆', 'quality'],
      ],
    );
    t.like(notice, { source: 'csv', status: 'open', window: { firstDay: '2026-11-09', lastDay: '2026-11-13' } });

    // an objection on the second entry, filed by an owner
    const owner = await h.owner('13800007777');
    const obj = await owner.post('/api/v1/tickets', {
      kind: 'objection',
      channel: 'web',
      title: '对江东小面的异议',
      description: '这家店去年因食品安全被处罚过。',
      resultNoticeId: id,
      resultEntryId: notice.entries[1].id,
    });
    t.is(obj.status, 201, obj.text);
    await p.reload();
    t.regex(await text(p, 'tbody tr:has-text("江东小面")'), new RegExp(`有异议，核查中\\s*${obj.body.number} 待签收`));
    // finalizing now: refused, nothing changes
    await p.click('button:has-text("确认公示结果")');
    t.regex(await text(p, '.error-summary'), /异议期还没有结束，暂时不能确认结果。/);
    t.is((await coord.get(`/api/v1/result-notices/${id}`)).body.status, 'open');
    await look(t, p, 'work-notice');

    // the window closes; the objection is still open: refused with its reason
    h.clock.set(new Date('2026-11-16T09:00:00+08:00'));
    const coord2 = await relogin('coord1');
    const samr2 = await relogin('samr1');
    const owner2 = await relogin('13800007777', 'Owner-Pw-123!');
    await p.goto(`${h.url}/work/notices/${id}`);
    await p.click('button:has-text("确认公示结果")');
    t.regex(await text(p, '.error-summary'), /还有没有办结的异议，暂时不能确认结果。/);
    // the evaluation office decides it, the objector rates: the notice can be finalized
    t.is((await samr2.post(`/api/v1/tickets/${obj.body.id}/sign`, {})).status, 200);
    t.is((await samr2.post(`/api/v1/tickets/${obj.body.id}/decide`, { outcome: 'dismissed', reason: '处罚已整改，不影响认定。' })).status, 200);
    t.is((await owner2.post(`/api/v1/tickets/${obj.body.id}/rate`, { rating: 'satisfied' })).status, 200);
    await p.goto(`${h.url}/work/notices/${id}`);
    t.regex(await text(p, 'tbody tr:has-text("江东小面")'), new RegExp(`在名单上\\s*${obj.body.number} 已办结 · 异议不成立`));
    await afterPost(p, () => p.click('button:has-text("确认公示结果")'));
    t.is(await text(p, '.inset--done'), '公示结果已确认，名单不再变动。');
    t.is((await coord2.get(`/api/v1/result-notices/${id}`)).body.status, 'finalized');
    t.is(await p.locator('button:has-text("确认公示结果")').count(), 0);
    await p.close();
  },
);

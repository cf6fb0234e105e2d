/**
 * The staff workbench in a real browser at 1366×768 (issue 10 part A): staff sign in at the
 * owners' entry and land on their role's home; the handler's whole loop with the owner
 * supplementing and rating through the owner pages and the coordinator deciding the
 * extension; the coordinator dispatching a returned ticket and merging a duplicate; a refused
 * action showing its message and changing nothing; the lists' filters and order. Every page
 * visited gets an axe check; SCREENSHOTS=1 writes docs/screenshots/work-*.png.
 */
import test from 'ava';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, startHarness, standardStaff, Harness } from '../helpers/harness';
import { afterPost, DESKTOP, openBrowser, look, PHONE, screenshot, staffSignIn, text, TestBrowser } from '../helpers/browser';
import { png } from '../attachments/fixtures';

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

/** A call registered by intake through the API: returns the ticket and its access code. */
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
/** The owner's track page, opened with the number and the access code (the owner pages). */
async function track(o: Page, number: string, code: string) {
  await o.goto(`${h.url}/track`);
  await o.fill('#f-number', number);
  await o.fill('#f-code', code);
  await o.click('main button:has-text("查询")');
  await o.waitForLoadState();
}

/** Opens an action's form on the ticket page (its <details>), whether or not it is open already. */
const openAction = (p: Page, action: string) =>
  p.locator(`#act-${action}`).evaluate((d) => {
    (d as unknown as { open: boolean }).open = true;
  });
const api = async (id: string) => (await s.coord.get(`/api/v1/tickets/${id}`)).body;

test.serial("staff sign in where owners do and land on their role's home with their menu", async (t) => {
  const p = await signIn('tax1');
  t.is(p.url(), `${h.url}/work`);
  t.is(await text(p, 'h1'), '待办');
  t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['待办', '工单', '督办单']);
  t.is(await p.getAttribute('.work-nav__link >> nth=0', 'aria-current'), 'page');
  await signIn('coord1', p);
  t.is(p.url(), `${h.url}/work`);
  t.is(await text(p, 'h1'), '派单');
  t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['派单', '工单', '督办单', '公示', '座谈会', '统计报表']);
  await signIn('sup1', p);
  t.is(await text(p, 'h1'), '您好，sup1');
  // an owner is not staff: the workbench answers 403 with the Chinese message
  await b.reset();
  await h.owner('13800005555');
  await p.goto(`${h.url}/account/sign-in`);
  await p.fill('#f-phone', '13800005555');
  await p.fill('#f-password', 'Owner-Pw-123!');
  await p.click('main button[type=submit]');
  await p.waitForURL(/\/account$/);
  const r = await p.goto(`${h.url}/work`);
  t.is(r?.status(), 403);
  t.is(await text(p, '.lead'), '这个账号不能进行这项操作。');
  // sign out from the workbench; the next visit asks to sign in
  await signIn('tax1', p);
  await p.click('.work-account button:has-text("退出")');
  await p.waitForURL(`${h.url}/`);
  t.is((await p.goto(`${h.url}/work`))?.status(), 401);
  await p.close();
});

test.serial('a handler signs, asks for information, the owner supplements on the owner pages, the extension is approved, the handler replies with a file, the owner rates', async (t) => {
  const c = await call();
  const p = await signIn('tax1');
  // 待办: to sign, with its countdown (sign for by Wed 4 Nov 00:00: Tuesday is left after today)
  const row = p.locator('#to-sign ~ table tr', { hasText: c.number }).first();
  t.regex((await row.textContent()) ?? '', /签收期限：还剩1个工作日/);
  await look(t, p, 'work-home-handler');
  t.regex(await afterPost(p, () => row.locator('button:has-text("签收")').click()), /\/work$/);
  t.is((await api(c.id)).state, 'in_progress');
  await p.click(`a:has-text("${c.number}")`);
  // a deadline at midnight reads as on the owner pages: the end of the day before (one formatter, formatDeadline)
  t.regex(await text(p, '.work-deadlines'), /答复期限 2026年11月9日（周一）24:00前\s*还剩5个工作日/);
  t.notRegex(await text(p, '.work-deadlines'), /00:00/);
  // and the row in the list says the same instant the same way
  const ticketUrl = p.url();
  await p.goto(`${h.url}/work/tickets?q=${c.number}`);
  t.regex(await text(p, `tr:has-text("${c.number}") .work-due__when`), /^2026年11月9日（周一）24:00前$/);
  await p.goto(ticketUrl);
  t.regex(await text(p, '.work-facts--compact'), /电话\s*139\*\*\*\*5678/, 'handlers see the phone masked, as the API gives it');

  // a refused form: nothing changes, the message is next to the field and in the summary
  await openAction(p, 'request-info');
  await p.click('#act-request-info button[type=submit]');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请写明需要提交人补充什么。']);
  t.is((await api(c.id)).state, 'in_progress');
  await p.fill('#f-request-info-message', '请提供近三个月的营业额流水。');
  // a form whose version is not a number is refused (400), never acted on without the stale check
  const version = p.locator('#act-request-info input[name=version]');
  const drawnAt = await version.inputValue();
  await version.evaluate((el) => {
    (el as unknown as { value: string }).value = '3abc';
  });
  const [bad] = await Promise.all([p.waitForResponse((r) => r.url().endsWith('/request-info')), p.click('#act-request-info button[type=submit]')]);
  t.is(bad.status(), 400);
  t.is(await text(p, '.error-summary p'), '这个表单不完整（缺少工单的版本号），没有办理。请刷新页面，在工单页面重新操作。');
  t.like(await api(c.id), { state: 'in_progress', version: Number(drawnAt) });
  await p.fill('#f-request-info-message', '请提供近三个月的营业额流水。');
  await afterPost(p, () => p.click('#act-request-info button[type=submit]'));
  t.is(await text(p, '.inset--done'), '已请提交人补充材料，答复期限暂停计算。');
  t.is((await api(c.id)).state, 'awaiting_info');

  // the owner supplements through the owner pages with the number and the access code
  const o = await b.page(undefined, DESKTOP);
  await track(o, c.number, c.accessCode);
  await o.fill('#f-message', '流水已整理好，九月 3.1 万元，十月 2.8 万元。');
  await o.click('button:has-text("提交补充")');
  await o.waitForLoadState();
  t.is((await api(c.id)).state, 'in_progress');

  // the handler sees the supplement in the timeline and asks for 3 more working days
  await p.reload();
  t.regex(await text(p, '.work-timeline'), /补充材料 .* 提交人（凭查询码） 流水已整理好/);
  await openAction(p, 'request-extension');
  await p.fill('#f-request-extension-workingDays', '3');
  await p.fill('#f-request-extension-reason', '需要到实地核查营业情况。');
  await afterPost(p, () => p.click('#act-request-extension button[type=submit]'));

  // the coordinator approves it on the dispatch board; the reply deadline moves by 3 working days
  const cp = await b.page(undefined, DESKTOP);
  await b.reset();
  await signIn('coord1', cp);
  const ext = cp.locator('#extensions ~ table tr', { hasText: c.number });
  t.regex((await ext.textContent()) ?? '', /延期 3 个工作日\s*需要到实地核查营业情况。/);
  await look(t, cp, 'work-home-coordinator');
  t.regex(await afterPost(cp, () => ext.locator('button[value=yes]').click()), /\/work$/);
  t.is((await api(c.id)).deadlines.replyBy, '2026-11-12T16:00:00.000Z', '10 Nov + 3 working days = Fri 13 Nov 00:00 Beijing');
  await cp.close();

  // the handler replies with a photo; the file shows next to the reply in the timeline
  await signIn('tax1', p);
  await p.goto(`${h.url}/work/tickets/${c.id}`);
  t.regex(await text(p, '.work-deadlines'), /答复期限 2026年11月12日（周四）24:00前\s*还剩8个工作日/);
  const dir = mkdtempSync(join(tmpdir(), 'wb-'));
  writeFileSync(join(dir, '核查照片.png'), await png());
  await p.check('#f-reply-outcome-radio');
  await p.fill('#f-reply-message', '已到店核查，重新核定为每月 800 元。');
  await p.setInputFiles('#f-reply-file', join(dir, '核查照片.png'));
  await afterPost(p, () => p.click('#act-reply button[type=submit]'));
  t.is((await api(c.id)).state, 'replied');
  const replied = p.locator('.timeline__item', { hasText: '答复：已解决' });
  t.regex((await replied.textContent()) ?? '', /已到店核查/);
  t.is(await replied.locator('.work-files a').textContent(), '核查照片.png');
  const file = await p.request.get(h.url + (await replied.locator('.work-files a').getAttribute('href'))!);
  t.is(file.status(), 200);
  t.is(file.headers()['content-type'], 'image/png');
  await look(t, p, 'work-ticket');

  // the owner rates on the owner pages: closed
  await track(o, c.number, c.accessCode);
  t.regex(await text(o, 'main'), /已到店核查/);
  await o.check('#f-rating-radio');
  await o.click('button:has-text("提交评价")');
  await o.waitForLoadState();
  t.is((await api(c.id)).state, 'closed');
  await o.close();
  await p.close();
});

test.serial('the coordinator re-dispatches a returned ticket from the board and merges a duplicate found by its number', async (t) => {
  const c = await call({ title: '个体户社保补缴', description: '去年的社保断缴了，要补缴。' });
  const p = await signIn('tax1');
  await p.goto(`${h.url}/work/tickets/${c.id}`);
  await openAction(p, 'return');
  await p.fill('#f-return-reason', '社保补缴由区人力社保局办理。');
  await afterPost(p, () => p.click('#act-return button[type=submit]'));
  t.is((await api(c.id)).state, 'registered');

  await signIn('coord1', p);
  const row = p.locator('#waiting ~ table tr', { hasText: c.number });
  t.regex((await row.textContent()) ?? '', /区税务局退回\s*社保补缴由区人力社保局办理。/);
  t.is(await row.locator('option[value="TAX"]').count(), 0, 'the returning department is not offered again');
  // 分派 with no department chosen: the field's own message, not 「格式不正确」, and nothing changes
  await row.locator('select').selectOption('');
  await row.locator('button:has-text("分派")').click();
  await p.waitForLoadState();
  t.regex(await text(p, 'main'), /请选择办理部门。/);
  t.notRegex(await text(p, 'main'), /格式不正确/);
  t.is((await api(c.id)).state, 'registered');
  await p.goto(`${h.url}/work`);
  await row.locator('select').selectOption('HRSS');
  t.regex(await afterPost(p, () => row.locator('button:has-text("分派")').click()), /\/work$/);
  const after = await api(c.id);
  t.is(after.state, 'dispatched');
  t.is(after.departmentCode, 'HRSS');

  // a second call about the same problem goes into the first
  const dup = await call({ title: '社保补缴（重复来电）', description: '又打电话问社保补缴。', category: 'other' });
  await p.goto(`${h.url}/work/tickets/${dup.id}`);
  await openAction(p, 'merge');
  await p.fill('#f-merge-q', c.number);
  await p.click('#act-merge button:has-text("查找")');
  await p.check(`label:has-text("${c.number}")`);
  await afterPost(p, () => p.click('#act-merge button:has-text("并单")'));
  const merged = await api(dup.id);
  t.is(merged.state, 'merged');
  t.is(merged.mergedIntoId, c.id);
  await p.close();
});

test.serial('a stale form is refused with its message and changes nothing; lists filter and sort by the next deadline', async (t) => {
  const late = await call({ title: '十月的来电', receivedAt: '2026-10-20T10:00:00+08:00' });
  const fresh = await call({ title: '今天的来电' });
  const p = await signIn('coord1');
  await p.goto(`${h.url}/work/tickets/${fresh.id}`);
  // meanwhile the handler signs for it
  await s.tax.post(`/api/v1/tickets/${fresh.id}/sign`, {});
  await openAction(p, 'dispatch');
  await p.selectOption('#f-dispatch-departmentCode', 'HRSS');
  await p.click('#act-dispatch button[type=submit]');
  t.is(await text(p, '.error-summary p'), '工单刚刚有了新的进展，请刷新页面后再操作。');
  const now = await api(fresh.id);
  t.is(now.state, 'in_progress');
  t.is(now.departmentCode, 'TAX');

  await p.goto(`${h.url}/work/tickets?departmentCode=TAX&state=dispatched`);
  await look(t, p, 'work-tickets');
  await p.goto(`${h.url}/work/tickets?departmentCode=TAX&overdue=1`);
  const numbers = await p.locator('.work-table__num a').allTextContents();
  t.true(numbers.includes(late.number));
  t.false(numbers.includes(fresh.number));
  t.regex(await text(p, '.work-count'), /共 \d+ 件/);
  await p.goto(`${h.url}/work/tickets?departmentCode=TAX`);
  const all = await p.locator('.work-table__num a').allTextContents();
  t.true(all.indexOf(late.number) < all.indexOf(fresh.number), 'the overdue one first');
  t.regex(await text(p, `.work-table tr:has-text("${late.number}")`), /区税务局/, 'the department by its Chinese name, not its code');
  t.notRegex(await text(p, `.work-table tr:has-text("${late.number}")`), /\bTAX\b/);
  t.regex(await text(p, 'label[for=f-dueSoon]'), /即将到期（已到期限前的最后一个工作日）/);
  await p.close();
});

test.serial('a search text the list cannot search (over 100 characters) is named next to the search field, kept, and nothing is listed', async (t) => {
  await call({ title: '又一件来电' });
  const p = await signIn('coord1');
  const long = '定额税'.repeat(34);
  const r = await p.goto(`${h.url}/work/tickets?q=${encodeURIComponent(long)}&state=dispatched`);
  t.is(r?.status(), 400);
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['搜索内容最多100个字，请删减后再搜索。']);
  t.is(await text(p, '#f-q-error'), '错误：搜索内容最多100个字，请删减后再搜索。');
  t.is(await p.inputValue('#f-q'), long, 'the search text kept to be shortened');
  t.is(await p.inputValue('#f-state'), 'dispatched', 'the other filters kept');
  t.is(await text(p, '#not-searched'), '没有查询：请先修改上面的筛选条件，再点“筛选”。');
  t.is(await p.locator('.work-table').count(), 0, 'no list: not all tickets as if searched');
  await look(t, p, 'work-tickets-search-error');
  // the summary links to the field
  await p.click('.error-summary a');
  t.is(await p.evaluate('document.activeElement && document.activeElement.id'), 'f-q');
  // shortened and searched again with the form (which sends its blank filters too: "全部" is no filter)
  await p.fill('#f-q', '又一件来电');
  await p.click('form.work-filters button[type=submit]');
  await p.waitForURL(/q=/);
  t.is(p.url().includes('kind=&'), true, 'the form sent its blank filters');
  t.is(await p.locator('.error-summary').count(), 0);
  t.is(await text(p, '.work-count'), '共 1 件，按下一期限排序，最紧的在前。');
  t.regex(await text(p, '.work-table tbody'), /又一件来电/);
  // a state made up in the address: named too, nothing listed
  await p.goto(`${h.url}/work/tickets?state=lost`);
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请从给出的选项中选择。']);
  t.is(await p.locator('.work-table').count(), 0);
  await p.close();
});

test.serial("the handler's 待办 at a phone's 390 px: each row a stacked card; at 1280 px the table (screenshots with SCREENSHOTS=1)", async (t) => {
  const c = await call({ title: '窄屏上的待办' });
  const p = await signIn('tax1');
  await p.setViewportSize(PHONE);
  await p.goto(`${h.url}/work`);
  const row = p.locator('#to-sign ~ table tr', { hasText: c.number }).first();
  t.is(await row.evaluate((el) => (globalThis as any).getComputedStyle(el).display), 'block', 'a card at 390 px');
  t.is(
    await p
      .locator('#to-sign ~ table thead')
      .first()
      .evaluate((el) => (globalThis as any).getComputedStyle(el).position),
    'absolute',
    'the header row hidden, the cells labelled',
  );
  const box = (await row.boundingBox())!;
  t.true(box.x >= 0 && box.x + box.width <= PHONE.width, `the card fits the phone (${box.x}+${box.width})`);
  await look(t, p, 'work-todo-phone');
  await p.setViewportSize({ width: 1280, height: 800 });
  t.is(await row.evaluate((el) => (globalThis as any).getComputedStyle(el).display), 'table-row', 'the table at 1280 px');
  await screenshot(p, 'work-todo-desktop');
  await p.close();
});

test.serial("the coordinator's 派单 board at a phone's 390 px: waiting tickets and extensions as cards, nothing wider than the phone; the other workbench lists fit too", async (t) => {
  const returned = await call({ title: '窄屏上退回的工单，标题写得比较长一些', description: '看看派单页在手机上怎么显示。' });
  await s.tax.post(`/api/v1/tickets/${returned.id}/return`, { reason: '不属于本部门职责，应由区人力社保局办理。' });
  const ext = await call({ title: '窄屏上的延期申请' });
  await s.tax.post(`/api/v1/tickets/${ext.id}/sign`, {});
  t.is((await s.tax.post(`/api/v1/tickets/${ext.id}/request-extension`, { workingDays: 3, reason: '需要到实地核查。' })).status, 200);
  const p = await signIn('coord1');
  await p.setViewportSize(PHONE);
  await p.goto(`${h.url}/work`);
  const width = () => p.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
  t.true((await width()) <= PHONE.width, `the board is no wider than the phone (${await width()} px)`);
  for (const [section, number] of [
    ['#waiting', returned.number],
    ['#extensions', ext.number],
  ]) {
    const row = p.locator(`${section} ~ table tr`, { hasText: number }).first();
    t.is(await row.evaluate((el) => (globalThis as any).getComputedStyle(el).display), 'block', `${section}: a card at 390 px`);
    const box = (await row.boundingBox())!;
    t.true(box.x >= 0 && box.x + box.width <= PHONE.width, `${section}: the card fits the phone (${box.x}+${box.width})`);
  }
  const title = (await p.locator('#waiting ~ table tr', { hasText: returned.number }).first().locator('td[data-label="标题"]').boundingBox())!;
  t.true(title.height < 80, `the title is not one character per line (${title.height} px high)`);
  const header = (await p.locator('.work-header').boundingBox())!;
  t.is(header.width, PHONE.width, 'the red header spans the page');
  await look(t, p, 'work-home-coordinator-phone');
  // at 1366 px the board stays a table
  await p.setViewportSize(DESKTOP);
  t.is(
    await p
      .locator('#waiting ~ table tr', { hasText: returned.number })
      .first()
      .evaluate((el) => (globalThis as any).getComputedStyle(el).display),
    'table-row',
  );
  await p.setViewportSize(PHONE);
  // the ticket list is cards too
  await p.goto(`${h.url}/work/tickets`);
  t.is(
    await p
      .locator('.work-table tr', { hasText: returned.number })
      .first()
      .evaluate((el) => (globalThis as any).getComputedStyle(el).display),
    'block',
    'the ticket list: a card at 390 px',
  );
  // the other workbench lists of the coordinator, the handler, intake, the supervisor and the admin
  const wide: string[] = [];
  for (const [who, paths] of [
    ['coord1', ['/work/tickets', '/work/tickets?departmentCode=TAX', '/work/oversight?state=all', '/work/notices', '/work/symposiums', '/work/reports']],
    ['tax1', ['/work', '/work/tickets', '/work/oversight']],
    ['intake1', ['/work/call', '/work/callbacks', '/work/tickets']],
    ['sup1', ['/work', '/work/integrity', '/work/vetoes', '/work/assessments']],
    ['admin', ['/work', '/work/admin/users', '/work/admin/reference', '/work/admin/routing', '/work/admin/sla', '/work/admin/calendar', '/work/admin/outbox']],
  ] as const) {
    await staffSignIn(b, h.url, who, { page: p, password: who === 'admin' ? ADMIN_PASSWORD : undefined });
    await p.setViewportSize(PHONE);
    for (const path of paths) {
      await p.goto(h.url + path);
      const w = await width();
      if (w > PHONE.width) wide.push(`${who} ${path}: ${w} px`);
    }
  }
  t.deepEqual(wide, [], 'every list fits 390 px');
  await p.close();
});

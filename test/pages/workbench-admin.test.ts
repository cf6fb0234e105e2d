/**
 * The admin's, the supervisors' and the reports pages of the workbench in a real browser at
 * 1366×768 (issue 10): the calendar's year view with the recomputed deadlines of each change;
 * accounts created, changed, reset and deactivated (signed out at once, no sign-in after);
 * reference data, routing rules, SLA policies and the outbox; a supervisor concluding an
 * integrity report substantiated, seeing the veto in the register and revoking it with a
 * reason; the reports page with its table, charts and downloads equal to the API's; and a
 * canary scan: the accused department's users reach no page that shows the report.
 * Every page visited gets an axe check; SCREENSHOTS=1 writes docs/screenshots/work-*.png.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import ExcelJS from 'exceljs';
import { act, startHarness, standardStaff, Harness, ADMIN_PASSWORD, Client } from '../helpers/harness';
import { afterPost, DESKTOP, openBrowser, look, staffSignIn, text, TestBrowser } from '../helpers/browser';

const REPORTER = { name: '举报人金丝雀', phone: '13700009999' };
const CANARY = { title: '窗口人员索要好处费金丝雀', description: '办理登记时被税务窗口人员索要300元好处费金丝雀。' };
let h: Harness;
let b: TestBrowser;
let s: Awaited<ReturnType<typeof standardStaff>>;
let reporter: Client & { id: string };
let report: { id: string; number: string };

test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
  reporter = await h.owner(REPORTER.phone, { name: REPORTER.name });
  b = await openBrowser();
});
test.after.always(async () => {
  await b?.close();
  await h?.close();
});

const signIn = (username: string, password?: string, page?: Page) => staffSignIn(b, h.url, username, { password, page });
const admin = (p?: Page) => signIn('admin', ADMIN_PASSWORD, p);

test.serial('the calendar as a year view: a day overridden and a year loaded, each saying how many open deadlines it recomputed', async (t) => {
  const c = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税核定偏高',
    description: '营业额下降了三成。',
    owner: { name: '王五', phone: '13912345678' },
  });
  t.is(c.status, 201);
  t.is(c.body.deadlines.signBy, '2026-11-03T16:00:00.000Z');
  const p = await admin();
  t.is(p.url(), `${h.url}/work`);
  t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['工单', '用户', '部门和类别', '分派规则', '办理时限', '工作日历', '通知发送', '统计报表']);
  await look(t, p, 'work-home-admin');
  await p.click('.work-nav__link:has-text("工作日历")');
  t.is(await text(p, 'h1'), '2026年工作日历');
  t.regex(await text(p, '#year-status'), /官方安排/);
  t.is(await p.locator('[data-date="2026-10-01"]').getAttribute('class'), 'work-cal__day work-cal__day--holiday');
  t.is(await p.locator('[data-date="2026-11-03"]').getAttribute('class'), 'work-cal__day work-cal__day--work');
  await look(t, p, 'work-admin-calendar');

  // a bad date: the message next to the field, nothing changed
  await p.fill('#f-day-date', '');
  await p.click('form[action="/work/admin/calendar/day"] button[type=submit]');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请填写要调整的日期，例如 2026-10-08。']);
  // Tuesday 3 November becomes a holiday: the ticket's sign-for deadline moves a working day
  await p.fill('#f-day-date', '2026-11-03');
  await p.check('#f-day-type-radio');
  await p.fill('#f-day-note', '区政府通知临时放假');
  await afterPost(p, () => p.click('form[action="/work/admin/calendar/day"] button[type=submit]'));
  t.is(await text(p, '#recomputed'), '2026-11-03 已改为休息日。重新计算了 1 件未办结工单的期限。');
  t.is(await p.locator('[data-date="2026-11-03"]').getAttribute('class'), 'work-cal__day work-cal__day--holiday work-cal__day--override');
  t.regex(await text(p, '#overrides'), /2026年11月3日.*休息日.*区政府通知临时放假/);
  t.is((await s.coord.get(`/api/v1/tickets/${c.body.id}`)).body.deadlines.signBy, '2026-11-04T16:00:00.000Z');
  // and back to a working day
  await p.fill('#f-day-date', '2026-11-03');
  await p.check('#f-day-type-1');
  t.is(await afterPost(p, () => p.click('form[action="/work/admin/calendar/day"] button[type=submit]')), `${h.url}/work/admin/calendar?year=2026`);
  t.is(await text(p, '#recomputed'), '2026-11-03 已改为工作日。重新计算了 1 件未办结工单的期限。');
  t.is((await s.coord.get(`/api/v1/tickets/${c.body.id}`)).body.deadlines.signBy, '2026-11-03T16:00:00.000Z');

  // a provisional year, loaded: a wrong date is refused with its message, then the year is official
  await p.goto(`${h.url}/work/admin/calendar?year=2031`);
  t.regex(await text(p, '#year-status'), /^临时/);
  await p.fill('#f-load-holidays', '2031-10-01\n2031-10-02\n2031-13-01');
  await p.click('form[action="/work/admin/calendar/2031"] button[type=submit]');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['“2031-13-01”不是日期：请按“年-月-日”填写，每行一个，例如 2031-10-01。']);
  t.false((await s.coord.get('/api/v1/calendar/2031')).body.official);
  await p.fill('#f-load-holidays', '2031-10-01\n2031-10-02\n2031-10-03');
  await p.fill('#f-load-workdays', '2031-09-28');
  await afterPost(p, () => p.click('form[action="/work/admin/calendar/2031"] button[type=submit]'));
  t.is(await text(p, '#recomputed'), '2031年的官方安排已载入。重新计算了 0 件未办结工单的期限。');
  t.regex(await text(p, '#year-status'), /官方安排/);
  t.is(await p.locator('[data-date="2031-09-28"]').getAttribute('class'), 'work-cal__day work-cal__day--adjusted');
  const y = (await s.coord.get('/api/v1/calendar/2031')).body;
  t.deepEqual([y.official, y.holidays, y.workdays], [true, ['2031-10-01', '2031-10-02', '2031-10-03'], ['2031-09-28']]);
  await p.close();
});

test.serial('the admin creates, changes and resets an account; a deactivated account is signed out at once and cannot sign in', async (t) => {
  const p = await admin();
  await p.click('.work-nav__link:has-text("用户")');
  t.is(await text(p, 'h1'), '用户');
  await look(t, p, 'work-admin-users');
  await p.click('a:has-text("新建工作人员账号")');
  await p.click('main button[type=submit]');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请填写用户名：3到64位字母、数字、点、短横线或下划线。', '请填写初始密码，至少8位。', '请填写姓名。']);
  await p.fill('#f-username', 'newtax');
  await p.fill('#f-password', 'Start-Pw-123!');
  await p.fill('#f-name', '新同事');
  await p.selectOption('#f-role', 'handler');
  await p.selectOption('#f-departmentCode', 'TAX');
  await look(t, p, 'work-admin-user-new');
  await afterPost(p, () => p.click('main button[type=submit]'));
  t.is(await text(p, '.inset--done'), '账号已创建。');
  const id = /\/work\/admin\/users\/([0-9a-f-]{36})/.exec(p.url())?.[1] as string;
  // a supervisor outside DIS is refused with the placement rule's message
  await p.selectOption('#f-role', 'supervisor');
  await p.click(`form[action$="${id}"] button[type=submit]`);
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['纪检监察人员必须属于区纪委监委。']);
  t.is((await h.admin.get(`/api/v1/users/${id}`)).body.role, 'handler');
  await p.selectOption('#f-role', 'handler');
  await p.fill('#f-name', '新同事甲');
  await p.check('#f-isHead');
  await afterPost(p, () => p.click(`form[action$="${id}"] button[type=submit]`));
  const u = (await h.admin.get(`/api/v1/users/${id}`)).body;
  t.deepEqual([u.name, u.role, u.departmentCode, u.isHead], ['新同事甲', 'handler', 'TAX', true]);
  // the password reset shows the temporary password once (Post/Redirect/Get with a one-time flash)
  t.is(await afterPost(p, () => p.click('button:has-text("重置密码")')), `${h.url}/work/admin/users/${id}`);
  const temp = await text(p, '#temp-password');
  t.regex(temp, /^[A-HJ-NP-Za-km-z2-9]{12}$/);
  await look(t, p, 'work-admin-user');
  // a reload shows it no more and resets nothing (one reset event; the temporary password still signs in below):
  // the plain account page (the notice of the reset was for the page the POST led to, once)
  await p.reload();
  t.is(await p.locator('#temp-password').count(), 0, 'shown once: not on the page again');
  t.is(await p.locator('div#temporary-password').count(), 0, 'and no claim of a reset either');
  t.is(await p.locator('table tr:has-text("管理员重置密码")').count(), 1);
  t.deepEqual((await h.admin.get(`/api/v1/users/${id}/events`)).body.items?.filter((e: { type: string }) => e.type === 'password_reset').length, 1);
  await p.goto(`${h.url}/work/admin/users/${id}`);
  t.is(await p.locator('#temporary-password').count(), 0);
  t.regex(await text(p, 'table'), /管理员重置密码\s*页面\s*退出了0个登录；系统生成临时密码/);
  await signIn('newtax', temp, p);
  t.is(new URL(p.url()).pathname, '/account/password');

  // hrss1 is signed in; the admin deactivates the account; the open session ends at once
  await signIn('hrss1', undefined, p);
  t.is(p.url(), `${h.url}/work`);
  const hrssCookies = await b.context.cookies();
  await admin(p);
  await p.goto(`${h.url}/work/admin/users?q=hrss1`);
  await p.click('a:has-text("hrss1")');
  await p.fill('#f-reason', '调离本单位');
  await afterPost(p, () => p.click('button:has-text("停用账号")'));
  t.is(await text(p, '.inset--done'), '账号已停用：它的所有登录已立即退出，不能再登录。');
  t.is(await text(p, '#account-state'), '已停用（不能登录）');
  await b.reset();
  await b.context.addCookies(hrssCookies);
  t.is((await p.goto(`${h.url}/work`))?.status(), 401);
  await signIn('hrss1', undefined, p);
  t.is(new URL(p.url()).pathname, '/account/sign-in');
  t.regex(await text(p, '.error-summary'), /不正确/);
  t.is((await h.http.post('/api/v1/auth/login', { username: 'hrss1', password: 'Pw-hrss1-123!' })).status, 401);
  // reactivated, the account signs in again
  await admin(p);
  await p.goto(`${h.url}/work/admin/users?q=hrss1&active=false`);
  await p.click('a:has-text("hrss1")');
  await afterPost(p, () => p.click('button:has-text("启用账号")'));
  await signIn('hrss1', undefined, p);
  t.is(p.url(), `${h.url}/work`);
  await p.close();
});

test.serial('the password reset form posted twice at once (a double click) resets once; one temporary password, which signs in', async (t) => {
  const u = await h.admin.post('/api/v1/users', { username: 'twice', password: 'Start-Pw-123!', name: '双击', role: 'handler', departmentCode: 'HRSS' });
  t.is(u.status, 201);
  const p = await admin();
  await p.goto(`${h.url}/work/admin/users/${u.body.id}`);
  // the same form (its CSRF token and form key) twice concurrently, as the browser sends it
  const answers = (await p.evaluate(`(() => {
    const f = document.querySelector('form[action$="/password-reset"]');
    const body = new URLSearchParams(new FormData(f)).toString();
    const one = () => fetch(f.action, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).then(async (r) => [r.status, r.url, await r.text()]);
    return Promise.all([one(), one()]);
  })()`)) as [number, string, string][];
  t.deepEqual(
    answers.map(([status, url]) => [status, url]),
    [0, 1].map(() => [200, `${h.url}/work/admin/users/${u.body.id}`]),
  );
  const events = (await h.admin.get(`/api/v1/users/${u.body.id}/events`)).body.items.filter((e: { type: string }) => e.type === 'password_reset');
  t.is(events.length, 1, 'one reset');
  const shown = answers.map(([, , html]) => /<strong id="temp-password">([^<]+)<\/strong>/.exec(html)?.[1]).filter(Boolean) as string[];
  t.is(shown.length, 1, 'the temporary password on one answer');
  // the other answer says it is shown no more, or (its notice already taken by the first) is the plain account page: never a second password
  t.is(answers.filter(([, , html]) => html.includes('密码已重置，')).length, 1);
  t.is((await h.http.post('/api/v1/auth/login', { username: 'twice', password: shown[0] })).status, 200);
  // the same form once more (the page resubmitted from the history): nothing is reset
  await p.evaluate(`(() => {
    const f = document.querySelector('form[action$="/password-reset"]');
    return fetch(f.action, { method: 'POST', body: new URLSearchParams(new FormData(f)).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).then((r) => r.status);
  })()`);
  t.is((await h.admin.get(`/api/v1/users/${u.body.id}/events`)).body.items.filter((e: { type: string }) => e.type === 'password_reset').length, 1);
  t.is((await h.http.post('/api/v1/auth/login', { username: 'twice', password: shown[0] })).status, 200);
  // a new click on the page (a new form) is a new reset
  await p.reload();
  await afterPost(p, () => p.click('button:has-text("重置密码")'));
  t.regex(await text(p, '#temp-password'), /^[A-HJ-NP-Za-km-z2-9]{12}$/);
  t.not(await text(p, '#temp-password'), shown[0]);
  t.is((await h.admin.get(`/api/v1/users/${u.body.id}/events`)).body.items.filter((e: { type: string }) => e.type === 'password_reset').length, 2);
  await p.close();
});

test.serial('reference data, routing rules, SLA policies and the outbox', async (t) => {
  const p = await admin();
  await p.goto(`${h.url}/work/admin/reference`);
  // TAX is still in use: the page names what depends on it
  await p.click('#dep-TAX button:has-text("停用")');
  t.is(await text(p, '#in-use-title'), '区税务局还在使用，不能停用');
  t.deepEqual(await p.locator('#in-use li').allTextContents(), ['1 件未办结的工单', '3 名在用的工作人员', '1 条分派规则']);
  t.true((await h.admin.get('/api/v1/departments')).body.items.find((d: any) => d.code === 'TAX').active);
  await p.fill('#f-code', 'PARK');
  await p.fill('#f-nameZh', '区园区管委会');
  await p.fill('#f-nameEn', 'District Park Committee');
  await afterPost(p, () => p.click('form[action="/work/admin/departments"] button[type=submit]'));
  t.is(await text(p, '#dep-PARK td:nth-child(3)'), '在用');
  await afterPost(p, () => p.click('#dep-PARK button:has-text("停用")'));
  t.is(await text(p, '#dep-PARK td:nth-child(3)'), '已停用');
  await p.fill('#f-cat-code', 'Bad Code');
  await p.fill('#f-cat-nameZh', '园区收费');
  await p.fill('#f-cat-nameEn', 'Park fees');
  await p.click('form[action="/work/admin/categories"] button[type=submit]');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['类别代码为小写字母、数字和下划线，以字母开头，例如 market_fees。']);
  await look(t, p, 'work-admin-reference');

  await p.goto(`${h.url}/work/admin/routing`);
  t.is(await p.locator('#rule-tax_fees').inputValue(), 'TAX');
  await look(t, p, 'work-admin-routing');
  await afterPost(p, () => p.click('main button[type=submit]'));
  t.is(await p.locator('#rule-tax_fees').inputValue(), 'TAX');

  await p.goto(`${h.url}/work/admin/sla`);
  await look(t, p, 'work-admin-sla');
  const reply = await p.locator('#p-complaint-normal-reply').inputValue();
  await p.fill('#p-complaint-normal-sign', reply);
  await p.click('main button[type=submit]');
  t.regex(await text(p, '.error-summary'), /投诉（一般）：签收时限必须短于答复时限。/);
  const policy = async () => (await s.coord.get('/api/v1/sla-policies')).body.items.find((x: any) => x.kind === 'complaint' && x.priority === 'normal');
  t.is((await policy()).signAmount, 1);
  // a longer sign-for period moves the one open complaint's deadline; back again moves it back
  const before = (await policy()).signAmount;
  for (const amount of [before + 1, before]) {
    await p.goto(`${h.url}/work/admin/sla`);
    await p.fill('#p-complaint-normal-sign', String(amount));
    t.is(await afterPost(p, () => p.click('main button[type=submit]')), `${h.url}/work/admin/sla`);
    t.is(await text(p, '#recomputed'), '时限已保存，重新计算了 1 件未办结工单的期限。');
    t.is((await policy()).signAmount, amount);
  }

  await p.goto(`${h.url}/work/admin/outbox`);
  t.regex(await text(p, '#held'), /没有等待转送的举报/);
  // a report on DIS itself is held for the higher commission: listed as held, its content never shown
  const held = await h.http.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    anonymous: true,
    title: '纪委工作人员索要材料费',
    description: '举报内容不应出现在发送页面。',
    accused: { departmentCode: 'DIS', demand: 'fee', occurredOn: '2026-10-29' },
  });
  t.is(held.status, 201);
  await p.goto(`${h.url}/work/admin/outbox`);
  t.deepEqual(await p.locator('#held tbody tr td:nth-child(2)').allTextContents(), [held.body.number]);
  t.false((await p.content()).includes('纪委工作人员索要材料费'));
  t.false((await p.content()).includes('举报内容不应出现在发送页面'));
  await p.click(`#held button:has-text("现在转送")`);
  t.is(await text(p, '.error-summary p'), '没有设置上级纪委监委的接收邮箱，暂时无法转送。');
  t.deepEqual(await p.locator('#held tbody tr td:nth-child(2)').allTextContents(), [held.body.number], 'still held');
  t.true((await p.locator('main table tbody tr').count()) > 0);
  // a pending mail is sent now on request (its backoff skipped): the button says so
  const pending = p.locator('main > table tbody tr', { hasText: 'tax1@example.test' }).first();
  await afterPost(p, () => pending.locator('button:has-text("现在发送")').click());
  t.is(await text(p, '.inset--done'), '已重新发送这条通知。');
  await look(t, p, 'work-admin-outbox');
  await p.close();
});

test.serial('a supervisor concludes an integrity report substantiated from the console, sees the veto in the register and revokes it with a reason', async (t) => {
  const r = await reporter.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    ...CANARY,
    accused: { departmentCode: 'TAX', demand: 'fee', amountYuan: '300', occurredOn: '2026-10-30' },
  });
  t.is(r.status, 201);
  report = { id: r.body.id, number: r.body.number };
  const p = await signIn('sup1');
  t.deepEqual(await p.locator('.work-nav__link').allTextContents(), ['工单', '督办单', '座谈会', '举报', '一票否决', '考核', '统计报表']);
  await look(t, p, 'work-home-supervisor');
  await p.click('.work-nav__link:has-text("举报")');
  const row = p.locator('tr', { hasText: report.number });
  t.regex((await row.textContent()) ?? '', /区税务局/);
  await look(t, p, 'work-integrity');
  await row.locator('a').click();
  const events = async () => (await s.sup.get(`/api/v1/tickets/${report.id}/events`)).body.items.filter((e: any) => e.type === 'identity_read').length;
  t.false((await p.content()).includes(REPORTER.phone));
  t.is(await events(), 0, 'opening the ticket page reads no identity');
  await p.click('a:has-text("显示举报人身份")');
  t.true((await p.content()).includes(REPORTER.name));
  t.is(await events(), 1, 'the explicit read is recorded as the API records it');
  await afterPost(p, () => p.locator('#act-sign button[type=submit]').click());
  await p.locator('#act-conclude').evaluate((d) => {
    (d as unknown as { open: boolean }).open = true;
  });
  await p.check('#act-conclude input[value="substantiated"]');
  await p.fill('#f-conclude-summary', '经查属实，已责令退还300元。');
  await afterPost(p, () => p.locator('#act-conclude button[type=submit]').click());
  t.is((await s.sup.get(`/api/v1/tickets/${report.id}`)).body.state, 'replied');

  await p.click('.work-nav__link:has-text("一票否决")');
  const veto = p.locator('section.work-vetoes', { hasText: '区税务局' });
  t.regex((await veto.locator('h2').textContent()) ?? '', /区税务局 · 2026年\s*一票否决/);
  t.regex((await veto.locator('table').textContent()) ?? '', new RegExp(`${report.number}\\s*300.00`));
  await look(t, p, 'work-vetoes');
  await veto.locator('button:has-text("撤销一票否决")').click();
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请写明撤销的理由。']);
  t.is((await s.sup.get('/api/v1/vetoes')).body.items[0].status, 'active');
  // the register also open in a second tab (the same session), still with the revoke form
  const p2 = await b.page(`${h.url}/work/vetoes`, DESKTOP);
  await p.locator('section.work-vetoes', { hasText: '区税务局' }).locator('textarea').fill('经复查，金额系合规的工本费。');
  await afterPost(p, () => p.locator('section.work-vetoes', { hasText: '区税务局' }).locator('button:has-text("撤销一票否决")').click());
  t.regex((await p.locator('section.work-vetoes', { hasText: '区税务局' }).locator('h2').textContent()) ?? '', /已撤销/);
  const v = (await s.sup.get('/api/v1/vetoes')).body.items[0];
  t.deepEqual([v.departmentCode, v.status, v.revokeReason], ['TAX', 'revoked', '经复查，金额系合规的工本费。']);
  // revoked again from the stale tab: 409 with the message in the veto's section, nothing changed
  const stale = p2.locator('section.work-vetoes', { hasText: '区税务局' });
  await stale.locator('textarea').fill('重复撤销');
  const [r409] = await Promise.all([p2.waitForResponse((r) => r.url().includes('/revoke')), stale.locator('button:has-text("撤销一票否决")').click()]);
  t.is(r409.status(), 409);
  const again = p2.locator('section.work-vetoes', { hasText: '区税务局' });
  t.is(await again.locator('.error-summary__title').textContent(), '没有撤销');
  t.is(await again.locator('.error-summary p').textContent(), '这项一票否决已经撤销。');
  t.is(await again.locator('form').count(), 0);
  t.deepEqual(
    (await s.sup.get('/api/v1/vetoes')).body.items.map((x: { status: string; revokeReason: string }) => [x.status, x.revokeReason]),
    [['revoked', '经复查，金额系合规的工本费。']],
  );
  await look(t, p2, 'work-vetoes-revoked-twice');
  await p2.close();

  await p.click('.work-nav__link:has-text("考核")');
  t.is(await text(p, 'h1'), '2026年部门考核');
  t.regex(await text(p, 'tr:has(th:text-is("区税务局"))'), /区税务局/);
  await look(t, p, 'work-assessments');
  await p.goto(`${h.url}/work/oversight`);
  t.is((await p.goto(`${h.url}/work/oversight?state=all`))?.status(), 200);
  await p.close();
});

test.serial("the reports page: the table with every rate as percentage and fraction, charts, and downloads equal to the API's", async (t) => {
  const p = await signIn('coord1');
  await p.click('.work-nav__link:has-text("统计报表")');
  await p.fill('#f-from', '2026-11-01');
  await p.fill('#f-to', '2026-11-30');
  await p.click('main form button[type=submit]');
  await p.waitForURL(/from=2026-11-01/);
  const api = (await s.coord.get('/api/v1/reports/departments?from=2026-11-01&to=2026-11-30')).body;
  const tax = api.items.find((x: any) => x.departmentCode === 'TAX');
  t.is(tax.received, 1);
  const cells = await p.locator('tr[data-department="TAX"] td').allInnerTexts();
  const frac = (f: any) => `${f.percent === null ? '无数据' : `${f.percent}%`}\n${f.numerator}/${f.denominator}`;
  t.deepEqual(cells, [
    String(tax.received),
    frac(tax.signedOnTime),
    frac(tax.repliedOnTime),
    frac(tax.resolved),
    frac(tax.satisfaction),
    frac(tax.reopenRate),
    String(tax.overdueOpen),
    `${tax.oversightOrders.level1} / ${tax.oversightOrders.level2} / ${tax.oversightOrders.level3}`,
    tax.averageWorkingDaysToReply ?? '—',
    String(tax.substantiatedIntegrityCases),
    tax.vetoed ? '是' : '否',
  ]);
  t.is(await p.locator('tr[data-department]').count(), api.items.length);
  // rates count per cycle (docs/decisions/reporting.md "The figures"): the note beside the table says why 受理量 2 can sit beside 签收 3/3
  t.is(
    await text(p, '#report-note'),
    '说明：受理量按工单计；签收、答复、评价按办理轮次计，每轮各计一次——诉求被评为不满意或重新办理后开始新一轮，要再签收、再答复、再评价；退回后重新分派的，也要再签收。所以比率的分母可能大于受理量。期限已过仍未签收或答复的，也计入分母，算作未按时。',
  );
  t.is(await p.locator('figure.chart svg[role=img]').count(), 4);
  t.deepEqual(await p.locator('figure.chart figcaption').allTextContents(), ['按时签收率（按部门）', '按时办结率（按部门）', '满意率（按部门）', '每月受理量与逾期未办结']);
  t.deepEqual(await p.locator('#trend-table tbody tr').evaluateAll((r) => r.map((x) => [...x.children].map((c) => c.textContent))), [['2026-11', '2', '0']]);
  await look(t, p, 'work-reports');

  const [csv] = await Promise.all([p.waitForEvent('download'), p.click('a:has-text("下载 CSV")')]);
  const token = (await h.http.post('/api/v1/auth/login', { username: 'coord1', password: 'Pw-coord1-123!' })).body.token;
  const apiCsv = Buffer.from(await (await fetch(`${h.url}/api/v1/reports/departments?from=2026-11-01&to=2026-11-30&format=csv`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
  t.is(csv.suggestedFilename(), '部门统计_2026-11-01至2026-11-30.csv');
  t.deepEqual(readFileSync(await csv.path()), apiCsv, "the same bytes as the API's CSV (BOM, CRLF)");
  t.regex(apiCsv.toString('utf8'), /\r\nTAX,区税务局,1,0,0,,/);
  const [xlsx] = await Promise.all([p.waitForEvent('download'), p.click('a:has-text("下载 Excel")')]);
  const sheetRows = async (data: Buffer) => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(data as never);
    const rows: unknown[][] = [];
    book.worksheets[0].eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    return rows;
  };
  const apiXlsx = Buffer.from(await (await fetch(`${h.url}/api/v1/reports/departments?from=2026-11-01&to=2026-11-30&format=xlsx`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
  const pageRows = await sheetRows(readFileSync(await xlsx.path()));
  t.deepEqual(pageRows, await sheetRows(apiXlsx), "the same cells as the API's XLSX");
  t.deepEqual(pageRows.find((r) => r[0] === 'TAX')?.slice(0, 5), ['TAX', '区税务局', 1, 0, 0]);

  // a head reads their own department only
  await signIn('taxhead', undefined, p);
  await p.goto(`${h.url}/work/reports?from=2026-11-01&to=2026-11-30&department=HRSS`);
  t.deepEqual(await p.locator('tr[data-department]').evaluateAll((r) => r.map((x) => x.getAttribute('data-department'))), ['TAX']);
  t.is(await p.locator('#f-department').count(), 0);
  // a handler who is not head gets no report
  await signIn('tax1', undefined, p);
  t.is((await p.goto(`${h.url}/work/reports`))?.status(), 403);
  await p.close();
});

/** A page's HTML without what differs per render (CSRF tokens). */
async function snapshot(p: Page, path: string): Promise<string> {
  const r = await p.goto(`${h.url}${path}`);
  if (r?.status() !== 200) throw new Error(`${path}: ${r?.status()}`);
  return (await p.content()).replace(/name="_csrf" value="[^"]*"/g, '');
}
const figures = async (p: Page, list: string) => (await p.locator(`${list} .work-card`).allTextContents()).map((x) => x.replace(/\s+/g, ' ').trim());

test.serial("the supervisors' and the admin's homes: the day's work in figures, each a link to where it is done; a report they may not see is in no figure", async (t) => {
  const file = async (title: string, departmentCode = 'HRSS') => {
    const r = await reporter.post('/api/v1/tickets', {
      kind: 'integrity_report',
      channel: 'web',
      title,
      description: `${title}的经过。`,
      accused: { departmentCode, demand: 'fee', amountYuan: '100', occurredOn: '2026-10-28' },
    });
    if (r.status !== 201) throw new Error(r.text);
    return r.body as { id: string; number: string; deadlines: { signBy: string } };
  };
  // three reports on HRSS: one to sign, one signed, one concluded substantiated (a standing veto)
  const waiting = await file('社保窗口索要费用');
  const signed = await file('社保窗口刁难经营户');
  const proven = await file('社保窗口收取好处费');
  await act(s.sup, signed.id, 'sign');
  await act(s.sup, proven.id, 'sign');
  await act(s.sup, proven.id, 'conclude', { finding: 'substantiated', summary: '经查属实，已责令退还。' });
  const veto = ((await s.sup.get('/api/v1/vetoes')).body.items as { id: string; departmentCode: string; status: string }[]).find((v) => v.departmentCode === 'HRSS' && v.status === 'active');
  t.truthy(veto);
  // oversight: a red card on the report being looked into (integrity reports escalate straight to level 3; its order goes
  // to DIS, whose supervisors answer it), and a red card on a TAX complaint (raised to the supervisors)
  await act(s.sup, signed.id, 'escalate', { level: 3, note: '核查进度慢，督办。' });
  const late = (
    await s.intake.post('/api/v1/tickets', {
      kind: 'complaint',
      channel: 'hotline',
      category: 'tax_fees',
      title: '红牌督办的来电',
      description: '一直没人处理。',
      owner: { name: '周一', phone: '13900007777' },
    })
  ).body;
  await act(s.coord, late.id, 'escalate', { level: 3, note: '多次催办无果。' });

  let p = await signIn('sup1');
  t.is(p.url(), `${h.url}/work`);
  t.deepEqual(await figures(p, '#integrity-work'), ['1件待签收签收后开始核查', '1件核查中查清后办结：属实或不属实', '0件等待举报人补充补充后或5个工作日后继续核查', '0件已逾期超过签收或办结的期限']);
  // the escalated reports are counted (DESIGN §5: reports escalate straight to the supervisors, with no oversight order), and the red-card orders
  t.deepEqual(await figures(p, '#oversight-work'), ['1件举报已升级督办升级督办到本委、还没有办结的举报', '1件红牌督办未结各部门的三级督办，计入考核']);
  t.deepEqual(await p.locator('#vetoes ~ table tbody tr td').allTextContents(), ['区人力社保局', '2026年', '1 件']);
  t.is(await p.locator('#vetoes ~ table a').getAttribute('href'), `/work/vetoes?year=2026#veto-${veto?.id}`);
  await look(t, p, 'work-home-supervisor');
  await p.setViewportSize({ width: 768, height: 1024 });
  await look(t, p, 'work-home-supervisor-tablet');
  await p.setViewportSize(DESKTOP);
  // a report accusing DIS (held for the higher commission) is in no figure: the home is as before
  const before = await snapshot(p, '/work');
  await file('纪委干部索要好处费', 'DIS');
  t.is(await snapshot(p, '/work'), before);
  // each figure opens its list
  await p.click('#home-to-sign');
  t.is(p.url(), `${h.url}/work/integrity?state=dispatched`);
  t.deepEqual(await p.locator('main tbody tr td:first-child').allTextContents(), [waiting.number]);
  await p.goto(`${h.url}/work`);
  await p.click('#home-in-progress');
  t.deepEqual(await p.locator('main tbody tr td:first-child').allTextContents(), [signed.number]);
  await p.goto(`${h.url}/work`);
  await p.click('#home-escalated-reports');
  t.is(p.url(), `${h.url}/work/integrity?escalated=1`);
  t.is(await text(p, '#integrity-filter'), '只列出：已升级督办、还没有办结的举报。看全部举报');
  t.deepEqual(await p.locator('main tbody tr td:first-child').allTextContents(), [signed.number]);
  await p.goto(`${h.url}/work`);
  await p.click('#home-red-cards');
  t.is(await text(p, '#oversight-filter'), '只列出：三级红牌督办。看全部督办单');
  t.deepEqual(await p.locator('main tbody tr td:first-child').allTextContents(), [late.number]);
  await look(t, p, 'work-oversight-red-cards');

  // the admin: a notice that failed for good (one about the TAX report too), the held reports
  const rows = async (ticketId: string) => (await h.deps.db.query('SELECT id FROM outbox_message WHERE ticket_id = ? ORDER BY id', [ticketId])) as { id: string }[];
  const [failedHrss] = await rows(signed.id);
  const [failedTax] = await rows(report.id);
  for (const row of [failedHrss, failedTax]) await h.deps.db.query("UPDATE outbox_message SET state = 'failed', last_error = '550 mailbox unavailable' WHERE id = ?", [row.id]);
  // an account deactivated today (hrss1, deactivated earlier, was reactivated: not counted)
  const leaver = await h.staff('leaver', 'handler', 'SAMR');
  t.is((await h.admin.post(`/api/v1/users/${leaver.id}/deactivate`, { reason: '调离' })).status, 200);
  const a = await admin();
  const adminFigures = await figures(a, '#admin-work');
  t.deepEqual(adminFigures, [
    '2条通知发送失败查看原因，重新发送',
    '2件举报等待转送举报区纪委监委本身的，要转送上级纪委监委',
    '1个年份的日历是临时的2027年只知道周末：请载入国务院的放假安排',
    '1个账号近30天停用已不能登录；需要时可以重新启用',
  ]);
  await look(t, a, 'work-home-admin');
  await a.setViewportSize({ width: 768, height: 1024 });
  await look(t, a, 'work-home-admin-tablet');
  await a.setViewportSize(DESKTOP);
  await a.click('#home-failed');
  t.is(a.url(), `${h.url}/work/admin/outbox?state=failed`);
  t.is(await a.locator('main > table tbody tr').count(), 2);
  await a.goto(`${h.url}/work`);
  await a.click('#home-held');
  t.deepEqual((await a.locator('#held tbody tr td:nth-child(2)').allTextContents()).length, 2);
  await a.goto(`${h.url}/work`);
  await a.click('#home-calendar');
  t.is(await text(a, 'h1'), '2027年工作日历');
  await a.goto(`${h.url}/work`);
  await a.click('#home-deactivated');
  t.deepEqual(await a.locator('main tbody tr td:first-child a').allTextContents(), ['leaver']);
  // an admin placed in TAX does not count the notice about the report accusing TAX
  await h.staff('taxadmin', 'admin', 'TAX');
  const ta = await signIn('taxadmin');
  t.deepEqual((await figures(ta, '#admin-work'))[0], '1条通知发送失败查看原因，重新发送');
  await ta.click('#home-failed');
  t.is(await ta.locator('main > table tbody tr').count(), 1);
  await ta.close();
  await a.close();

  // past its sign-for deadline the report still to sign is overdue (signed in again: the session has timed out)
  h.clock.set(new Date(new Date(waiting.deadlines.signBy).getTime() + 3_600_000));
  await p.close();
  p = await signIn('sup1');
  t.deepEqual((await figures(p, '#integrity-work'))[3], '1件已逾期超过签收或办结的期限');
  await p.click('#home-overdue');
  t.is(p.url(), `${h.url}/work/tickets?kind=integrity_report&overdue=1`);
  t.deepEqual(await p.locator('main tbody tr td:first-child a').allTextContents(), [waiting.number]);
  await p.close();
});

test.serial("canary: the accused department's users reach no workbench page that shows the report", async (t) => {
  const needles = [report.number, CANARY.title, CANARY.description, REPORTER.name, REPORTER.phone, report.id];
  // the accused department's handler and head, and an admin placed in it (the admin's home and pages included)
  for (const user of ['tax1', 'taxhead', 'taxadmin']) {
    const p = await signIn(user);
    const seen = new Set<string>();
    const queue = [
      '/work',
      `/work/tickets?q=${report.number}`,
      `/work/tickets?q=${encodeURIComponent('金丝雀')}`,
      '/work/tickets?kind=integrity_report',
      '/work/tickets?state=replied',
      '/work/reports?from=2026-01-01&to=2026-12-31',
    ];
    while (queue.length && seen.size < 300) {
      const path = queue.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await b.context.request.get(`${h.url}${path}`);
      // a search page repeats what was searched for in its search field: that echo is not a trace
      const body = (await res.text()).replace(/ value="[^"]*"/g, (v) => (path.includes('q=') ? '' : v));
      // the admin's pages list every account and the account texts (the reporter's registration code among them):
      // the reporter as an owner, not a trace of the report (whose number, id, title and text are checked everywhere)
      const accountPage = user === 'taxadmin' && path.startsWith('/work/admin/');
      for (const n of needles) if (!(accountPage && (n === REPORTER.name || n === REPORTER.phone))) t.false(body.includes(n), `${user} ${path} shows ${n}`);
      if (user !== 'taxadmin' && (path.includes('q=') || path.includes('kind=integrity_report'))) t.true(body.includes('共 <strong>0</strong> 件'), `${user} ${path} finds nothing`);
      if (user === 'taxadmin' && path.includes('q=')) t.true(body.includes('共 <strong>0</strong> 件'), `${user} ${path} finds nothing`);
      if (!(res.headers()['content-type'] ?? '').startsWith('text/html')) continue;
      for (const m of body.matchAll(/href="(\/work[^"#]*)/g)) {
        const next = m[1].replace(/&amp;/g, '&');
        if (!seen.has(next)) queue.push(next);
      }
    }
    t.true(seen.size > 8, `${user} crawled ${seen.size} pages`);
    if (user === 'taxhead')
      t.true(
        [...seen].some((x) => x.startsWith('/work/reports/download.csv')),
        "the head's report and its downloads were scanned",
      );
    if (user === 'taxadmin')
      t.true(
        ['/work/admin/outbox?state=failed', '/work/admin/outbox?state=held', '/work/admin/users?active=false'].every((x) => seen.has(x)),
        "the admin's home and what it links to were scanned",
      );
    t.is((await b.context.request.get(`${h.url}/work/tickets/${report.id}`)).status(), 404);
    await p.close();
  }
});

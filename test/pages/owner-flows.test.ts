/**
 * The owner's pages in a real browser at phone size (390×844), JavaScript on (issue 9
 * "Tests"): every page visited gets an axe check (no serious or critical violation) and, with
 * SCREENSHOTS=1, its picture in docs/screenshots/. One browser for the whole file.
 */
import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { openBrowser, look, text, TestBrowser } from '../helpers/browser';

let h: Harness;
let b: TestBrowser;
test.before(async () => {
  h = await startHarness();
  b = await openBrowser();
});
test.after.always(async () => {
  await b?.close();
  await h?.close();
});

test.serial('home: what the service is for and four entries', async (t) => {
  const p = await b.page(`${h.url}/`);
  t.is(await text(p, 'h1'), '个体工商户诉求办理');
  t.deepEqual(await p.locator('.entry__link').allTextContents(), ['反映问题 / 提建议', '举报违规收费、摊派、索要财物', '对认定结果提出异议', '查询办理进度']);
  await look(t, p, 'home');
  await p.close();
});

test.serial('register, sign out, sign in with phone and password', async (t) => {
  await b.reset();
  const p = await b.page(`${h.url}/account/register`);
  await look(t, p, 'account-register');
  await p.fill('#f-name', '张三');
  await p.fill('#f-phone', '1380000');
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.fill('#f-passwordConfirm', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  t.is(await text(p, '.error-summary li'), '手机号码不正确：应为11位数字，以1开头。');
  t.is(await p.inputValue('#f-name'), '张三', 'input kept on error');
  await look(t, p, 'account-register-error');
  await p.fill('#f-phone', '13800001111');
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.fill('#f-passwordConfirm', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  await p.waitForURL(/\/account\?welcome=1$/);
  t.is(await text(p, 'h1'), '我的工单');
  await look(t, p, 'account-tickets-empty');
  await p.click('text=退出');
  await p.waitForURL(`${h.url}/`);
  await p.goto(`${h.url}/account/sign-in`);
  await look(t, p, 'account-sign-in');
  await p.fill('#f-phone', '13800001111');
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  await p.waitForURL(/\/account$/);
  t.is(await text(p, 'h1'), '我的工单');
  await p.close();
});

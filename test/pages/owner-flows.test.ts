/**
 * The owner's pages in a real browser at phone size (390×844), JavaScript on (issue 9
 * "Tests"): every page visited gets an axe check (no serious or critical violation) and, with
 * SCREENSHOTS=1, its picture in docs/screenshots/. One browser for the whole file.
 */
import test from 'ava';
import { startHarness, Harness, smsCode } from '../helpers/harness';
import { DESKTOP, openBrowser, look, PHONE, text, TestBrowser } from '../helpers/browser';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpsJpeg, pdf } from '../attachments/fixtures';
import { TicketAttachment } from '../../src/entities';

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
  await p.fill('#f-phone', '1380000');
  await p.click('button[type=submit]');
  t.is(await text(p, '.error-summary li'), '手机号码不正确：应为11位数字，以1开头。');
  await look(t, p, 'account-register-error');
  await p.fill('#f-phone', '13800001111');
  await p.click('button[type=submit]');
  await p.waitForURL(/\/account\/register\?phone=13800001111$/);
  t.regex(await text(p, '[role=status]'), /验证码短信已发送到 138\*\*\*\*1111，5分钟内有效/);
  await look(t, p, 'account-register-code');
  await p.fill('#f-code', '000000');
  await p.fill('#f-name', '张三');
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.fill('#f-passwordConfirm', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  t.is(await text(p, '.error-summary li'), '验证码不正确，请核对短信，或重新获取验证码。');
  t.is(await p.inputValue('#f-name'), '张三', 'input kept on error');
  await p.fill('#f-code', (await smsCode(h.deps, '13800001111'))!);
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.fill('#f-passwordConfirm', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  await p.waitForURL(/\/account$/);
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

/** The ticket id of `number`, as a staff client sees it (the API's search by number). */
async function idOf(staff: { get: (p: string) => Promise<{ body: any }> }, number: string): Promise<string> {
  const r = await staff.get(`/api/v1/tickets?q=${number}`);
  return r.body.items[0].id;
}

/**
 * Opens the track page of `number` with `code` in a browser that has not looked it up yet: the
 * lookup form, then (303, post/redirect/get) the ticket at an address without the code.
 */
async function track(p: import('playwright-core').Page, number: string, code: string) {
  await p.goto(`${h.url}/track?number=${number}`);
  t0(await p.inputValue('#f-number'), number);
  await p.fill('#f-code', code);
  await p.click('button:has-text("查询")');
  await p.waitForSelector('.timeline');
  t0(p.url(), `${h.url}/track?number=${number}`);
}
/** Opens the track page of `number` again in the browser that looked it up: the ticket at once, no code asked (its sealed cookie). */
async function reopen(p: import('playwright-core').Page, number: string) {
  await p.goto(`${h.url}/track?number=${number}`);
  await p.waitForSelector('.timeline');
  t0(await p.locator('form[action="/track"]').count().then(String), '0');
}
let t0: (a: string, b: string) => void = () => undefined;

/** The natural width of an image once it has loaded (scrolled into view: thumbnails load lazily); 0 if it failed. */
export async function loadedWidth(img: import('playwright-core').Locator): Promise<number> {
  await img.scrollIntoViewIfNeeded();
  return img.evaluate((el: any) =>
    el.complete
      ? el.naturalWidth
      : new Promise((r) => {
          el.onload = el.onerror = () => r(el.naturalWidth);
        }),
  );
}

test.serial('a complaint without an account: a field error fixed, the receipt, tracked with the code, supplemented, rated (closes)', async (t) => {
  t0 = (a, b) => t.is(a, b);
  await b.reset();
  const tax = await h.staff('tax1', 'handler', 'TAX');
  const p = await b.page(h.url + '/');
  await p.click('text=反映问题 / 提建议');
  await look(t, p, 'submit-complaint');
  await p.selectOption('#f-category', { label: '税费缴纳' });
  await p.fill('#f-title', '定额税核定偏高');
  await p.fill('#f-description', '今年营业额下降了三成，但定额没有调整。');
  await p.fill('#f-owner-name', '李四');
  await p.fill('#f-owner-phone', '1380000abcd');
  await p.click('button:has-text("提交")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['手机号码不正确：应为11位数字，以1开头。']);
  // app.js (deferred) marks <html class="js"> first and focuses the summary at its end, in one task:
  // once the mark is there the focus has been set, however slow the machine (no timeout to tune)
  await p.waitForSelector('html.js', { state: 'attached', timeout: 60_000 });
  t.is(await p.evaluate('document.activeElement && document.activeElement.className'), 'error-summary', 'focus moves to the error summary');
  t.is(await p.inputValue('#f-title'), '定额税核定偏高', 'input kept');
  await look(t, p, 'submit-complaint-error');
  await p.click('.error-summary a');
  t.is(await p.evaluate('document.activeElement && document.activeElement.id'), 'f-owner-phone', 'the summary links to the field');
  // typed with full-width digits (a Chinese input method): the same number, no message
  await p.fill('#f-owner-phone', '１３８００００２２２２');
  await p.click('button:has-text("提交")');
  await p.waitForSelector('.panel');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  t.regex(number, /^FL2026\d{6}$/);
  t.regex(code, /^[A-Z2-9]{10}$/);
  const [listed] = (await h.admin.get(`/api/v1/tickets?q=${number}`)).body.items;
  t.is((await h.admin.get(`/api/v1/tickets/${listed.id}`)).body.contact.phone, '13800002222', 'kept as ASCII digits');
  // the reply deadline: 5 working days from Mon 2 Nov 2026 → Tue 10 Nov 00:00, written as the end of Mon 9 Nov
  t.regex(await text(p, 'main'), /最晚在 2026年11月9日（周一）24:00前 答复您（还剩5个工作日/);
  t.true(await p.isVisible('button:has-text("复制查询码")'), 'the copy button appears with JavaScript');
  await look(t, p, 'receipt');

  // 查看办理进度 opens the ticket at once (the number and the code posted from the receipt, in no address)
  await p.click('button:has-text("查看办理进度")');
  await p.waitForSelector('.timeline');
  t.is(p.url(), `${h.url}/track?number=${number}`);
  t.is(await text(p, '.tag'), '待签收');
  // another day, another browser: the lookup asks for the code
  await b.reset();
  await p.goto(`${h.url}/track?number=${number}`);
  await look(t, p, 'track-lookup');
  await p.fill('#f-code', 'WRONGCODE2');
  await p.click('button:has-text("查询")');
  t.is(await text(p, '.error-summary p'), '工单编号或查询码不正确，请核对后再输入。');
  await track(p, number, code.toLowerCase());
  t.is(await text(p, '.tag'), '待签收');
  t.regex(await text(p, '.lead'), /已经交给区税务局，等待签收/);
  await look(t, p, 'track-dispatched');

  const id = await idOf(tax, number);
  await tax.post(`/api/v1/tickets/${id}/sign`);
  await tax.post(`/api/v1/tickets/${id}/note`, { text: '内部备注：先查去年的核定表' });
  await tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供近三个月的营业额流水。' });
  await reopen(p, number);
  t.regex(await text(p, '#supplement ~ .timeline__text'), /请提供近三个月的营业额流水/);
  t.notRegex(await text(p, 'main'), /内部备注|tax1/, 'no internal note, no staff name');
  await look(t, p, 'track-supplement');
  await p.click('button:has-text("提交补充")');
  t.is(await text(p, '.error-summary li'), '请写明您要补充的内容。');
  await p.fill('#f-message', '流水已发到邮箱，10月营业额 8000 元。');
  await p.click('button:has-text("提交补充")');
  t.regex(await text(p, '[role=status]'), /已经把补充的内容交给办理部门/);
  t.is(await text(p, '.tag'), '办理中');

  // a stale page: asked again, supplemented from another window, then sent from this one: the
  // message where the form was (409), the text typed shown as not sent, nothing changed
  await tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请再提供10月的发票。' });
  await reopen(p, number);
  await p.fill('#f-message', '10月发票见附件。');
  const other = await h.http.post(`/api/v1/track/${number}/supplement`, { code, message: '发票已寄出。' });
  t.is(other.status, 200);
  const eventsBefore = (await tax.get(`/api/v1/tickets/${id}/events`)).body.items.length;
  const [stale] = await Promise.all([p.waitForResponse((r) => r.url().endsWith('/track/supplement')), p.click('button:has-text("提交补充")')]);
  t.is(stale.status(), 409);
  t.is(await text(p, '#supplement + .error-summary .error-summary__title'), '补充没有提交');
  t.is(await text(p, '#supplement + .error-summary p'), '办理部门现在不再等您补充材料（可能已经在别的窗口补充过了），这次填写的内容没有提交。请看下面的最新进展。');
  t.is(await text(p, '#unsent-message'), '10月发票见附件。');
  t.is(await p.locator('form[action="/track/supplement"]').count(), 0);
  t.is(await text(p, '.tag'), '办理中');
  t.is((await tax.get(`/api/v1/tickets/${id}/events`)).body.items.length, eventsBefore);
  await look(t, p, 'track-supplement-stale');
  await p.setViewportSize(DESKTOP);
  await look(t, p, 'track-supplement-stale-desktop');
  await p.setViewportSize(PHONE);

  await tax.post(`/api/v1/tickets/${id}/reply`, { outcome: 'resolved', message: '已按实际营业额重新核定，每月减少 200 元。' });
  await reopen(p, number);
  t.regex(await text(p, '.timeline'), /答复：已解决.*已按实际营业额重新核定/);
  await look(t, p, 'track-rate');
  await p.check('#f-rating-1');
  await p.fill('#f-comment', '谢谢');
  await p.click('button:has-text("提交评价")');
  t.is(await text(p, '.tag'), '已办结');
  t.is((await h.http.get(`/api/v1/track/${number}?code=${code}`)).body.state, 'closed');
  await look(t, p, 'track-closed');
  await p.close();
});

test.serial('a complaint with a photo: a file of the wrong type named at the field (input kept), then the photo; on the track page with its preview and download', async (t) => {
  await b.reset();
  const p = await b.page(h.url + '/submit/complaint');
  await p.selectOption('#f-category', { label: '经营场所与建设' });
  await p.fill('#f-title', '菜市场门口积水');
  await p.fill('#f-description', '下雨后门口积水，顾客进不来。');
  await p.fill('#f-owner-name', '陈十');
  await p.fill('#f-owner-phone', '13800007777');
  await p.setInputFiles('#f-file', [{ name: '说明.txt', mimeType: 'text/plain', buffer: Buffer.from('只是文字') }]);
  await p.click('button:has-text("提交")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['“说明.txt”的格式不能上传：请选择照片（JPG、PNG、HEIC）、PDF、Word、Excel 或录音（MP3、AMR、WAV）。']);
  t.is(await text(p, '#f-file-error'), '错误：“说明.txt”的格式不能上传：请选择照片（JPG、PNG、HEIC）、PDF、Word、Excel 或录音（MP3、AMR、WAV）。');
  t.is(await text(p, '#f-file-dropped'), '这次选的文件都没有上传，请重新选择。');
  t.is(await p.inputValue('#f-title'), '菜市场门口积水', 'input kept');
  t.is(await p.inputValue('#f-owner-phone'), '13800007777');
  await look(t, p, 'submit-complaint-file-error');
  // with JavaScript a file over the bound is named at once, before anything is sent
  // (a file on disk: the local browser reads it itself; a 10 MB buffer would travel through the protocol)
  const dir = mkdtempSync(join(tmpdir(), 'owner-files-'));
  writeFileSync(join(dir, '大图.jpg'), Buffer.alloc(10 * 1024 * 1024 + 1, 0xff));
  await p.setInputFiles('#f-file', join(dir, '大图.jpg'), { timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  t.is(await text(p, '#f-file-check'), '“大图.jpg”太大：每个文件不能超过10MB，请重新选择。');
  t.is(await p.evaluate("document.getElementById('f-file').files.length"), 0, 'the choice is cleared');
  await p.setInputFiles('#f-file', [{ name: '门口积水.jpg', mimeType: 'image/jpeg', buffer: await gpsJpeg() }]);
  t.is(await text(p, '#f-file-check'), '');
  await p.click('button:has-text("提交")');
  await p.waitForSelector('.panel');
  t.is(await text(p, '#received-files'), '同时收到您的1个文件：门口积水.jpg。');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  await track(p, number, code);
  const item = p.locator('.timeline__item', { hasText: '提交' }).locator('.files__item');
  t.is(await item.count(), 1, 'the photo shows with the step it came with');
  t.regex((await item.textContent())!, /门口积水\.jpg\s+照片 · \d+KB · 下载/);
  const img = item.locator('img.files__thumb');
  t.is(await loadedWidth(img), 96, "the preview (the service's WebP) loads in the page");
  await look(t, p, 'track-with-photo');
  const href = (await item.locator('a').getAttribute('href'))!;
  t.notRegex(href, new RegExp(code, 'i'), 'the link does not carry the access code');
  const got = await p.context().request.get(h.url + href);
  t.is(got.status(), 200);
  t.is(got.headers()['content-type'], 'image/jpeg');
  t.regex(got.headers()['content-disposition'], /^attachment; /);
  const row = await h.deps.db.getRepository(TicketAttachment).findOneByOrFail({ name: '门口积水.jpg' });
  t.is(got.headers()['repr-digest'], `sha-256=:${Buffer.from(row.sha256, 'hex').toString('base64')}:`);
  t.is((await fetch(h.url + href)).status, 404, 'the link does not work in another browser (no binding cookie)');
  await p.close();
});

test.serial('a bad rating reopens the ticket in the same department', async (t) => {
  await b.reset();
  const tax = await h.staff('tax2', 'handler', 'TAX');
  const created = await h.http.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'web',
    category: 'tax_fees',
    title: '发票领用受限',
    description: '每月只能领25份。',
    owner: { name: '王五', phone: '13800003333' },
  });
  const id = created.body.id;
  await tax.post(`/api/v1/tickets/${id}/sign`);
  await tax.post(`/api/v1/tickets/${id}/reply`, { outcome: 'explained', message: '按规定办理。' });
  const p = await b.page();
  await track(p, created.body.number, created.body.accessCode);
  await p.check('#f-rating-3');
  await p.click('button:has-text("提交评价")');
  t.is(await text(p, '.tag'), '待签收');
  t.regex(await text(p, '.timeline'), /评价：不满意.*重新办理/);
  const api = (await h.http.get(`/api/v1/track/${created.body.number}?code=${created.body.accessCode}`)).body;
  t.is(api.state, 'dispatched');
  t.is(api.cycle, 2);
  t.is(api.departmentCode, 'TAX');
  await p.close();
});

test.serial('an anonymous integrity report: no identity asked or kept, tracked only with the code; HTML in a title shows as text', async (t) => {
  await b.reset();
  const p = await b.page(h.url + '/submit/integrity');
  t.regex(await text(p, '.inset'), /被举报的部门和人员看不到举报内容/);
  await look(t, p, 'submit-integrity');
  await p.check('#f-anonymous');
  t.false(await p.isVisible('#f-owner-name'), 'contact fields hidden when anonymous');
  let dialogs = 0;
  p.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await p.selectOption('#f-accused-departmentCode', 'HRSS');
  await p.check('label:has-text("违规收费")');
  await p.fill('#f-accused-amountYuan', '300.5');
  await p.fill('#f-accused-occurredOn', '2026-10-28');
  await p.fill('#f-title', '<script>alert(1)</script>检查时收“会务费”');
  await p.fill('#f-description', '对方说不交就不给办证。<img src=x onerror=alert(2)>');
  await p.setInputFiles('#f-file', [{ name: '收据.pdf', mimeType: 'application/pdf', buffer: pdf() }]);
  await p.click('button:has-text("提交举报")');
  await p.waitForSelector('.panel');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  await look(t, p, 'receipt-integrity');
  await track(p, number, code);
  t.is(await text(p, 'h1'), '<script>alert(1)</script>检查时收“会务费”', 'the title shows as text');
  t.is(dialogs, 0, 'no script ran');
  t.regex(await text(p, '.lead'), /区纪委监委/);
  t.deepEqual(await p.locator('.files__item span:first-child').allTextContents(), ['收据.pdf'], 'the reporter sees the evidence sent');
  const row = await h.deps.db.query(`SELECT anonymous, contact, submitter_id FROM ticket WHERE number = '${number}'`);
  t.truthy(row[0].anonymous);
  t.is(row[0].contact, null);
  t.is(row[0].submitter_id, null);
  await p.close();
});

test.serial('signed in: my tickets with state and next deadline, tracked without a code, withdrawn before the reply', async (t) => {
  await b.reset();
  const p = await b.page(h.url + '/account/sign-in');
  await p.fill('#f-phone', '13800001111');
  await p.fill('#f-password', 'Owner-Pw-123');
  await p.click('button[type=submit]');
  await p.waitForURL(/\/account$/);
  await p.goto(h.url + '/submit/complaint?kind=suggestion');
  t.regex(await text(p, '.inset'), /您已登录（张三）/);
  await p.selectOption('#f-category', { label: '其他' });
  await p.fill('#f-title', '建议延长政务大厅午间服务');
  await p.fill('#f-description', '中午来办事的经营户多。');
  await p.click('button:has-text("提交")');
  await p.waitForSelector('.panel');
  t.is(await p.locator('#access-code').count(), 0, 'a signed-in owner needs no access code');
  const number = await text(p, '#ticket-number');
  await p.goto(h.url + '/account');
  t.regex(await text(p, '.ticket-list__item'), new RegExp(`编号 ${number} · 待分派 答复期限：2026年11月23日（周一）24:00前（还剩15个工作日）`));
  await look(t, p, 'account-tickets');
  await p.click(`text=建议延长政务大厅午间服务`);
  await p.waitForSelector('.timeline');
  await look(t, p, 'track-signed-in');
  await p.click('button:has-text("撤回这件工单")');
  t.is(await text(p, '.tag'), '已撤回');
  await p.close();
});

test.serial('objections: inside the window from the home page; refused once the window has closed', async (t) => {
  await b.reset();
  const coord = await h.staff('coord1', 'coordinator', 'SAMR');
  const notice = await coord.post('/api/v1/result-notices', {
    title: '2026年度“名特优新”个体工商户拟认定名单',
    publishedOn: '2026-11-02',
    entries: [
      { creditCode: '92500102AY4CL12TH8', businessName: '涪陵区老街面馆', category: 'specialty' },
      { creditCode: '92500102EUHUXQEEG7', businessName: '涪陵区榨菜铺', category: 'famous' },
    ],
  });
  t.is(notice.status, 201, notice.text);
  const p = await b.page(h.url + '/');
  await p.click(`text=${notice.body.title}`);
  t.regex(await text(p, 'main'), /异议期2026年11月2日（周一）至2026年11月6日（周五）/);
  await look(t, p, 'notice');
  await p.click('text=提出异议');
  await look(t, p, 'submit-objection');
  await p.click('button:has-text("提交异议")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), [
    '请选择您要提出异议的经营户。',
    '请写明具体情况：发生了什么、在哪里、什么时候。',
    '请填写您的姓名。',
    '请填写手机号码，办理部门会用它联系您。',
  ]);
  await p.check('label:has-text("涪陵区榨菜铺")');
  await p.fill('#f-description', '该店去年因产品质量问题被处罚过。');
  await p.fill('#f-owner-name', '赵六');
  await p.fill('#f-owner-phone', '13800004444');
  await p.click('button:has-text("提交异议")');
  await p.waitForSelector('.panel');
  t.regex(await text(p, '#ticket-number'), /^FL2026\d{6}$/);

  // a form opened inside the window and sent after it closed (00:00 after Fri 6 Nov)
  await p.goto(`${h.url}/notices/${notice.body.id}/object`);
  await p.check('label:has-text("涪陵区老街面馆")');
  await p.fill('#f-description', '理由');
  await p.fill('#f-owner-name', '赵六');
  await p.fill('#f-owner-phone', '13800004444');
  h.clock.set(new Date('2026-11-07T08:00:00+08:00'));
  await p.click('button:has-text("提交异议")');
  t.regex(await text(p, '.error-summary'), /现在不在异议期内|异议期已经结束/);
  await look(t, p, 'submit-objection-closed');
  await p.goto(`${h.url}/notices/${notice.body.id}/object`);
  t.regex(await text(p, '.warning'), /异议期已经结束/);
  t.is(await p.locator('form button:has-text("提交异议")').count(), 0);
  await p.close();
});

/**
 * With JavaScript off (issue 9: every owner page works so): submit a complaint, read the
 * receipt, track it with the code, supplement when asked. One browser, JavaScript disabled.
 */
import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { openBrowser, screenshot, staffSignIn, text, TestBrowser } from '../helpers/browser';
import { gpsJpeg, pdf } from '../attachments/fixtures';

let h: Harness;
let b: TestBrowser;
test.before(async () => {
  h = await startHarness();
  b = await openBrowser({ javaScript: false });
});
test.after.always(async () => {
  await b?.close();
  await h?.close();
});

test.serial('submit, receipt and track without JavaScript', async (t) => {
  const hrss = await h.staff('hrss1', 'handler', 'HRSS');
  const p = await b.page(h.url + '/');
  await p.click('text=反映问题 / 提建议');
  t.true(await p.isVisible('#f-owner-name'), 'contact fields stay visible without JavaScript');
  await p.check('#f-kind-1');
  await p.selectOption('#f-category', { label: '社会保险' });
  await p.fill('#f-title', '灵活就业社保补贴申请没有回音');
  await p.fill('#f-description', '9月提交的申请至今没有结果。');
  await p.fill('#f-owner-name', '孙七');
  await p.click('button:has-text("提交")');
  t.deepEqual(await p.locator('.error-summary li').allTextContents(), ['请填写手机号码，办理部门会用它联系您。']);
  t.is(await p.inputValue('#f-title'), '灵活就业社保补贴申请没有回音');
  await p.fill('#f-owner-phone', '13800005555');
  await p.setInputFiles('#f-file', [{ name: '申请表.jpg', mimeType: 'image/jpeg', buffer: await gpsJpeg() }]);
  await p.click('button:has-text("提交")');
  await p.waitForSelector('.panel');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  t.is(p.url(), `${h.url}/submit/receipt?number=${number}`, 'post/redirect/get: the code in no address');
  const tickets = (await h.admin.get('/api/v1/tickets')).body.items.length;
  await p.reload();
  t.is(await text(p, '#access-code'), code, 'a reload shows the same receipt');
  t.is((await h.admin.get('/api/v1/tickets')).body.items.length, tickets, 'and submits nothing');
  t.false(await p.isVisible('button:has-text("复制查询码")'), 'no copy button without JavaScript; the code is on screen');
  t.is(await text(p, '#received-files'), '同时收到您的1个文件：申请表.jpg。');
  t.regex(await text(p, 'main'), /最晚在 2026年11月23日（周一）24:00前 答复您/, 'a suggestion: 15 working days');
  await screenshot(p, 'nojs-receipt'); // axe needs JavaScript: the same pages are checked in owner-flows.test.ts

  // 查看办理进度 opens the ticket: the number and the code go in a POST, not typed again, in no address
  t.is(await p.locator('main a[href^="/track?number="]').count(), 0, 'no link that would ask for the code again');
  await p.click('button:has-text("查看办理进度")');
  await p.waitForURL(`${h.url}/track?number=${number}`);
  t.is(await p.locator('#f-code').count(), 0, 'the ticket, not the lookup form asking for the code');
  t.is(await text(p, '.tag'), '待签收');
  t.is(p.url(), `${h.url}/track?number=${number}`, 'post/redirect/get: the code in no address');
  const id = (await hrss.get(`/api/v1/tickets?q=${number}`)).body.items[0].id;
  await hrss.post(`/api/v1/tickets/${id}/sign`);
  await hrss.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供申请的受理回执编号。' });
  // the same browser opens the ticket again without the code (the lookup's sealed cookie)
  await p.goto(`${h.url}/track?number=${number}`);
  t.is(await p.locator('form[action="/track"]').count(), 0, 'no lookup form');
  await p.fill('#f-message', '回执编号 RS2026-0912-07。');
  await p.setInputFiles('#f-file', [{ name: '受理回执.pdf', mimeType: 'application/pdf', buffer: pdf() }]);
  await p.click('button:has-text("提交补充")');
  t.regex(await text(p, '[role=status]'), /已经把补充的内容和1个文件交给办理部门/);
  t.is(await text(p, '.tag'), '办理中');
  t.is(p.url(), `${h.url}/track?number=${number}`, 'the notice comes from the POST, not from the address');
  const events = (await hrss.get(`/api/v1/tickets/${id}/events`)).body.items.length;
  await p.reload();
  t.is(await p.locator('[role=status]').count(), 0, 'a reload shows the notice no more');
  t.is(await text(p, '.tag'), '办理中');
  t.is((await hrss.get(`/api/v1/tickets/${id}/events`)).body.items.length, events, 'a reload posts nothing');
  // the photo with the submission (its preview, the service's own WebP), the PDF with the supplement
  const created = p.locator('.timeline__item', { hasText: '提交' }).locator('.files__item');
  t.regex((await created.textContent())!, /申请表\.jpg\s+照片 · \d+KB · 下载/);
  const img = created.locator('img');
  await img.scrollIntoViewIfNeeded();
  t.is(
    await img.evaluate((el: any) =>
      el.complete
        ? el.naturalWidth
        : new Promise((r) => {
            el.onload = el.onerror = () => r(el.naturalWidth);
          }),
    ),
    96,
    'the preview loads',
  );
  const supplemented = p.locator('.timeline__item', { hasText: '补充了材料' }).locator('.files__item');
  t.regex((await supplemented.textContent())!, /受理回执\.pdf\s+文件 · 1KB · 下载/);
  t.is(await supplemented.locator('img').count(), 0, 'no preview of a document');
  const files = (await hrss.get(`/api/v1/tickets/${id}/attachments`)).body.items.map((a: any) => [a.name, a.context, a.internal]);
  t.deepEqual(
    files,
    [
      ['申请表.jpg', 'create', false],
      ['受理回执.pdf', 'supplement', false],
    ],
    'the department gets both',
  );
  await screenshot(p, 'nojs-track');
  await p.close();
});

test.serial('ten wrong codes: the limit says when to try again, on the API too', async (t) => {
  const created = await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '限次', description: '测', owner: { name: '周八', phone: '13800006666' } });
  const p = await b.page(`${h.url}/track?number=${created.body.number}`);
  for (let i = 0; i < 10; i++) {
    await p.fill('#f-code', 'WRONGWRONG');
    await p.click('button:has-text("查询")');
  }
  t.is(await text(p, '.error-summary p'), '工单编号或查询码不正确，请核对后再输入。');
  await p.fill('#f-code', created.body.accessCode);
  await p.click('button:has-text("查询")');
  t.regex(await text(p, '.error-summary p'), /^尝试次数过多，请1[45]分钟后再试。$/);
  t.is((await h.http.get(`/api/v1/track/${created.body.number}?code=${created.body.accessCode}`)).status, 429, 'one counter for pages and API');
  await p.close();
});

test.serial("the call form without JavaScript: intake sees the caller's earlier ticket, registers anyway and reads out the number and access code", async (t) => {
  await h.staff('intake1', 'intake', 'SAMR');
  const intake = await h.staff('intake2', 'intake', 'SAMR');
  const caller = { name: '周八', phone: '13800006789' };
  const earlier = await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '上个月反映的定额税', description: '定额税偏高。', owner: caller });
  t.is(earlier.status, 201);
  const p = await staffSignIn(b, h.url, 'intake1');
  t.is(p.url(), `${h.url}/work/call`);
  t.is(await p.evaluate('document.documentElement.className'), '', 'no script ran');
  await p.selectOption('#f-category', 'tax_fees');
  await p.fill('#f-title', '定额税还是偏高');
  await p.fill('#f-description', '来电人说营业额下降，定额没有调整。');
  await p.fill('#f-owner-name', caller.name);
  await p.fill('#f-owner-phone', caller.phone);
  await p.click('main button:has-text("登记")');
  t.regex(await text(p, '.work-dupes'), /来电人以前反映过 1 件事/);
  t.regex(await text(p, '#dupes'), new RegExp(earlier.body.number));
  t.is(await p.inputValue('#f-title'), '定额税还是偏高', 'the form keeps what was typed');
  await p.click('button:has-text("不是同一问题，登记为新工单")');
  t.is(await text(p, 'h1'), '已登记');
  const number = await text(p, '#ticket-number');
  const code = await text(p, '#access-code');
  t.regex(number, /^FL\d{10}$/);
  t.regex(code, /^[A-HJ-NP-Z2-9]{10}$/);
  await screenshot(p, 'work-call-receipt-nojs');
  const tracked = await h.http.get(`/api/v1/track/${number}?code=${encodeURIComponent(code)}`);
  t.is(tracked.status, 200, 'the code read out opens the ticket');
  t.like(tracked.body, { number, title: '定额税还是偏高', state: 'dispatched' });
  const mine = (await intake.get(`/api/v1/tickets?q=${number}`)).body.items;
  t.deepEqual(
    mine.map((x: { number: string; channel: string }) => [x.number, x.channel]),
    [[number, 'hotline']],
  );
  await p.close();
});

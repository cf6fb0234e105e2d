/**
 * The page foundation over plain HTTP (issue 9): security headers and CSP, hashed assets
 * with a long cache, CSRF on every form, cookie sessions kept in the database (sign-out and
 * deactivation end them at once, idle timeout, password change signs other browsers out),
 * the HTML error pages. The flows in a real browser are in owner-flows.test.ts.
 */
import test from 'ava';
import { startHarness, Harness, smsCode } from '../helpers/harness';
import { SessionStore, purgeExpiredSessions } from '../../src/commands/sessions';
import { WebSession, User, Ticket, TicketAttachment, OutboxMessage } from '../../src/entities';
import { Browserless } from '../helpers/browserless';
import { dispatchSuggestion } from '../../src/queries/workbench';
import { pdf } from '../attachments/fixtures';

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

test('pages carry a CSP without unsafe-inline and load only hashed, long-cached assets of the service', async (t) => {
  const b = new Browserless(h.url);
  const r = await b.get('/');
  t.is(r.status, 200);
  const csp = r.headers.get('content-security-policy')!;
  t.regex(csp, /script-src 'self'/);
  t.regex(csp, /style-src 'self'/);
  t.notRegex(csp, /unsafe-inline|unsafe-eval|\*/);
  t.is(r.headers.get('x-frame-options'), 'DENY');
  t.notRegex(r.text, /<script>|style="|\son[a-z]+="/, 'no inline script, style or handler');
  const urls = [...r.text.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  t.true(urls.length >= 2);
  t.notRegex(r.text, /https?:\/\/(?!127\.0\.0\.1)/, 'no remote asset');
  for (const u of urls) {
    t.regex(u, /^\/assets\/[a-z]+\.[0-9a-f]{10}\.(css|js|svg)$/);
    const a = await fetch(h.url + u);
    t.is(a.status, 200);
    t.is(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  }
  const js = await (await fetch(h.url + urls.find((u) => u.endsWith('.js'))!)).text();
  t.true(js.length < 4096, `a few KB of JS at most (${js.length} bytes)`);
  t.is((await fetch(`${h.url}/assets/app.0000000000.css`)).status, 404);
});

test('every form needs its CSRF token: a forged post changes nothing', async (t) => {
  const b = new Browserless(h.url);
  await b.get('/account/register');
  const forged = await b.req('POST', '/account/register', { name: '伪造', phone: '13900000001', password: 'Forged-Pw-123', passwordConfirm: 'Forged-Pw-123' });
  t.is(forged.status, 403);
  t.regex(forged.text, /页面已经过期/);
  const other = new Browserless(h.url);
  const token = await other.csrf('/account/register');
  const stolen = await b.req('POST', '/account/register', { _csrf: token, name: '伪造', phone: '13900000001', password: 'Forged-Pw-123', passwordConfirm: 'Forged-Pw-123' });
  t.is(stolen.status, 403, "another browser's token does not fit this browser's cookie");
  const noCookie = await new Browserless(h.url).req('POST', '/account/register', { _csrf: token, name: '伪造', phone: '13900000001', password: 'Forged-Pw-123', passwordConfirm: 'Forged-Pw-123' });
  t.is(noCookie.status, 403);
  t.regex(noCookie.text, /Cookie/);
  t.is(await h.deps.db.getRepository(User).countBy({ username: '13900000001' }), 0);
});

test('sessions: HttpOnly SameSite=Lax cookie, kept in the database; sign-out and deactivation end them at once', async (t) => {
  const b = new Browserless(h.url);
  const sent = await b.post('/account/register/code', { phone: '13900000002' }, '/account/register');
  t.is(sent.status, 303);
  const code = (await smsCode(h.deps, '13900000002'))!;
  const noCode = await b.post(
    '/account/register',
    { phone: '13900000002', code: '', name: '经营户乙', password: 'Owner-Pw-456', passwordConfirm: 'Owner-Pw-456' },
    '/account/register?phone=13900000002',
  );
  t.is(noCode.status, 400);
  t.regex(noCode.text, /<a href="#f-code">请填写短信验证码。<\/a>/);
  t.notRegex(noCode.text, /查询码/);
  const reg = await b.post('/account/register', { phone: '13900000002', code, name: '经营户乙', password: 'Owner-Pw-456', passwordConfirm: 'Owner-Pw-456' }, '/account/register?phone=13900000002');
  t.is(reg.status, 303);
  const cookie = reg.setCookies.find((c) => c.startsWith('gt_session='))!;
  t.regex(cookie, /HttpOnly/);
  t.regex(cookie, /SameSite=Lax/);
  t.notRegex(cookie, /Secure/, 'plain http here: PUBLIC_URL is http://localhost:3000');
  const u = await h.deps.db.getRepository(User).findOneByOrFail({ username: '13900000002' });
  t.is(await h.deps.db.getRepository(WebSession).countBy({ userId: u.id }), 1);
  const token = b.cookies.get('gt_session')!;
  t.false(
    (await h.deps.db.getRepository(WebSession).find()).some((s) => s.id === token),
    'the row holds a hash, not the token',
  );
  // the registration's notice, once, for the account it signed in
  const mine = await b.get('/account');
  t.regex(mine.text, /我的工单/);
  t.true(mine.text.includes('<div class="inset" role="status">注册成功，您已登录。</div>'));
  t.false((await b.get('/account')).text.includes('注册成功'), 'once');

  // a second browser of the same account; the first signs out: only its own session ends
  const b2 = new Browserless(h.url);
  t.is((await b2.post('/account/sign-in', { phone: '13900000002', password: 'Owner-Pw-456' }, '/account/sign-in')).status, 303);
  t.is(await h.deps.db.getRepository(WebSession).countBy({ userId: u.id }), 2);
  const stale = new Browserless(h.url);
  stale.cookies = new Map(b.cookies);
  t.is((await b.post('/account/sign-out', {}, '/account')).status, 303);
  t.is(await h.deps.db.getRepository(WebSession).countBy({ userId: u.id }), 1);
  const replayed = await stale.get('/account');
  t.is(replayed.status, 401, 'the copied cookie of a signed-out session is worth nothing');
  t.regex(replayed.text, /请先登录/);

  // deactivated: the other browser's next request is anonymous, its session row gone
  await h.deps.db.getRepository(User).update({ id: u.id }, { active: false });
  t.is((await b2.get('/account')).status, 401);
  t.is(await h.deps.db.getRepository(WebSession).countBy({ userId: u.id }), 0);
  await h.deps.db.getRepository(User).update({ id: u.id }, { active: true });
});

test('sign-in errors: one message for a wrong password, the field kept; the same limits as the API', async (t) => {
  await h.owner('13900000003', { password: 'Owner-Pw-789', name: '经营户丙' });
  const b = new Browserless(h.url);
  const wrong = await b.post('/account/sign-in', { phone: '13900000003', password: 'not-it-at-all' }, '/account/sign-in');
  t.is(wrong.status, 401);
  t.regex(wrong.text, /手机号码或密码不正确/);
  t.regex(wrong.text, /value="13900000003"/);
  // staff sign in with a username: the message names the username, for an account or not (decided by what was typed)
  await h.staff('signinstaff', 'handler', 'TAX');
  for (const username of ['signinstaff', 'nosuchstaff']) {
    const staff = await new Browserless(h.url).post('/account/sign-in', { phone: username, password: 'not-it-at-all' }, '/account/sign-in');
    t.is(staff.status, 401);
    t.true(staff.text.includes('用户名或密码不正确。'), username);
    t.false(staff.text.includes('手机号码或密码不正确'), username);
  }
  const empty = await b.post('/account/sign-in', { phone: '', password: '' }, '/account/sign-in');
  t.is(empty.status, 400);
  t.regex(empty.text, /href="#f-phone"/);
  // the API's failures count for the pages too (one store, one key per username)
  for (let i = 0; i < 9; i++) await h.http.post('/api/v1/auth/login', { username: '13900000003', password: 'wrong-password' });
  const limited = await b.post('/account/sign-in', { phone: '13900000003', password: 'Owner-Pw-789' }, '/account/sign-in');
  t.is(limited.status, 429);
  t.regex(limited.text, /请1[0-5]分钟后再试/);
});

test('changing the password signs the other browsers out; a wrong current password is named', async (t) => {
  await h.owner('13900000004', { password: 'Owner-Pw-000', name: '经营户丁' });
  const a = new Browserless(h.url);
  const b = new Browserless(h.url);
  await a.post('/account/sign-in', { phone: '13900000004', password: 'Owner-Pw-000' }, '/account/sign-in');
  await b.post('/account/sign-in', { phone: '13900000004', password: 'Owner-Pw-000' }, '/account/sign-in');
  const bad = await a.post('/account/password', { currentPassword: 'nope-nope', newPassword: 'New-Owner-Pw-1', passwordConfirm: 'New-Owner-Pw-1' });
  t.is(bad.status, 422);
  t.regex(bad.text, /当前密码不正确/);
  // a crafted link says nothing happened
  const crafted = await a.get('/account?welcome=1&changed=1');
  t.false(/密码已修改|注册成功/.test(crafted.text), 'no notice from the address');
  const changed = await a.post('/account/password', { currentPassword: 'Owner-Pw-000', newPassword: 'New-Owner-Pw-1', passwordConfirm: 'New-Owner-Pw-1' });
  t.deepEqual([changed.status, changed.headers.get('location')], [303, '/account']);
  const mine = await a.get('/account');
  t.is(mine.status, 200);
  t.true(mine.text.includes('<div class="inset" role="status">密码已修改。</div>'), 'the notice of the POST');
  t.false((await a.get('/account')).text.includes('密码已修改'), 'once');
  t.is((await b.get('/account')).status, 401);
  t.is((await h.http.post('/api/v1/auth/login', { username: '13900000004', password: 'New-Owner-Pw-1' })).status, 200);
});

test.serial('idle sessions end; the sweep purges them', async (t) => {
  // a day ahead of the wall clock: the harness's worker sweep purges by wall-clock time and must not take this
  // session first; serial (ava runs serial tests before the others), so the purge below meets no other test's session
  let now = Date.now() + 86_400_000;
  const store = new SessionStore(h.deps.db, 30 * 60_000, () => now);
  const u = await h.deps.db.getRepository(User).findOneByOrFail({ username: 'admin' });
  const s = await store.create(u.id);
  now += 29 * 60_000;
  t.truthy(await store.resolve(s.token), 'used within the idle window: still signed in, window extended');
  now += 29 * 60_000;
  t.truthy(await store.resolve(s.token));
  now += 31 * 60_000;
  t.is(await store.resolve(s.token), null, '31 minutes without a request');
  const s2 = await store.create(u.id);
  t.is(await purgeExpiredSessions(h.deps.db, new Date(now + 31 * 60_000)), 1);
  t.is(await store.resolve(s2.token), null);
});

test("a session's flash (Post/Redirect/Get): sealed at rest, taken once by one of two requests at the same moment, another kind left alone", async (t) => {
  const store = new SessionStore(h.deps.db, 30 * 60_000);
  const u = await h.deps.db.getRepository(User).findOneByOrFail({ username: 'admin' });
  const s = await store.create(u.id);
  t.true(await store.setFlash(s.token, { kind: 'password-reset', userId: u.id, temporaryPassword: 'Tmp-Secret-7x' }));
  const row = await h.deps.db.getRepository(WebSession).findOneByOrFail({ id: s.id });
  t.truthy(row.flash);
  t.false(String(row.flash).includes('Tmp-Secret-7x'), 'not readable in the row');
  t.is(await store.takeFlash(s.token, 'symposium-codes'), null, 'another kind: not given');
  t.is(await store.takeFlash('another-browser-token', 'password-reset'), null);
  const [a, b] = await Promise.all([store.takeFlash(s.token, 'password-reset'), store.takeFlash(s.token, 'password-reset')]);
  t.deepEqual([a, b].filter(Boolean), [{ kind: 'password-reset', userId: u.id, temporaryPassword: 'Tmp-Secret-7x' }]);
  t.is(await store.takeFlash(s.token, 'password-reset'), null, 'once');
  t.is((await h.deps.db.getRepository(WebSession).findOneByOrFail({ id: s.id })).flash, null);
  t.false(await store.setFlash('no-such-session', { kind: 'x' }));
});

test('Secure cookies when PUBLIC_URL is https', async (t) => {
  const hs = await startHarness({ env: { PUBLIC_URL: 'https://12345.example.gov.cn' } });
  try {
    const r = await fetch(`${hs.url}/`);
    t.regex(r.headers.getSetCookie().join('\n'), /gt_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure/);
  } finally {
    await hs.close();
  }
});

test('unknown pages answer an HTML 404 to browsers and problem+json to API clients', async (t) => {
  const page = await fetch(`${h.url}/no-such-page`, { headers: { accept: 'text/html' } });
  t.is(page.status, 404);
  t.regex(await page.text(), /没有找到这个页面/);
  const api = await fetch(`${h.url}/api/v1/no-such`, { headers: { accept: 'text/html' } });
  t.is(api.status, 404);
  t.is(api.headers.get('content-type'), 'application/problem+json');
});

test('forms with files: the CSRF token and the fields are checked before the first file is stored; a refused file is named next to the field, the input kept', async (t) => {
  const stored = async () => {
    const keys: string[] = [];
    for await (const o of h.deps.storage.list('')) keys.push(o.key);
    return keys;
  };
  const before = { tickets: await h.deps.db.getRepository(Ticket).count(), files: await h.deps.db.getRepository(TicketAttachment).count(), keys: await stored() };
  const b = new Browserless(h.url);
  const token = await b.csrf('/submit/complaint');
  const fields = {
    formKey: '4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a11',
    kind: 'complaint',
    category: 'tax_fees',
    title: '门前占道',
    description: '有人长期占道。',
    'owner.name': '钱九',
    'owner.phone': '13900000009',
  };
  const photo = Buffer.from('\xff\xd8\xff\xe0 not really a photo', 'latin1');

  const forged = await b.multipart('/submit/complaint', { ...fields, _csrf: 'forged' }, [['shop.jpg', photo]]);
  t.is(forged.status, 403);
  t.regex(forged.text, /页面已经过期/);
  const other = await new Browserless(h.url).multipart('/submit/complaint', { ...fields, _csrf: token }, [['shop.jpg', photo]]);
  t.is(other.status, 403, 'a token without its cookie');

  const invalid = await b.multipart('/submit/complaint', { ...fields, _csrf: token, 'owner.phone': '123' }, [['shop.jpg', photo]]);
  t.is(invalid.status, 400);
  t.regex(invalid.text, /<a href="#f-owner-phone">手机号码不正确：应为11位数字，以1开头。<\/a>/);
  t.regex(invalid.text, /刚才选的文件没有上传，请改好上面的内容后重新选择。/);
  t.regex(invalid.text, /value="门前占道"/, 'input kept');

  const big = await b.multipart('/submit/complaint', { ...fields, _csrf: token }, [['门前.jpg', Buffer.alloc(10 * 1024 * 1024 + 1, 0xff)]]);
  t.is(big.status, 413);
  t.regex(big.text, /<p class="error-message" id="f-file-error"><span class="visually-hidden">错误：<\/span>“门前.jpg”太大：每个文件不能超过10MB。/);
  t.regex(big.text, /<a href="#f-file">“门前.jpg”太大/);
  t.regex(big.text, /value="门前占道"/, 'input kept');

  const text = await b.multipart('/submit/complaint', { ...fields, _csrf: token }, [['清单.txt', Buffer.from('只是文字')]]);
  t.is(text.status, 415);
  t.regex(text.text, /“清单.txt”的格式不能上传：请选择照片（JPG、PNG、HEIC）、PDF、Word、Excel 或录音（MP3、AMR、WAV）。/);
  t.regex(text.text, /<textarea[^>]*>有人长期占道。<\/textarea>/);

  t.is(await h.deps.db.getRepository(Ticket).count(), before.tickets, 'no ticket');
  t.is(await h.deps.db.getRepository(TicketAttachment).count(), before.files, 'no file row');
  t.deepEqual(await stored(), before.keys, 'nothing in the store');
});

test('password reset page without JavaScript: phone, code by SMS, new password; a wrong code named next to its field', async (t) => {
  await h.owner('13900000005', { password: 'Owner-Pw-555', name: '经营户戊' });
  const b = new Browserless(h.url);
  t.regex((await b.get('/account/sign-in')).text, /href="\/account\/reset"/);
  const sent = await b.post('/account/reset/code', { phone: '13900000005' }, '/account/reset');
  t.is(sent.status, 303);
  const step2 = await b.get('/account/reset?phone=13900000005');
  t.regex(step2.text, /如果 <strong>139\*\*\*\*0005<\/strong> 注册过账号，验证码短信已经发出/);
  // the code left empty: the SMS verification code is asked for (not the track page's access code)
  const empty = await b.post('/account/reset', { phone: '13900000005', code: '', newPassword: 'New-Owner-Pw-5', passwordConfirm: 'New-Owner-Pw-5' }, '/account/reset?phone=13900000005');
  t.is(empty.status, 400);
  t.regex(empty.text, /<a href="#f-code">请填写短信验证码。<\/a>/);
  t.notRegex(empty.text, /查询码/);
  const wrong = await b.post('/account/reset', { phone: '13900000005', code: '000000', newPassword: 'New-Owner-Pw-5', passwordConfirm: 'New-Owner-Pw-5' }, '/account/reset?phone=13900000005');
  t.is(wrong.status, 422);
  t.regex(wrong.text, /验证码不正确，请核对短信，或重新获取验证码。/);
  t.regex(wrong.text, /href="#f-code"/);
  const code = (await smsCode(h.deps, '13900000005', 'reset'))!;
  const done = await b.post('/account/reset', { phone: '13900000005', code, newPassword: 'New-Owner-Pw-5', passwordConfirm: 'New-Owner-Pw-5' }, '/account/reset?phone=13900000005');
  t.is(done.status, 303);
  t.is(done.headers.get('location'), '/account/sign-in');
  t.regex((await b.get('/account/sign-in')).text, /密码已经重设，请用新密码登录/);
  t.notRegex((await b.get('/account/sign-in')).text, /密码已经重设/, 'once');
  t.notRegex((await new Browserless(h.url).get('/account/sign-in?reset=1')).text, /密码已经重设/, 'never from the address');
  t.is((await b.post('/account/sign-in', { phone: '13900000005', password: 'New-Owner-Pw-5' }, '/account/sign-in')).status, 303);
  // a number without an account gets the same second step
  const other = await b.post('/account/reset/code', { phone: '13900000006' }, '/account/reset');
  t.is(other.status, 303);
  t.is(await smsCode(h.deps, '13900000006', 'reset'), null);
});

test.serial('the 401 page signs in back to the page asked for (next=, a same-site path and its query only); the sign-in page honours it', async (t) => {
  await h.staff('coordnext', 'coordinator', 'SAMR');
  const asked = '/work/tickets?state=registered&q=%E5%8F%91%E7%A5%A8';
  const b = new Browserless(h.url);
  const r = await b.get(asked);
  t.is(r.status, 401);
  t.regex(r.text, /<h1 class="heading-l">请先登录<\/h1>/);
  t.true(r.text.includes(`<a class="button" href="/account/sign-in?next=${encodeURIComponent(asked)}">登录</a>`), r.text);
  const page = await b.get(`/account/sign-in?next=${encodeURIComponent(asked)}`);
  t.true(page.text.includes(`<input type="hidden" name="next" value="${asked.replaceAll('&', '&amp;')}">`));
  const ok = await b.post('/account/sign-in', { phone: 'coordnext', password: 'Pw-coordnext-123!', next: asked }, '/account/sign-in');
  t.is(ok.status, 303);
  t.is(ok.headers.get('location'), asked);
  t.is((await b.get(asked)).status, 200, 'signed in, the page asked for opens');

  // anything but a same-site relative path is refused: the account's home instead
  for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', ' /work', '/account/sign-in?next=/x']) {
    const c = new Browserless(h.url);
    const form = await c.get(`/account/sign-in?next=${encodeURIComponent(bad)}`);
    t.true(form.text.includes('<input type="hidden" name="next" value="/account">'), bad);
    const s = await c.post('/account/sign-in', { phone: 'coordnext', password: 'Pw-coordnext-123!', next: bad }, '/account/sign-in');
    t.is(s.headers.get('location'), '/work', bad);
  }
  // a 401 page that was not asked for with GET (a form sent after the session ended): back to the form's page
  const gone = new Browserless(h.url);
  const token = await gone.csrf('/track');
  const res = await fetch(`${h.url}/account/password`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [...gone.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      referer: `${h.url}/account/password?required=1`,
    },
    body: new URLSearchParams({ _csrf: token }).toString(),
  });
  t.is(res.status, 401);
  t.true((await res.text()).includes(`href="/account/sign-in?next=${encodeURIComponent('/account/password?required=1')}"`));
});

test.serial('a complaint without an account: POST → 303 → the receipt page (no access code in any address); a reload shows it again and creates nothing; another browser gets nothing', async (t) => {
  const count = () => h.deps.db.getRepository(Ticket).count();
  const b = new Browserless(h.url);
  const form = {
    _csrf: await b.csrf('/submit/complaint'),
    formKey: '5d1e6a0b-2f3c-4d5e-8f90-a1b2c3d4e5f6',
    kind: 'complaint',
    category: 'tax_fees',
    title: '回执',
    description: '请重新核定。',
    'owner.name': '孙七',
    'owner.phone': '13900000017',
  };

  // a field wrong: the form again with the message next to the field, no redirect, nothing created
  const before = await count();
  const bad = await b.req('POST', '/submit/complaint', { ...form, 'owner.phone': '123' });
  t.is(bad.status, 400);
  t.is(bad.headers.get('location'), null);
  t.true(bad.text.includes('<p class="error-message" id="f-owner-phone-error"><span class="visually-hidden">错误：</span>手机号码不正确：应为11位数字，以1开头。'), 'the message next to the field');
  t.is(await count(), before);

  const r = await b.req('POST', '/submit/complaint', form);
  t.is(r.status, 303);
  const loc = r.headers.get('location')!;
  t.regex(loc, /^\/submit\/receipt\?number=FL\d{10}$/);
  const number = loc.slice(loc.indexOf('=') + 1);
  t.is(await count(), before + 1);
  const set = r.setCookies.find((c) => c.startsWith(`gt_receipt_${number}=`))!;
  t.regex(set, /; Path=\/submit\/receipt; HttpOnly; SameSite=Lax; Max-Age=1800$/);
  const page = await b.get(loc);
  t.is(page.status, 200);
  t.is(page.headers.get('cache-control'), 'no-store');
  t.true(page.text.includes(`<strong class="panel__value" id="ticket-number">${number}</strong>`));
  const code = /<strong class="panel__value" id="access-code">([A-Z0-9]{10})<\/strong>/.exec(page.text)![1];
  t.false(loc.includes(code) || set.includes(code), 'the code is in no address and not readable in the cookie');
  t.regex(page.text, /最晚在 <strong>2026年\d+月\d+日（周.）24:00前<\/strong> 答复您/);
  // 查看办理进度 posts the number and the code to the lookup (CSRF token included): the ticket opens, the code in no address
  const open = /<form method="post" action="\/track"[^>]*>([\s\S]*?)<\/form>/.exec(page.text)![1];
  const fields = Object.fromEntries([...open.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  t.like(fields, { number, code });
  t.false(page.text.includes('href="/track?number='), 'no link to the lookup that asks for the code again');
  const opened = await b.req('POST', '/track', fields);
  t.is(opened.status, 303);
  t.is(opened.headers.get('location'), `/track?number=${number}`);

  const reload = await b.get(loc);
  t.is(reload.status, 200);
  t.true(reload.text.includes(code), 'a reload shows the same receipt');
  // the receipt text went to the owner's phone with the code: the page says so, not that a lost code is lost for good
  const sms = await h.deps.db.getRepository(OutboxMessage).findOneByOrFail({ ticketNumber: number, channel: 'sms', notice: 'ticket_received' });
  t.true(sms.bodyText.includes(code), 'the text carries the code');
  t.true(reload.text.includes('编号和查询码也会用短信发到您的手机 139****0017'), 'the receipt names the masked phone the code goes to');
  t.false(reload.text.includes('之后丢了无法找回'), 'and does not say the code cannot be found again');
  t.true(
    reload.text.includes('<p id="info-how">如果需要您补充材料，会用短信告诉您（留了邮箱的也发邮件），查询页面上也会显示。'),
    'a request for more information comes by text (never "by phone": nobody calls)',
  );
  // anonymous: no text, so the warning stays
  const anon = await b.req('POST', '/submit/complaint', { ...form, formKey: '6e2f7b1c-3a4d-4e5f-9a01-b2c3d4e5f6a7', anonymous: '1', 'owner.name': '', 'owner.phone': '' });
  t.is(anon.status, 303);
  const anonPage = await b.get(anon.headers.get('location')!);
  t.true(anonPage.text.includes('查询码只在这个页面显示（提交后30分钟内、在这个浏览器里刷新还能看到），之后丢了无法找回'), 'the anonymous receipt says how long a reload shows the code');
  t.false(anonPage.text.includes('短信'), 'and promises no text');
  t.true(anonPage.text.includes('<p id="info-how">如果需要您补充材料，会显示在查询页面上（留了邮箱的也发邮件），请隔几天凭编号和查询码查看。'));
  t.is(await count(), before + 2, 'and creates nothing (but the anonymous one)');
  const again = await b.req('POST', '/submit/complaint', form);
  t.is(again.headers.get('location'), loc, 'the same form sent twice: the same receipt');
  t.is(await count(), before + 2);

  const other = new Browserless(h.url);
  other.cookies.set(`gt_receipt_${number}`, b.cookies.get(`gt_receipt_${number}`)!);
  const gone = await other.get(loc);
  t.is(gone.status, 410);
  t.regex(gone.text, /这个回执页面只在提交后30分钟内、在提交时用的浏览器里显示/);
  t.false(gone.text.includes(code));
  h.clock.advance(31 * 60_000);
  t.is((await b.get(loc)).status, 410, 'after 30 minutes the receipt is gone');
});

test.serial('the track page: number and code POSTed → 303 → /track?number= with the code in no address; a reload shows the ticket; rating goes through 303 too', async (t) => {
  const intake = await h.staff('intaketrack', 'intake', 'SAMR');
  const tax = await h.staff('taxtrack', 'handler', 'TAX');
  const c = await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '查询', description: 'd', owner: { name: '周八', phone: '13900000018' } });
  t.is(c.status, 201);
  const { id, number, accessCode: code } = c.body as { id: string; number: string; accessCode: string };
  const b = new Browserless(h.url);
  const wrong = await b.post('/track', { number, code: 'AAAAAAAAAA' }, '/track');
  t.is(wrong.status, 400);
  t.is(wrong.headers.get('location'), null);
  t.regex(wrong.text, /工单编号或查询码不正确，请核对后再输入。/);
  // the code as people type it from a text or a screenshot: spaces inside (full-width too), hyphens, lower case, full-width letters
  const spaced = `${code.slice(0, 4)} ${code.slice(4)}`;
  const typed = [
    spaced,
    ` ${spaced.toLowerCase()} `,
    `${code.slice(0, 5)}\u3000${code.slice(5)}`,
    `${code.slice(0, 3)}-${code.slice(3, 6)}-${code.slice(6)}`,
    `${code.slice(0, 5)}\uFF0D${code.slice(5)}`,
    asciiToFullWidth(code),
  ];
  for (const form of typed) t.is((await new Browserless(h.url).post('/track', { number, code: form }, '/track')).status, 303, `the page reads ${JSON.stringify(form)} as the code`);
  for (const form of typed) t.is((await h.http.get(`/api/v1/track/${number}?code=${encodeURIComponent(form)}`)).status, 200, `the API reads ${JSON.stringify(form)} as the code`);
  t.is((await new Browserless(h.url).post('/track', { number, code: ' - \u3000' }, '/track')).status, 400, 'spaces and hyphens alone are no code');

  const r = await b.post('/track', { number, code }, '/track');
  t.is(r.status, 303);
  t.is(r.headers.get('location'), `/track?number=${number}`);
  const set = r.setCookies.find((x) => x.startsWith('gt_track='))!;
  t.regex(set, /; Path=\/track; HttpOnly; SameSite=Lax; Max-Age=1800$/);
  t.false(set.includes(code));
  for (let i = 0; i < 2; i++) {
    const page = await b.get(`/track?number=${number}`);
    t.is(page.status, 200);
    t.regex(page.text, new RegExp(`<title>工单 ${number}`));
    t.is(page.headers.get('cache-control'), 'no-store');
  }
  const other = new Browserless(h.url);
  other.cookies.set('gt_track', b.cookies.get('gt_track')!);
  const o = await other.get(`/track?number=${number}`);
  t.regex(o.text, /<h1 class="heading-l">查询办理进度<\/h1>/, 'the cookie alone opens nothing in another browser');

  // 退出查看 (a phone or computer not the submitter's): the browser forgets the code; the lookup says so once
  const shared = new Browserless(h.url);
  t.is((await shared.post('/track', { number, code }, '/track')).status, 303);
  const viewed = await shared.get(`/track?number=${number}`);
  t.true(viewed.text.includes('<form method="post" action="/track/leave" class="no-print" id="leave">'), 'a code viewer is offered 退出查看');
  t.true(viewed.text.includes(`<input type="hidden" name="number" value="${number}">`), 'the button names the ticket');
  const leave = await shared.post('/track/leave', { number }, `/track?number=${number}`);
  t.is(leave.status, 303);
  t.is(leave.headers.get('location'), '/track');
  t.true(
    leave.setCookies.some((c) => c.startsWith('gt_track=;') && /Max-Age=0/.test(c)),
    'the lookup cookie is deleted',
  );
  t.true(
    leave.setCookies.some((c) => c.startsWith(`gt_receipt_${number}=;`) && /Path=\/submit\/receipt/.test(c) && /Max-Age=0/.test(c)),
    'and the receipt of that ticket, which shows the code for 30 minutes to the browser that submitted it',
  );
  t.true((await shared.get('/track')).text.includes('<div class="inset inset--done" role="status" id="left">已退出查看：这台设备不再保存查询码，再看需要重新输入工单编号和查询码。</div>'));
  t.false((await shared.get('/track')).text.includes('id="left"'), 'once');
  const afterLeave = await shared.get(`/track?number=${number}`);
  t.regex(afterLeave.text, /<h1 class="heading-l">查询办理进度<\/h1>/, 'the ticket asks for the code again');
  t.false(afterLeave.text.includes(code));

  t.is((await tax.post(`/api/v1/tickets/${id}/sign`, {})).status, 200);
  t.is((await tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供流水。' })).status, 200);
  // a supplement with a file (multipart, JavaScript off): 303, the notice on the GET page
  const sup = await b.multipart('/track/supplement', { _csrf: await b.csrf(`/track?number=${number}`), number, code, message: '流水见附件。' }, [['流水.pdf', pdf()]]);
  t.is(sup.status, 303, sup.text);
  t.is(sup.headers.get('location'), `/track?number=${number}`, 'nothing about the result in the address');
  t.regex((await b.get(sup.headers.get('location')!)).text, /已经把补充的内容和1个文件交给办理部门，答复期限恢复计算。/);
  t.false((await b.get(`/track?number=${number}`)).text.includes('已经把补充的内容'), 'the notice is shown once');
  t.is(await h.deps.db.getRepository(TicketAttachment).countBy({ ticketId: id }), 1);
  t.is((await tax.post(`/api/v1/tickets/${id}/reply`, { outcome: 'resolved', message: '已重新核定。' })).status, 200);
  const rated = await b.post('/track/rate', { number, code, rating: 'satisfied' }, `/track?number=${number}`);
  t.is(rated.status, 303);
  t.is(rated.headers.get('location'), `/track?number=${number}`);
  const after = await b.get(`/track?number=${number}`);
  t.regex(after.text, /谢谢您的评价，这件工单已经办结。/);
  t.is((await h.deps.db.getRepository(Ticket).findOneByOrFail({ id })).state, 'closed');
  const twice = await b.get(`/track?number=${number}`);
  t.regex(twice.text, /已办结/, 'a reload shows the closed ticket and posts nothing');
  t.false(twice.text.includes('谢谢您的评价'), 'and the notice no more');
});

test.serial('the track page after a lookup with the code shows what the code opens, also where staff are signed in (the sealed cookie before the session)', async (t) => {
  const intake = await h.staff('intakeboth', 'intake', 'SAMR');
  await h.staff('taxboth', 'handler', 'TAX');
  const c = await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '同一浏览器', description: 'd', owner: { name: '周八', phone: '13900000020' } });
  const { id, number, accessCode: code } = c.body as { id: string; number: string; accessCode: string };
  const b = new Browserless(h.url);
  t.is((await b.post('/account/sign-in', { phone: 'taxboth', password: 'Pw-taxboth-123!' }, '/account/sign-in')).status, 303);
  const tax = await h.staff('taxboth2', 'handler', 'TAX');
  t.is((await tax.post(`/api/v1/tickets/${id}/sign`, {})).status, 200);
  t.is((await tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供流水。' })).status, 200);
  const staffView = await b.get(`/track?number=${number}`);
  t.false(staffView.text.includes('action="/track/supplement"'), 'the session alone: no owner form');
  const r = await b.post('/track', { number, code }, '/track');
  t.is(r.status, 303);
  const page = await b.get(r.headers.get('location')!);
  t.true(page.text.includes('action="/track/supplement"'), 'the supplement form, as the code allows');
  t.true(page.text.includes(`<input type="hidden" name="code" value="${code}">`));
});

test.serial("the ticket page's dispatch form, like the board, neither pre-selects nor suggests the department that returned the ticket", async (t) => {
  const coord = await h.staff('coorddisp', 'coordinator', 'SAMR');
  const tax = await h.staff('taxdisp', 'handler', 'TAX');
  const c = await coord.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '退回的', description: 'd', owner: { name: '吴九', phone: '13900000019' } });
  t.is(c.body.state, 'dispatched');
  t.is((await tax.post(`/api/v1/tickets/${c.body.id}/return`, { reason: '不属于本部门。' })).status, 200);
  const b = new Browserless(h.url);
  t.is((await b.post('/account/sign-in', { phone: 'coorddisp', password: 'Pw-coorddisp-123!' }, '/account/sign-in')).status, 303);
  const page = (await b.get(`/work/tickets/${c.body.id}`)).text;
  const select = /<select[^>]*id="f-dispatch-departmentCode"[\s\S]*?<\/select>/.exec(page)?.[0] ?? /<select[^>]*name="departmentCode"[\s\S]*?<\/select>/.exec(page)![0];
  t.false(select.includes('value="TAX"'), 'the department that returned it is not offered');
  t.false(select.includes(' selected'), 'nothing pre-selected');
  t.false(select.includes('（按分派规则建议）'), 'nothing suggested');
  t.true(select.includes('value="COM"'));
  const board = (await b.get('/work')).text;
  const row = new RegExp(`<form method="post" action="/work/tickets/${c.body.id}/dispatch"[\\s\\S]*?</form>`).exec(board)![0];
  t.false(row.includes('value="TAX"') || row.includes(' selected') || row.includes('（建议）'), 'the board the same');
  // the one rule both use
  const rules = new Map([['tax_fees', 'TAX']]);
  const ret = (d: string) => ({ departmentCode: d, reason: null, at: new Date(0) });
  t.is(dispatchSuggestion('tax_fees', rules, []), 'TAX');
  t.is(dispatchSuggestion('tax_fees', rules, [ret('COM')]), 'TAX');
  t.is(dispatchSuggestion('tax_fees', rules, [ret('TAX'), ret('COM')]), null, 'returned by it earlier in the cycle');
  t.is(dispatchSuggestion(null, rules, []), null);
});

test.serial("the handler's 待办 is stacked cards below 40rem (a 390 px phone) and the table on a desktop: the markup and the stylesheet", async (t) => {
  const intake = await h.staff('intakecards', 'intake', 'SAMR');
  await h.staff('taxcards', 'handler', 'TAX');
  const c = await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '窄屏', description: 'd', owner: { name: '郑十', phone: '13900000020' } });
  t.is(c.body.state, 'dispatched');
  const b = new Browserless(h.url);
  t.is((await b.post('/account/sign-in', { phone: 'taxcards', password: 'Pw-taxcards-123!' }, '/account/sign-in')).headers.get('location'), '/work');
  const page = (await b.get('/work')).text;
  const toSign = page.slice(page.indexOf('id="to-sign"'), page.indexOf('id="in-progress"'));
  t.true(toSign.includes('<table class="table work-table work-table--cards">'));
  t.true(toSign.includes(`<td class="work-table__num"><a href="/work/tickets/${c.body.id}">${c.body.number}</a></td>`));
  for (const label of ['标题', '状态', '下一期限']) t.true(toSign.includes(`<td data-label="${label}">`), label);
  t.true(toSign.includes('<td class="work-table__act"><form'), 'the sign button in its own cell');
  const css = await (await fetch(h.url + /href="(\/assets\/app\.[0-9a-f]+\.css)"/.exec(page)![1])).text();
  t.regex(css, /@media \(max-width: 40rem\) \{\n {2}\.work-table--cards, \.work-table--cards tbody, \.work-table--cards tr, \.work-table--cards td \{ display: block; width: 100%; \}/);
  t.regex(css, /\.work-table--cards td\[data-label\]::before \{ content: attr\(data-label\) "："/);
  const list = (await b.get('/work/tickets')).text;
  t.true(list.includes('<table class="table work-table work-table--cards">'), "the ticket list is cards on a phone too (the rows partial's default)");
});

/** `ABC123` in full-width forms (Ａ…, １…), as a Chinese input method types them. */
function asciiToFullWidth(s: string): string {
  return s.replace(/[A-Za-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

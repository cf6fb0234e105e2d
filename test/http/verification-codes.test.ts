import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { startSmpp } from '../notifications/smpp-server';
import { until } from '../notifications/smtp';
import { startMailWorker, MailWorker } from '../../src/notifications/mail-worker';
import { LOGIN_MAX_PER_ADDRESS } from '../../src/http/limiter';
import { PhoneVerification } from '../../src/entities';

// issue 11 + issue 13 item 12: owner registration and password reset need a 6-digit code sent
// by SMS (here through a real SMPP server on localhost), valid 5 minutes (test clock), 5 tries,
// stored hashed, rate-limited per phone and per client; the same answer whether or not the
// number has an account.

let h: Harness;
let smpp: Awaited<ReturnType<typeof startSmpp>>;
let worker: MailWorker;
const SIG = '【涪陵区市场监管局】';

test.before(async () => {
  smpp = await startSmpp();
  h = await startHarness({ env: { SMS_URL: smpp.url, SMS_CODE_MAX_PER_CLIENT: '12' } });
  worker = await startMailWorker(h.deps, { backoffBaseMs: 50, backoffCapMs: 300, sweepIntervalMs: 250 });
});
test.after.always(async () => {
  await worker?.close();
  await h?.close();
  await smpp?.close();
});

/** Asks for a code and waits for the text to reach the phone; returns the texts of that phone. */
async function ask(phone: string, purpose: 'register' | 'reset', expectText = true) {
  const before = smpp.to(phone).length;
  const r = await h.http.post('/api/v1/owners/verification-codes', { phone, purpose });
  if (r.status !== 202 || r.body.expiresInSeconds !== 300) throw new Error(r.text);
  if (expectText) await until(() => smpp.to(phone).length > before, 20_000, `a text to ${phone}`);
  return smpp.to(phone);
}
const codeOf = (text: string) => /验证码(\d{6})，/.exec(text)![1];
const register = (phone: string, code: string, password = 'Owner-Pw-123!') => h.http.post('/api/v1/owners', { phone, code, password, name: '经营户' });
const fieldCodes = (r: { body: any }) => r.body.errors?.map((e: any) => [e.field, e.code]);

test.serial('registration end to end: the code arrives by SMS, registers once, is stored only hashed', async (t) => {
  const phone = '13722220001';
  const texts = await ask(phone, 'register');
  t.is(texts.length, 1);
  const code = codeOf(texts[0].text);
  t.is(texts[0].text, `${SIG}验证码${code}，用于注册账号，5分钟内有效。请勿告诉他人。`);
  const row = await h.deps.db.getRepository(PhoneVerification).findOneByOrFail({ phone, purpose: 'register' });
  t.false(JSON.stringify(row).includes(code), 'only the HMAC is stored');
  t.is(row.codeHash.length, 64);
  const r = await register(phone, code);
  t.is(r.status, 201);
  t.is(r.body.username, phone);
  const again = await register(phone, code);
  t.deepEqual([again.status, fieldCodes(again)], [422, [['code', 'code_invalid']]], 'a code is used once');
  // signs in with the new account
  t.is((await h.http.post('/api/v1/auth/login', { username: phone, password: 'Owner-Pw-123!' })).status, 200);
});

test.serial('the same answer whether or not the number has an account; the phone is told, the asker learns nothing', async (t) => {
  const registered = '13722220001';
  const texts = await ask(registered, 'register');
  t.is(texts.at(-1)!.text, `${SIG}这个手机号码已经注册过账号，无需再注册；忘记密码可在登录页重设。如非本人操作，请忽略。`);
  const tryIt = await register(registered, '123456');
  t.deepEqual([tryIt.status, fieldCodes(tryIt)], [422, [['code', 'code_invalid']]]);
  const fresh = await register('13722220099', '123456');
  t.deepEqual([fresh.status, fieldCodes(fresh)], [422, [['code', 'code_invalid']]], 'a number never sent a code: the same answer');
  // reset for a number without an account: 202 as well, and nothing is sent
  const before = smpp.parts.length;
  const none = await h.http.post('/api/v1/owners/verification-codes', { phone: '13722220098', purpose: 'reset' });
  t.deepEqual([none.status, none.body], [202, { expiresInSeconds: 300 }]);
  await new Promise((r) => setTimeout(r, 500));
  t.is(smpp.parts.length, before);
  const reset = await h.http.post('/api/v1/owners/password-reset', { phone: '13722220098', code: '123456', newPassword: 'New-Owner-Pw-1' });
  t.deepEqual([reset.status, fieldCodes(reset)], [422, [['code', 'code_invalid']]]);
});

test.serial('expiry (test clock) and lockout after 5 wrong tries; a new code works again', async (t) => {
  const phone = '13722220002';
  const first = codeOf((await ask(phone, 'register')).at(-1)!.text);
  h.clock.advance(5 * 60_000);
  const late = await register(phone, first);
  t.deepEqual([late.status, fieldCodes(late)], [422, [['code', 'code_expired']]]);
  const second = codeOf((await ask(phone, 'register')).at(-1)!.text);
  const wrong = second === '000000' ? '111111' : '000000';
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(fieldCodes(await register(phone, wrong))[0][1]);
  t.deepEqual(answers, ['code_invalid', 'code_invalid', 'code_invalid', 'code_invalid', 'code_locked']);
  const locked = await register(phone, second);
  t.deepEqual([locked.status, fieldCodes(locked)], [422, [['code', 'code_locked']]], 'the right code no longer helps');
  const third = codeOf((await ask(phone, 'register')).at(-1)!.text);
  const stale = await register(phone, second);
  t.deepEqual(fieldCodes(stale), [['code', 'code_invalid']], 'only the newest code counts');
  t.is((await register(phone, third)).status, 201);
});

test.serial('password reset end to end: the code sets a new password and ends the old sessions', async (t) => {
  const phone = '13722220001';
  const old = (await h.http.post('/api/v1/auth/login', { username: phone, password: 'Owner-Pw-123!' })).body.token;
  const code = codeOf((await ask(phone, 'reset')).at(-1)!.text);
  t.regex(smpp.to(phone).at(-1)!.text, /用于重设密码/);
  const r = await h.http.post('/api/v1/owners/password-reset', { phone, code, newPassword: 'New-Owner-Pw-1' });
  t.deepEqual([r.status, r.body], [200, { reset: true }]);
  t.is((await h.http.post('/api/v1/auth/login', { username: phone, password: 'Owner-Pw-123!' })).status, 401);
  t.is((await h.http.post('/api/v1/auth/login', { username: phone, password: 'New-Owner-Pw-1' })).status, 200);
  const [me] = await h.deps.db.query('SELECT id FROM app_user WHERE username = ?', [phone]);
  const events = await h.deps.db.query('SELECT type, via, actor_id AS actorId FROM account_event WHERE user_id = ? ORDER BY seq', [me.id]);
  t.deepEqual(events.at(-1), { type: 'password_changed', via: 'api', actorId: me.id }, "recorded as the owner's own change through the API");
  await until(async () => (await h.http.as(old).get('/api/v1/me')).status === 401, 10_000, 'the old token ends');
  t.pass();
});

test.serial('the API takes a registration without a code (the contract shape of DESIGN §13): 201, signs in by phone; a number with an account is 409; a code given is still checked', async (t) => {
  const phone = '13700000091';
  const r = await h.http.post('/api/v1/owners', { phone, password: 'Owner-Pw-123!', name: '无验证码' });
  t.is(r.status, 201, r.text);
  t.is(r.body.username, phone);
  t.is((await h.http.post('/api/v1/auth/login', { username: phone, password: 'Owner-Pw-123!' })).status, 200);
  const again = await h.http.post('/api/v1/owners', { phone, password: 'Other-Pw-123!', name: '又一个' });
  t.is(again.status, 409);
  t.is(again.body.code, 'account-exists');
  t.is(await h.deps.db.getRepository(PhoneVerification).countBy({ phone }), 0, 'no code was asked for or used');
  const wrong = await register('13700000092', '000000');
  t.is(wrong.status, 422);
  t.deepEqual(fieldCodes(wrong), [['code', 'code_invalid']]);
});

test.serial('rate limits: 5 codes an hour per number, SMS_CODE_MAX_PER_CLIENT per client address; 429 with Retry-After', async (t) => {
  const phone = '13722220003';
  for (let i = 0; i < 5; i++) t.is((await h.http.post('/api/v1/owners/verification-codes', { phone, purpose: 'register' })).status, 202);
  const sixth = await h.http.post('/api/v1/owners/verification-codes', { phone, purpose: 'register' });
  t.is(sixth.status, 429);
  t.is(sixth.body.code, 'too-many-attempts');
  t.truthy(sixth.headers.get('retry-after'));
  // this client has asked for 12 by now (the tests above and these five, the refused one not counted)
  let status = 0;
  let n = 0;
  for (; n < 20 && status !== 429; n++) status = (await h.http.post('/api/v1/owners/verification-codes', { phone: `1372223${String(n).padStart(4, '0')}`, purpose: 'reset' })).status;
  t.is(status, 429, 'the client address is limited');
  t.true(n <= 12);
});

test.serial('registrations without a code count against the client’s limit even when they succeed (no bulk claiming of numbers); the limit answers 429', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < LOGIN_MAX_PER_ADDRESS + 1; i++) {
    const r = await h.http.post('/api/v1/owners', { phone: `1360000${String(1000 + i)}`, password: 'Owner-Pw-123!', name: '占号' });
    statuses.push(r.status);
  }
  t.true(
    statuses.slice(0, -1).every((s) => s === 201 || s === 429),
    statuses.join(','),
  );
  t.is(statuses.at(-1), 429, 'at most LOGIN_MAX_PER_ADDRESS in the window, successes included');
  t.true(statuses.filter((s) => s === 201).length <= LOGIN_MAX_PER_ADDRESS);
});

/**
 * Bad input on the staff pages over plain HTTP (a tester's findings): each gets a 400 with the
 * Chinese message next to the field it concerns, shows no list or figures it was not asked for,
 * and changes nothing — the password reset without the form's own key, a `year=` that is no
 * year, a search of invisible characters, a damaged `cursor`, a made-up filter of the user
 * list, a look-alike phone number at sign-in.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, ADMIN_PASSWORD } from '../helpers/harness';
import { Browserless } from '../helpers/browserless';
import { encodeCursor, encodeDeadlineCursor } from '../../src/queries/cursor';
import { checkFormKey, issueFormKey } from '../../src/pages/session';
import { RESET_FORM_TTL_MS } from '../../src/pages/work/admin';
import { CalendarDay, Symposium, Ticket } from '../../src/entities';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

async function signedIn(username: string, password = `Pw-${username}-123!`) {
  const b = new Browserless(h.url);
  const r = await b.post('/account/sign-in', { phone: username, password }, '/account/sign-in');
  if (r.status !== 303) throw new Error(`sign-in ${username}: ${r.status}`);
  return b;
}
/** The text of the element with `id` (tags stripped, white space collapsed), or null. */
function byId(html: string, id: string): string | null {
  const m = new RegExp(`<([a-z0-9]+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return m
    ? m[2]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim()
    : null;
}
const resets = async (id: string) => (await h.admin.get(`/api/v1/users/${id}/events`)).body.items.filter((e: { type: string }) => e.type === 'password_reset').length;
const formKeyOf = (html: string) => /name="formKey" value="([^"]+)"/.exec(html)![1];

test.serial('password reset: a missing, unknown, other account’s or stale form key resets nothing; the page says why and offers a fresh form', async (t) => {
  const u = await h.admin.post('/api/v1/users', { username: 'resetme', password: 'Start-Pw-123!', name: '重置', role: 'handler', departmentCode: 'HRSS' });
  const other = await h.admin.post('/api/v1/users', { username: 'another', password: 'Start-Pw-123!', name: '另一个', role: 'handler', departmentCode: 'HRSS' });
  const b = await signedIn('admin', ADMIN_PASSWORD);
  const page = `/work/admin/users/${u.body.id}`;
  const otherKey = formKeyOf((await b.get(`/work/admin/users/${other.body.id}`)).text);
  const cases: [string, Record<string, string>, string][] = [
    ['missing', {}, '密码没有重置：提交的表单缺少表单标识。请用下面的表单重新点“重置密码”。'],
    ['blank', { formKey: '' }, '密码没有重置：提交的表单缺少表单标识。请用下面的表单重新点“重置密码”。'],
    [
      'a bare uuid (what the form carried before)',
      { formKey: '4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a11' },
      '密码没有重置：提交的表单不是本页面为这个账号生成的，无法识别。请用下面的表单重新点“重置密码”。',
    ],
    ['made up', { formKey: 'x'.repeat(80) }, '密码没有重置：提交的表单不是本页面为这个账号生成的，无法识别。请用下面的表单重新点“重置密码”。'],
    ['another account’s form', { formKey: otherKey }, '密码没有重置：提交的表单不是本页面为这个账号生成的，无法识别。请用下面的表单重新点“重置密码”。'],
  ];
  for (const [what, form, message] of cases) {
    const r = await b.post(`${page}/password-reset`, form, page);
    t.is(r.status, 400, what);
    t.is(byId(r.text, 'problem-title'), '没有完成这项操作', what);
    t.true(r.text.includes(`<p>${message}</p>`), what);
    t.is(byId(r.text, 'temporary-password'), null, `${what}: no password shown`);
    t.regex(formKeyOf(r.text), /^[0-9a-f-]{36}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/, `${what}: a fresh form`);
    t.is(await resets(u.body.id), 0, what);
    t.is((await h.http.post('/api/v1/auth/login', { username: 'resetme', password: 'Start-Pw-123!' })).status, 200, `${what}: the password still signs in`);
  }
  // the page's own key, 12 hours and a minute after it was issued: expired (the check itself; the harness's tokens would expire too)
  const own = formKeyOf((await b.get(page)).text);
  const adminId = (await h.admin.get('/api/v1/me')).body.id;
  const bind = `password-reset|${adminId}|${u.body.id}`;
  const secret = h.deps.config.jwtSecret;
  t.deepEqual(checkFormKey(secret, bind, own, new Date(h.clock.now().getTime() + RESET_FORM_TTL_MS - 1000), RESET_FORM_TTL_MS), { uuid: own.slice(0, 36) });
  t.deepEqual(checkFormKey(secret, bind, own, new Date(h.clock.now().getTime() + RESET_FORM_TTL_MS + 60_000), RESET_FORM_TTL_MS), { refused: 'expired' });
  t.deepEqual(checkFormKey(secret, bind, own, new Date(h.clock.now().getTime() - 60_000), RESET_FORM_TTL_MS), { refused: 'expired' }, 'issued in the future');
  t.deepEqual(checkFormKey(secret, `password-reset|${adminId}|${other.body.id}`, own, h.clock.now(), RESET_FORM_TTL_MS), { refused: 'unknown' });
  t.deepEqual(checkFormKey('another-secret-another-secret', bind, own, h.clock.now(), RESET_FORM_TTL_MS), { refused: 'unknown' });
  t.is(RESET_FORM_TTL_MS, 12 * 3_600_000);
  const stale = issueFormKey(secret, bind, new Date(h.clock.now().getTime() - RESET_FORM_TTL_MS - 60_000), '5d1e6a52-3f7b-4c0e-9a1d-2b8c7e6f5a40');
  const late = await b.post(`${page}/password-reset`, { formKey: stale }, page);
  t.is(late.status, 400);
  t.true(late.text.includes('<p>密码没有重置：这个表单已经打开超过12小时，已经失效。请用下面的表单重新点“重置密码”。</p>'));
  t.is(await resets(u.body.id), 0);
  // the form's own key resets once; posted again (used), it resets nothing more
  const fresh = formKeyOf(late.text);
  const ok = await b.post(`${page}/password-reset`, { formKey: fresh }, page);
  t.is(ok.status, 303);
  t.is(ok.headers.get('location'), page, 'nothing about the reset in the address');
  t.regex(byId((await b.get(page)).text, 'temp-password') ?? '', /^[A-HJ-NP-Za-km-z2-9]{12}$/);
  t.is(await resets(u.body.id), 1);
  const again = await b.post(`${page}/password-reset`, { formKey: fresh }, page);
  t.is(again.status, 303, 'the used key lands on the result page');
  const shown = await b.get(page);
  t.is(byId(shown.text, 'temporary-password'), '临时密码只显示一次，已经不再显示，密码也没有再次重置。没有记下的，请再点一次“重置密码”。');
  t.is(await resets(u.body.id), 1, 'used: no second reset');
  // another admin cannot post this admin's form key
  await h.admin.post('/api/v1/users', { username: 'admin2', password: 'Admin2-Pw-123!', name: '管理员二', role: 'admin' });
  const b2 = await signedIn('admin2', 'Admin2-Pw-123!');
  const stolen = await b2.post(`${page}/password-reset`, { formKey: formKeyOf(shown.text) }, page);
  t.is(stolen.status, 400);
  t.true(stolen.text.includes('无法识别'));
  t.is(await resets(u.body.id), 1);
});

test.serial('year= that is no year on the assessments, vetoes, department and calendar pages: 400, the message next to the year field, no figures', async (t) => {
  const sup = await signedIn('sup1');
  const head = await signedIn('taxhead');
  const admin = await signedIn('admin', ADMIN_PASSWORD);
  const pages: [Browserless, string, string, string][] = [
    [sup, '/work/assessments', '部门考核', '2026年部门考核'],
    [sup, '/work/vetoes', '一票否决登记簿', '一票否决登记簿'],
    [head, '/work/department', '本部门概况', '区税务局概况'],
    [admin, '/work/admin/calendar', '工作日历', '2026年工作日历'],
  ];
  const FORMAT = '年份请填4位数字，例如 2026。';
  for (const [b, path, heading, normal] of pages) {
    for (const [given, message] of [
      ['20x6', FORMAT],
      ['99999', FORMAT],
      ['2026.0', FORMAT],
      ['1e3', FORMAT],
      [' 2026', FORMAT],
      ['1999', `年份应在2000年到${path === '/work/department' ? 2026 : 2100}年之间。`],
    ]) {
      const r = await b.get(`${path}?year=${encodeURIComponent(given)}`);
      t.is(r.status, 400, `${path} ${given}`);
      t.is(byId(r.text, 'f-year-error'), `错误：${message}`, `${path} ${given}`);
      t.true(r.text.includes(`value="${given}"`), `${path} ${given}: the value kept`);
      t.is(/<h1[^>]*>([^<]*)</.exec(r.text)?.[1], heading, `${path} ${given}`);
      t.is(byId(r.text, 'not-shown'), '没有显示数字：请先修改上面的年份。');
      t.false(r.text.includes('<table'), `${path} ${given}: no figures`);
    }
    const twice = await b.get(`${path}?year=2025&year=2026`);
    t.is(twice.status, 400, `${path}: two years`);
    // blank is the current year (the vetoes: every year), as without it
    for (const q of ['', '?year=']) {
      const r = await b.get(path + q);
      t.is(r.status, 200, path + q);
      t.is(/<h1[^>]*>([^<]*)</.exec(r.text)?.[1]?.trim(), normal, path + q);
    }
    t.is((await b.get(`${path}?year=2025`)).status, 200);
  }
  // the department head asks for a year still to come: refused, never this year's figures
  const future = await head.get('/work/department?year=2027');
  t.is(future.status, 400);
  t.is(byId(future.text, 'f-year-error'), '错误：年份应在2000年到2026年之间。');
  // the API refuses them alike
  t.is((await s.coord.get('/api/v1/departments/TAX/assessment?year=20x6')).status, 400);
});

test.serial('a search of invisible characters only is refused next to the search field, with no list; spaces alone are no search', async (t) => {
  await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税偏高',
    description: '营业额下降。',
    owner: { name: '王五', phone: '13912345678' },
  });
  const b = await signedIn('coord1');
  for (const q of ['\u200B', '\u200B\u200C\u200D\u2060', '\u3164', ' \u200B ', '\u00AD', '\uFEFF\u200B', '\uFEFF', ' \uFEFF\u3000']) {
    const r = await b.get(`/work/tickets?q=${encodeURIComponent(q)}`);
    t.is(r.status, 400, JSON.stringify(q));
    t.is(byId(r.text, 'f-q-error'), '错误：搜索内容只有看不见的字符（如零宽空格），请填写要查找的编号、电话或关键词。', JSON.stringify(q));
    t.is(byId(r.text, 'not-searched'), '没有查询：请先修改上面的筛选条件，再点“筛选”。');
    t.false(r.text.includes('定额税偏高'), 'no list');
  }
  // the merge form's search on a ticket page alike: the message next to its field, no candidates
  const a = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税偏高again',
    description: '同一户又来电。',
    owner: { name: '王五', phone: '13912345678' },
  });
  const merge = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent('\u200B\u2060')}`);
  t.is(merge.status, 400);
  t.is(byId(merge.text, 'f-merge-q-error'), '错误：搜索内容只有看不见的字符（如零宽空格），请填写要查找的编号、电话或关键词。');
  t.false(merge.text.includes('并入哪一件'), 'no candidates');
  // a BOM alone (JavaScript's trim takes it for white space) is invisible characters too, not a blank search
  const bom = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent(' \uFEFF ')}`);
  t.is(bom.status, 400);
  t.is(byId(bom.text, 'f-merge-q-error'), '错误：搜索内容只有看不见的字符（如零宽空格），请填写要查找的编号、电话或关键词。');
  t.false(bom.text.includes('并入哪一件'), 'no candidates');
  const found = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent('定额税')}`);
  t.is(found.status, 200);
  t.true(found.text.includes('并入哪一件'));
  t.is(byId(found.text, 'f-merge-q-error'), null);
  const spaces = await b.get('/work/tickets?q=%20%20');
  t.is(spaces.status, 200);
  t.true(spaces.text.includes('定额税偏高'), 'white space alone is a blank search: every ticket, as with none');
  // the API alike: problem+json naming q
  const r = await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('\u200B\u200B')}`);
  t.is(r.status, 400);
  t.is(r.headers.get('content-type'), 'application/problem+json');
  t.like(r.body, {
    type: 'urn:problem:validation-failed',
    status: 400,
    detail: 'invalid query: q: the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)',
  });
  t.deepEqual(r.body.errors, [{ field: 'q', code: 'custom', message: 'the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)' }]);
  for (const q of ['\uFEFF', '\uFEFF ']) {
    const bom = await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent(q)}`);
    t.deepEqual([bom.status, bom.body.errors], [400, r.body.errors], `${JSON.stringify(q)}: as U+200B`);
  }
});

test.serial('a damaged or foreign cursor on a list page: 400, its own message and a link to the first page with the filters kept', async (t) => {
  const coord = await signedIn('coord1');
  const admin = await signedIn('admin', ADMIN_PASSWORD);
  const sup = await signedIn('sup1');
  const newestFirst = encodeCursor(new Date('2026-11-01T00:00:00Z'), '00000000-0000-4000-8000-000000000000');
  const tail = `00000000-0000-4000-8000-000000000000|${'x'.repeat(200)}`;
  const longNewest = encodeCursor(new Date('2026-11-01T00:00:00Z'), tail);
  const longDeadline = encodeDeadlineCursor(new Date('2026-11-01T00:00:00Z'), tail);
  const cases: [Browserless, string, string][] = [
    [coord, '/work/tickets?state=registered&cursor=garbage', '/work/tickets?state=registered'],
    [coord, `/work/tickets?cursor=${newestFirst}`, '/work/tickets'],
    [coord, `/work/tickets?cursor=${'A'.repeat(201)}`, '/work/tickets'],
    [coord, '/work?cursor=bm90LWEtY3Vyc29y', '/work'],
    [sup, '/work/integrity?state=closed&cursor=x', '/work/integrity?state=closed'],
    [admin, '/work/admin/users?role=handler&cursor=x', '/work/admin/users?role=handler'],
    [admin, `/work/admin/users?cursor=${'A'.repeat(201)}`, '/work/admin/users'],
    [admin, '/work/admin/outbox?cursor=x', '/work/admin/outbox'],
    [admin, `/work/admin/outbox?state=failed&cursor=${'A'.repeat(201)}`, '/work/admin/outbox?state=failed'],
    [coord, '/work/symposiums?cursor=x', '/work/symposiums'],
    [coord, '/work/notices?cursor=x', '/work/notices'],
    // over 200 characters: damaged, never cut to its first 200 (which read as a page of the list)
    [sup, `/work/integrity?state=closed&cursor=${longDeadline}`, '/work/integrity?state=closed'],
    [coord, `/work?cursor=${longDeadline}`, '/work'],
    [coord, `/work?cursor=${longNewest}`, '/work'],
    [coord, `/work/notices?cursor=${longNewest}`, '/work/notices'],
    [coord, `/work/symposiums?cursor=${longNewest}`, '/work/symposiums'],
  ];
  for (const [b, path, first] of cases) {
    const r = await b.get(path);
    t.is(r.status, 400, path);
    t.is(/<h1[^>]*>([^<]*)</.exec(r.text)?.[1], '这一页已经失效', path);
    t.true(r.text.includes('<p class="lead">这一页结果已经过期，或者链接已经损坏，无法显示。请从第一页重新查看。</p>'), path);
    t.true(r.text.includes(`<a class="button" id="first-page" href="${first.replace(/&/g, '&amp;')}">从第一页重新查看</a>`), path);
    t.is((await b.get(first)).status, 200, first);
  }
});

test.serial('the user list: a made-up role or department is refused next to its filter, with no list; blank filters are all', async (t) => {
  const b = await signedIn('admin', ADMIN_PASSWORD);
  const cases: [string, string, string][] = [
    ['role=boss', 'f-role-error', '错误：没有这个角色，请从列表中选择。'],
    ['departmentCode=tax', 'f-departmentCode-error', '错误：没有这个部门，请从列表中选择。'],
    ['departmentCode=NOPE', 'f-departmentCode-error', '错误：没有这个部门，请从列表中选择。'],
    ['active=maybe', 'f-active-error', '错误：状态请选择“在用”或“已停用”。'],
    [`q=${'x'.repeat(65)}`, 'f-q-error', '错误：用户名或姓名最多64个字，请删减后再筛选。'],
    // a BOM alone was trimmed to blank (every account listed), a NUL matched every account on SQLite
    ['q=%EF%BB%BF', 'f-q-error', '错误：用户名或姓名只有看不见的字符（如零宽空格），请填写要查找的用户名或姓名。'],
    ['q=%E2%80%8B', 'f-q-error', '错误：用户名或姓名只有看不见的字符（如零宽空格），请填写要查找的用户名或姓名。'],
    ['q=%00', 'f-q-error', '错误：用户名或姓名里有不能使用的字符（如换行、控制字符），请删除后再筛选。'],
    ['q=tax%0A', 'f-q-error', '错误：用户名或姓名里有不能使用的字符（如换行、控制字符），请删除后再筛选。'],
    ['role=handler&role=admin', 'f-role-error', '错误：没有这个角色，请从列表中选择。'],
  ];
  for (const [q, id, message] of cases) {
    const r = await b.get(`/work/admin/users?${q}`);
    t.is(r.status, 400, q);
    t.is(byId(r.text, id), message, q);
    t.is(byId(r.text, 'not-searched'), '没有列出用户：请先修改上面的筛选条件，再点“筛选”。', q);
    t.false(r.text.includes('<table'), `${q}: no list`);
    t.false(r.text.includes('coord1'), `${q}: no user`);
  }
  const blank = await b.get('/work/admin/users?q=&role=&departmentCode=&active=');
  t.is(blank.status, 200);
  t.true(blank.text.includes('coord1') && blank.text.includes('tax1'));
  const tax = await b.get('/work/admin/users?departmentCode=TAX');
  t.true(tax.text.includes('tax1'));
  t.false(tax.text.includes('coord1'));
});

test.serial('sign-in: a phone number with a circled or other look-alike digit is refused as badly formed; full-width digits sign in', async (t) => {
  await h.owner('13812345678');
  for (const phone of ['①3812345678', '¹3812345678', '13812345678\u200B', '138 1234 5678']) {
    const b = new Browserless(h.url);
    const r = await b.post('/account/sign-in', { phone, password: 'Owner-Pw-123!' }, '/account/sign-in');
    t.is(r.status, 400, phone);
    t.is(byId(r.text, 'f-phone-error'), '错误：手机号码或用户名不正确：手机号码是11位数字，用户名只含字母、数字、点、短横线或下划线。', phone);
    t.false(b.cookies.has('gt_session'), phone);
  }
  const b = new Browserless(h.url);
  const ok = await b.post('/account/sign-in', { phone: '１３８１２３４５６７８', password: 'Owner-Pw-123!' }, '/account/sign-in');
  t.is(ok.status, 303);
  t.true(b.cookies.has('gt_session'));
});

test.serial('the integrity console, the outbox and the oversight orders: a made-up state (or level, or flag) is refused next to the tabs, with no list; a blank state is no filter', async (t) => {
  const sup = await signedIn('sup1');
  const admin = await signedIn('admin', ADMIN_PASSWORD);
  const coord = await signedIn('coord1');
  const STATE = '错误：没有这个状态，请从上面的状态中选择。';
  const cases: [Browserless, string, string, string][] = [
    [sup, '/work/integrity?state=bogus', STATE, '没有列出举报：请从上面的状态中选择。'],
    [sup, '/work/integrity?state=open', STATE, '没有列出举报：请从上面的状态中选择。'],
    [sup, '/work/integrity?state=%20closed', STATE, '没有列出举报：请从上面的状态中选择。'],
    [sup, '/work/integrity?state=closed&state=replied', STATE, '没有列出举报：请从上面的状态中选择。'],
    [sup, '/work/integrity?escalated=yes', '错误：没有这个筛选，请从上面的状态中选择。', '没有列出举报：请从上面的状态中选择。'],
    [admin, '/work/admin/outbox?state=bogus', STATE, '没有列出通知：请从上面的状态中选择。'],
    [admin, '/work/admin/outbox?state=all', STATE, '没有列出通知：请从上面的状态中选择。'],
    [admin, '/work/admin/outbox?state=sent&state=failed', STATE, '没有列出通知：请从上面的状态中选择。'],
    [admin, `/work/admin/outbox?ticketNumber=${'F'.repeat(33)}`, '错误：工单编号最多32个字，请从上面的状态中选择。', '没有列出通知：请从上面的状态中选择。'],
    [coord, '/work/oversight?state=bogus', STATE, '没有列出督办单：请从上面的状态中选择。'],
    [coord, '/work/oversight?level=2.0', '错误：没有这个督办级别，请从上面的状态中选择。', '没有列出督办单：请从上面的状态中选择。'],
    [coord, '/work/oversight?level=0x2', '错误：没有这个督办级别，请从上面的状态中选择。', '没有列出督办单：请从上面的状态中选择。'],
    [coord, '/work/oversight?level=1', '错误：没有这个督办级别，请从上面的状态中选择。', '没有列出督办单：请从上面的状态中选择。'],
    [coord, '/work/oversight?overdue=yes', '错误：没有这个筛选，请从上面的状态中选择。', '没有列出督办单：请从上面的状态中选择。'],
  ];
  for (const [b, path, message, notListed] of cases) {
    const r = await b.get(path);
    t.is(r.status, 400, path);
    t.is(byId(r.text, 'f-state-error'), message, path);
    t.is(byId(r.text, 'error-summary-title'), '请先修改筛选条件', path);
    t.true(r.text.includes(`<a href="#f-state">${message.slice(3)}</a>`), `${path}: the summary links to the tabs`);
    t.is(byId(r.text, 'not-searched'), notListed, path);
    t.false(/共 <strong>/.test(r.text), `${path}: no count`);
    t.false(/<p class="work-empty">没有(举报|通知|督办单)。<\/p>/.test(r.text), `${path}: no list, not even an empty one`);
    t.false(r.text.includes('通知，最新的在前'), `${path}: no list of notifications`);
    t.false(/等待转送上级纪委监委的举报|没有等待转送的举报|id="held"/.test(r.text), `${path}: no panel of held reports either, only the message at the field`);
  }
  // blank is no filter: the list as without it
  for (const [b, path] of [
    [sup, '/work/integrity?state='],
    [sup, '/work/integrity?state=&escalated='],
    [admin, '/work/admin/outbox?state='],
    [admin, '/work/admin/outbox?state=&ticketNumber='],
    [coord, '/work/oversight?state='],
    [coord, '/work/oversight?state=all&level=3'],
  ] as const) {
    const r = await b.get(path);
    t.is(r.status, 200, path);
    t.is(byId(r.text, 'not-searched'), null, path);
    t.is(byId(r.text, 'f-state-error'), null, path);
    t.true(/共 <strong>\d+<\/strong> 件|<p class="work-empty">没有(通知|督办单)。<\/p>|通知，最新的在前|<caption class="visually-hidden">督办单<\/caption>/.test(r.text), `${path}: listed`);
  }
  t.true((await sup.get('/work/integrity?state=closed')).text.includes('aria-current="page">已结案'));
  const failed = await admin.get('/work/admin/outbox?state=failed');
  t.true(failed.text.includes('aria-current="page">发送失败'));
  t.is(byId(failed.text, 'held-title'), '等待转送上级纪委监委的举报（0）', 'a list shown: the held reports above it');
  t.true((await coord.get('/work/oversight?state=all')).text.includes('aria-current="page">全部'));
});

test.serial('the work list: an escalation level that is not a decimal 0–3 is refused next to its filter, with no list', async (t) => {
  await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '督办级别筛选',
    description: '营业额下降。',
    owner: { name: '赵六', phone: '13912345670' },
  });
  const b = await signedIn('coord1');
  for (const [given, message] of [
    ['1e0', '督办级别请从列表中选择。'],
    ['0x1', '督办级别请从列表中选择。'],
    ['1.0', '督办级别请从列表中选择。'],
    ['+1', '督办级别请从列表中选择。'],
    [' 1', '督办级别请从列表中选择。'],
    ['4', '督办级别请从列表中选择。'],
    ['-1', '督办级别请从列表中选择。'],
    ['x', '督办级别请从列表中选择。'],
  ]) {
    const r = await b.get(`/work/tickets?escalationLevel=${encodeURIComponent(given)}`);
    t.is(r.status, 400, given);
    t.is(byId(r.text, 'f-escalationLevel-error'), `错误：${message}`, given);
    t.is(byId(r.text, 'not-searched'), '没有查询：请先修改上面的筛选条件，再点“筛选”。', given);
    t.false(r.text.includes('督办级别筛选'), `${given}: no list`);
  }
  const twice = await b.get('/work/tickets?escalationLevel=0&escalationLevel=1');
  t.is(twice.status, 400);
  t.is(byId(twice.text, 'f-escalationLevel-error'), '错误：督办级别只能选一项。');
  for (const given of ['', '0']) {
    const r = await b.get(`/work/tickets?escalationLevel=${given}`);
    t.is(r.status, 200, given);
    t.true(r.text.includes('督办级别筛选'), `${given}: listed`);
  }
  const three = await b.get('/work/tickets?escalationLevel=3');
  t.is(three.status, 200);
  t.false(three.text.includes('督办级别筛选'));
});

test.serial('the merge form’s search: over 100 characters (or given twice) is refused as the work list refuses it, with no candidates; never cut to 100', async (t) => {
  const a = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '合并查找长度',
    description: '同一户又来电。',
    owner: { name: '钱七', phone: '13912345671' },
  });
  await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '合并查找长度二',
    description: '又来电。',
    owner: { name: '钱七', phone: '13912345671' },
  });
  const b = await signedIn('coord1');
  const long = `合并查找长度${'x'.repeat(95)}`; // 101 characters, whose first 100 would find nothing else either: the page must refuse, not cut
  t.is(Array.from(long).length, 101);
  const list = await b.get(`/work/tickets?q=${encodeURIComponent(long)}`);
  t.is(list.status, 400);
  const message = '错误：搜索内容最多100个字，请删减后再搜索。';
  t.is(byId(list.text, 'f-q-error'), message);
  const merge = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent(long)}`);
  t.is(merge.status, 400);
  t.is(byId(merge.text, 'f-merge-q-error'), message);
  t.false(merge.text.includes('并入哪一件'), 'no candidates');
  t.true(merge.text.includes(`value="${long}"`), 'the value kept whole');
  // 101 with the 100th a space before the cut: refused too (the list counts the characters as given)
  const padded = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent(`合并查找长度${' '.repeat(95)}`)}`);
  t.is(padded.status, 400);
  t.is(byId(padded.text, 'f-merge-q-error'), message);
  const twice = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent('合并查找长度')}&mergeQ=x`);
  t.is(twice.status, 400);
  t.is(byId(twice.text, 'f-merge-q-error'), '错误：搜索内容只能填一项。');
  t.false(twice.text.includes('并入哪一件'));
  const hundred = await b.get(`/work/tickets/${a.body.id}?mergeQ=${encodeURIComponent(`合并查找长度${' '.repeat(94)}`)}`);
  t.is(hundred.status, 200, '100 characters are a search');
  t.true(hundred.text.includes('并入哪一件'));
  t.is(byId(hundred.text, 'f-merge-q-error'), null);
});

test.serial('a success notice asked for in the address (done=, recomputed=) shows nothing on the staff pages; the POST that went through shows it once', async (t) => {
  const tk = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '通知测试',
    description: '看地址里的通知。',
    owner: { name: '王五', phone: '13912345679' },
  });
  const coord = await signedIn('coord1');
  const admin = await signedIn('admin', ADMIN_PASSWORD);
  const intake = await signedIn('intake1');
  const sup = await signedIn('sup1');
  const u = await h.admin.post('/api/v1/users', { username: 'noticeme', password: 'Start-Pw-123!', name: '通知', role: 'handler', departmentCode: 'HRSS' });
  const crafted: [Browserless, string][] = [
    [coord, `/work/tickets/${tk.body.id}?done=dispatch`],
    [coord, `/work/tickets/${tk.body.id}?done=close-order`],
    [coord, '/work?done=dispatch'],
    [coord, '/work?changed=1'],
    [intake, '/work/callbacks?done=rate'],
    [sup, '/work/vetoes?done=revoked'],
    [admin, `/work/admin/users/${u.body.id}?done=deactivated`],
    [admin, `/work/admin/users/${u.body.id}?done=password-reset`],
    [admin, '/work/admin/reference?done=department-added'],
    [admin, '/work/admin/routing?done=routing'],
    [admin, '/work/admin/outbox?done=retried'],
    [admin, '/work/admin/sla?recomputed=99'],
    [admin, '/work/admin/calendar?year=2026&done=day&date=2026-10-08&type=holiday&recomputed=5'],
    [admin, '/work/admin/calendar?year=2026&done=year&recomputed=5'],
  ];
  for (const [b, path] of crafted) {
    const r = await b.get(path);
    t.is(r.status, 200, path);
    t.false(r.text.includes('inset--done'), `${path}: no success notice`);
    t.false(
      /密码已修改|已分派。|分派给|督办单已关闭|回访评价已记录|已撤销一票否决|账号已停用|临时密码只显示一次|部门已添加|分派规则已保存|已重新发送|重新计算了|已改为休息日|官方安排已载入/.test(r.text),
      `${path}: none of the words`,
    );
  }
  // the POST that went through: 303 to the plain page, the notice there once
  const page = `/work/admin/users/${u.body.id}`;
  const off = await admin.post(`${page}/deactivate`, { reason: '调离' }, page);
  t.is(off.status, 303);
  t.is(off.headers.get('location'), page);
  t.true((await admin.get(page)).text.includes('<div class="inset inset--done" role="status">账号已停用：它的所有登录已立即退出，不能再登录。</div>'));
  t.false((await admin.get(page)).text.includes('账号已停用：'), 'once');
  // a member of staff who changed the password: /account passes the notice on to the workbench, once
  await h.staff('pwchange', 'handler', 'TAX');
  const hb = await signedIn('pwchange');
  const changed = await hb.post('/account/password', { currentPassword: 'Pw-pwchange-123!', newPassword: 'New-Pw-change-1', passwordConfirm: 'New-Pw-change-1' }, '/account/password');
  t.deepEqual([changed.status, changed.headers.get('location')], [303, '/account']);
  const on = await hb.get('/account');
  t.is(on.headers.get('location'), '/work');
  t.true((await hb.get('/work')).text.includes('<div class="inset" role="status">密码已修改。</div>'));
  t.false((await hb.get('/work')).text.includes('密码已修改'), 'once');
});

test.serial(
  'a field sent twice on a staff form (a new account, a department’s names, the working calendar, a symposium): 400, a page that says nothing was saved and leads back to the form; nothing changed',
  async (t) => {
    const b = await signedIn('admin', ADMIN_PASSWORD);
    const coord = await signedIn('coord1');
    const users = async () => (await h.admin.get('/api/v1/users?limit=200')).body.items.length;
    const before = { users: await users(), tax: (await h.admin.get('/api/v1/departments')).body.items.find((d: { code: string }) => d.code === 'TAX').nameZh };
    const symposiums = await h.deps.db.getRepository(Symposium).count();
    const cases: [Browserless, string, string, [string, string][]][] = [
      [
        b,
        '/work/admin/users',
        '/work/admin/users/new',
        [
          ['username', 'twice1'],
          ['username', 'twice2'],
          ['password', 'Start-Pw-123!'],
          ['name', '两次'],
          ['role', 'handler'],
          ['departmentCode', 'HRSS'],
        ],
      ],
      [
        b,
        '/work/admin/departments/TAX',
        '/work/admin/reference',
        [
          ['nameZh', '税务局一'],
          ['nameZh', '税务局二'],
          ['nameEn', 'Tax'],
        ],
      ],
      [
        b,
        '/work/admin/calendar/day',
        '/work/admin/calendar',
        [
          ['date', '2026-12-24'],
          ['date', '2026-12-25'],
          ['type', 'off'],
        ],
      ],
      [
        coord,
        '/work/symposiums',
        '/work/symposiums/new',
        [
          ['title', '个体工商户座谈会'],
          ['title', '另一个'],
          ['heldOn', '2026-11-01'],
        ],
      ],
    ];
    for (const [browser, path, from, body] of cases) {
      const token = await browser.csrf(from);
      const r = await browser.req('POST', path, [['_csrf', token], ...body], from);
      t.is(r.status, 400, path);
      t.is(byId(r.text, 'main-title') ?? /<h1[^>]*>([^<]*)<\/h1>/.exec(r.text)?.[1], '无法完成操作', path);
      t.true(r.text.includes('<p class="lead">提交的表单里有一项出现了不止一次，无法确定用哪一个，所以没有保存任何内容。请返回上一页，刷新后重新填写。</p>'), path);
      t.true(r.text.includes(`<a class="button" id="back" href="${from}">返回上一页</a>`), `${path}: back to the form it came from`);
    }
    t.is(await users(), before.users, 'no account created');
    t.is((await h.admin.get('/api/v1/departments')).body.items.find((d: { code: string }) => d.code === 'TAX').nameZh, before.tax, 'the names unchanged');
    t.is(await h.deps.db.getRepository(CalendarDay).count({ where: [{ date: '2026-12-24' }, { date: '2026-12-25' }] }), 0, 'no calendar day');
    t.is(await h.deps.db.getRepository(Symposium).count(), symposiums, 'no symposium');
  },
);

/** The hidden fields of the form posting to `action` on a page (version, back). */
function hiddenFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  const form = html.slice(start, html.indexOf('</form>', start));
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&amp;/g, '&')]));
}

test.serial('a success notice stays with its ticket and account: back= to another ticket shows nothing there, nor to the next account in the browser', async (t) => {
  const call = (title: string) =>
    s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title, description: '通知跟着工单走。', owner: { name: '王五', phone: '13912345670' } });
  const a = (await call('签收的是这件')).body;
  const other = (await call('没有签收这件')).body;
  const state = async (id: string) => (await s.coord.get(`/api/v1/tickets/${id}`)).body.state;
  const b = await signedIn('tax1');
  // a link to A whose way back is another ticket's page: signing A lands there, and that page says nothing was done
  const from = `/work/tickets/${a.id}?back=/work/tickets/${other.id}`;
  const page = await b.get(from);
  const signed = await b.post(`/work/tickets/${a.id}/sign`, hiddenFields(page.text, `/work/tickets/${a.id}/sign`), from);
  t.deepEqual([signed.status, signed.headers.get('location')], [303, `/work/tickets/${other.id}`]);
  t.is(await state(a.id), 'in_progress');
  t.is(await state(other.id), 'dispatched');
  const there = await b.get(`/work/tickets/${other.id}`);
  t.is(there.status, 200);
  t.false(there.text.includes('inset--done'), 'no notice on the ticket that was not signed');
  t.false(there.text.includes('已签收'));

  // a notice left unread by one account is not shown to the next account signed in in the same browser
  const c = (await call('换人之前签收的')).body;
  const cPage = `/work/tickets/${c.id}`;
  const second = await b.post(`${cPage}/sign`, hiddenFields((await b.get(cPage)).text, `${cPage}/sign`), cPage);
  t.is(second.status, 303);
  t.true(b.cookies.has('gt_notice'), 'the notice waits for the page (not opened)');
  t.is((await b.post('/account/sign-out', {}, '/work')).status, 303);
  await h.staff('tax3', 'handler', 'TAX');
  t.is((await b.post('/account/sign-in', { phone: 'tax3', password: 'Pw-tax3-123!' }, '/account/sign-in')).status, 303);
  const next = await b.get(cPage);
  t.is(next.status, 200);
  t.false(next.text.includes('inset--done'), 'another account sees no notice of the first one');

  // the notice still shows once on the page of the ticket acted on, to the account that acted
  const d = (await call('正常签收的')).body;
  const dPage = `/work/tickets/${d.id}`;
  const ok = await b.post(`${dPage}/sign`, hiddenFields((await b.get(dPage)).text, `${dPage}/sign`), dPage);
  t.deepEqual([ok.status, ok.headers.get('location')], [303, dPage]);
  t.true((await b.get(dPage)).text.includes('<div class="inset inset--done" role="status">已签收，请在答复期限前办理。</div>'));
  t.false((await b.get(dPage)).text.includes('inset--done'), 'once');
});

test.serial('the call form: no key is no key, a mangled key or a field sent twice registers nothing, a key reused with other content comes back fresh', async (t) => {
  const b = await signedIn('intake1');
  const count = () => h.deps.db.getRepository(Ticket).count();
  const call = (title: string, extra: [string, string][] = []): [string, string][] => [
    ['channel', 'hotline'],
    ['kind', 'complaint'],
    ['category', 'tax_fees'],
    ['title', title],
    ['description', '来电反映的情况。'],
    ['owner.name', '孙七'],
    ['owner.phone', '13912345671'],
    ['decision', 'new'],
    ...extra,
  ];
  const post = async (pairs: [string, string][]) => b.req('POST', '/work/call', [['_csrf', await b.csrf('/work/call')], ...pairs]);
  const before = await count();
  // without a key (a form not from this page): each call is its own ticket, never the key page:undefined shared by every such call
  const first = await post(call('没有表单标识的来电一'));
  t.is(first.status, 200);
  t.is(/<h1[^>]*>([^<]*)<\/h1>/.exec(first.text)?.[1], '已登记');
  for (const [title, extra] of [
    ['没有表单标识的来电二', []],
    ['表单标识为空的来电一', [['formKey', '']]],
    ['表单标识为空的来电二', [['formKey', '']]],
  ] as [string, [string, string][]][]) {
    const r = await post(call(title, extra));
    t.is(r.status, 200, `${title}: not refused as a key reused with another body`);
    t.is(/<h1[^>]*>([^<]*)<\/h1>/.exec(r.text)?.[1], '已登记', title);
  }
  t.is(await count(), before + 4);
  // a key sent but not one the page writes: refused, a fresh key, nothing registered
  for (const formKey of ['ABC', '4B0C5F0E-8D9A-4A53-9A49-6F1D0C2E7A11', '------------------------------------', 'x'.repeat(200), ' 4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a11']) {
    const r = await post(call('标识损坏的来电', [['formKey', formKey]]));
    t.is(r.status, 400, formKey);
    t.true(r.text.includes('<p>这份表单的标识（formKey）已损坏，没有提交，也没有登记。请检查下面的内容，再点一次提交（页面已经换上新的表单标识）。</p>'), formKey);
    t.regex(formKeyOf(r.text), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, formKey);
    t.not(formKeyOf(r.text), formKey);
  }
  t.is(await count(), before + 4);
  // a field sent twice: the message next to it, nothing registered
  const key = formKeyOf((await b.get('/work/call')).text);
  const twice = await post(
    call('标题一', [
      ['title', '标题二'],
      ['formKey', key],
    ]),
  );
  t.is(twice.status, 400);
  t.is(byId(twice.text, 'f-title-error'), '错误：这一项在提交的表单里出现了不止一次，无法确定用哪一个，所以没有提交。请检查这一项后再提交。');
  t.is(await count(), before + 4);
  // the same key with other content: 422, a fresh key; sent again as the page says, registered once
  t.is((await post(call('先登记的来电', [['formKey', key]]))).status, 200);
  const reused = await post(call('改过的来电', [['formKey', key]]));
  t.is(reused.status, 422);
  t.true(reused.text.includes('同一次提交的内容前后不一致，请重新填写提交。'));
  const fresh = formKeyOf(reused.text);
  t.not(fresh, key);
  t.is(await count(), before + 5);
  t.is((await post(call('改过的来电', [['formKey', fresh]]))).status, 200);
  t.is((await post(call('改过的来电', [['formKey', fresh]]))).status, 200, 'the same form again: its first answer');
  t.is(await count(), before + 6);
});

test.serial('a symposium form whose key was used with other content: 422 and a fresh key, so the form sent again as the page says is recorded once', async (t) => {
  const b = await signedIn('coord1');
  const meetings = async () => (await s.coord.get('/api/v1/symposiums')).body.items.filter((x: { title: string }) => x.title.startsWith('重复标识座谈会')).length;
  const form = (title: string, formKey: string): [string, string][] => [
    ['formKey', formKey],
    ['title', title],
    ['heldOn', '2026-11-01'],
    ['hostDepartmentCode', 'SAMR'],
    ['r0_title', '门前停车难'],
    ['r0_description', '店门口不能停车。'],
    ['r0_category', 'other'],
    ['r0_owner_name', '吴九'],
    ['r0_owner_phone', '13912345672'],
  ];
  const post = async (pairs: [string, string][]) => b.req('POST', '/work/symposiums', [['_csrf', await b.csrf('/work/symposiums/new')], ...pairs]);
  const key = formKeyOf((await b.get('/work/symposiums/new')).text);
  t.is((await post(form('重复标识座谈会一', key))).status, 303);
  const reused = await post(form('重复标识座谈会（改过）', key));
  t.is(reused.status, 422);
  t.true(reused.text.includes('同一次提交的内容前后不一致，请重新填写提交。'));
  const fresh = formKeyOf(reused.text);
  t.not(fresh, key, 'a fresh key: the same key would be refused again, whatever is changed');
  t.is(await meetings(), 1);
  t.is((await post(form('重复标识座谈会（改过）', fresh))).status, 303);
  t.is((await post(form('重复标识座谈会（改过）', fresh))).status, 303, 'the same form again: its first answer');
  t.is(await meetings(), 2);
});

test.serial('a sign from the handler’s 待办 list comes back to the list saying which ticket was signed for, once', async (t) => {
  const made = await s.intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '从待办签收',
    description: '来电反映问题。',
    owner: { name: '李四', phone: '13900000088' },
  });
  t.is(made.status, 201, made.text);
  const b = await signedIn('tax1');
  const list = await b.get('/work');
  const version = new RegExp(`action="/work/tickets/${made.body.id}/sign"[\\s\\S]*?name="version" value="(\\d+)"`).exec(list.text)?.[1];
  t.truthy(version, 'the list has the sign button of the ticket');
  const r = await b.post(`/work/tickets/${made.body.id}/sign`, { version: version!, back: '/work' }, '/work');
  t.is(r.status, 303);
  t.is(r.headers.get('location'), '/work');
  const back = await b.get('/work');
  t.is(byId(back.text, 'done'), `已签收 ${made.body.number}，请在答复期限前办理。`);
  t.is(byId((await b.get('/work')).text, 'done'), null, 'once');
  t.is((await h.admin.get(`/api/v1/tickets/${made.body.id}`)).body.state, 'in_progress');
});

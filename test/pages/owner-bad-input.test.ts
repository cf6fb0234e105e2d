/**
 * Bad input on the owners' pages over plain HTTP (a tester's findings): a form key that is not
 * one the page writes, a field sent twice, a success notice asked for in the address. Each is
 * refused or ignored with the Chinese message where it belongs, and nothing is created.
 */
import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { Browserless } from '../helpers/browserless';
import { OutboxMessage, Ticket, TicketAttachment } from '../../src/entities';
import { pdf } from '../attachments/fixtures';

let h: Harness;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
});
test.after.always(async () => {
  await h?.close();
});

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
const tickets = () => h.deps.db.getRepository(Ticket).count();
const formKeyOf = (html: string) => /name="formKey" value="([^"]*)"/.exec(html)?.[1];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REPEATED = '错误：这一项在提交的表单里出现了不止一次，无法确定用哪一个，所以没有提交。请检查这一项后再提交。';
const complaint = {
  kind: 'complaint',
  category: 'tax_fees',
  title: '定额税偏高',
  description: '营业额下降，定额没有调整。',
  'owner.name': '钱九',
  'owner.phone': '13900000031',
};

test.serial('a complaint whose form key is sent but is no key this page writes: 400, the form again with a clear message and a fresh key, nothing created', async (t) => {
  const b = new Browserless(h.url);
  const before = await tickets();
  for (const formKey of [
    'not-a-uuid',
    '4B0C5F0E-8D9A-4A53-9A49-6F1D0C2E7A11',
    '4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a1',
    '4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a11x',
    '------------------------------------',
    ' 4b0c5f0e-8d9a-4a53-9a49-6f1d0c2e7a11',
  ]) {
    const r = await b.post('/submit/complaint', { ...complaint, formKey }, '/submit/complaint');
    t.is(r.status, 400, formKey);
    t.is(r.headers.get('location'), null, formKey);
    t.is(byId(r.text, 'error-summary-title'), '请先修改下面的问题', formKey);
    t.true(r.text.includes('<p>这份表单的标识（formKey）已损坏，没有提交，也没有登记。请检查下面的内容，再点一次提交（页面已经换上新的表单标识）。</p>'), formKey);
    const fresh = formKeyOf(r.text)!;
    t.regex(fresh, UUID, `${formKey}: a fresh valid key`);
    t.not(fresh, formKey);
    t.true(r.text.includes('value="定额税偏高"'), `${formKey}: the fields kept`);
  }
  // with a file (multipart): refused before the file is stored
  const files = await h.deps.db.getRepository(TicketAttachment).count();
  const m = await b.multipart('/submit/complaint', { _csrf: await b.csrf('/submit/complaint'), ...complaint, formKey: 'x'.repeat(36) }, [['流水.pdf', pdf()]]);
  t.is(m.status, 400);
  t.true(m.text.includes('这份表单的标识（formKey）已损坏'));
  t.regex(formKeyOf(m.text)!, UUID);
  t.is(await h.deps.db.getRepository(TicketAttachment).count(), files);
  t.is(await tickets(), before, 'nothing created');

  // the fresh key goes through, once
  const ok = await b.post('/submit/complaint', { ...complaint, formKey: formKeyOf(m.text)! }, '/submit/complaint');
  t.is(ok.status, 303);
  const again = await b.post('/submit/complaint', { ...complaint, formKey: formKeyOf(m.text)! }, '/submit/complaint');
  t.is(again.headers.get('location'), ok.headers.get('location'), 'the same key twice: the same receipt');
  t.is(await tickets(), before + 1);
});

test.serial('a form key used with other content: 422, the message and a fresh key; the form sent again as the page says goes through once', async (t) => {
  const b = new Browserless(h.url);
  const before = await tickets();
  const formKey = formKeyOf((await b.get('/submit/complaint')).text)!;
  t.is((await b.post('/submit/complaint', { ...complaint, title: '先提交的', formKey }, '/submit/complaint')).status, 303);
  // the same form, edited and sent again (the receipt never seen): refused, nothing created
  const edited = { ...complaint, title: '改过以后的', formKey };
  const reused = await b.post('/submit/complaint', edited, '/submit/complaint');
  t.is(reused.status, 422);
  t.is(byId(reused.text, 'error-summary-title'), '请先修改下面的问题');
  t.true(reused.text.includes('<p>同一次提交的内容前后不一致，请重新填写提交。</p>'));
  t.true(reused.text.includes('value="改过以后的"'), 'the fields kept');
  const fresh = formKeyOf(reused.text)!;
  t.regex(fresh, UUID);
  t.not(fresh, formKey, 'a fresh key: the same key would be refused again, whatever is changed');
  t.is(await tickets(), before + 1);
  // sent again as the page says: registered, once
  const again = await b.post('/submit/complaint', { ...edited, formKey: fresh }, '/submit/complaint');
  t.is(again.status, 303);
  t.is((await b.post('/submit/complaint', { ...edited, formKey: fresh }, '/submit/complaint')).headers.get('location'), again.headers.get('location'));
  t.is(await tickets(), before + 2);
});

test.serial('a complaint without a form key (a form not from this page) is created without one; two such forms are two tickets', async (t) => {
  const b = new Browserless(h.url);
  const before = await tickets();
  const first = await b.post('/submit/complaint', { ...complaint, title: '没有表单标识一' }, '/submit/complaint');
  t.is(first.status, 303);
  const second = await b.post('/submit/complaint', { ...complaint, title: '没有表单标识二', formKey: '' }, '/submit/complaint');
  t.is(second.status, 303, 'not refused as a key reused with another body');
  t.not(second.headers.get('location'), first.headers.get('location'));
  t.is(await tickets(), before + 2);
});

test.serial('a field sent twice on a submit form: 400, the message next to that field, nothing created (complaint, suggestion, integrity report; URL-encoded and multipart)', async (t) => {
  const b = new Browserless(h.url);
  const before = await tickets();
  const files = await h.deps.db.getRepository(TicketAttachment).count();
  const pairs = (o: Record<string, string>, field: string, second: string): [string, string][] => {
    const out: [string, string][] = Object.entries(o);
    out.splice(out.findIndex(([k]) => k === field) + 1, 0, [field, second]);
    return out;
  };
  const integrity = {
    'accused.departmentCode': 'TAX',
    'accused.demand': 'fee',
    'accused.occurredOn': '2026-10-30',
    title: '要求交费',
    description: '窗口要求交一笔没有依据的费用。',
    'owner.name': '钱九',
    'owner.phone': '13900000031',
  };
  const cases: [string, string, Record<string, string>, string, string][] = [
    ['/submit/complaint', '/submit/complaint', complaint, 'title', 'f-title-error'],
    ['/submit/complaint', '/submit/complaint', complaint, 'description', 'f-description-error'],
    ['/submit/complaint', '/submit/complaint', complaint, 'owner.phone', 'f-owner-phone-error'],
    ['/submit/complaint', '/submit/complaint?kind=suggestion', { ...complaint, kind: 'suggestion', title: '建议延长服务时间' }, 'title', 'f-title-error'],
    ['/submit/integrity', '/submit/integrity', integrity, 'accused.departmentCode', 'f-accused-departmentCode-error'],
    ['/submit/integrity', '/submit/integrity', integrity, 'title', 'f-title-error'],
  ];
  for (const [path, from, form, field, errorId] of cases) {
    const token = await b.csrf(from);
    const formKey = formKeyOf((await b.get(from)).text)!;
    const body = pairs({ ...form, formKey }, field, '另一个');
    const r = await b.req('POST', path, [['_csrf', token], ...body]);
    t.is(r.status, 400, `${path} ${field}`);
    t.is(byId(r.text, errorId), REPEATED, `${path} ${field}: next to the field`);
    t.true(r.text.includes(`<a href="#${errorId.slice(0, -6)}">${REPEATED.slice(3)}</a>`), `${path} ${field}: the summary links to it`);
    t.false(r.text.includes('表单内容无法识别'), 'not the generic message');
    t.true(r.text.includes(`value="${form['owner.name']}"`), `${path} ${field}: the fields kept`);
    const m = await b.multipart(path, [['_csrf', token], ...body], [['流水.pdf', pdf()]]);
    t.is(m.status, 400, `${path} ${field} multipart`);
    t.is(byId(m.text, errorId), REPEATED, `${path} ${field} multipart: next to the field`);
    if (field !== 'accused.departmentCode') t.true(m.text.includes(`value="${form.title}"`), `${path} ${field} multipart: the fields read before it are kept`);
  }
  t.is(await tickets(), before, 'nothing created');
  t.is(await h.deps.db.getRepository(TicketAttachment).count(), files, 'no file stored');
});

test.serial('a field sent twice on the objection form and the track page’s forms: 400, the message next to that field, nothing changed', async (t) => {
  const coord = await h.staff('coordobj', 'coordinator', 'SAMR');
  const notice = await coord.post('/api/v1/result-notices', {
    title: '2026年度拟认定名单',
    publishedOn: '2026-11-02',
    entries: [{ creditCode: '92500102AY4CL12TH8', businessName: '涪陵区老街面馆', category: 'specialty' }],
  });
  t.is(notice.status, 201);
  const b = new Browserless(h.url);
  const before = await tickets();
  const from = `/notices/${notice.body.id}/object`;
  const page = await b.get(from);
  const entry = /name="resultEntryId" value="([0-9a-f-]{36})"/.exec(page.text)![1];
  const objection: [string, string][] = [
    ['_csrf', await b.csrf(from)],
    ['formKey', formKeyOf(page.text)!],
    ['resultEntryId', entry],
    ['description', '去年被处罚过。'],
    ['description', '另一个'],
    ['owner.name', '赵六'],
    ['owner.phone', '13800004444'],
  ];
  const o = await b.req('POST', from, objection);
  t.is(o.status, 400);
  t.is(byId(o.text, 'f-description-error'), REPEATED);
  t.is(await tickets(), before);

  // the track page: the lookup, a supplement (URL-encoded and multipart) and a rating
  const intake = await h.staff('intakeobj', 'intake', 'SAMR');
  const tax = await h.staff('taxobj', 'handler', 'TAX');
  const c = await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '查询', description: 'd', owner: { name: '周八', phone: '13900000032' } });
  const { id, number, accessCode: code } = c.body as { id: string; number: string; accessCode: string };
  const lookup = await b.req('POST', '/track', [
    ['_csrf', await b.csrf('/track')],
    ['number', number],
    ['number', 'FL2026000001'],
    ['code', code],
  ]);
  t.is(lookup.status, 400);
  t.is(byId(lookup.text, 'f-number-error'), REPEATED);
  t.is(lookup.headers.get('location'), null);
  t.is((await b.post('/track', { number, code }, '/track')).status, 303);
  t.is((await tax.post(`/api/v1/tickets/${id}/sign`, {})).status, 200);
  t.is((await tax.post(`/api/v1/tickets/${id}/request-info`, { message: '请提供流水。' })).status, 200);
  const token = await b.csrf(`/track?number=${number}`);
  const sup: [string, string][] = [
    ['_csrf', token],
    ['number', number],
    ['code', code],
    ['message', '流水见附件。'],
    ['message', '另一个'],
  ];
  for (const r of [await b.req('POST', '/track/supplement', sup), await b.multipart('/track/supplement', sup, [['流水.pdf', pdf()]])]) {
    t.is(r.status, 400);
    t.is(byId(r.text, 'f-message-error'), REPEATED);
    t.true(r.text.includes(`<title>工单 ${number}`), 'the ticket page, the form again');
  }
  t.is((await h.deps.db.getRepository(Ticket).findOneByOrFail({ id })).state, 'awaiting_info');
  t.is(await h.deps.db.getRepository(TicketAttachment).countBy({ ticketId: id }), 0);
  t.is((await b.post('/track/supplement', { number, code, message: '流水见附件。' }, `/track?number=${number}`)).status, 303);
  t.is((await tax.post(`/api/v1/tickets/${id}/reply`, { outcome: 'resolved', message: '已重新核定。' })).status, 200);
  const rate = await b.req('POST', '/track/rate', [
    ['_csrf', await b.csrf(`/track?number=${number}`)],
    ['number', number],
    ['code', code],
    ['rating', 'satisfied'],
    ['rating', 'dissatisfied'],
  ]);
  t.is(rate.status, 400);
  t.is(byId(rate.text, 'f-rating-error'), REPEATED);
  t.is((await h.deps.db.getRepository(Ticket).findOneByOrFail({ id })).state, 'replied');
});

test.serial('the track page’s success notice comes only from the POST that went through, once: a done= in the address shows nothing', async (t) => {
  const intake = await h.staff('intakedone', 'intake', 'SAMR');
  const tax = await h.staff('taxdone', 'handler', 'TAX');
  const made = async (phone: string) =>
    (await intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '查询', description: 'd', owner: { name: '周八', phone } })).body as {
      id: string;
      number: string;
      accessCode: string;
    };
  const a = await made('13900000041');
  const other = await made('13900000042');
  const b = new Browserless(h.url);
  t.is((await b.post('/track', { number: a.number, code: a.accessCode }, '/track')).status, 303);
  const NOTICES = /工单已撤回|已经把补充的内容|谢谢您的评价/;
  // crafted links: the ticket, and no notice
  for (const q of ['done=withdraw', 'done=supplement&files=99', 'done=rate', 'done=supplement']) {
    const r = await b.get(`/track?number=${a.number}&${q}`);
    t.is(r.status, 200, q);
    t.true(r.text.includes(`<title>工单 ${a.number}`), q);
    t.false(NOTICES.test(r.text), `${q}: no notice`);
    t.false(r.text.includes('role="status"'), q);
  }
  t.is((await tax.post(`/api/v1/tickets/${a.id}/sign`, {})).status, 200);
  t.is((await tax.post(`/api/v1/tickets/${a.id}/request-info`, { message: '请提供流水。' })).status, 200);
  const sup = await b.multipart('/track/supplement', { _csrf: await b.csrf(`/track?number=${a.number}`), number: a.number, code: a.accessCode, message: '流水见附件。' }, [['流水.pdf', pdf()]]);
  t.is(sup.status, 303);
  t.is(sup.headers.get('location'), `/track?number=${a.number}`);
  const set = sup.setCookies.find((c) => c.startsWith('gt_notice='))!;
  t.regex(set, /^gt_notice=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=300$/);
  // another browser with the cookie, or another ticket's page: nothing (the other page keeps it)
  const thief = new Browserless(h.url);
  thief.cookies.set('gt_notice', b.cookies.get('gt_notice')!);
  t.false(NOTICES.test((await thief.get(`/track?number=${a.number}`)).text), 'the cookie opens nothing in another browser');
  t.is((await b.post('/track', { number: other.number, code: other.accessCode }, '/track')).status, 303);
  t.false(NOTICES.test((await b.get(`/track?number=${other.number}`)).text), 'not on another ticket’s page');
  t.is((await b.post('/track', { number: a.number, code: a.accessCode }, '/track')).status, 303);
  const shown = await b.get(`/track?number=${a.number}&done=withdraw`);
  t.regex(shown.text, /<div class="inset" role="status">已经把补充的内容和1个文件交给办理部门，答复期限恢复计算。<\/div>/, 'the notice of what happened, whatever the address says');
  t.false(shown.text.includes('工单已撤回'));
  const reload = await b.get(`/track?number=${a.number}`);
  t.false(NOTICES.test(reload.text), 'once: a reload shows it no more');
  t.false(b.cookies.has('gt_notice'), 'the cookie is cleared');
});

test.serial(
  'a field sent twice on the account forms (sign-in, a verification code, registration, password reset and change): 400, the message next to that field; nothing sent, nobody signed in, no password changed',
  async (t) => {
    await h.staff('twicepw', 'handler', 'HRSS');
    const codes = () => h.deps.db.getRepository(OutboxMessage).count({ where: { channel: 'sms' } });
    const sent = await codes();
    const b = new Browserless(h.url);
    const cases: [string, string, [string, string][], string][] = [
      [
        '/account/sign-in',
        '/account/sign-in',
        [
          ['phone', 'twicepw'],
          ['phone', 'other'],
          ['password', 'Pw-twicepw-123!'],
        ],
        'f-phone-error',
      ],
      [
        '/account/sign-in',
        '/account/sign-in',
        [
          ['phone', 'twicepw'],
          ['password', 'Pw-twicepw-123!'],
          ['password', 'Pw-twicepw-123!'],
        ],
        'f-password-error',
      ],
      [
        '/account/register/code',
        '/account/register',
        [
          ['phone', '13900000071'],
          ['phone', '13900000072'],
        ],
        'f-phone-error',
      ],
      [
        '/account/reset/code',
        '/account/reset',
        [
          ['phone', '13900000071'],
          ['phone', '13900000072'],
        ],
        'f-phone-error',
      ],
      [
        '/account/register',
        '/account/register?phone=13900000071',
        [
          ['phone', '13900000071'],
          ['code', '123456'],
          ['name', '孙十'],
          ['name', '孙十一'],
          ['password', 'Owner-Pw-123!'],
          ['passwordConfirm', 'Owner-Pw-123!'],
        ],
        'f-name-error',
      ],
      [
        '/account/reset',
        '/account/reset?phone=13900000071',
        [
          ['phone', '13900000071'],
          ['code', '123456'],
          ['newPassword', 'Owner-Pw-123!'],
          ['newPassword', 'Owner-Pw-456!'],
          ['passwordConfirm', 'Owner-Pw-123!'],
        ],
        'f-newPassword-error',
      ],
    ];
    for (const [path, from, body, errorId] of cases) {
      const r = await b.req('POST', path, [['_csrf', await b.csrf(from)], ...body]);
      t.is(r.status, 400, `${path} ${errorId}`);
      t.is(byId(r.text, errorId), REPEATED, `${path} ${errorId}: next to the field`);
      t.false(
        r.setCookies.some((c) => c.startsWith('gt_session=') && !/Max-Age=0/.test(c)),
        `${path}: nobody signed in`,
      );
    }
    t.is(await codes(), sent, 'no verification code sent');
    // signed in, the password change form with the new password twice: refused next to it; the old password still signs in
    const signed = new Browserless(h.url);
    t.is((await signed.post('/account/sign-in', { phone: 'twicepw', password: 'Pw-twicepw-123!' })).status, 303);
    const r = await signed.req('POST', '/account/password', [
      ['_csrf', await signed.csrf('/account/password')],
      ['currentPassword', 'Pw-twicepw-123!'],
      ['newPassword', 'New-Pw-twice-1!'],
      ['newPassword', 'New-Pw-twice-2!'],
      ['passwordConfirm', 'New-Pw-twice-1!'],
    ]);
    t.is(r.status, 400);
    t.is(byId(r.text, 'f-newPassword-error'), REPEATED);
    t.is((await h.http.post('/api/v1/auth/login', { username: 'twicepw', password: 'Pw-twicepw-123!' })).status, 200, 'the password unchanged');
  },
);

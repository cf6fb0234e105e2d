/**
 * Bad input (DESIGN §12): every bad request is a 4xx problem+json naming the field, and
 * writes nothing (rows counted before and after). Text is stored exactly as given.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };
let target: any; // a dispatched TAX ticket for action bodies
let inProgress: any;
let symposiumId: string;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  owner = await h.owner();
  target = (await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '目标', description: '内容' })).body;
  inProgress = (await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '办理中', description: '内容', owner: CALLER })).body;
  await s.tax.post(`/api/v1/tickets/${inProgress.id}/sign`, {});
  symposiumId = (await s.coord.post('/api/v1/symposiums', { title: '座谈', heldOn: '2026-11-01' })).body.id;
});
test.after.always(async () => {
  await h?.close();
});

const CALLER = { name: '钱七', phone: '13712345678' };
const TABLES = ['ticket', 'ticket_event', 'ticket_message', 'idempotency_key', 'ticket_pause', 'ticket_extension', 'ticket_return', 'symposium', 'app_user'];
async function counts() {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number((await h.deps.db.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n);
  return out;
}

// ---------------------------------------------------------------------------
// GB 32100 check character, computed here independently of src/domain/validators
// ---------------------------------------------------------------------------
const ALPHA = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function checkChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHA.indexOf(first17[i]) * (3 ** i % 31);
  return ALPHA[(31 - (sum % 31)) % 31];
}
const VALID_CODES = ['91350100M000100Y43', '92500102AY4CL12TH8', '911100007109250324', '91110000802100433B', `92500102MA5U${'7B3L2'}${checkChar('92500102MA5U7B3L2')}`];
/** the same code with another (wrong) check character */
const wrongCheck = (code: string) => code.slice(0, 17) + ALPHA[(ALPHA.indexOf(code[17]) + 1) % 31];

// ---------------------------------------------------------------------------
// POST /tickets
// ---------------------------------------------------------------------------

const hot = (extra: Record<string, unknown> = {}) => ({ kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '标题', description: '描述', owner: CALLER, ...extra });
const withOwner = (o: Record<string, unknown>) => hot({ owner: { ...CALLER, ...o } });
const integ = (accused: Record<string, unknown>) => ({
  kind: 'integrity_report',
  channel: 'hotline',
  title: '举报',
  description: '经过',
  owner: CALLER,
  accused: { departmentCode: 'TRN', demand: 'fee', occurredOn: '2026-10-01', ...accused },
});
const cc = (n: number, ch = '字') => ch.repeat(n);

/** [name, body, status, fields named, code] */
type Case = [string, unknown, number, string[], string?];
const CREATE_CASES: Case[] = [
  ['malformed JSON', '{"kind":"complaint",', 400, ['body'], 'malformed-json'],
  ['JSON with a trailing comma', '{"kind":"complaint",}', 400, ['body'], 'malformed-json'],
  ['a JSON array', '[]', 400, ['body']],
  ['a JSON string (strict JSON: objects and arrays only)', '"complaint"', 400, ['body'], 'malformed-json'],
  ['empty object: every required field named', {}, 400, ['kind', 'channel', 'title', 'description']],
  ['title a number', hot({ title: 123 }), 400, ['title']],
  ['anonymous a string', hot({ anonymous: 'yes' }), 400, ['anonymous']],
  ['owner a string', hot({ owner: '钱七' }), 400, ['owner']],
  ['receivedAt a number', hot({ receivedAt: 1762045200000 }), 400, ['receivedAt']],
  ['receivedAt without offset', hot({ receivedAt: '2026-11-01T09:00:00' }), 400, ['receivedAt']],
  ['receivedAt not a date', hot({ receivedAt: 'yesterday' }), 400, ['receivedAt']],
  ['unknown kind', hot({ kind: 'grievance' }), 400, ['kind']],
  ['unknown channel', hot({ channel: 'fax' }), 400, ['channel']],
  ['unknown priority', hot({ priority: 'high' }), 400, ['priority']],
  ['unknown category', hot({ category: 'nonsense' }), 422, ['category']],
  ['missing title', hot({ title: undefined }), 400, ['title']],
  ['missing description', hot({ description: undefined }), 400, ['description']],
  ['owner without phone', hot({ owner: { name: '钱七' } }), 400, ['owner.phone']],
  ['owner without name', hot({ owner: { phone: '13712345678' } }), 400, ['owner.name']],
  ['unknown field', hot({ urgent: true }), 400, ['urgent']],
  ['unknown nested field', withOwner({ age: 40 }), 400, ['owner.age']],
  ['credit code with a wrong check character', withOwner({ creditCode: wrongCheck(VALID_CODES[0]) }), 400, ['owner.creditCode']],
  ['credit code with a wrong check character (2)', withOwner({ creditCode: wrongCheck(VALID_CODES[4]) }), 400, ['owner.creditCode']],
  ['credit code in lower case', withOwner({ creditCode: VALID_CODES[1].toLowerCase() }), 400, ['owner.creditCode']],
  ['credit code of 17 characters', withOwner({ creditCode: VALID_CODES[0].slice(0, 17) }), 400, ['owner.creditCode']],
  ['credit code with a letter outside GB 32100 (I)', withOwner({ creditCode: `I${VALID_CODES[0].slice(1)}` }), 400, ['owner.creditCode']],
  ['credit code with spaces', withOwner({ creditCode: ` ${VALID_CODES[0]}` }), 400, ['owner.creditCode']],
  ['mobile starting 12', withOwner({ phone: '12812345678' }), 400, ['owner.phone']],
  ['mobile of 10 digits', withOwner({ phone: '1371234567' }), 400, ['owner.phone']],
  ['mobile of 12 digits', withOwner({ phone: '137123456789' }), 400, ['owner.phone']],
  ['mobile with +86', withOwner({ phone: '+8613712345678' }), 400, ['owner.phone']],
  ['mobile with dashes', withOwner({ phone: '137-1234-5678' }), 400, ['owner.phone']],
  ['mobile of full-width digits starting 12', withOwner({ phone: '１２８１２３４５６７８' }), 400, ['owner.phone']],
  ['mobile as a number', withOwner({ phone: 13712345678 }), 400, ['owner.phone']],
  // NFKC read these as ASCII digits; only full-width ０–９ are (asciiForm)
  ['mobile starting with a circled ①', withOwner({ phone: '①3712345678' }), 400, ['owner.phone']],
  ['mobile with a superscript ¹', withOwner({ phone: '¹3712345678' }), 400, ['owner.phone']],
  ['mobile of Arabic-Indic digits', withOwner({ phone: '١٣٧١٢٣٤٥٦٧٨' }), 400, ['owner.phone']],
  ['mobile ending with a digit full stop ⒏', withOwner({ phone: '1371234567⒏' }), 400, ['owner.phone']],
  ['credit code with a circled ⑨', withOwner({ creditCode: `⑨${VALID_CODES[0].slice(1)}` }), 400, ['owner.creditCode']],
  ['credit code with a Roman numeral Ⅹ for X', withOwner({ creditCode: VALID_CODES.find((c) => c.includes('X'))?.replace('X', 'Ⅹ') ?? 'Ⅹ'.repeat(18) }), 400, ['owner.creditCode']],
  ['accused amount with a circled ③', integ({ amountYuan: '③00' }), 400, ['accused.amountYuan']],
  ['email without @', withOwner({ email: 'qian.example.test' }), 400, ['owner.email']],
  ['receivedAt in the future', hot({ receivedAt: '2026-11-02T09:00:01+08:00' }), 422, ['receivedAt']],
  ['title of 201 characters', hot({ title: cc(201) }), 400, ['title']],
  ['title empty', hot({ title: '' }), 400, ['title']],
  ['title blank', hot({ title: '   ' }), 400, ['title']],
  ['description of 5,001 characters', hot({ description: cc(5001, 'd') }), 400, ['description']],
  ['owner name of 101 characters', withOwner({ name: cc(101) }), 400, ['owner.name']],
  ['business name of 101 characters', withOwner({ businessName: cc(101) }), 400, ['owner.businessName']],
  ['title with BEL', hot({ title: 'a\u0007b' }), 400, ['title']],
  ['title with a line break (single-line)', hot({ title: '第一行\n第二行' }), 400, ['title']],
  ['title with a tab (single-line)', hot({ title: 'a\tb' }), 400, ['title']],
  ['title with DEL', hot({ title: 'a\u007fb' }), 400, ['title']],
  ['title with a C1 control (NEL)', hot({ title: 'a\u0085b' }), 400, ['title']],
  ['description with NUL', hot({ description: 'a\u0000b' }), 400, ['description']],
  ['description with ESC', hot({ description: '\u001b[31mred' }), 400, ['description']],
  ['description with a form feed', hot({ description: 'a\u000cb' }), 400, ['description']],
  ['owner name with a line break', withOwner({ name: '钱\n七' }), 400, ['owner.name']],
  ['subjectCreditCode invalid', hot({ subjectCreditCode: wrongCheck(VALID_CODES[2]) }), 400, ['subjectCreditCode']],
  ['symposiumId not an id', hot({ symposiumId: '42' }), 400, ['symposiumId']],
  ['symposiumId unknown', hot({ symposiumId: '00000000-0000-4000-8000-000000000000' }), 422, ['symposiumId']],
  ['integrity report without accused', { ...integ({}), accused: undefined }, 422, ['accused']],
  ['accused amount with 3 decimals', integ({ amountYuan: '300.123' }), 400, ['accused.amountYuan']],
  ['accused amount negative', integ({ amountYuan: '-5' }), 400, ['accused.amountYuan']],
  ['accused amount negative number', integ({ amountYuan: -5 }), 400, ['accused.amountYuan']],
  ['accused amount in exponent form', integ({ amountYuan: '1e3' }), 400, ['accused.amountYuan']],
  ['accused amount as a JSON number (not exact)', integ({ amountYuan: 300.1 }), 400, ['accused.amountYuan']],
  ['title with a right-to-left override', hot({ title: '\u202eFL2026 gnp.exe' }), 400, ['title']],
  ['title with a line separator', hot({ title: 'a\u2028b' }), 400, ['title']],
  ['description with a lone surrogate', hot({ description: 'bad \ud800 text' }), 400, ['description']],
  ['description with U+FFFD (undecodable bytes)', hot({ description: 'bad \ufffd text' }), 400, ['description']],
  ['receivedAt in year 1', hot({ receivedAt: '0001-06-15T00:00:00Z' }), 400, ['receivedAt']],
  ['receivedAt more than a year ago', hot({ receivedAt: '2025-10-01T00:00:00+08:00' }), 422, ['receivedAt']],
  ['accused unknown demand', integ({ demand: 'bribe' }), 400, ['accused.demand']],
  ['accused department lower case', integ({ departmentCode: 'trn' }), 400, ['accused.departmentCode']],
  ['accused department unknown', integ({ departmentCode: 'XYZ' }), 422, ['accused.departmentCode']],
  ['occurredOn not a date', integ({ occurredOn: '2026-02-30' }), 400, ['accused.occurredOn']],
  ['occurredOn in the future', integ({ occurredOn: '2026-11-03' }), 422, ['accused.occurredOn']],
  ['anonymous with an owner', hot({ anonymous: true }), 422, ['owner']],
  ['answerAtIntake without message', hot({ answerAtIntake: {} }), 400, ['answerAtIntake.message']],
];

const createMacro = test.macro({
  async exec(t, _name: string, body: unknown, status: number, fields: string[], code?: string) {
    const before = await counts();
    const r = await s.intake.post('/api/v1/tickets', body, { 'idempotency-key': `bad-${Math.random()}` });
    t.is(r.status, status, r.text.slice(0, 300));
    t.is(r.headers.get('content-type'), 'application/problem+json');
    t.is(r.body.status, status);
    t.is(r.body.code, code ?? 'validation-failed');
    t.deepEqual(
      r.body.errors.map((e: any) => e.field),
      fields,
    );
    for (const e of r.body.errors) t.truthy(e.message);
    t.deepEqual(await counts(), before);
  },
  title: (_p, name: string, _b: unknown, status: number, fields: string[], _code?: string) => `POST /tickets ${name} → ${status} naming ${fields.join(', ')}`,
});
for (const c of CREATE_CASES) test.serial(createMacro, c[0], c[1], c[2], c[3], c[4]);

test.serial('valid edge values are accepted: exact limits, each valid credit code, emoji counted as one character, tab and line breaks in descriptions', async (t) => {
  for (const code of VALID_CODES) {
    const r = await s.intake.post('/api/v1/tickets', withOwner({ creditCode: code }));
    t.is(r.status, 201, code);
    t.is(r.body.contact.creditCode, code);
  }
  const limits = await s.intake.post('/api/v1/tickets', hot({ title: cc(200, '😀'), description: cc(5000, '长'), owner: { ...CALLER, name: cc(100), businessName: cc(100, 'B') } }));
  t.is(limits.status, 201, limits.text.slice(0, 200));
  t.is(Array.from(limits.body.title).length, 200);
  t.is((await s.coord.get(`/api/v1/tickets/${limits.body.id}`)).body.title, cc(200, '😀'));
  for (const phone of ['13012345678', '19912345678', '16612345678']) t.is((await s.intake.post('/api/v1/tickets', withOwner({ phone }))).status, 201, phone);
  // full-width digits (U+FF10–FF19, as a Chinese input method types them) are read as ASCII in phones, codes and amounts, and kept so
  const wide = await s.intake.post('/api/v1/tickets', withOwner({ phone: '１３７１２３４５６７８', creditCode: '９２５００１０２ＡＹ４ＣＬ１２ＴＨ８' }));
  t.is(wide.status, 201, wide.text.slice(0, 300));
  t.like(wide.body.contact, { phone: '13712345678', creditCode: '92500102AY4CL12TH8' });
  const wideAmount = await s.intake.post('/api/v1/tickets', integ({ amountYuan: '３００．５' }));
  t.is(wideAmount.status, 201, wideAmount.text.slice(0, 300));
  t.is((await s.sup.get(`/api/v1/tickets/${wideAmount.body.id}`)).body.accused.amountYuan, '300.50');
  // other text keeps its full-width characters
  const wideTitle = await s.intake.post('/api/v1/tickets', hot({ title: '１３７号门面', owner: { ...CALLER, name: 'ＡＢＣ' } }));
  t.like(wideTitle.body, { title: '１３７号门面', contact: { name: 'ＡＢＣ' } });
  const ml = await s.intake.post('/api/v1/tickets', hot({ description: '第一行\r\n\t第二行\n' }));
  t.is(ml.status, 201);
  t.is(ml.body.description, '第一行\r\n\t第二行\n');
  const amount = await s.intake.post('/api/v1/tickets', integ({ amountYuan: '300.1' }));
  t.is(amount.status, 201, amount.text.slice(0, 200));
  t.is((await s.sup.get(`/api/v1/tickets/${amount.body.id}`)).body.accused.amountYuan, '300.10');
  const received = await s.intake.post('/api/v1/tickets', hot({ receivedAt: '2026-11-02T09:00:00+08:00' }));
  t.is(received.status, 201);
});

test.serial('a body over 1 MB is 413 and writes nothing', async (t) => {
  const before = await counts();
  const r = await s.intake.post('/api/v1/tickets', hot({ description: 'x'.repeat(1_100_000) }));
  t.is(r.status, 413);
  t.is(r.headers.get('content-type'), 'application/problem+json');
  t.is(r.body.code, 'body-too-large');
  const r2 = await owner.post(`/api/v1/tickets/${target.id}/note`, { text: '长'.repeat(400_000) });
  t.is(r2.status, 413);
  t.deepEqual(await counts(), before);
});

test.serial('a body that is not JSON is refused naming the body', async (t) => {
  const before = await counts();
  const r = await s.intake.req('POST', '/api/v1/tickets', 'kind=complaint&title=x', { 'content-type': 'application/x-www-form-urlencoded' });
  t.true(r.status === 400 || r.status === 415, String(r.status));
  t.is(r.headers.get('content-type'), 'application/problem+json');
  t.deepEqual(await counts(), before);
});

// ---------------------------------------------------------------------------
// Action bodies, path ids, headers
// ---------------------------------------------------------------------------

const ACTION_CASES: [string, 'target' | 'inProgress', string, unknown, number, string[]][] = [
  ['dispatch without department', 'target', 'dispatch', {}, 400, ['departmentCode']],
  ['dispatch to a lower-case code', 'target', 'dispatch', { departmentCode: 'tax' }, 400, ['departmentCode']],
  ['dispatch with an unknown field', 'target', 'dispatch', { departmentCode: 'HRSS', priority: 'urgent' }, 400, ['priority']],
  ['request-extension of 0 days', 'inProgress', 'request-extension', { workingDays: 0, reason: 'r' }, 400, ['workingDays']],
  ['request-extension of 31 days', 'inProgress', 'request-extension', { workingDays: 31, reason: 'r' }, 400, ['workingDays']],
  ['request-extension of 1.5 days', 'inProgress', 'request-extension', { workingDays: 1.5, reason: 'r' }, 400, ['workingDays']],
  ['request-extension with days as a string', 'inProgress', 'request-extension', { workingDays: '3', reason: 'r' }, 400, ['workingDays']],
  ['request-extension without reason', 'inProgress', 'request-extension', { workingDays: 3 }, 400, ['reason']],
  ['reply with an unknown outcome', 'inProgress', 'reply', { outcome: 'done', message: 'm' }, 400, ['outcome']],
  ['reply with a message over 5,000', 'inProgress', 'reply', { outcome: 'resolved', message: cc(5001) }, 400, ['message']],
  ['reply with a NUL', 'inProgress', 'reply', { outcome: 'resolved', message: 'a\u0000' }, 400, ['message']],
  ['rate with an unknown rating', 'target', 'rate', { rating: 'good' }, 400, ['rating']],
  ['rate via sms', 'target', 'rate', { rating: 'satisfied', via: 'sms' }, 400, ['via']],
  ['reject with an unknown ground', 'target', 'reject', { ground: 'lazy', detail: 'd' }, 400, ['ground']],
  ['merge into a non-id', 'target', 'merge', { intoTicketId: 'FL2026000001' }, 400, ['intoTicketId']],
  ['decide-extension with approve as a string', 'inProgress', 'decide-extension', { approve: 'yes' }, 400, ['approve']],
  ['note without text', 'target', 'note', {}, 400, ['text']],
  ['note of blank text', 'target', 'note', { text: ' \n\t ' }, 400, ['text']],
  ['sign with a body', 'target', 'sign', { force: true }, 400, ['force']],
  ['malformed JSON', 'target', 'note', '{"text": "x"', 400, ['body']],
];
const actionMacro = test.macro({
  async exec(t, _name: string, which: 'target' | 'inProgress', action: string, body: unknown, status: number, fields: string[]) {
    const who = ['dispatch', 'reject', 'merge', 'decide-extension'].includes(action) ? s.coord : action === 'rate' ? owner : s.tax;
    const id = which === 'target' ? target.id : inProgress.id;
    const before = await counts();
    const r = await who.post(`/api/v1/tickets/${id}/${action}`, body);
    t.is(r.status, status, r.text.slice(0, 300));
    t.is(r.headers.get('content-type'), 'application/problem+json');
    t.deepEqual(
      r.body.errors.map((e: any) => e.field),
      fields,
    );
    t.deepEqual(await counts(), before);
  },
  title: (_p, name: string, _w, action: string, _b, status: number) => `POST /tickets/:id/${action}: ${name} → ${status}`,
});
for (const c of ACTION_CASES) test.serial(actionMacro, ...c);

test.serial('bad path parameters are 400 naming the parameter', async (t) => {
  const cases: [Client, string, string, unknown, string][] = [
    [s.coord, 'GET', '/api/v1/tickets/not-an-id', undefined, 'id'],
    [s.coord, 'GET', '/api/v1/tickets/123/events', undefined, 'id'],
    [s.coord, 'GET', `/api/v1/tickets/${target.id.toUpperCase().replace(/-/g, '')}/messages`, undefined, 'id'],
    [s.tax, 'POST', '/api/v1/tickets/%27%20OR%201=1/sign', {}, 'id'],
    [s.coord, 'GET', '/api/v1/symposiums/x', undefined, 'id'],
    [s.coord, 'POST', '/api/v1/symposiums/x/issues', { issues: [{ title: 't', description: 'd' }] }, 'id'],
    [h.http, 'GET', '/api/v1/track/12345?code=ABC', undefined, 'number'],
    [h.admin, 'GET', '/api/v1/calendar/1999', undefined, 'year'],
    [h.admin, 'PUT', '/api/v1/calendar/days/2026-13-01', { type: 'holiday' }, 'date'],
  ];
  for (const [c, m, p, b, field] of cases) {
    const r = await c.req(m, p, b);
    t.is(r.status, 400, `${m} ${p}`);
    t.deepEqual(
      r.body.errors.map((e: any) => e.field),
      [field],
      `${m} ${p}`,
    );
  }
});

test.serial('tracking: a missing or malformed code is 400; a wrong one 404', async (t) => {
  const before = await counts();
  const anon = (await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '跟踪', description: '内容', anonymous: true })).body;
  const after = await counts();
  t.is(after.ticket, before.ticket + 1);
  const noCode = await h.http.get(`/api/v1/track/${anon.number}`);
  t.is(noCode.status, 400);
  t.deepEqual(
    noCode.body.errors.map((e: any) => e.field),
    ['code'],
  );
  const badRating = await h.http.post(`/api/v1/track/${anon.number}/rate`, { code: anon.accessCode, rating: 'ok' });
  t.is(badRating.status, 400);
  t.deepEqual(
    badRating.body.errors.map((e: any) => e.field),
    ['rating'],
  );
  const noMessage = await h.http.post(`/api/v1/track/${anon.number}/supplement`, { code: anon.accessCode });
  t.is(noMessage.status, 400);
  t.deepEqual(
    noMessage.body.errors.map((e: any) => e.field),
    ['message'],
  );
  t.is((await h.http.post(`/api/v1/track/${anon.number}/supplement`, { code: 'WRONGCODE2', message: 'x' })).status, 404);
  t.deepEqual(await counts(), after);
});

test.serial('accounts and symposiums: bad input named, nothing written', async (t) => {
  const cases: [Client, string, string, unknown, number, string[]][] = [
    [h.http, 'POST', '/api/v1/owners', { phone: '12345678901', code: '123456', password: 'Owner-Pw-123!', name: '户' }, 400, ['phone']],
    [h.http, 'POST', '/api/v1/owners', { phone: '13311112222', code: '123456', password: 'short', name: '户' }, 400, ['password']],
    [h.http, 'POST', '/api/v1/owners', { phone: '13311112222', code: '123456', password: 'Owner-Pw-123!', name: cc(101) }, 400, ['name']],
    [h.http, 'POST', '/api/v1/owners', { phone: '13311112222', code: '123456', password: 'Owner-Pw-123!', name: '户', creditCode: wrongCheck(VALID_CODES[3]) }, 400, ['creditCode']],
    [h.http, 'POST', '/api/v1/owners', { phone: '13311112222', code: '123456', password: 'Owner-Pw-123!', name: '户', role: 'admin' }, 400, ['role']],
    [h.admin, 'POST', '/api/v1/users', { username: 'x', password: 'Pw-123456789', name: 'n', role: 'handler', departmentCode: 'TAX' }, 400, ['username']],
    [h.admin, 'POST', '/api/v1/users', { username: 'newuser', password: 'Pw-123456789', name: 'n', role: 'owner', departmentCode: 'TAX' }, 400, ['role']],
    [h.admin, 'POST', '/api/v1/users', { username: 'newuser', password: 'Pw-123456789', name: 'n', role: 'handler' }, 400, ['departmentCode']],
    [h.admin, 'POST', '/api/v1/users', { username: 'newuser', password: 'Pw-123456789', name: 'n', role: 'handler', departmentCode: 'XYZ' }, 422, ['departmentCode']],
    [h.http, 'POST', '/api/v1/auth/login', { username: 'admin' }, 400, ['password']],
    [s.coord, 'POST', '/api/v1/symposiums', { title: '未来', heldOn: '2026-11-03' }, 422, ['heldOn']],
    [s.coord, 'POST', '/api/v1/symposiums', { title: '日期', heldOn: '2026/11/01' }, 400, ['heldOn']],
    [s.coord, 'POST', '/api/v1/symposiums', { title: '座谈', heldOn: '2026-11-01', attendees: [{ name: '甲', email: 'nope' }] }, 400, ['attendees.0.email']],
    [s.coord, 'POST', '/api/v1/symposiums', { title: '座谈', heldOn: '2026-11-01', issues: [{ title: '一', description: 'd' }, { description: 'd' }] }, 400, ['issues.1.title']],
    [s.coord, 'POST', '/api/v1/symposiums', { title: '座谈', heldOn: '2026-11-01', issues: [{ title: '一', description: 'd', owner: { name: '甲', phone: '110' } }] }, 400, ['issues.0.owner.phone']],
    [
      s.coord,
      'POST',
      '/api/v1/symposiums',
      {
        title: '座谈',
        heldOn: '2026-11-01',
        issues: [
          { title: '一', description: 'd', owner: CALLER },
          { title: '二', description: 'd', owner: CALLER, category: 'nonsense' },
        ],
      },
      422,
      ['issues.1.category'],
    ],
    [s.coord, 'POST', `/api/v1/symposiums/${symposiumId}/issues`, { issues: [] }, 400, ['issues']],
    [s.coord, 'POST', `/api/v1/symposiums/${symposiumId}/issues`, { issues: [{ title: '一', description: 'd', kind: 'integrity_report' }] }, 400, ['issues.0.kind']],
  ];
  for (const [c, m, p, b, status, fields] of cases) {
    const before = await counts();
    const r = await c.req(m, p, b);
    t.is(r.status, status, `${p} ${JSON.stringify(b).slice(0, 80)}: ${r.text.slice(0, 200)}`);
    t.is(r.headers.get('content-type'), 'application/problem+json');
    t.deepEqual(
      r.body.errors?.map((e: any) => e.field),
      fields,
      `${p} ${JSON.stringify(b).slice(0, 80)}`,
    );
    t.deepEqual(await counts(), before, `${p} ${JSON.stringify(b).slice(0, 80)}`);
  }
});

// ---------------------------------------------------------------------------
// Text stored exactly as given
// ---------------------------------------------------------------------------

test.serial('Chinese, emoji, quotes, markup and SQL-looking text are stored and returned exactly', async (t) => {
  const title = `<script>alert("x")</script> 面馆 😀👨‍👩‍👧 '单引号' "双引号" \`反引号\` & &amp; \\ 反斜杠`;
  const description = `Robert'); DROP TABLE ticket;--\n<img src=x onerror=alert(1)>\n\t缩进 é (e + U+0301: e\u0301) 𠮷 RTL`;
  const name = '<b>钱</b>七😀';
  const r = await s.intake.post('/api/v1/tickets', hot({ title, description, owner: { ...CALLER, name, businessName: `"老字号" & <小店>` } }));
  t.is(r.status, 201);
  const g = (await s.coord.get(`/api/v1/tickets/${r.body.id}`)).body;
  t.is(g.title, title);
  t.is(g.description, description);
  t.is(g.contact.name, name);
  t.is(g.contact.businessName, `"老字号" & <小店>`);
  // messages too, and through the tracking view
  await s.tax.post(`/api/v1/tickets/${r.body.id}/sign`, {});
  const msg = '答复：<a href="javascript:alert(1)">点我</a> 🙏 “中文引号”';
  await s.tax.post(`/api/v1/tickets/${r.body.id}/reply`, { outcome: 'resolved', message: msg });
  const tr = (await h.http.get(`/api/v1/track/${r.body.number}?code=${r.body.accessCode}`)).body;
  t.is(tr.title, title);
  t.deepEqual(
    tr.answers.map((a: any) => a.body),
    [msg],
  );
  // and the list finds it by a piece of its title
  const found = (await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('"双引号"')}`)).body.items;
  t.deepEqual(
    found.map((x: any) => x.id),
    [r.body.id],
  );
});

// ---------------------------------------------------------------------------
// numbers in query strings and paths: digits only (zod's coercion read '' as 0 and '1e3' as 1000)
// ---------------------------------------------------------------------------
test.serial('an empty or non-integer year is 400 "the year must be a 4-digit year"; other numeric parameters alike', async (t) => {
  const YEAR = 'the year must be a 4-digit year (an integer such as 2026)';
  const cases: [Client, string, string, string, string][] = [
    [s.coord, '/api/v1/departments/TAX/assessment?year=', 'query', 'year', YEAR],
    [s.coord, '/api/v1/departments/TAX/assessment?year=1e3', 'query', 'year', YEAR],
    [s.coord, '/api/v1/departments/TAX/assessment?year=2026.0', 'query', 'year', YEAR],
    [s.coord, '/api/v1/departments/TAX/assessment?year=%202026', 'query', 'year', YEAR],
    [s.coord, '/api/v1/departments/TAX/assessment?year=1999', 'query', 'year', 'the year must be from 2000 to 2100'],
    [s.sup, '/api/v1/vetoes?year=20x6', 'query', 'year', YEAR],
    [s.sup, '/api/v1/vetoes?year=0x7EA', 'query', 'year', YEAR],
    [h.admin, '/api/v1/calendar/1e3', 'path', 'year', YEAR],
    [s.coord, '/api/v1/tickets?limit=', 'query', 'limit', 'must be a page size (digits only)'],
    [s.coord, '/api/v1/tickets?limit=1e2', 'query', 'limit', 'must be a page size (digits only)'],
    [s.coord, '/api/v1/tickets?limit=0', 'query', 'limit', 'must be a page size from 1 to 200'],
    [s.coord, '/api/v1/tickets?escalationLevel=1e0', 'query', 'escalationLevel', 'must be an escalation level (digits only)'],
    [s.coord, '/api/v1/oversight?level=2.5', 'query', 'level', 'must be an oversight level (digits only)'],
    [s.coord, '/api/v1/calendar/deadline?start=2026-11-02T09:00:00%2B08:00&workingDays=', 'query', 'workingDays', 'must be a number of working days (digits only)'],
  ];
  for (const [c, path, where, field, message] of cases) {
    const r = await c.get(path);
    t.is(r.status, 400, path);
    t.like(r.body, { type: 'urn:problem:validation-failed', status: 400, detail: `invalid ${where}: ${field}: ${message}` }, path);
    t.is(r.body.errors[0].field, field, path);
  }
  // the valid forms still read as before
  t.is((await s.coord.get('/api/v1/departments/TAX/assessment?year=2026')).body.year, 2026);
  t.is((await s.coord.get('/api/v1/departments/TAX/assessment')).status, 200);
  t.is((await s.sup.get('/api/v1/vetoes?year=2026')).status, 200);
  t.is((await h.admin.get('/api/v1/calendar/2026')).status, 200);
  t.is((await s.coord.get('/api/v1/tickets?limit=2&escalationLevel=0')).body.items.length, 2);
  t.is((await s.coord.get('/api/v1/calendar/deadline?start=2026-11-02T09:00:00%2B08:00&workingDays=5')).body.dueAt, '2026-11-09T16:00:00.000Z');
});

// ---------------------------------------------------------------------------
// list filters: blank is absent (as the work-list page sends 全部), anything else must be valid
// ---------------------------------------------------------------------------
test.serial('a list filter sent blank is absent on every list endpoint; a non-blank bad value is still 400 naming it', async (t) => {
  const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((x) => x.id);
  const blank: [Client, string, string][] = [
    [s.coord, '/api/v1/tickets', 'state=&kind=&departmentCode=&overdue=&dueSoon=&escalationLevel=&from=&to=&q='],
    [h.admin, '/api/v1/users', 'role=&departmentCode=&active=&q='],
    [h.admin, '/api/v1/outbox', 'state=&ticketNumber='],
    [s.coord, '/api/v1/oversight', 'departmentCode=&level=&state=&overdue=&ticketId='],
    [s.sup, '/api/v1/vetoes', 'year='],
  ];
  for (const [c, path, q] of blank) {
    const all = await c.get(path);
    t.is(all.status, 200, path);
    const r = await c.get(`${path}?${q}`);
    t.is(r.status, 200, `${path}?${q}: ${r.text.slice(0, 200)}`);
    t.deepEqual(ids(r), ids(all), `${path}?${q}`);
    for (const one of q.split('&')) t.is((await c.get(`${path}?${one}`)).status, 200, `${path}?${one}`);
  }
  t.true(ids(await s.coord.get('/api/v1/tickets?state=')).length >= 2);
  const bad: [Client, string, string][] = [
    [s.coord, '/api/v1/tickets?state=open', 'state'],
    [s.coord, '/api/v1/tickets?state=%20', 'state'],
    [s.coord, '/api/v1/tickets?kind=x', 'kind'],
    [s.coord, '/api/v1/tickets?departmentCode=tax', 'departmentCode'],
    [s.coord, '/api/v1/tickets?overdue=1', 'overdue'],
    [s.coord, '/api/v1/tickets?escalationLevel=%200', 'escalationLevel'],
    [s.coord, '/api/v1/tickets?from=2026-11-01', 'from'],
    [s.coord, `/api/v1/tickets?q=${'x'.repeat(101)}`, 'q'],
    [h.admin, '/api/v1/users?role=boss', 'role'],
    [h.admin, '/api/v1/users?active=yes', 'active'],
    [h.admin, '/api/v1/outbox?state=lost', 'state'],
    [s.coord, '/api/v1/oversight?ticketId=42', 'ticketId'],
    [s.coord, '/api/v1/oversight?level=1', 'level'],
    [s.sup, '/api/v1/vetoes?year=99999', 'year'],
  ];
  for (const [c, path, field] of bad) {
    const r = await c.get(path);
    t.is(r.status, 400, path);
    t.is(r.headers.get('content-type'), 'application/problem+json', path);
    t.deepEqual(
      r.body.errors.map((e: { field: string }) => e.field),
      [field],
      path,
    );
  }
  // paging and the parameters that are no list filter keep DESIGN §12: empty is 400
  t.is((await s.coord.get('/api/v1/tickets?limit=')).status, 400);
  t.is((await s.coord.get('/api/v1/departments/TAX/assessment?year=')).status, 400);
});

test.serial('a search text of invisible characters only is 400 naming q; with a word besides, it searches', async (t) => {
  for (const q of ['\u200B', '\u200B\u200D', '\u3164\u3164', ' \u2060 ', '\u00AD', '\u180E']) {
    const r = await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent(q)}`);
    t.is(r.status, 400, JSON.stringify(q));
    t.like(r.body, {
      type: 'urn:problem:validation-failed',
      status: 400,
      detail: 'invalid query: q: the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)',
    });
    t.deepEqual(
      r.body.errors.map((e: { field: string }) => e.field),
      ['q'],
    );
  }
  t.deepEqual(
    (await s.coord.get(`/api/v1/tickets?q=${encodeURIComponent('\u200B办理中')}`)).body.items.map((x: { id: string }) => x.id),
    [inProgress.id],
  );
  t.is((await s.coord.get('/api/v1/tickets?q=%20%20')).status, 200, 'white space alone is no search');
});

test.serial('the user list’s q: control characters (a NUL listed every account on SQLite) or invisible characters only are 400 naming q, never all or none as if searched', async (t) => {
  for (const [q, detail] of [
    ['%00', 'invalid query: q: the search text must not contain control characters or line breaks'],
    ['tax%00', 'invalid query: q: the search text must not contain control characters or line breaks'],
    ['%0A', 'invalid query: q: the search text must not contain control characters or line breaks'],
    ['%EF%BB%BF', 'invalid query: q: the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)'],
    ['%E2%80%8B', 'invalid query: q: the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)'],
  ]) {
    const r = await h.admin.get(`/api/v1/users?q=${q}`);
    t.is(r.status, 400, q);
    t.like(r.body, { type: 'urn:problem:validation-failed', detail }, q);
    t.deepEqual([...new Set(r.body.errors.map((e: { field: string }) => e.field))], ['q'], q);
  }
  t.deepEqual(
    (await h.admin.get('/api/v1/users?q=tax1')).body.items.map((u: { username: string }) => u.username),
    ['tax1'],
  );
});

test.serial('owner registration and verification codes refuse a look-alike phone; full-width digits are the number', async (t) => {
  const before = await counts();
  for (const phone of ['①3900001111', '¹3900001111', '１３９００００１１１①']) {
    const r = await h.http.post('/api/v1/owners/verification-codes', { phone, purpose: 'register' });
    t.is(r.status, 400, phone);
    t.deepEqual(
      r.body.errors.map((e: { field: string }) => e.field),
      ['phone'],
    );
    const reg = await h.http.post('/api/v1/owners', { phone, code: '123456', password: 'Owner-Pw-123!', name: '甲' });
    t.is(reg.status, 400, phone);
    t.deepEqual(
      reg.body.errors.map((e: { field: string }) => e.field),
      ['phone'],
    );
    const login = await h.http.post('/api/v1/auth/login', { username: phone, password: 'Owner-Pw-123!' });
    t.is(login.status, 400, phone);
    t.deepEqual(login.body.errors, [{ field: 'username', code: 'custom', message: 'must be a phone number or a username (letters, digits, dot, dash or underscore)' }]);
  }
  t.deepEqual(await counts(), before);
  t.is((await h.http.post('/api/v1/owners/verification-codes', { phone: '１３９００００１１１１', purpose: 'register' })).status, 202);
  // the owner of 13800001234 signs in with full-width digits, not with a circled one
  t.is((await h.http.post('/api/v1/auth/login', { username: '１３８００００１２３４', password: 'Owner-Pw-123!' })).status, 200);
  t.is((await h.http.post('/api/v1/auth/login', { username: '①3800001234', password: 'Owner-Pw-123!' })).status, 400);
});

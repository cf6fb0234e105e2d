/**
 * Permissions (DESIGN §1, §7, §13) for every endpoint of tickets, accounts, tracking,
 * symposiums, configuration and operations: a table of role → expected status. 401 without
 * a token, 403 for a role that may never do it, 404 for a ticket the caller may not see
 * (existence is not disclosed), and refused calls write nothing.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness, Client, OWNER, smsCode } from '../helpers/harness';

type Role = 'anon' | 'owner' | 'otherOwner' | 'intake' | 'handler' | 'otherHandler' | 'coordinator' | 'supervisor' | 'admin';
const ROLES: Role[] = ['anon', 'owner', 'otherOwner', 'intake', 'handler', 'otherHandler', 'coordinator', 'supervisor', 'admin'];

let h: Harness;
let C: Record<Role, Client>;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  const owner = await h.owner();
  const otherOwner = await h.owner('13700000002');
  C = { anon: h.http, owner, otherOwner, intake: s.intake, handler: s.tax, otherHandler: s.hrss, coordinator: s.coord, supervisor: s.sup, admin: h.admin };
});
test.after.always(async () => {
  await h?.close();
});

const CALLER = { name: '王五', phone: '13512345678', email: 'wang@example.test' };
async function countRows(table: string) {
  return Number((await h.deps.db.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
}
async function ok(r: Promise<{ status: number; text: string; body: any }>, status = 200) {
  const x = await r;
  if (x.status !== status) throw new Error(`expected ${status}, got ${x.status} ${x.text}`);
  return x.body;
}
/** an owner's complaint routed to TAX */
const complaint = () => ok(C.owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '权限测试', description: '内容' }), 201);
const registered = () => ok(C.owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'other', title: '待分派', description: '内容' }), 201);
const act = (c: Client, id: string, action: string, body: Record<string, unknown> = {}) => ok(c.post(`/api/v1/tickets/${id}/${action}`, body));
const integrity = (accused: string, c: Client = C.owner) =>
  ok(
    c.post('/api/v1/tickets', {
      kind: 'integrity_report',
      channel: 'web',
      title: '索要财物',
      description: '办事时被索要购物卡',
      accused: { departmentCode: accused, demand: 'property', amountYuan: '500.00', occurredOn: '2026-10-20' },
    }),
    201,
  );

// ---------------------------------------------------------------------------
// Ticket actions: role → status, on a ticket in a state where the action is legal
// ---------------------------------------------------------------------------

interface ActionCase {
  action: string;
  /** makes a fresh ticket in the right state; returns its id */
  setup: () => Promise<string>;
  body: (id: string) => Promise<Record<string, unknown>> | Record<string, unknown>;
  expect: Record<Role, number>;
  /** a refusal's own problem code where it is not the status's generic one */
  codes?: Partial<Record<Role, string>>;
}
const deny = (allowed: Partial<Record<Role, number>>, visible: Partial<Record<Role, boolean>> = {}): Record<Role, number> => {
  // the default visibility of a TAX complaint submitted by `owner`
  const vis: Record<Role, boolean> = { anon: true, owner: true, otherOwner: false, intake: true, handler: true, otherHandler: false, coordinator: true, supervisor: true, admin: true, ...visible };
  return Object.fromEntries(ROLES.map((r) => [r, r === 'anon' ? 401 : (allowed[r] ?? (vis[r] ? 403 : 404))])) as Record<Role, number>;
};
const dispatched = async () => (await complaint()).id as string;
const inProgress = async () => {
  const id = await dispatched();
  await act(s.tax, id, 'sign');
  return id;
};
const awaiting = async () => {
  const id = await inProgress();
  await act(s.tax, id, 'request-info', { message: '请补充' });
  return id;
};
const repliedT = async () => {
  const id = await inProgress();
  await act(s.tax, id, 'reply', { outcome: 'resolved', message: '已办' });
  return id;
};
const closedT = async () => {
  const id = await repliedT();
  await act(C.owner, id, 'rate', { rating: 'satisfied' });
  return id;
};
const pendingExt = async () => {
  const id = await inProgress();
  await act(s.tax, id, 'request-extension', { workingDays: 2, reason: '需调查' });
  return id;
};
const reg = async () => (await registered()).id as string;

const ACTIONS: ActionCase[] = [
  { action: 'dispatch', setup: reg, body: () => ({ departmentCode: 'TAX' }), expect: deny({ coordinator: 200 }, { handler: false }) },
  { action: 'sign', setup: dispatched, body: () => ({}), expect: deny({ handler: 200 }) },
  { action: 'return', setup: dispatched, body: () => ({ reason: '非本部门' }), expect: deny({ handler: 200 }) },
  { action: 'request-info', setup: inProgress, body: () => ({ message: '请补充' }), expect: deny({ handler: 200 }) },
  { action: 'supplement', setup: awaiting, body: () => ({ message: '补充' }), expect: deny({ owner: 200, intake: 200 }) },
  { action: 'request-extension', setup: inProgress, body: () => ({ workingDays: 2, reason: '原因' }), expect: deny({ handler: 200 }) },
  { action: 'decide-extension', setup: pendingExt, body: () => ({ approve: true }), expect: deny({ coordinator: 200 }) },
  { action: 'reply', setup: inProgress, body: () => ({ outcome: 'resolved', message: '答复' }), expect: deny({ handler: 200 }) },
  // an owner's web ticket is rated by the owner only: no callback rating by intake (issue 13 item 8)
  { action: 'rate', setup: repliedT, body: () => ({ rating: 'satisfied' }), expect: deny({ owner: 200 }), codes: { intake: 'callback-owner-account' } },
  { action: 'reject', setup: reg, body: () => ({ ground: 'outside_remit', detail: '不属于' }), expect: deny({ coordinator: 200 }, { handler: false }) },
  { action: 'withdraw', setup: dispatched, body: () => ({}), expect: deny({ owner: 200 }) },
  { action: 'merge', setup: dispatched, body: async () => ({ intoTicketId: await dispatched() }), expect: deny({ coordinator: 200 }) },
  { action: 'reopen', setup: closedT, body: () => ({ reason: '再次来电' }), expect: deny({ coordinator: 200 }) },
  { action: 'close', setup: repliedT, body: () => ({}), expect: deny({ coordinator: 200 }) },
  { action: 'note', setup: dispatched, body: () => ({ text: '内部' }), expect: deny({ intake: 200, handler: 200, coordinator: 200, supervisor: 200 }) },
  // escalate, conclude and decide: only the refusals here (their success is tested with their features)
  { action: 'escalate', setup: dispatched, body: () => ({ level: 2, note: '督办' }), expect: deny({ coordinator: 0, supervisor: 0 }) },
  { action: 'conclude', setup: inProgress, body: () => ({ finding: 'unsubstantiated', summary: '不属实' }), expect: deny({}) },
  { action: 'decide', setup: inProgress, body: () => ({ outcome: 'dismissed', reason: '不成立' }), expect: deny({}) },
];

const actionMacro = test.macro({
  async exec(t, c: ActionCase) {
    const id = await c.setup();
    const body = await c.body(id);
    const events = await countRows('ticket_event');
    const before = (await C.coordinator.get(`/api/v1/tickets/${id}`)).body;
    for (const role of ROLES) {
      const want = c.expect[role];
      if (want === 200 || want === 0) continue;
      const r = await C[role].post(`/api/v1/tickets/${id}/${c.action}`, body);
      t.is(r.status, want, `${role} ${c.action}`);
      t.is(r.headers.get('content-type'), 'application/problem+json');
      t.is(r.body.code, c.codes?.[role] ?? { 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found' }[want as 401 | 403 | 404], `${role} ${c.action}`);
    }
    t.is(await countRows('ticket_event'), events, 'refusals write nothing');
    const after = (await C.coordinator.get(`/api/v1/tickets/${id}`)).body;
    t.is(after.version, before.version);
    t.is(after.state, before.state);
    // each permitted role on its own fresh ticket
    for (const role of ROLES.filter((r) => c.expect[r] === 200)) {
      const fresh = role === ROLES.find((r) => c.expect[r] === 200) ? id : await c.setup();
      const r = await C[role].post(`/api/v1/tickets/${fresh}/${c.action}`, await c.body(fresh));
      t.is(r.status, 200, `${role} ${c.action}: ${r.text.slice(0, 200)}`);
    }
  },
  title: (_p, c: ActionCase) => `POST /tickets/:id/${c.action}: ${ROLES.map((r) => `${r} ${c.expect[r] || '—'}`).join(', ')}`,
});
for (const c of ACTIONS) test.serial(actionMacro, c);

test.serial('a bad token is 401 everywhere, even on public routes', async (t) => {
  const bad = h.http.as('not-a-token');
  const tk = await complaint();
  for (const [m, p] of [
    ['GET', '/api/v1/tickets'],
    ['GET', `/api/v1/tickets/${tk.id}`],
    ['POST', `/api/v1/tickets/${tk.id}/sign`],
    ['GET', '/api/v1/me'],
    ['POST', '/api/v1/tickets'],
  ] as const) {
    const r = await bad.req(m, p, m === 'POST' ? {} : undefined);
    t.is(r.status, 401, `${m} ${p}`);
    t.is(r.body.code, 'unauthenticated');
  }
});

// ---------------------------------------------------------------------------
// Ticket reads
// ---------------------------------------------------------------------------

const READS = ['', '/events', '/events/verify', '/messages'];
const readMacro = test.macro({
  async exec(t, _what: string, make: () => Promise<any>, expect: Partial<Record<Role, number>>) {
    const tk = await make();
    for (const role of ROLES) {
      for (const suffix of READS) {
        const r = await C[role].get(`/api/v1/tickets/${tk.id}${suffix}`);
        t.is(r.status, expect[role] ?? 404, `${role} GET ${suffix || '/'}`);
      }
      // and the list agrees with the detail: what is 404 is absent from lists
      if (role !== 'anon') {
        const list = await C[role].get('/api/v1/tickets?limit=200');
        t.is(list.status, 200);
        t.is(
          list.body.items.some((x: any) => x.id === tk.id),
          expect[role] === 200,
          `${role} list`,
        );
      }
    }
  },
  title: (_p, what: string) => `reads (detail, events, verify, messages, list) of ${what}`,
});
test.serial(readMacro, 'an owner complaint routed to TAX', complaint, {
  anon: 401,
  owner: 200,
  otherOwner: 404,
  intake: 200,
  handler: 200,
  otherHandler: 404,
  coordinator: 200,
  supervisor: 200,
  admin: 200,
});
test.serial(readMacro, 'a registered complaint (no department yet)', registered, {
  anon: 401,
  owner: 200,
  otherOwner: 404,
  intake: 200,
  handler: 404,
  otherHandler: 404,
  coordinator: 200,
  supervisor: 200,
  admin: 200,
});
test.serial(readMacro, 'an integrity report accusing HRSS', () => integrity('HRSS'), {
  anon: 401,
  owner: 200,
  otherOwner: 404,
  intake: 404,
  handler: 404,
  otherHandler: 404,
  coordinator: 200,
  supervisor: 200,
  admin: 200,
});
test.serial(readMacro, 'an integrity report accusing SAMR (coordinator and intake are SAMR)', () => integrity('SAMR'), {
  anon: 401,
  owner: 200,
  otherOwner: 404,
  intake: 404,
  handler: 404,
  otherHandler: 404,
  coordinator: 404,
  supervisor: 200,
  admin: 200,
});
test.serial(readMacro, 'an integrity report accusing DIS (no district user)', () => integrity('DIS'), {
  anon: 401,
  owner: 200,
  otherOwner: 404,
  intake: 404,
  handler: 404,
  otherHandler: 404,
  coordinator: 404,
  supervisor: 404,
  admin: 404,
});

test.serial('an unknown ticket id is 404 for everyone signed in; a malformed id is 400', async (t) => {
  for (const role of ROLES.filter((r) => r !== 'anon')) {
    t.is((await C[role].get('/api/v1/tickets/00000000-0000-4000-8000-000000000000')).status, 404, role);
    const bad = await C[role].get('/api/v1/tickets/123');
    t.is(bad.status, 400, role);
    t.deepEqual(
      bad.body.errors.map((e: any) => e.field),
      ['id'],
    );
  }
});

test.serial('integrity report: only supervisors see the reporter, and each such read is recorded; the accused department is not shown it', async (t) => {
  const tk = await integrity('HRSS');
  const sup = await C.supervisor.get(`/api/v1/tickets/${tk.id}`);
  t.is(sup.body.reporter, 'shown');
  t.is(sup.body.contact.name, OWNER.name);
  for (const role of ['coordinator', 'admin'] as Role[]) {
    const r = await C[role].get(`/api/v1/tickets/${tk.id}`);
    t.is(r.body.reporter, 'masked', role);
    t.is(r.body.contact, null, role);
  }
  const ev = (await C.supervisor.get(`/api/v1/tickets/${tk.id}/events`)).body.items;
  t.deepEqual(
    ev.filter((e: any) => e.type === 'identity_read').map((e: any) => [e.actor.id, e.actor.role]),
    [[s.sup.id, 'supervisor']],
  );
  // the submitter's timeline does not show who read it
  const mine = (await C.owner.get(`/api/v1/tickets/${tk.id}/events`)).body.items;
  t.false(mine.some((e: any) => e.type === 'identity_read'));
  // intake and handlers cannot act on it
  t.is((await C.intake.post(`/api/v1/tickets/${tk.id}/note`, { text: 'x' })).status, 404);
  t.is((await C.otherHandler.post(`/api/v1/tickets/${tk.id}/note`, { text: 'x' })).status, 404);
  // dispatching it to the accused department is refused
  const coi = await C.supervisor.post(`/api/v1/tickets/${tk.id}/dispatch`, { departmentCode: 'HRSS' });
  t.is(coi.status, 409);
  t.is(coi.body.code, 'conflict-of-interest');
  // the coordinator does not dispatch integrity reports
  t.is((await C.coordinator.post(`/api/v1/tickets/${tk.id}/dispatch`, { departmentCode: 'DIS' })).status, 403);
});

// ---------------------------------------------------------------------------
// Lists: scope and masking
// ---------------------------------------------------------------------------

test.serial('lists: handlers see their department only, owners their own, intake no integrity reports; phones masked in lists and for handlers', async (t) => {
  const hot = await ok(C.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'employment', title: '社保', description: '内容', owner: CALLER }), 201);
  const tax = await ok(C.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '税', description: '内容', owner: CALLER }), 201);
  const all = async (c: Client) => {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await c.get(`/api/v1/tickets?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      items.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    return items;
  };
  const taxList = await all(C.handler);
  t.true(taxList.length > 0);
  t.true(taxList.every((x) => x.departmentCode === 'TAX'));
  t.true(taxList.some((x) => x.id === tax.id));
  t.false(taxList.some((x) => x.id === hot.id));
  const mine = await all(C.owner);
  t.true(mine.length > 0);
  t.false(mine.some((x) => x.id === hot.id || x.id === tax.id));
  t.deepEqual(await all(C.otherOwner), []);
  const intakeList = await all(C.intake);
  t.false(intakeList.some((x) => x.kind === 'integrity_report'));
  const coordList = await all(C.coordinator);
  t.true(coordList.some((x) => x.kind === 'integrity_report' && x.accused.departmentCode === 'HRSS'));
  t.false(coordList.some((x) => x.kind === 'integrity_report' && ['SAMR', 'DIS'].includes(x.accused.departmentCode)));
  t.false((await all(C.supervisor)).some((x) => x.kind === 'integrity_report' && x.accused.departmentCode === 'DIS'));
  t.false((await all(C.admin)).some((x) => x.kind === 'integrity_report' && x.accused.departmentCode === 'DIS'));

  // masking: lists mask the phone for everyone but the owner themselves; handlers also in the detail
  for (const role of ['intake', 'coordinator', 'supervisor', 'admin'] as Role[]) {
    const inList = (await all(C[role])).find((x) => x.id === tax.id);
    t.is(inList.contact.phone, '135****5678', role);
    t.is((await C[role].get(`/api/v1/tickets/${tax.id}`)).body.contact.phone, CALLER.phone, role);
  }
  const handlerDetail = (await C.handler.get(`/api/v1/tickets/${tax.id}`)).body;
  t.is(handlerDetail.contact.phone, '135****5678');
  t.is(handlerDetail.contact.email, undefined);
  t.is(taxList.find((x) => x.id === tax.id).contact.phone, '135****5678');
  t.is(mine.find((x) => x.kind === 'complaint').contact.phone, OWNER.phone); // the owner's own number is not masked
  t.is((await C.anon.get('/api/v1/tickets')).status, 401);
});

test.serial('creating tickets: who may, on which channel', async (t) => {
  const web = { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '创建', description: '内容' };
  const hot = { ...web, channel: 'hotline', owner: CALLER };
  t.is((await C.anon.post('/api/v1/tickets', { ...web, anonymous: true })).status, 201);
  t.is((await C.owner.post('/api/v1/tickets', web)).status, 201);
  t.is((await C.intake.post('/api/v1/tickets', hot)).status, 201);
  t.is((await C.coordinator.post('/api/v1/tickets', hot)).status, 201);
  for (const role of ['handler', 'supervisor', 'admin'] as Role[]) {
    const r = await C[role].post('/api/v1/tickets', hot);
    t.is(r.status, 403, role);
    t.is(r.body.code, 'forbidden');
  }
  const ownerHotline = await C.owner.post('/api/v1/tickets', hot);
  t.is(ownerHotline.status, 422);
  t.deepEqual(
    ownerHotline.body.errors.map((e: any) => e.field),
    ['channel'],
  );
  const intakeWeb = await C.intake.post('/api/v1/tickets', { ...web, owner: CALLER });
  t.is(intakeWeb.status, 422);
  t.deepEqual(
    intakeWeb.body.errors.map((e: any) => e.field),
    ['channel'],
  );
  const ownerReceived = await C.owner.post('/api/v1/tickets', { ...web, receivedAt: '2026-11-01T09:00:00+08:00' });
  t.is(ownerReceived.status, 422);
  t.deepEqual(
    ownerReceived.body.errors.map((e: any) => e.field),
    ['receivedAt'],
  );
  const noCaller = await C.intake.post('/api/v1/tickets', { ...hot, owner: undefined });
  t.is(noCaller.status, 422);
  t.deepEqual(
    noCaller.body.errors.map((e: any) => e.field),
    ['owner'],
  );
});

// ---------------------------------------------------------------------------
// The other endpoints: accounts, reference lists, configuration, symposiums, tracking, operations
// ---------------------------------------------------------------------------

interface EndpointCase {
  method: 'GET' | 'POST' | 'PUT';
  path: string | (() => Promise<string>);
  body?: (role: Role) => unknown;
  expect: Partial<Record<Role, number>>;
  fallback: number;
}
let symposiumId = '';
let seq = 0;
const everyone = (status: number): Partial<Record<Role, number>> => Object.fromEntries(ROLES.filter((r) => r !== 'anon').map((r) => [r, status]));
const only = (status: number, ...roles: Role[]): Partial<Record<Role, number>> => Object.fromEntries(roles.map((r) => [r, status]));

const ENDPOINTS: EndpointCase[] = [
  { method: 'GET', path: '/api/v1/me', expect: everyone(200), fallback: 403 },
  { method: 'GET', path: '/api/v1/departments', expect: everyone(200), fallback: 403 },
  { method: 'GET', path: '/api/v1/categories', expect: everyone(200), fallback: 403 },
  { method: 'GET', path: '/api/v1/users', expect: only(200, 'admin'), fallback: 403 },
  {
    method: 'POST',
    path: '/api/v1/users',
    expect: only(201, 'admin'),
    fallback: 403,
    body: (role) => ({ username: `new-${role}-${++seq}`, password: 'Pw-New-12345', name: '新员工', role: 'handler', departmentCode: 'FIN' }),
  },
  { method: 'GET', path: '/api/v1/calendar/deadline?start=2026-09-30T10:00:00%2B08:00&workingDays=5', expect: everyone(200), fallback: 403 },
  { method: 'GET', path: '/api/v1/calendar/2026', expect: everyone(200), fallback: 403 },
  { method: 'PUT', path: '/api/v1/calendar/2031', body: () => ({ holidays: ['2031-01-01'], workdays: [] }), expect: only(200, 'admin'), fallback: 403 },
  { method: 'PUT', path: '/api/v1/calendar/days/2031-05-06', body: () => ({ type: 'holiday', note: '测试' }), expect: only(200, 'admin'), fallback: 403 },
  { method: 'GET', path: '/api/v1/sla-policies', expect: only(200, 'admin', 'coordinator', 'supervisor'), fallback: 403 },
  {
    method: 'PUT',
    path: '/api/v1/sla-policies',
    expect: only(200, 'admin'),
    fallback: 403,
    body: () => ({ items: [{ kind: 'complaint', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 5, replyUnit: 'working_days' }] }),
  },
  { method: 'GET', path: '/api/v1/routing-rules', expect: only(200, 'admin', 'coordinator'), fallback: 403 },
  { method: 'POST', path: '/api/v1/symposiums', body: () => ({ title: '座谈会', heldOn: '2026-11-01' }), expect: only(201, 'intake', 'coordinator'), fallback: 403 },
  { method: 'GET', path: '/api/v1/symposiums', expect: only(200, 'intake', 'coordinator', 'supervisor', 'admin'), fallback: 403 },
  { method: 'GET', path: async () => `/api/v1/symposiums/${symposiumId}`, expect: only(200, 'intake', 'coordinator', 'supervisor', 'admin', 'handler', 'otherHandler'), fallback: 403 },
  {
    method: 'POST',
    path: async () => `/api/v1/symposiums/${symposiumId}/issues`,
    expect: only(201, 'intake', 'coordinator'),
    fallback: 403,
    body: () => ({ issues: [{ title: '议题', description: '内容', owner: CALLER }] }),
  },
];

const endpointMacro = test.macro({
  async exec(t, c: EndpointCase) {
    if (!symposiumId) symposiumId = (await ok(C.coordinator.post('/api/v1/symposiums', { title: '权限座谈会', heldOn: '2026-11-01' }), 201)).id;
    const path = typeof c.path === 'string' ? c.path : await c.path();
    for (const role of ROLES) {
      const want = role === 'anon' ? 401 : (c.expect[role] ?? c.fallback);
      const r = await C[role].req(c.method, path, c.body ? c.body(role) : c.method === 'GET' ? undefined : {});
      t.is(r.status, want, `${role}: ${r.text.slice(0, 200)}`);
      if (want >= 400) t.is(r.headers.get('content-type'), 'application/problem+json');
    }
  },
  title: (_p, c: EndpointCase) =>
    `${c.method} ${typeof c.path === 'string' ? c.path.split('?')[0] : c.path.toString().includes('issues') ? '/api/v1/symposiums/:id/issues' : '/api/v1/symposiums/:id'}`,
});
for (const c of ENDPOINTS) test.serial(endpointMacro, c);

test.serial('PUT /routing-rules: admin only (the current rules put back unchanged)', async (t) => {
  const rules = (await C.admin.get('/api/v1/routing-rules')).body.items.map((r: any) => ({ categoryCode: r.categoryCode, departmentCode: r.departmentCode }));
  for (const role of ROLES) {
    const r = await C[role].put('/api/v1/routing-rules', { items: rules });
    t.is(r.status, role === 'anon' ? 401 : role === 'admin' ? 200 : 403, role);
  }
  t.is((await C.admin.get('/api/v1/routing-rules')).body.items.length, rules.length);
});

test.serial('public endpoints: login, owner registration, tracking, health, OpenAPI, the test clock', async (t) => {
  t.is((await C.anon.post('/api/v1/auth/login', { username: 'admin', password: 'wrong-password' })).status, 401);
  t.is((await C.anon.post('/api/v1/owners/verification-codes', { phone: '13300000003', purpose: 'register' })).status, 202);
  const code = await smsCode(h.deps, '13300000003');
  t.is((await C.anon.post('/api/v1/owners', { phone: '13300000003', code, password: 'Owner-Pw-123!', name: '新户' })).status, 201);
  // a registered number gets the same answer and no code (issue 13 item 12): registering it again fails on the code
  t.is((await C.anon.post('/api/v1/owners/verification-codes', { phone: '13300000003', purpose: 'register' })).status, 202);
  t.is(await smsCode(h.deps, '13300000003'), null);
  const dup = await C.anon.post('/api/v1/owners', { phone: '13300000003', code: '000000', password: 'Owner-Pw-123!', name: '新户' });
  t.is(dup.status, 422);
  t.deepEqual(
    dup.body.errors.map((e: any) => [e.field, e.code]),
    [['code', 'code_invalid']],
  );
  const anonTicket = await ok(C.anon.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '跟踪', description: '内容', anonymous: true }), 201);
  for (const role of ROLES) {
    // the access code opens the tracking view to anyone, signed in or not
    t.is((await C[role].get(`/api/v1/track/${anonTicket.number}?code=${anonTicket.accessCode}`)).status, 200, role);
  }
  // tracking shows no contact data, no internal notes, no department staff
  const tr = (await C.anon.get(`/api/v1/track/${anonTicket.number}?code=${anonTicket.accessCode}`)).body;
  t.deepEqual(Object.keys(tr).sort(), ['answers', 'closedAt', 'cycle', 'deadlines', 'departmentCode', 'kind', 'number', 'outcome', 'rating', 'receivedAt', 'state', 'timeline', 'title']);
  for (const p of ['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json', '/docs']) t.is((await C.anon.get(p)).status, 200, p);
  const now = (await C.anon.get('/readyz')).body.now;
  // the test clock is not public (issue 13 item 11)
  t.is((await C.anon.put('/api/v1/test/clock', { now })).status, 401);
  t.is((await C.admin.put('/api/v1/test/clock', { now })).status, 200);
});

test.serial('admin reads every visible ticket, with no action allowed', async (t) => {
  const tk = await complaint();
  const r = await C.admin.get(`/api/v1/tickets/${tk.id}`);
  t.is(r.status, 200);
  t.deepEqual(r.body.allowedActions, []);
  t.is(r.body.contact.phone, OWNER.phone);
});

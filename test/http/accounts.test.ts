/**
 * The account API of issue 10: `PATCH /users/:id`, deactivate and reactivate (every session
 * of the account ends), the admin's password reset (a temporary password the user must
 * change), `PUT /me/password`, and the account events each change records
 * (docs/decisions/accounts.md). Exact statuses, error codes, rows and events.
 */
import test from 'ava';
import { startHarness, Harness, Client } from '../helpers/harness';
import { SessionStore } from '../../src/commands/sessions';

let h: Harness;
let adminId: string;
test.before(async () => {
  h = await startHarness();
  adminId = (await h.admin.get('/api/v1/me')).body.id;
});
test.after.always(async () => {
  await h?.close();
});

/** The account events of a user as stored, oldest first, without ids and instants. */
async function events(userId: string) {
  const rows = await h.deps.db.query('SELECT seq, type, actor_id, via, payload FROM account_event WHERE user_id = ? ORDER BY seq', [userId]);
  return rows.map((r: any) => ({ seq: Number(r.seq), type: r.type, actorId: r.actor_id, via: r.via, payload: r.payload === null ? null : JSON.parse(r.payload) }));
}
const count = async (sql: string, params: unknown[] = []) => Number((await h.deps.db.query(sql, params))[0].n);
const login = (username: string, password: string) => h.http.post('/api/v1/auth/login', { username, password });
const field = (r: { body: any }) => r.body.errors.map((e: any) => `${e.field}:${e.code}`);

test.serial('creating an account records `created`; PATCH changes the placement and the personal fields, recorded without personal values', async (t) => {
  const tax = await h.staff('patch1', 'handler', 'TAX');
  t.deepEqual(await events(tax.id), [{ seq: 1, type: 'created', actorId: adminId, via: 'api', payload: { role: 'handler', departmentCode: 'TAX', isHead: false } }]);

  const r = await h.admin.req('PATCH', `/api/v1/users/${tax.id}`, { name: '税务科长', email: 'head@tax.example.test', phone: '13900001111', departmentCode: 'HRSS', isHead: true });
  t.is(r.status, 200, r.text);
  t.like(r.body, {
    id: tax.id,
    username: 'patch1',
    role: 'handler',
    name: '税务科长',
    email: 'head@tax.example.test',
    phone: '13900001111',
    departmentCode: 'HRSS',
    isHead: true,
    active: true,
    mustChangePassword: false,
  });
  const row = (await h.deps.db.query('SELECT name, email, phone, department_code, is_head FROM app_user WHERE id = ?', [tax.id]))[0];
  t.deepEqual({ ...row, is_head: Boolean(row.is_head) }, { name: '税务科长', email: 'head@tax.example.test', phone: '13900001111', department_code: 'HRSS', is_head: true });
  t.deepEqual((await events(tax.id))[1], {
    seq: 2,
    type: 'updated',
    actorId: adminId,
    via: 'api',
    payload: { changed: ['name', 'email', 'phone', 'departmentCode', 'isHead'], from: { departmentCode: 'TAX', isHead: false }, to: { departmentCode: 'HRSS', isHead: true } },
  });
  // the history as the admin reads it, newest first
  const history = await h.admin.get(`/api/v1/users/${tax.id}/events`);
  t.is(history.status, 200);
  t.deepEqual(
    history.body.items.map((e: any) => [e.seq, e.type, e.via, e.actorId]),
    [
      [2, 'updated', 'api', adminId],
      [1, 'created', 'api', adminId],
    ],
  );
  t.is(history.body.items[0].at, '2026-11-02T01:00:00.000Z');

  // null clears email and phone; a change that changes nothing records nothing
  t.like((await h.admin.req('PATCH', `/api/v1/users/${tax.id}`, { email: null, phone: null })).body, { email: null, phone: null });
  const same = await h.admin.req('PATCH', `/api/v1/users/${tax.id}`, { name: '税务科长', departmentCode: 'HRSS' });
  t.is(same.status, 200);
  t.is((await events(tax.id)).length, 3);
  t.deepEqual((await events(tax.id))[2].payload, { changed: ['email', 'phone'], from: {}, to: {} });

  // the page session takes the new placement on its next request (the session reads the account)
  const store = new SessionStore(h.deps.db, 30 * 60_000);
  const s = await store.create(tax.id);
  t.like((await store.resolve(s.token))?.account, { departmentCode: 'HRSS', isHead: true });
});

test.serial('PATCH refuses a broken placement, unknown fields and owners, and changes nothing', async (t) => {
  const u = await h.staff('patch2', 'handler', 'TAX', { isHead: true });
  const owner = await h.owner('13700000011');
  const cases: [string, unknown, number, string, string[]][] = [
    [u.id, { role: 'supervisor' }, 422, 'validation-failed', ['departmentCode:supervisor_dis']],
    [u.id, { role: 'coordinator', departmentCode: 'TAX' }, 422, 'validation-failed', ['departmentCode:coordinator_samr']],
    [u.id, { role: 'intake' }, 422, 'validation-failed', ['isHead:head_handler']],
    [u.id, { departmentCode: 'XYZ' }, 422, 'validation-failed', ['departmentCode:unknown']],
    [u.id, { departmentCode: null }, 400, 'validation-failed', ['departmentCode:required']],
    [u.id, { username: 'renamed' }, 400, 'validation-failed', ['username:unrecognized_keys']],
    [u.id, { role: 'owner' }, 400, 'validation-failed', ['role:invalid_value']],
    [u.id, { phone: '12345' }, 400, 'validation-failed', ['phone:custom']],
    [u.id, { name: '' }, 400, 'validation-failed', ['name:custom']],
    [owner.id, { name: '改名' }, 409, 'not-staff', []],
    ['00000000-0000-4000-8000-000000000000', { name: 'x' }, 404, 'not-found', []],
    ['not-an-id', { name: 'x' }, 400, 'validation-failed', ['id:invalid_format']],
  ];
  for (const [id, body, status, code, errors] of cases) {
    const r = await h.admin.req('PATCH', `/api/v1/users/${id}`, body);
    t.is(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    t.is(r.body.code, code);
    t.deepEqual(r.body.errors ? field(r) : [], errors, JSON.stringify(body));
  }
  // moving the head to intake works when the head mark goes too
  t.like((await h.admin.req('PATCH', `/api/v1/users/${u.id}`, { role: 'intake', departmentCode: 'SAMR', isHead: false })).body, { role: 'intake', departmentCode: 'SAMR', isHead: false });
  t.deepEqual(
    (await events(u.id)).map((e: any) => e.type),
    ['created', 'updated'],
  );
  t.deepEqual((await events(u.id))[1].payload, {
    changed: ['role', 'departmentCode', 'isHead'],
    from: { role: 'handler', departmentCode: 'TAX', isHead: true },
    to: { role: 'intake', departmentCode: 'SAMR', isHead: false },
  });
  // only the admin; without a token 401
  t.is((await u.req('PATCH', `/api/v1/users/${u.id}`, { name: 'x' })).status, 403);
  t.is((await h.http.req('PATCH', `/api/v1/users/${u.id}`, { name: 'x' })).status, 401);
  // the last active admin keeps the role
  const last = await h.admin.req('PATCH', `/api/v1/users/${adminId}`, { role: 'coordinator', departmentCode: 'SAMR' });
  t.is(last.status, 409);
  t.is(last.body.code, 'last-admin');
  t.is(await count("SELECT COUNT(*) AS n FROM app_user WHERE role = 'admin' AND active = ?", [true]), 1);
});

test.serial('deactivating ends every session at once (token and page session), refuses sign-in; reactivating lets it sign in with old tokens still ended', async (t) => {
  const u = await h.staff('leaver', 'handler', 'TAX');
  t.is((await u.get('/api/v1/tickets')).status, 200);
  const store = new SessionStore(h.deps.db, 30 * 60_000);
  const page = await store.create(u.id);
  await store.create(u.id);
  t.truthy(await store.resolve(page.token));

  const r = await h.admin.post(`/api/v1/users/${u.id}/deactivate`, { reason: '调离本单位' });
  t.is(r.status, 200, r.text);
  t.like(r.body, { id: u.id, active: false });
  // the bearer token, in this process at once (other processes within 5 s)
  const after = await u.get('/api/v1/tickets');
  t.is(after.status, 401);
  t.is(after.body.code, 'unauthenticated');
  // the page sessions: rows gone
  t.is(await count('SELECT COUNT(*) AS n FROM web_session WHERE user_id = ?', [u.id]), 0);
  t.is(await store.resolve(page.token), null);
  const signIn = await login('leaver', 'Pw-leaver-123!');
  t.is(signIn.status, 401);
  t.is(signIn.body.code, 'invalid-credentials');
  t.deepEqual((await events(u.id)).slice(1), [{ seq: 2, type: 'deactivated', actorId: adminId, via: 'api', payload: { reason: '调离本单位', sessionsEnded: 2 } }]);
  // the staff lists for mail leave it out
  t.false((await h.admin.get('/api/v1/users?active=true&q=leaver')).body.items.some((x: any) => x.id === u.id));
  t.deepEqual(
    (await h.admin.get('/api/v1/users?active=false&q=leav')).body.items.map((x: any) => x.username),
    ['leaver'],
  );

  // again: nothing changes, nothing is recorded
  t.is((await h.admin.post(`/api/v1/users/${u.id}/deactivate`, {})).status, 200);
  t.is((await events(u.id)).length, 2);

  const back = await h.admin.post(`/api/v1/users/${u.id}/reactivate`);
  t.is(back.status, 200);
  t.true(back.body.active);
  t.is((await u.get('/api/v1/tickets')).status, 401, 'a token from before the deactivation stays ended');
  const again = await login('leaver', 'Pw-leaver-123!');
  t.is(again.status, 200);
  t.is((await h.http.as(again.body.token).get('/api/v1/tickets')).status, 200);
  t.deepEqual(
    (await events(u.id)).map((e: any) => [e.type, e.payload]),
    [
      ['created', { role: 'handler', departmentCode: 'TAX', isHead: false }],
      ['deactivated', { reason: '调离本单位', sessionsEnded: 2 }],
      ['reactivated', null],
    ],
  );

  // an admin cannot lock themself out; non-admins cannot deactivate
  const self = await h.admin.post(`/api/v1/users/${adminId}/deactivate`, {});
  t.is(self.status, 409);
  t.is(self.body.code, 'own-account');
  t.is((await h.http.as(again.body.token).post(`/api/v1/users/${adminId}/deactivate`, {})).status, 403);
  t.is((await h.admin.post(`/api/v1/users/${u.id}/deactivate`, { reason: '', extra: 1 })).status, 400);
});

test.serial('an owner account can be deactivated (and cannot sign in), not edited or reset', async (t) => {
  const owner = await h.owner('13700000012');
  t.is((await h.admin.post(`/api/v1/users/${owner.id}/deactivate`, { reason: '冒用他人身份' })).status, 200);
  t.is((await login('13700000012', 'Owner-Pw-123!')).status, 401);
  const reset = await h.admin.post(`/api/v1/users/${owner.id}/password-reset`, {});
  t.is(reset.status, 409);
  t.is(reset.body.code, 'not-staff');
  t.deepEqual(
    (await events(owner.id)).map((e: any) => e.type),
    ['deactivated'],
  );
});

test.serial('a password reset sets a temporary password the user must change; every session ends; PUT /me/password changes it and returns a new token', async (t) => {
  const u = await h.staff('forgetful', 'intake', 'SAMR');
  const store = new SessionStore(h.deps.db, 30 * 60_000);
  await store.create(u.id);

  const r = await h.admin.post(`/api/v1/users/${u.id}/password-reset`, {});
  t.is(r.status, 200, r.text);
  t.like(r.body.user, { id: u.id, mustChangePassword: true, active: true });
  t.regex(r.body.temporaryPassword, /^[A-HJ-NP-Za-km-z2-9]{12}$/);
  t.is((await u.get('/api/v1/tickets')).status, 401, 'the old token ended');
  t.is(await count('SELECT COUNT(*) AS n FROM web_session WHERE user_id = ?', [u.id]), 0);
  t.is((await login('forgetful', 'Pw-forgetful-123!')).status, 401, 'the old password no longer works');
  t.deepEqual((await events(u.id))[1], { seq: 2, type: 'password_reset', actorId: adminId, via: 'api', payload: { generated: true, sessionsEnded: 1 } });
  t.false(JSON.stringify(await events(u.id)).includes(r.body.temporaryPassword));

  const temp = await login('forgetful', r.body.temporaryPassword);
  t.is(temp.status, 200);
  t.true(temp.body.user.mustChangePassword);
  const c = h.http.as(temp.body.token);
  const blocked = await c.get('/api/v1/tickets');
  t.is(blocked.status, 403);
  t.is(blocked.body.code, 'password-change-required');
  t.is((await c.get('/api/v1/me')).status, 200);

  const wrong = await c.put('/api/v1/me/password', { currentPassword: 'not-it-at-all', newPassword: 'Mine-Own-Pw-1' });
  t.is(wrong.status, 422);
  t.deepEqual(field(wrong), ['currentPassword:wrong_password']);
  const same = await c.put('/api/v1/me/password', { currentPassword: r.body.temporaryPassword, newPassword: r.body.temporaryPassword });
  t.is(same.status, 422);
  t.deepEqual(field(same), ['newPassword:same_password']);
  const short = await c.put('/api/v1/me/password', { currentPassword: r.body.temporaryPassword, newPassword: 'short' });
  t.is(short.status, 400);
  t.deepEqual(field(short), ['newPassword:too_small']);
  t.is((await events(u.id)).length, 2, 'refused changes record nothing');

  const ok = await c.put('/api/v1/me/password', { currentPassword: r.body.temporaryPassword, newPassword: 'Mine-Own-Pw-1' });
  t.is(ok.status, 200, ok.text);
  t.false(ok.body.user.mustChangePassword);
  t.is((await c.get('/api/v1/tickets')).status, 401, 'the token of the temporary password ended');
  t.is((await h.http.as(ok.body.token).get('/api/v1/tickets')).status, 200, 'the new token works at once');
  t.is((await login('forgetful', 'Mine-Own-Pw-1')).status, 200);
  t.deepEqual((await events(u.id))[2], { seq: 3, type: 'password_changed', actorId: u.id, via: 'api', payload: { sessionsEnded: 0 } });

  // a temporary password the admin chose is not echoed
  const chosen = await h.admin.post(`/api/v1/users/${u.id}/password-reset`, { temporaryPassword: 'Chosen-Temp-9' });
  t.is(chosen.status, 200);
  t.is(chosen.body.temporaryPassword, undefined);
  t.deepEqual((await events(u.id))[3].payload, { generated: false, sessionsEnded: 0 });
  t.is((await login('forgetful', 'Chosen-Temp-9')).status, 200);

  const tooShort = await h.admin.post(`/api/v1/users/${u.id}/password-reset`, { temporaryPassword: 'abc' });
  t.is(tooShort.status, 400);
  t.deepEqual(field(tooShort), ['temporaryPassword:too_small']);
  const own = await h.admin.post(`/api/v1/users/${adminId}/password-reset`, {});
  t.is(own.status, 409);
  t.is(own.body.code, 'own-account');
  t.is((await u.post(`/api/v1/users/${u.id}/password-reset`, {})).status, 401, 'ended token');
});

test.serial('PUT /me/password for any signed-in account: the other sessions end, this one continues with the new token', async (t) => {
  const owner = await h.owner('13700000013');
  const second = await login('13700000013', 'Owner-Pw-123!');
  const r = await owner.put('/api/v1/me/password', { currentPassword: 'Owner-Pw-123!', newPassword: 'Owner-New-Pw-2' });
  t.is(r.status, 200);
  t.is((await h.http.as(second.body.token).get('/api/v1/me')).status, 401);
  t.is((await h.http.as(r.body.token).get('/api/v1/me')).body.id, owner.id);
  t.is((await h.http.put('/api/v1/me/password', { currentPassword: 'x', newPassword: 'Owner-New-Pw-3' })).status, 401);
  t.is((await owner.put('/api/v1/me/password', { currentPassword: 'x' })).status, 401, 'the old token of this account ended too');
});

test.serial('GET /users filters by role, department, active and a search; GET /users/:id', async (t) => {
  const a = await h.staff('filter.hrss', 'handler', 'HRSS');
  h.clock.advance(1000);
  await h.staff('filter.tax', 'handler', 'TAX');
  const list = async (q: string) => (await h.admin.get(`/api/v1/users?${q}`)).body.items.map((x: any) => x.username);
  t.deepEqual(await list('q=filter.'), ['filter.tax', 'filter.hrss']);
  t.deepEqual(await list('q=filter.&departmentCode=HRSS'), ['filter.hrss']);
  t.deepEqual(await list('q=filter&role=coordinator'), []);
  t.deepEqual(await list('q=%25'), [], 'a LIKE wildcard is searched for literally');
  const page = await h.admin.get('/api/v1/users?q=filter.&limit=1');
  t.deepEqual(
    page.body.items.map((x: any) => x.username),
    ['filter.tax'],
  );
  t.deepEqual(
    (await h.admin.get(`/api/v1/users?q=filter.&limit=1&cursor=${page.body.nextCursor}`)).body.items.map((x: any) => x.username),
    ['filter.hrss'],
  );
  t.is((await h.admin.get(`/api/v1/users/${a.id}`)).body.username, 'filter.hrss');
  t.is((await h.admin.get('/api/v1/users?active=maybe')).status, 400);
  t.is((await (a as Client).get('/api/v1/users')).status, 403);
  t.is((await a.get(`/api/v1/users/${a.id}/events`)).status, 403);
});

test.serial("a staff username may not be a mobile number (it is an owner's sign-in name): 400 naming the field, nothing created; the owner of that number still registers", async (t) => {
  const before = (await h.deps.db.query('SELECT COUNT(*) AS n FROM app_user'))[0].n;
  const r = await h.admin.post('/api/v1/users', { username: '13800009999', password: 'Pw-staff-123!', name: '职员', role: 'handler', departmentCode: 'TAX' });
  t.is(r.status, 400);
  t.is(r.body.code, 'validation-failed');
  t.deepEqual(
    r.body.errors.map((e: any) => [e.field, e.code, e.message]),
    [['username', 'custom', "a mobile number is an owner's username; choose another name"]],
  );
  t.is((await h.deps.db.query('SELECT COUNT(*) AS n FROM app_user'))[0].n, before);
  const owner = await h.owner('13800009999');
  t.is((await owner.get('/api/v1/me')).body.username, '13800009999');
});

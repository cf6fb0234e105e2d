import test from 'ava';
import Redis from 'ioredis';
import { startHarness, Harness, ADMIN_PASSWORD } from '../helpers/harness';

// Throttled guessing (security review; docs/decisions/security.md): failed sign-ins per
// username and per client address, wrong access codes per (ticket, address); 429
// `too-many-attempts` with Retry-After, counted before any argon2 work. Every request here
// comes from 127.0.0.1, so each test budgets its failures against the address limit (30).

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

const login = (username: string, password: string) => h.http.post('/api/v1/auth/login', { username, password });

function assertLocked(t: any, r: Awaited<ReturnType<typeof login>>) {
  t.is(r.status, 429);
  t.is(r.body.code, 'too-many-attempts');
  const retry = Number(r.headers.get('retry-after'));
  t.true(retry > 800 && retry <= 900, `Retry-After ${retry} s within the 15-minute window`);
  t.is(r.body.retryAfter, retry);
}

test.serial('the username is compared exactly: ADMIN and "admin " are not admin (MariaDB collation ignores case and trailing spaces)', async (t) => {
  // 1 failure; a username with a space in it names no account and is refused as badly formed (400 naming it)
  const upper = await login('ADMIN', ADMIN_PASSWORD);
  t.is(upper.status, 401);
  t.is(upper.body.code, 'invalid-credentials');
  const spaced = await login('admin ', ADMIN_PASSWORD);
  t.is(spaced.status, 400);
  t.deepEqual(
    spaced.body.errors.map((e: { field: string }) => e.field),
    ['username'],
  );
  const ok = await login('admin', ADMIN_PASSWORD);
  t.is(ok.status, 200);
  t.is(ok.body.user.username, 'admin');
});

test.serial('10 failures for a username lock it (any case) for 15 minutes, even with the right password; other accounts still sign in', async (t) => {
  // 10 failures (the 429s count nothing)
  await h.staff('clerk1', 'handler', 'TAX');
  for (let i = 0; i < 10; i++) t.is((await login('clerk1', `wrong-${i}`)).status, 401, `attempt ${i + 1}`);
  assertLocked(t, await login('clerk1', 'Pw-clerk1-123!'));
  assertLocked(t, await login('CLERK1', 'Pw-clerk1-123!'));
  t.is((await login('admin', ADMIN_PASSWORD)).status, 200);
  if (process.env.REDIS_URL) {
    // with Redis the count is there, for every API process to see
    const redis = new Redis(process.env.REDIS_URL);
    try {
      t.is(await redis.get(`${h.deps.config.queuePrefix}:limit:login:user:clerk1`), '10');
    } finally {
      redis.disconnect();
    }
  }
});

test.serial("a successful sign-in clears its username's failures", async (t) => {
  // 15 failures
  await h.staff('clerk2', 'handler', 'TAX');
  for (let i = 0; i < 6; i++) t.is((await login('clerk2', 'wrong')).status, 401);
  t.is((await login('clerk2', 'Pw-clerk2-123!')).status, 200);
  for (let i = 0; i < 9; i++) t.is((await login('clerk2', 'wrong')).status, 401, `attempt ${i + 1} after the success`);
  t.is((await login('clerk2', 'Pw-clerk2-123!')).status, 200);
});

test.serial('access codes: 10 wrong codes for a ticket from one address → 429 with Retry-After, even for the right code; a right code clears the count', async (t) => {
  const mk = async () => (await h.http.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '查询', description: '内容', anonymous: true })).body;
  const a = await mk();
  const b = await mk();
  for (let i = 0; i < 10; i++) t.is((await h.http.get(`/api/v1/track/${a.number}?code=WRONGCODE${i}`)).status, 404);
  assertLocked(t, await h.http.get(`/api/v1/track/${a.number}?code=${a.accessCode}`));
  assertLocked(t, await h.http.post(`/api/v1/track/${a.number}/supplement`, { code: a.accessCode, message: '补充' }));
  t.is((await h.http.get(`/api/v1/track/${b.number}?code=${b.accessCode}`)).status, 200, 'another ticket is not locked');

  for (let i = 0; i < 9; i++) t.is((await h.http.get(`/api/v1/track/${b.number}?code=WRONGCODE${i}`)).status, 404);
  t.is((await h.http.get(`/api/v1/track/${b.number}?code=${b.accessCode}`)).status, 200);
  for (let i = 0; i < 9; i++) t.is((await h.http.get(`/api/v1/track/${b.number}?code=WRONGCODE${i}`)).status, 404, `attempt ${i + 1} after the right code`);
  t.is((await h.http.get(`/api/v1/track/${b.number}?code=${b.accessCode}`)).status, 200);
});

test.serial('per address: a flood of concurrent guesses gets exactly the allowance through; then 30 failures from one address lock every username from it', async (t) => {
  // a fresh service, so that this address starts at 0 failures
  const h2 = await startHarness();
  try {
    const l2 = (username: string, password: string) => h2.http.post('/api/v1/auth/login', { username, password });
    const flood = await Promise.all(Array.from({ length: 25 }, () => l2('admin', 'wrong-password')));
    t.deepEqual(flood.map((r) => r.status).sort(), [...Array(10).fill(401), ...Array(15).fill(429)], 'counted before argon2: the concurrent ones beyond 10 never ran it');
    // 10 failures so far from this address; 20 more spread over made-up usernames
    for (let i = 0; i < 20; i++) t.is((await l2(`nobody-${i}`, 'x')).status, 401, `user ${i}`);
    const locked = await l2('someone-else', 'x');
    t.is(locked.status, 429);
    t.is(locked.body.code, 'too-many-attempts');
    t.truthy(locked.headers.get('retry-after'));
  } finally {
    await h2.close();
  }
});

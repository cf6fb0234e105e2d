import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { IdempotencyKey } from '../../src/entities';
import { openAccessCode, purgeExpiredIdempotencyKeys, sealAccessCode } from '../../src/commands/idempotency';
import { sweepOnce, SWEEP_TASKS } from '../../src/jobs/sweep';
import '../../src/jobs/runner'; // where the workers start: registers the purge with the sweep

// Idempotency-Key rows (DESIGN §1, §11; security review): the access code of an
// account-less create is kept sealed (AES-256-GCM), never readable, and still comes back
// on a retry; expired rows are purged by the sweep, in batches.

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const WEB = { kind: 'complaint', channel: 'web', category: 'commerce', title: '匿名重试', description: '内容', anonymous: true };
const rows = () => h.deps.db.getRepository(IdempotencyKey).find({ order: { createdAt: 'ASC', idemKey: 'ASC' } });
const secret = () => h.deps.config.jwtSecret;

test.serial('the access code is stored sealed, bound to its row, and a retry still gets it', async (t) => {
  const first = await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': 'web-seal-1' });
  t.is(first.status, 201);
  const code: string = first.body.accessCode;
  t.regex(code, /^[A-Z2-9]{10}$/);
  const row = (await rows()).find((r) => r.idemKey === 'web-seal-1')!;
  t.is(row.scope, 'client:127.0.0.1');
  t.is(row.ticketId, first.body.id);
  t.regex(row.accessCode!, /^v1\.[A-Za-z0-9+/]+=*$/);
  t.false(row.accessCode!.includes(code));
  t.is(row.accessCode!.length, 55);
  const raw = await h.deps.db.query('SELECT access_code FROM idempotency_key WHERE idem_key = ?', ['web-seal-1']);
  t.is(raw[0].access_code, row.accessCode, 'the column holds the sealed value');

  const ctx = { scope: row.scope, idemKey: row.idemKey, ticketId: row.ticketId };
  t.is(openAccessCode(secret(), ctx, row.accessCode), code);
  t.is(openAccessCode(secret(), { ...ctx, idemKey: 'web-seal-2' }, row.accessCode), null, 'another row');
  t.is(openAccessCode(secret(), { ...ctx, ticketId: s.coord.id }, row.accessCode), null, 'another ticket');
  t.is(openAccessCode('another-secret-another-secret', ctx, row.accessCode), null, 'another secret');
  const flipped = row.accessCode!.slice(0, 20) + (row.accessCode![20] === 'A' ? 'B' : 'A') + row.accessCode!.slice(21);
  t.is(openAccessCode(secret(), ctx, flipped), null, 'a changed value');
  t.not(sealAccessCode(secret(), ctx, code), row.accessCode, 'a fresh IV each time');

  const retry = await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': 'web-seal-1' });
  t.is(retry.status, 201);
  t.is(retry.headers.get('idempotent-replayed'), 'true');
  t.is(retry.body.id, first.body.id);
  t.is(retry.body.accessCode, code);
});

test.serial('a value that does not open (a code stored readable before the migration) replays the ticket without a code, not an error', async (t) => {
  const first = await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': 'web-legacy' });
  await h.deps.db.query('UPDATE idempotency_key SET access_code = ? WHERE idem_key = ?', [first.body.accessCode, 'web-legacy']);
  const retry = await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': 'web-legacy' });
  t.is(retry.status, 201);
  t.is(retry.body.id, first.body.id);
  t.false('accessCode' in retry.body);
});

test.serial("expired keys are purged in batches, only expired ones, and by the workers' sweep", async (t) => {
  // a hotline ticket by intake (keyed by the user) and account-less ones (keyed by the address)
  const hotline = { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '重复提交', description: '网络重试', owner: { name: '张三', phone: '13912345678' } };
  t.is((await s.intake.post('/api/v1/tickets', hotline, { 'idempotency-key': 'old-0' })).status, 201);
  for (let i = 1; i < 5; i++) t.is((await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': `old-${i}` })).status, 201);
  const before = (await rows()).length; // 2 from the tests above + 5
  t.is(before, 7);
  h.clock.set(new Date('2026-11-03T09:00:00.001+08:00')); // 24 h and 1 ms after they were made
  t.is((await h.http.post('/api/v1/tickets', WEB, { 'idempotency-key': 'fresh' })).status, 201); // (staff tokens have expired by now)
  const now = h.clock.now();
  t.is(await purgeExpiredIdempotencyKeys(h.deps.db, now, { batch: 2, maxBatches: 1 }), 2, 'one batch per call at most');
  t.is((await rows()).length, 6);
  t.is(await purgeExpiredIdempotencyKeys(h.deps.db, now, { batch: 2 }), 5, 'the rest, two at a time');
  t.deepEqual(
    (await rows()).map((r) => r.idemKey),
    ['fresh'],
  );
  t.is(await purgeExpiredIdempotencyKeys(h.deps.db, now), 0);

  // the workers' sweep runs the purge (SWEEP_TASKS)
  h.clock.set(new Date('2026-11-04T09:00:01+08:00'));
  await sweepOnce(h.deps.db, h.clock.now(), async () => true, { tasks: SWEEP_TASKS });
  t.deepEqual(await rows(), []);
});

import test from 'ava';
import { startHarness } from '../helpers/harness';

// issue 13 item 11: the test clock needs an admin, and exists (in the API and in the
// OpenAPI document) only with TEST_CLOCK=1 — also when another app of the same process has it.
test('the test clock: admin only with TEST_CLOCK=1; absent (404 and from the document) without', async (t) => {
  const on = await startHarness();
  const off = await startHarness({ env: { TEST_CLOCK: '0' } });
  try {
    const now = '2026-11-03T09:00:00+08:00';
    const coord = await on.staff('coord1', 'coordinator', 'SAMR');
    const anon = await on.http.put('/api/v1/test/clock', { now });
    t.deepEqual([anon.status, anon.body.code], [401, 'unauthenticated']);
    const staff = await coord.put('/api/v1/test/clock', { now });
    t.deepEqual([staff.status, staff.body.code], [403, 'forbidden']);
    t.is(on.clock.now().toISOString(), '2026-11-02T01:00:00.000Z', 'refused moves changed nothing');
    const moved = await on.admin.put('/api/v1/test/clock', { now });
    t.deepEqual([moved.status, moved.body.now], [200, '2026-11-03T01:00:00.000Z']);
    t.truthy((await on.http.get('/api/v1/openapi.json')).body.paths['/api/v1/test/clock']?.put);

    for (const c of [off.http, off.admin]) {
      const r = await c.put('/api/v1/test/clock', { now });
      t.deepEqual([r.status, r.body.code], [404, 'not-found']);
    }
    const doc = (await off.http.get('/api/v1/openapi.json')).body;
    t.deepEqual(
      Object.keys(doc.paths).filter((p) => p.includes('test')),
      [],
    );
    t.false(JSON.stringify(doc).includes('test/clock'));
    t.is((await off.http.get('/readyz')).body.testClock, false);
  } finally {
    await on.close();
    await off.close();
  }
});

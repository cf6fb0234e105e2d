import test from 'ava';
import { startHarness } from '../helpers/harness';
import { parseConfig } from '../../src/config';

// issue 13 item 13: /metrics can be restricted to Prometheus with a bearer token.
test('with METRICS_TOKEN, /metrics needs it as a bearer token; other tokens and none get 401', async (t) => {
  const token = 'metrics-scrape-token-0123456789';
  const h = await startHarness({ env: { METRICS_TOKEN: token } });
  try {
    const none = await h.http.get('/metrics');
    t.deepEqual([none.status, none.body.code, none.headers.get('www-authenticate')], [401, 'unauthenticated', 'Bearer realm="metrics"']);
    t.false(none.text.includes('http_request_duration_seconds'));
    for (const bad of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token, `Basic ${token}`]) t.is((await h.http.get('/metrics', { authorization: bad })).status, 401, bad);
    // a staff JWT is not the metrics token either: the admin gets 401 too
    t.is((await h.admin.get('/metrics')).status, 401);
    const ok = await h.http.get('/metrics', { authorization: `Bearer ${token}` });
    t.is(ok.status, 200);
    t.true(ok.text.includes('http_request_duration_seconds'));
  } finally {
    await h.close();
  }
});

test('a METRICS_TOKEN shorter than 16 characters is refused naming the variable', (t) => {
  t.throws(() => parseConfig({ METRICS_TOKEN: 'short' }), { message: /METRICS_TOKEN: must be at least 16 characters/ });
  t.is(parseConfig({}).metricsToken, undefined);
});

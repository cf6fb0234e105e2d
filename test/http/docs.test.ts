import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';

// The API docs page (DESIGN §13): Swagger UI from swagger-ui-dist, started by a separate
// script file (no inline script, so a strict CSP holds), reading /api/v1/openapi.json.

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

test('GET /docs is an HTML page that loads Swagger UI and the init script, with no inline script', async (t) => {
  const r = await h.http.get('/docs');
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'text/html; charset=utf-8');
  const scripts = [...r.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.deepEqual(
    scripts.map((m) => /src="([^"]+)"/.exec(m[1])?.[1]),
    ['/docs/swagger-ui-bundle.js?v=5.35.0', '/docs/init.js?v=5.35.0'],
  );
  t.true(
    scripts.every((m) => m[2].trim() === ''),
    'no inline script',
  );
  t.true(r.text.includes('<link rel="stylesheet" href="/docs/swagger-ui.css?v=5.35.0">'));
  t.true(r.text.includes('<div id="swagger-ui"></div>'));
  const csp = r.headers.get('content-security-policy') ?? '';
  t.true(csp.includes("script-src 'self'"));
  t.false(/script-src[^;]*unsafe-inline/.test(csp));
});

test('the init script points Swagger UI at /api/v1/openapi.json', async (t) => {
  const r = await h.http.get('/docs/init.js?v=5.35.0');
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.true(r.text.includes("url: '/api/v1/openapi.json'"));
  t.true(r.text.includes('SwaggerUIBundle('));
  t.is((await h.http.get('/api/v1/openapi.json')).status, 200);
});

test("Swagger UI's CSS, JS and icons are served with their types; nothing else from node_modules", async (t) => {
  const cases: [string, string, string][] = [
    ['/docs/swagger-ui.css?v=5.35.0', 'text/css; charset=utf-8', '.swagger-ui'],
    ['/docs/index.css', 'text/css; charset=utf-8', 'box-sizing'],
    ['/docs/swagger-ui-bundle.js?v=5.35.0', 'text/javascript; charset=utf-8', 'SwaggerUIBundle'],
  ];
  for (const [path, type, marker] of cases) {
    const r = await h.http.get(path);
    t.is(r.status, 200, path);
    t.is(r.headers.get('content-type'), type, path);
    t.is(Number(r.headers.get('content-length')), Buffer.byteLength(r.text), path);
    t.true(r.text.includes(marker), path);
    t.is(r.headers.get('cache-control'), 'public, max-age=86400', path);
  }
  const icon = await h.http.raw('GET', '/docs/favicon-32x32.png');
  t.is(icon.status, 200);
  t.is(icon.headers.get('content-type'), 'image/png');
  t.deepEqual([...icon.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  for (const path of ['/docs/package.json', '/docs/swagger-ui-bundle.js.map', '/docs/..%2Fpackage.json', '/docs/%2E%2E%2F%2E%2E%2Fpackage.json']) {
    const r = await h.http.get(path);
    t.is(r.status, 404, path);
    t.is(r.body.code, 'not-found', path);
  }
  const slash = await h.http.get('/docs/');
  t.is(slash.status, 200, 'the trailing slash leads to the page');
  t.true(slash.text.includes('/docs/init.js'));
});

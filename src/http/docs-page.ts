import { createReadStream, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Router from '@koa/router';

/**
 * The API documentation page at `/docs` (DESIGN §13): Swagger UI (swagger-ui-dist, pinned)
 * over `/api/v1/openapi.json`. The page has no inline script (its start-up is the file
 * `/docs/init.js`), so it runs under a strict Content-Security-Policy; the few files it
 * needs are served from node_modules by name, nothing else from that folder.
 */

const DIST = dirname(require.resolve('swagger-ui-dist/package.json'));
const VERSION: string = require('swagger-ui-dist/package.json').version;

/** The files of swagger-ui-dist the page loads, with their media types. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Starts Swagger UI on the page (a file, not an inline script, for the CSP). */
export const DOCS_INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false
  });
});
`;

const v = `?v=${VERSION}`;
/** The page: styles and scripts by URL only. */
export const DOCS_HTML = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API 文档 · 个体工商户诉求闭环办理</title>
<link rel="stylesheet" href="/docs/swagger-ui.css${v}">
<link rel="stylesheet" href="/docs/index.css${v}">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png${v}" sizes="32x32">
<link rel="icon" type="image/png" href="/docs/favicon-16x16.png${v}" sizes="16x16">
</head>
<body>
<noscript>The OpenAPI 3.1 document of this service is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js${v}"></script>
<script src="/docs/init.js${v}"></script>
</body>
</html>
`;

/**
 * Scripts and styles from this origin only; Swagger UI sets style attributes, hence
 * 'unsafe-inline' for styles (never for scripts); its icons are data: URLs.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Registers `GET /docs`, `GET /docs/init.js` and the Swagger UI files under `/docs/`. */
export function docsRoutes(root: Router): void {
  root.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = DOCS_HTML;
  });
  root.get('/docs/', (ctx) => {
    ctx.redirect('/docs');
  });
  root.get('/docs/init.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = DOCS_INIT_JS;
  });
  root.get('/docs/:file', (ctx, next) => {
    const type = Object.hasOwn(ASSETS, ctx.params.file) ? ASSETS[ctx.params.file] : undefined;
    if (!type) return next();
    const path = join(DIST, ctx.params.file);
    ctx.type = type;
    ctx.length = statSync(path).size;
    // Same URL for a given swagger-ui-dist version (the page adds ?v=): cached a day.
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = createReadStream(path);
  });
}

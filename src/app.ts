import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { randomUUID } from 'node:crypto';
import { AppDeps } from './deps';
import { problemMiddleware } from './http/problem';
import { authenticate } from './http/auth';
import { ticketRoutes } from './http/routes/tickets';
import { attachmentRoutes } from './http/routes/attachments';
import { accountRoutes } from './http/routes/accounts';
import { trackRoutes } from './http/routes/track';
import { symposiumRoutes } from './http/routes/symposiums';
import { configRoutes } from './http/routes/config';
import { reportRoutes } from './http/routes/reports';
import { resultNoticeRoutes } from './http/routes/result-notices';
import { vetoRoutes } from './http/routes/vetoes';
import { assessmentRoutes } from './http/routes/assessment';
import { oversightRoutes } from './http/routes/oversight';
import { opsRoutes, testClockRoutes } from './http/routes/ops';
import { httpDuration } from './metrics';
import { outboxRoutes } from './http/routes/outbox';
import { notificationPrefRoutes } from './http/routes/notification-prefs';
import { configureNotifications } from './notifications/outbox-hook';
import { actorKey } from './replicas';
import type { Actor } from './domain/lifecycle';
import { pageMiddlewares } from './pages';
import { withStatementTimeout } from './db';

/**
 * Builds the koa application; never listens (tests use `app.callback()`). Order: request
 * id and log → problem+json error handler → JSON body parser (1 MB, /api) → the web pages
 * (their own form parser, session and CSRF) → authentication → API routes.
 */
export function createApp(deps: AppDeps): Koa {
  // The client address (rate limits, logs) is the TCP peer, unless TRUST_PROXY names how many
  // load balancers in front append to X-Forwarded-For (haproxy `option forwardfor`): then it
  // is the address the outermost of them saw (docs/deployment.md).
  const app = new Koa({ proxy: deps.config.trustProxy > 0, maxIpsCount: deps.config.trustProxy });
  // Mail texts written in this process use the business time zone (notify() has no deps).
  configureNotifications(deps.db, { tz: deps.config.businessTz, publicUrl: deps.config.publicUrl, smsSignature: deps.config.smsSignature, smsQuietHours: deps.config.smsQuietHours });
  app.use(async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    ctx.state.log = deps.log.child({ requestId });
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const routeName = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      httpDuration.observe({ method: ctx.method, route: String(routeName), status: String(ctx.status) }, ms / 1000);
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  });
  // Every statement a request issues is bounded (DATABASE_STATEMENT_TIMEOUT_MS): a stalled
  // database answers 503 instead of holding the request for the whole stall (docs/deployment.md).
  app.use((_ctx, next) => withStatementTimeout(deps.config.databaseStatementTimeoutMs, next));
  app.use(problemMiddleware);
  if (deps.recentWrites) {
    // Read-your-writes with replicas (src/replicas.ts): a successful change marks its actor,
    // whose lag-tolerant reads then stay on the primary for REPLICA_STICKY_MS.
    const recent = deps.recentWrites;
    app.use(async (ctx, next) => {
      await next();
      if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS' || ctx.status >= 400) return;
      const k = actorKey(ctx.state.actor as Actor | undefined);
      if (k) await recent.mark(k);
    });
  }
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  // JSON bodies for the API; the pages parse their own forms (src/pages).
  const json = bodyParser({
    enableTypes: ['json'],
    jsonLimit: '1mb',
    encoding: 'utf-8',
    jsonStrict: true,
    onError: (err) => {
      throw err;
    },
  });
  app.use((ctx, next) => (ctx.path.startsWith('/api/') ? json(ctx, next) : next()));
  // The web pages (issue 9): cookie sessions with CSRF, served before the API routers.
  for (const m of pageMiddlewares(deps)) app.use(m);

  const root = new Router();
  const api = new Router({ prefix: '/api/v1' });
  opsRoutes(root, api, deps);
  api.use(authenticate(deps.db, deps.tokens));
  testClockRoutes(api, deps);
  accountRoutes(api, deps);
  ticketRoutes(api, deps);
  attachmentRoutes(api, deps);
  trackRoutes(api, deps);
  symposiumRoutes(api, deps);
  configRoutes(api, deps);
  oversightRoutes(api, deps);
  reportRoutes(api, deps);
  resultNoticeRoutes(api, deps);
  vetoRoutes(api, deps);
  assessmentRoutes(api, deps);
  outboxRoutes(api, deps);
  notificationPrefRoutes(api, deps);
  app.use(root.routes()).use(root.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}

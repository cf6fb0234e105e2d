import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { metrics } from '../../metrics';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { Instant } from '../../schemas';
import { markTestingPath, openApiDocument } from '../openapi';
import { docsRoutes } from '../docs-page';
import { AppError } from '../../errors';
import { withStatementTimeout } from '../../db';

/** Whether an Authorization header carries `Bearer <token>`, compared in constant time. */
function bearerMatches(header: string, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

/** Health, readiness, metrics, the OpenAPI document and its docs page (DESIGN §11, §13). */
export function opsRoutes(root: Router, api: Router, deps: AppDeps) {
  // The test clock may have been moved by another process (ROLE=api and ROLE=worker side by side).
  if (deps.config.testClock && deps.clock.refresh)
    api.use(async (_ctx, next) => {
      await deps.clock.refresh!();
      await next();
    });
  root.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // `/readyz?scope=http` is the load balancer's check (haproxy, docs/deployment.md): this
  // process takes requests (database answers, not draining); the queue is left out, since
  // the API serves while Redis fails over. Plain `/readyz` checks the queue too.
  root.get('/readyz', async (ctx) => {
    await deps.clock.refresh?.().catch(() => undefined);
    const checks: Record<string, string> = {};
    if (deps.draining) checks.process = 'draining';
    try {
      // its own bound, so that a probe stuck on a stalled database frees its connection too
      await Promise.race([withStatementTimeout(2000, () => deps.db.query('SELECT 1')), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
      checks.database = 'ok';
    } catch {
      checks.database = 'down';
    }
    // Bounded: a client waiting for Redis to come back would otherwise hold the probe open.
    if (deps.queueReady && ctx.query.scope !== 'http')
      checks.queue = (await Promise.race([deps.queueReady().catch(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())])) ? 'ok' : 'down';
    const ok = Object.values(checks).every((v) => v === 'ok');
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : deps.draining ? 'draining' : 'not-ready', checks, testClock: deps.config.testClock, now: deps.clock.now().toISOString() };
  });
  root.get('/metrics', async (ctx) => {
    // With METRICS_TOKEN, Prometheus sends it as `authorization: Bearer …` (scrape_config
    // `authorization: { credentials_file: … }`); anyone else gets 401 and no figures.
    if (deps.config.metricsToken && !bearerMatches(ctx.get('authorization'), deps.config.metricsToken)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError(401, 'unauthenticated', 'the metrics need the bearer token configured as METRICS_TOKEN');
    }
    ctx.type = metrics.contentType;
    ctx.body = await metrics.metrics();
  });
  root.get('/api/v1/openapi.json', (ctx) => {
    ctx.body = openApiDocument({ testClock: deps.config.testClock });
  });
  docsRoutes(root);
}

/**
 * `PUT /api/v1/test/clock`, registered after authentication. It exists only with
 * TEST_CLOCK=1 (404 and absent from the OpenAPI document otherwise), and even then only the
 * admin may move it: "now" decides every deadline and escalation.
 */
export function testClockRoutes(api: Router, deps: AppDeps) {
  if (!deps.config.testClock) return;
  markTestingPath('/api/v1/test/clock');
  route(
    api,
    { method: 'put', path: '/test/clock', summary: 'Move "now" forward (admin; only with TEST_CLOCK=1)', tags: ['testing'], roles: ['admin'] as const, body: z.object({ now: Instant }).strict() },
    async (ctx, { body }) => {
      try {
        deps.clock.set(body.now);
      } catch (e) {
        throw new AppError(422, 'clock-backwards', (e as Error).message, [{ field: 'now', code: 'backwards', message: 'the test clock only moves forward' }]);
      }
      // Stored for the other processes, and the workers asked to sweep at the new "now".
      await deps.clock.settle?.();
      ctx.body = { now: deps.clock.now().toISOString() };
    },
  );
}

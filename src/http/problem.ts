import type { Context, Next } from 'koa';
import { AppError } from '../errors';
import { DatabaseUnavailable, isDatabaseUnavailable } from '../db-errors';

/** During an outage every request fails the same way: one warning at once, then one per 10 s with the count. */
let unavailableLoggedAt = 0;
let unavailableHeld = 0;
function logUnavailable(log: { warn(o: object, m: string): void } | undefined, err: unknown) {
  const now = Date.now();
  if (now - unavailableLoggedAt < 10_000) {
    unavailableHeld++;
    return;
  }
  log?.warn({ err, ...(unavailableHeld ? { suppressed: unavailableHeld } : {}) }, 'database unavailable: answered 503');
  unavailableLoggedAt = now;
  unavailableHeld = 0;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Writes an RFC 9457 problem+json body. `type` is a stable URN built from the error code. */
export function writeProblem(ctx: Context, status: number, code: string, detail: string, errors: unknown[] = [], extra: Record<string, unknown> = {}) {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = {
    type: `urn:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(errors.length ? { errors } : {}),
    ...extra,
    instance: ctx.path,
    requestId: ctx.state.requestId,
  };
}

/**
 * First middleware of the chain (STYLE: error handler first): AppErrors and 4xx errors
 * from koa/body parsing become problem+json with their code; anything else is logged with
 * the request id and answered as a generic 500 (details hidden).
 */
export async function problemMiddleware(ctx: Context, next: Next) {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) writeProblem(ctx, 404, 'not-found', `no route for ${ctx.method} ${ctx.path}`);
    else if (ctx.status === 405 && (ctx.body === undefined || ctx.body === 'Method Not Allowed')) writeProblem(ctx, 405, 'method-not-allowed', `${ctx.method} is not allowed on ${ctx.path}`);
  } catch (e) {
    if (e instanceof AppError) {
      // 503s that know when to come back (a transaction that kept conflicting) say so
      if (e.status === 503 && typeof e.extra.retryAfter === 'number' && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(e.extra.retryAfter));
      writeProblem(ctx, e.status, e.code, e.detail, e.errors, e.extra);
      return;
    }
    if (isDatabaseUnavailable(e)) {
      // An outage, not a fault of this request: 503 with Retry-After, logged once a while (DESIGN §11).
      const problem = new DatabaseUnavailable(e);
      ctx.set('Retry-After', String(problem.extra.retryAfter));
      logUnavailable(ctx.state.log, e);
      writeProblem(ctx, problem.status, problem.code, problem.detail, [], problem.extra);
      return;
    }
    const err = e as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string; code?: string };
    const status = err.status ?? err.statusCode ?? 500;
    if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
      // a Content-Encoding (gzip, deflate) whose bytes do not decode
      writeProblem(ctx, 400, 'malformed-body', 'the request body does not match its Content-Encoding', [{ field: 'Content-Encoding', code: 'undecodable', message: err.message ?? 'undecodable' }]);
    } else if (status === 413 || err.type === 'entity.too.large') {
      writeProblem(ctx, 413, 'body-too-large', 'the request body is larger than 1 MB');
    } else if (status === 400 && (err.type === 'entity.parse.failed' || /JSON|Unexpected|invalid/i.test(err.message ?? ''))) {
      writeProblem(ctx, 400, 'malformed-json', 'the request body is not valid JSON', [{ field: 'body', code: 'malformed_json', message: 'not valid JSON' }]);
    } else if (status === 415 || err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') {
      writeProblem(ctx, 415, 'unsupported-media-type', err.message ?? 'unsupported media type');
    } else if (status >= 400 && status < 500 && err.expose !== false) {
      writeProblem(ctx, status, 'bad-request', err.message ?? 'bad request');
    } else {
      ctx.state.log?.error({ err: e }, 'unhandled error');
      writeProblem(ctx, 500, 'internal-error', 'an unexpected error occurred; it was logged with the request id');
    }
  }
}

import type Router from '@koa/router';
import type { Context } from 'koa';
import { z, registry, Problem } from './openapi';
import { AppError, FieldError, forbidden, unauthorized } from '../errors';
import type { Actor, Role, UserActor } from '../domain/lifecycle';

type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType, Au extends 'public' | 'user' = 'user'> {
  method: Method;
  /** koa path under /api/v1, e.g. `/tickets/:id` */
  path: string;
  summary: string;
  tags: string[];
  /** `public` routes need no token (the handler gets any actor); others need a signed-in user (401) */
  auth?: Au;
  /** roles allowed (403 otherwise); checked before the input is validated, so a caller learns nothing of the schema. The one place roles are checked. */
  roles?: readonly Role[];
  body?: B;
  query?: Q;
  params?: P;
  response?: z.ZodType;
  status?: number;
}

/** zod issues → field errors (`field` is the dotted path, `body` for the whole body). */
export function toFieldErrors(err: z.ZodError, prefix?: string): FieldError[] {
  return err.issues.flatMap((i): FieldError[] => {
    const path = i.path.map(String).join('.');
    // `.strict()` reports unknown fields on their parent: name each unknown field itself.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ field: path ? `${path}.${k}` : k, code: i.code, message: 'unknown field' }));
    }
    return [{ field: prefix && !path ? prefix : path || prefix || 'body', code: i.code, message: i.message }];
  });
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return undefined as z.infer<T>;
  const r = schema.safeParse(value);
  if (!r.success) {
    const errors = toFieldErrors(r.error, where === 'body' ? undefined : undefined);
    const first = errors[0];
    throw new AppError(400, 'validation-failed', `invalid ${where}: ${first.field}: ${first.message}`, errors);
  }
  return r.data;
}

/**
 * Declares one endpoint: registers it in the OpenAPI document and on the router, and
 * validates params, query and body with the same zod schemas before the handler runs
 * (handlers never read the raw body). A schema failure is 400 `validation-failed` with
 * one field error per problem; nothing is written.
 */
export function route<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, P extends z.ZodType = z.ZodUnknown, Au extends 'public' | 'user' = 'user'>(
  router: Router,
  spec: RouteSpec<B, Q, P, Au>,
  handler: (ctx: Context, input: { body: z.infer<B>; query: z.infer<Q>; params: z.infer<P>; actor: Au extends 'public' ? Actor : UserActor }) => Promise<void>,
) {
  const oaPath = '/api/v1' + spec.path.replace(/:(\w+)/g, '{$1}');
  registry.registerPath({
    method: spec.method,
    path: oaPath,
    summary: spec.summary,
    tags: spec.tags,
    security: spec.auth === 'public' ? [] : [{ bearer: [] }],
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
    },
    responses: {
      [spec.status ?? 200]: { description: 'success', ...(spec.response ? { content: { 'application/json': { schema: spec.response } } } : {}) },
      '4XX': { description: 'problem', content: { 'application/problem+json': { schema: Problem } } },
    },
  });
  router[spec.method](spec.path, async (ctx) => {
    // Only routes declared `public` serve callers without a token (DESIGN §13: 401, checked before the input).
    const actor = ctx.state.actor as Actor;
    if (spec.auth !== 'public' && actor.kind !== 'user') throw unauthorized();
    if (spec.roles && (actor.kind !== 'user' || !spec.roles.includes(actor.role))) throw forbidden(`this needs one of the roles: ${spec.roles.join(', ')}`);
    // A JSON endpoint refuses other media types (a form or text body would otherwise read as empty).
    if (spec.body && (ctx.request.length || ctx.get('transfer-encoding')) && !ctx.is('application/json', 'application/*+json')) {
      throw new AppError(415, 'unsupported-media-type', 'send the body as application/json', [{ field: 'Content-Type', code: 'unsupported', message: 'must be application/json' }]);
    }
    const params = parse(spec.params, ctx.params, 'path');
    const query = parse(spec.query, ctx.query, 'query');
    let rawBody = (ctx.request as unknown as { body?: unknown }).body;
    if (spec.body && (rawBody === undefined || (typeof rawBody === 'object' && rawBody !== null && Object.keys(rawBody).length === 0 && !ctx.request.length))) rawBody = rawBody ?? {};
    const body = parse(spec.body, rawBody, 'body');
    await handler(ctx, { body, query, params, actor: actor as Au extends 'public' ? Actor : UserActor });
  });
}

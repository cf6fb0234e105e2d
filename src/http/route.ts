import type Router from '@koa/router';
import type { Context } from 'koa';
import { z, registry, Problem } from './openapi';
import { AppError, FieldError, forbidden, unauthorized } from '../errors';
import type { Actor, Role, UserActor } from '../domain/lifecycle';
import { receiveMultipart } from '../uploads/multipart';
import { discardStaged } from '../uploads/discard';
import type { StagedFile, Uploads } from '../uploads/stage';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

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
  /** the success response is bytes of these media types (downloads), not JSON */
  binary?: string[];
  status?: number;
  /**
   * The route also takes `multipart/form-data` (issue 12): the JSON body as a `payload` part (or,
   * for bodies of strings only, as plain form fields) sent before one or more `file` parts.
   * `precheck` runs before the first file is stored, with the validated params and body, so a
   * refused request stores nothing. The handler gets the staged files; any it did not commit
   * (through a command) are deleted when it returns or throws.
   */
  files?: { uploads: Uploads; precheck?: (ctx: Context, input: { params: z.infer<P>; body: z.infer<B> }) => Promise<void>; description?: string };
}

/** The multipart form of a route's body in the OpenAPI document. */
function multipartSchema(hasBody: boolean, description?: string) {
  return z.object({
    ...(hasBody
      ? {
          payload: z
            .string()
            .optional()
            .openapi({
              description: 'the JSON body, as for application/json; sent before the files (bodies of strings only may instead come as plain form fields)',
              contentMediaType: 'application/json',
            } as never),
        }
      : {}),
    file: z.array(z.string().openapi({ format: 'binary' } as never)).openapi({
      description: description ?? 'files (each a part named `file`): photos (JPEG, PNG, WebP, HEIC), PDF, DOCX, XLSX, MP3, AMR, WAV; at most ATTACHMENT_MAX_FILES of ATTACHMENT_MAX_BYTES each',
    }),
  });
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
  handler: (ctx: Context, input: { body: z.infer<B>; query: z.infer<Q>; params: z.infer<P>; actor: Au extends 'public' ? Actor : UserActor; files: StagedFile[] }) => Promise<void>,
) {
  const oaPath = `/api/v1${spec.path.replace(/:(\w+)/g, '{$1}')}`;
  registry.registerPath({
    method: spec.method,
    path: oaPath,
    summary: spec.summary,
    tags: spec.tags,
    security: spec.auth === 'public' ? [] : [{ bearer: [] }],
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body || spec.files
        ? {
            body: {
              content: {
                ...(spec.body ? { 'application/json': { schema: spec.body } } : {}),
                ...(spec.files ? { 'multipart/form-data': { schema: multipartSchema(!!spec.body, spec.files.description) } } : {}),
              },
            },
          }
        : {}),
    },
    responses: {
      [spec.status ?? 200]: {
        description: 'success',
        ...(spec.response ? { content: { 'application/json': { schema: spec.response } } } : {}),
        ...(spec.binary ? { content: Object.fromEntries(spec.binary.map((t) => [t, { schema: z.string().openapi({ format: 'binary' } as never) }])) } : {}),
      },
      '4XX': { description: 'problem', content: { 'application/problem+json': { schema: Problem } } },
    },
  });
  router[spec.method](spec.path, async (ctx) => {
    // Only routes declared `public` serve callers without a token (DESIGN §13: 401, checked before the input).
    const actor = ctx.state.actor as Actor;
    if (spec.auth !== 'public' && actor.kind !== 'user') throw unauthorized();
    if (spec.roles && (actor.kind !== 'user' || !spec.roles.includes(actor.role))) throw forbidden(`this needs one of the roles: ${spec.roles.join(', ')}`);
    const params = parse(spec.params, ctx.params, 'path');
    const query = parse(spec.query, ctx.query, 'query');
    if (spec.files && ctx.is('multipart/form-data')) {
      const files = spec.files;
      let body: z.infer<B> | undefined;
      const bodyOf = (fields: Record<string, string>) => parse(spec.body, formBody(fields, !!spec.body), 'body');
      let form: Awaited<ReturnType<typeof receiveMultipart>>;
      try {
        form = await receiveMultipart(files.uploads, ctx.req, {
          beforeFirstFile: async (fields) => {
            body = bodyOf(fields);
            await files.precheck?.(ctx, { params, body: body as z.infer<B> });
          },
        });
      } catch (e) {
        // past the request bound nothing more is read: the connection cannot be reused
        if (e instanceof AppError && e.code === 'request-too-large') ctx.set('Connection', 'close');
        throw e;
      }
      try {
        body ??= bodyOf(form.fields);
        await handler(ctx, { body: body as z.infer<B>, query, params, actor: actor as Au extends 'public' ? Actor : UserActor, files: form.files });
      } finally {
        await discardStaged(files.uploads.store, form.files, files.uploads.log);
      }
      return;
    }
    // A JSON endpoint refuses other media types (a form or text body would otherwise read as empty).
    if ((spec.body || spec.files) && (ctx.request.length || ctx.get('transfer-encoding')) && !ctx.is('application/json', 'application/*+json')) {
      throw new AppError(415, 'unsupported-media-type', `send the body as application/json${spec.files ? ' or multipart/form-data' : ''}`, [
        { field: 'Content-Type', code: 'unsupported', message: `must be application/json${spec.files ? ' or multipart/form-data' : ''}` },
      ]);
    }
    let rawBody = (ctx.request as unknown as { body?: unknown }).body;
    if (spec.body && (rawBody === undefined || (typeof rawBody === 'object' && rawBody !== null && Object.keys(rawBody).length === 0 && !ctx.request.length))) rawBody = rawBody ?? {};
    const body = parse(spec.body, rawBody, 'body');
    await handler(ctx, { body, query, params, actor: actor as Au extends 'public' ? Actor : UserActor, files: [] });
  });
}

/**
 * The body of a multipart request: the JSON of its `payload` field, or (no `payload`) its plain
 * fields as strings. @throws 400 `malformed-json` for a payload that is not JSON
 */
function formBody(fields: Record<string, string>, hasBody: boolean): unknown {
  if (!hasBody) {
    const extra = Object.keys(fields);
    if (extra.length)
      throw new AppError(
        400,
        'unexpected-part',
        `unexpected form fields: ${extra.join(', ')}`,
        extra.map((f) => ({ field: f, code: 'unexpected', message: 'this route takes file parts only' })),
      );
    return undefined;
  }
  if (!Object.hasOwn(fields, 'payload')) return { ...fields };
  const { payload, ...rest } = fields;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw new AppError(400, 'malformed-json', 'the payload part is not valid JSON', [{ field: 'payload', code: 'malformed_json', message: 'not valid JSON' }]);
  }
  if (Object.keys(rest).length)
    throw new AppError(
      400,
      'unexpected-part',
      `unexpected form fields next to payload: ${Object.keys(rest).join(', ')}`,
      Object.keys(rest).map((f) => ({ field: f, code: 'unexpected', message: 'send every field inside payload' })),
    );
  return parsed;
}

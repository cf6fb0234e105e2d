import type { z } from 'zod';
import type { Context } from 'koa';
import { AppError } from '../errors';
import { fieldMessage, problemMessage } from './messages';
import { emptyForm, fieldId, FormView } from './render';
import { RepeatedField } from '../uploads/multipart';

/** One field's error as the pages show it: the schema path, the code, and the length limit if any. */
export interface PageFieldError {
  field: string;
  code: string;
  max?: number;
}

/**
 * The posted form as flat strings keyed by the field names (`owner.phone`): the form parser
 * (co-body's qs with `allowDots`) nests dotted names, so they are flattened back; `_csrf`
 * removed. A field sent more than once (`title=a&title=b`: no form of the service sends
 * one) is refused, never read as its first value: throws {@link repeatedFieldsError}
 * (400 `unexpected-part`, each field with code `repeated`), which the page errors show as
 * a page naming what to do (src/pages/index.ts). The owner forms show it next to the field
 * instead: they call {@link repeatedFields} first and {@link readFormFirst} for the values.
 */
export function readForm(ctx: Context): Record<string, string> {
  refuseRepeatedFields(ctx);
  return readFormFirst(ctx);
}

/**
 * The posted form ({@link readFormFirst}) and its fields sent more than once, as field errors
 * with code `repeated`: for the forms that show that refusal next to the field (the owner's
 * account forms); empty when none was.
 */
export function readFormChecked(ctx: Context): { values: Record<string, string>; repeated: PageFieldError[] } {
  return { values: readFormFirst(ctx), repeated: repeatedFields(ctx).map((field) => ({ field, code: 'repeated' })) };
}

/** {@link readForm} without the refusal: a repeated name keeps its first value (to show a refused form again). */
export function readFormFirst(ctx: Context): Record<string, string> {
  const raw = ((ctx.request as unknown as { body?: unknown }).body ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  const walk = (o: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      const name = prefix ? `${prefix}.${k}` : k;
      const s = Array.isArray(v) ? v[0] : v;
      if (typeof s === 'string') out[name] ??= s;
      else if (s && typeof s === 'object' && depth < 3) walk(s as Record<string, unknown>, name, depth + 1);
    }
  };
  walk(raw, '', 0);
  delete out._csrf;
  return out;
}

/**
 * The fields of a URL-encoded form sent more than once (`title=a&title=b`; named as
 * {@link readForm} names them, `_csrf` aside): a form with one is refused
 * ({@link repeatedFieldsError}), as the multipart reader refuses it.
 */
export function repeatedFields(ctx: Context): string[] {
  const raw = ((ctx.request as unknown as { body?: unknown }).body ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (Array.isArray(v) && v.length > 1 && name !== '_csrf') out.push(name);
      else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 3) walk(v as Record<string, unknown>, name, depth + 1);
    }
  };
  walk(raw, '', 0);
  return out;
}

/** A form with fields sent more than once: 400, each named with code `repeated` (the multipart reader's `RepeatedField` alike). */
export const repeatedFieldsError = (names: string[]) =>
  new AppError(
    400,
    'unexpected-part',
    `form field ${names.join(', ')} given more than once`,
    names.map((field) => ({ field, code: 'repeated', message: 'given more than once' })),
  );

/** Refuses (throws {@link repeatedFieldsError}) a URL-encoded form with a field sent more than once. */
export function refuseRepeatedFields(ctx: Context): void {
  const names = repeatedFields(ctx);
  if (names.length) throw repeatedFieldsError(names);
}

/**
 * The fields of a form refused for being sent more than once (either reader's error), as page
 * field errors to show next to them; null for any other error.
 */
export function repeatedOf(e: unknown): PageFieldError[] | null {
  if (!(e instanceof AppError) || e.code !== 'unexpected-part' || !e.errors.length || !e.errors.every((x) => x.code === 'repeated')) return null;
  return e.errors.map((x) => ({ field: x.field, code: 'repeated' }));
}

/**
 * A form refused for a field sent more than once ({@link repeatedOf}): the fields to show it
 * again with (the first of each; of a multipart form, those read before the repeat) and the
 * errors; null for any other error.
 */
export function repeatedRefusal(ctx: Context, e: unknown): { values: Record<string, string>; errors: PageFieldError[] } | null {
  const errors = repeatedOf(e);
  if (!errors) return null;
  if (e instanceof RepeatedField) {
    const { _csrf: _c, ...values } = e.fields;
    return { values, errors };
  }
  return { values: ctx.is('multipart/form-data') ? {} : readFormFirst(ctx), errors };
}

/**
 * Where to go after signing in (`next=`): a same-site relative path with its query only —
 * one `/` then not another `/` or a backslash (browsers read `//host` and `/\host` as another
 * site), printable ASCII without spaces (browsers percent-encode the rest), at most 1000
 * characters, not the sign-in or sign-out page itself. Anything else (`https://…`, `//host`,
 * `javascript:`) → null.
 */
export function safeNext(s: string | null | undefined): string | null {
  if (typeof s !== 'string' || s.length > 1000 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(s) || s.includes('\\')) return null;
  if (/^\/account\/sign-(?:in|out)(?:[?#]|$)/.test(s)) return null;
  return s;
}

/**
 * The page a request asked for, as `next=` of the sign-in link on the 401 page: the address of
 * a GET; for a form sent (POST), the page it was sent from (the `Referer`, when it is this site's).
 */
export function askedFor(ctx: Context): string | null {
  if (ctx.method === 'GET' || ctx.method === 'HEAD') return safeNext(ctx.originalUrl);
  const ref = ctx.get('Referer');
  if (!ref) return null;
  try {
    const u = new URL(ref);
    return u.host === ctx.host ? safeNext(u.pathname + u.search) : null; // the host, not the scheme: TLS may end at a proxy
  } catch {
    return null;
  }
}

/** A trimmed value, or undefined for an empty field (an optional field left blank is absent). */
export const opt = (s: string | undefined): string | undefined => {
  const v = s?.trim();
  return v ? v : undefined;
};

/**
 * zod issues → page field errors. A refinement of the shared schemas names its reason in
 * `params.reason` (`empty`, `too_long`, `invalid_mobile`, …); zod's own codes stay as they are.
 * Unknown keys are reported on the field itself. With the validated `input`, a field that is
 * an empty string reports `empty` (a blank phone is "fill in", not "malformed").
 */
export function zodErrors(err: z.ZodError, input?: unknown): PageFieldError[] {
  const at = (path: PropertyKey[]) => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
  return err.issues.flatMap((i): PageFieldError[] => {
    const path = i.path.map(String).join('.');
    // a field left empty says "fill this in", whatever check its format then fails
    if (input !== undefined && at(i.path) === '' && i.code !== 'unrecognized_keys') return [{ field: path || 'form', code: 'empty' }];
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: path ? `${path}.${k}` : k, code: i.code }));
    const params = (i as { params?: { reason?: string; max?: number } }).params;
    const max = params?.max ?? (i.code === 'too_big' ? Number((i as { maximum?: unknown }).maximum) : undefined);
    return [{ field: path || 'form', code: params?.reason ?? i.code, ...(max !== undefined && !Number.isNaN(max) ? { max } : {}) }];
  });
}

/**
 * Builds the form view for errors: each field's Chinese message next to it (the first per
 * field) and, in the summary, a link to it, in the order of `order` (the fields as the page
 * lays them out). `alias` maps a schema path to the form field that shows it (`owner` → `owner.name`);
 * `messages` (field → code → text) is a form's own wording where a field name means another thing
 * on another page (`code`: the access code on the track page, the SMS code on register/reset).
 */
export function formWithErrors(
  values: Record<string, string>,
  errors: PageFieldError[],
  order: readonly string[],
  opts: { problem?: string; alias?: Record<string, string>; messages?: Record<string, Record<string, string>> } = {},
): FormView {
  const f = emptyForm(values);
  f.problem = opts.problem;
  const seen = new Map<string, string>();
  for (const e of errors) {
    const name = opts.alias?.[e.field] ?? e.field;
    if (seen.has(name)) continue;
    seen.set(name, opts.messages?.[e.field]?.[e.code] ?? fieldMessage(e.field, e.code, { max: e.max }));
  }
  const rank = (n: string) => (order.indexOf(n) < 0 ? order.length : order.indexOf(n));
  for (const [name, text] of [...seen].sort((a, b) => rank(a[0]) - rank(b[0]))) {
    // errors on fields the form does not show go to the top as text
    if (!order.includes(name)) {
      f.summary.push({ href: '#main', text });
      continue;
    }
    f.errors[name] = text;
    f.summary.push({ href: `#${fieldId(name)}`, text });
  }
  return f;
}

/**
 * A form key as the pages write it (`randomUUID`: lower-case hex); a key sent in any other form is
 * refused (docs/decisions/security.md): read as another key, or replaced by a fresh one, it would
 * let the same form be created twice.
 */
export const FORM_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The message at the top of a form whose key is not one the page writes. */
export const BAD_FORM_KEY = '这份表单的标识（formKey）已损坏，没有提交，也没有登记。请检查下面的内容，再点一次提交（页面已经换上新的表单标识）。';

/** A create refused because its form's key was used before with other content (422): the form comes back with a fresh key. */
export const keyReused = (e: unknown): boolean => e instanceof AppError && e.code === 'idempotency-key-reused';

/**
 * An AppError from a command as a form view: field errors next to their fields, otherwise
 * the problem code's message at the top. Returns null for errors a form does not show
 * (server faults, 404 of something else): the caller rethrows those. A key used before with
 * other content ({@link keyReused}) is dropped from the values, so the form is drawn with a fresh
 * one: the same key would be refused again whatever is changed.
 */
export function formFromAppError(
  e: unknown,
  values: Record<string, string>,
  order: readonly string[],
  alias?: Record<string, string>,
  messages?: Record<string, Record<string, string>>,
): FormView | null {
  if (!(e instanceof AppError) || e.status >= 500 || e.status === 404 || e.code === 'unauthenticated' || e.status === 403) return null;
  const minutes = typeof e.extra.retryAfter === 'number' ? Math.ceil(e.extra.retryAfter / 60) : undefined;
  const problem = e.code === 'validation-failed' && e.errors.length ? undefined : problemMessage(e.code, { minutes });
  return formWithErrors(
    keyReused(e) ? { ...values, formKey: '' } : values,
    e.errors.map((x) => ({ field: x.field, code: x.code })),
    order,
    { problem, alias, messages },
  );
}

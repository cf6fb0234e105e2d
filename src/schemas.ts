import { z } from './zod';
import { type AsciiAlphabet, asciiForm, isValidCreditCode, isValidMobile, isWellFormedText, MULTILINE_FORBIDDEN, SINGLELINE_FORBIDDEN } from './domain/validators';
import { isValidIsoDate } from './domain/calendar';
import { hasVisibleText, isWhiteSpaceOnly } from './domain/text';
import { CHANNELS, OUTCOMES, PRIORITIES, RATINGS, REJECT_GROUNDS, ROLES, STATES, TICKET_KINDS } from './domain/lifecycle';

/**
 * Single-line text of 1..max characters (code points), no control characters (DESIGN §12).
 * Each refinement names its `params.reason` (`empty`, `too_long`, `control_characters`,
 * `blank`): the API reports zod's `custom`, the pages show the reason's Chinese message.
 * Blank means showing nothing (`hasVisibleText`): white space, zero-width and other
 * invisible characters alone are blank (issue 13 item 10). The text is kept as given.
 */
export const line = (max: number) =>
  z
    .string()
    .refine((s) => Array.from(s).length >= 1, { message: 'must not be empty', params: { reason: 'empty' } })
    .refine((s) => Array.from(s).length <= max, { message: `at most ${max} characters`, params: { reason: 'too_long', max } })
    .refine((s) => !SINGLELINE_FORBIDDEN.test(s) && isWellFormedText(s), {
      message: 'control, bidirectional-override and invalid characters are not allowed',
      params: { reason: 'control_characters' },
    })
    .refine((s) => s.length === 0 || hasVisibleText(s), { message: 'must not be blank (it shows nothing: only spaces or invisible characters)', params: { reason: 'blank' } });
/** Multi-line text of 1..max characters; tab and line breaks allowed, other control characters refused. */
export const multiline = (max: number) =>
  z
    .string()
    .refine((s) => Array.from(s).length >= 1, { message: 'must not be empty', params: { reason: 'empty' } })
    .refine((s) => Array.from(s).length <= max, { message: `at most ${max} characters`, params: { reason: 'too_long', max } })
    .refine((s) => !MULTILINE_FORBIDDEN.test(s) && isWellFormedText(s), {
      message: 'control characters other than tab and line breaks, bidirectional overrides and invalid characters are not allowed',
      params: { reason: 'control_characters' },
    })
    .refine((s) => s.length === 0 || hasVisibleText(s), { message: 'must not be blank (it shows nothing: only spaces or invisible characters)', params: { reason: 'blank' } });

/**
 * An identifier field (phone, code, amount) read in its ASCII form first (`asciiForm`: the
 * full-width ０１３８… a Chinese input method types is 0138…; `alphabet` says whether the
 * field also takes letters or a decimal point), the one place where typed identifiers are
 * normalized; the value kept is the normalized one. Other look-alikes (①, ¹, ١) are not
 * converted and fail the field's check.
 */
export const asciiField = <T extends z.ZodType>(schema: T, alphabet: AsciiAlphabet = 'digits') => z.preprocess((v) => (typeof v === 'string' ? asciiForm(v, alphabet) : v), schema);

export const CreditCode = asciiField(
  z.string().refine(isValidCreditCode, { message: 'not a valid unified social credit code (GB 32100 check character)', params: { reason: 'invalid_credit_code' } }),
  'alphanumeric',
).openapi({ type: 'string', example: '92500102AY4CL12TH8', description: '统一社会信用代码, 18 characters, check character validated (full-width characters are read as ASCII)' });
export const Mobile = asciiField(z.string().refine(isValidMobile, { message: 'not a valid mobile number (11 digits starting 1[3-9])', params: { reason: 'invalid_mobile' } })).openapi({
  type: 'string',
  example: '13800001234',
  description: '11 digits starting 1[3-9] (full-width digits are read as ASCII)',
});
export const Email = z.string().max(254).email({ message: 'not a valid email address' });
/** ISO 8601 instant with an offset (or Z). */
/** Years the service accepts in dates and instants: the calendar and the database both hold them. */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
const inYears = (y: number) => y >= MIN_YEAR && y <= MAX_YEAR;
export const Instant = z
  .string()
  .datetime({ offset: true, message: 'must be an ISO 8601 instant with offset' })
  .refine((s) => Number.isNaN(Date.parse(s)) || inYears(new Date(s).getUTCFullYear()), { message: `must be between ${MIN_YEAR} and ${MAX_YEAR}` })
  .transform((s) => new Date(s))
  .openapi({ type: 'string', format: 'date-time', example: '2026-11-02T09:14:00+08:00' });
export const IsoDate = z
  .string()
  .refine(isValidIsoDate, { message: 'must be a date YYYY-MM-DD', params: { reason: 'invalid_date' } })
  .refine((s) => !isValidIsoDate(s) || inYears(Number(s.slice(0, 4))), { message: `must be between ${MIN_YEAR} and ${MAX_YEAR}`, params: { reason: 'year_out_of_range' } })
  .openapi({ type: 'string', format: 'date', example: '2026-11-02' });
/**
 * A whole number as a query string or path gives it: decimal digits only, in [min, max].
 * `''`, `1e3`, `2026.0`, `0x7e`, ` 7` are refused as "must be a whole number" (zod's coercion
 * read them as 0, 1000, 2026…: an empty value became "too small"); `what` names it in the message.
 */
export const intParam = (min: number, max: number, what = 'a whole number') =>
  z
    .string()
    .regex(/^\d{1,9}$/, { message: `must be ${what} (digits only)` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be ${what} from ${min} to ${max}` })
        .max(max, { message: `must be ${what} from ${min} to ${max}` }),
    )
    .openapi({ type: 'integer', minimum: min, maximum: max });
/** A year in a query string or path (`?year=2026`): 4 digits, ${MIN_YEAR}–${MAX_YEAR}; `''` or `1e3` is 400 "must be a 4-digit year". */
export const YearParam = z
  .string()
  .regex(/^\d{4}$/, { message: 'the year must be a 4-digit year (an integer such as 2026)' })
  .transform(Number)
  .pipe(
    z
      .number()
      .min(MIN_YEAR, { message: `the year must be from ${MIN_YEAR} to ${MAX_YEAR}` })
      .max(MAX_YEAR, { message: `the year must be from ${MIN_YEAR} to ${MAX_YEAR}` }),
  )
  .openapi({ type: 'integer', minimum: MIN_YEAR, maximum: MAX_YEAR, example: 2026 });
export const DepartmentCode = z.string().regex(/^[A-Z]{2,16}$/, 'must be a department code such as TAX');
export const Uuid = z.string().uuid({ message: 'must be an id' });
export const Yuan = asciiField(z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a non-negative decimal string with at most 2 decimals, e.g. "300.10"'), 'decimal').openapi({
  type: 'string',
  example: '300.10',
  description: 'yuan, exact decimal (full-width digits are read as ASCII)',
});

export const Kind = z.enum(TICKET_KINDS);
export const ChannelE = z.enum(CHANNELS);
export const PriorityE = z.enum(PRIORITIES);
export const StateE = z.enum(STATES);
export const RoleE = z.enum(ROLES);

export const OwnerContact = z
  .object({
    name: line(100),
    phone: Mobile,
    creditCode: CreditCode.optional(),
    businessName: line(100).optional(),
    email: Email.optional(),
  })
  .strict();

export const Accused = z
  .object({
    departmentCode: DepartmentCode,
    person: line(100).optional(),
    demand: z.enum(['fee', 'levy', 'property', 'other']),
    /** a decimal string (DESIGN §7: `"300.10"`); JSON numbers are refused, as binary floats are not exact */
    amountYuan: Yuan.optional(),
    occurredOn: IsoDate,
  })
  .strict();

export const TicketCreate = z
  .object({
    kind: Kind,
    channel: ChannelE,
    title: line(200),
    description: multiline(5000),
    category: z.string().max(32).optional(),
    priority: PriorityE.optional(),
    owner: OwnerContact.optional(),
    anonymous: z.boolean().optional(),
    receivedAt: Instant.optional(),
    symposiumId: Uuid.optional(),
    resultNoticeId: Uuid.optional(),
    resultEntryId: Uuid.optional(),
    subjectCreditCode: CreditCode.optional(),
    accused: Accused.optional(),
    answerAtIntake: z
      .object({ message: multiline(5000) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('TicketCreate');

export const Message = z.object({ message: multiline(5000) }).strict();
export const ActionBodies = {
  dispatch: z.object({ departmentCode: DepartmentCode, note: multiline(2000).optional() }).strict(),
  sign: z.object({}).strict(),
  return: z.object({ reason: multiline(2000) }).strict(),
  'request-info': Message,
  supplement: Message,
  'request-extension': z.object({ workingDays: z.number().int().min(1).max(30), reason: multiline(500) }).strict(),
  'decide-extension': z.object({ approve: z.boolean(), note: multiline(2000).optional() }).strict(),
  reply: z.object({ outcome: z.enum(OUTCOMES), message: multiline(5000) }).strict(),
  rate: z.object({ rating: z.enum(RATINGS), comment: multiline(1000).optional(), via: z.enum(['callback']).optional() }).strict(),
  reject: z.object({ ground: z.enum(REJECT_GROUNDS), detail: multiline(2000) }).strict(),
  withdraw: z.object({ reason: multiline(1000).optional() }).strict(),
  merge: z.object({ intoTicketId: Uuid }).strict(),
  reopen: z.object({ reason: multiline(1000) }).strict(),
  close: z.object({ note: multiline(1000).optional() }).strict(),
  note: z.object({ text: multiline(5000) }).strict(),
  escalate: z.object({ level: z.union([z.literal(2), z.literal(3)]), note: multiline(2000) }).strict(),
  conclude: z.object({ finding: z.enum(['substantiated', 'unsubstantiated']), summary: multiline(5000) }).strict(),
  decide: z.object({ outcome: z.enum(['upheld', 'dismissed']), reason: multiline(5000) }).strict(),
} as const;

/**
 * The search text of the ticket lists (`q` of `GET /api/v1/tickets` and of the workbench's
 * list): at most 100 characters, no control characters (DESIGN §12), and not made only of
 * characters that show nothing (zero-width spaces, joiners, Hangul fillers: `hasVisibleText`),
 * which would search for nothing and list every ticket. White space alone (Unicode's White_Space,
 * not JavaScript's `\s`, which takes a BOM U+FEFF for one) is a blank search (no `q`, as the page trims it). A text that breaks a rule is refused (400), never cut or
 * ignored: a list must not pretend to have searched (docs/decisions/search.md).
 */
export const SearchText = z
  .string()
  .refine((s) => Array.from(s).length <= 100, { message: 'the search text is at most 100 characters', params: { reason: 'too_long', max: 100 } })
  .refine((s) => !SINGLELINE_FORBIDDEN.test(s) && isWellFormedText(s), { message: 'the search text must not contain control characters or line breaks', params: { reason: 'control_characters' } })
  .refine((s) => hasVisibleText(s) || isWhiteSpaceOnly(s), {
    message: 'the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)',
    params: { reason: 'invisible' },
  })
  .openapi({ type: 'string', maxLength: 100, description: 'ticket number, phone number or words of the title and description; at most 100 characters' });

/**
 * The user list's `q` (`GET /api/v1/users`, `/work/admin/users`: part of a username or name): at
 * most 64 characters, and the search text's rules ({@link SearchText}): no control characters (a
 * NUL ended SQLite's LIKE pattern early and matched every account) and not made only of
 * invisible characters (a BOM alone was trimmed to blank on the page, listing every account, and
 * matched none in the API). Refused (400), never all or none as if searched.
 */
export const AccountSearchText = z
  .string()
  .max(64)
  .refine((s) => !SINGLELINE_FORBIDDEN.test(s) && isWellFormedText(s), { message: 'the search text must not contain control characters or line breaks', params: { reason: 'control_characters' } })
  .refine((s) => hasVisibleText(s) || isWhiteSpaceOnly(s), {
    message: 'the search text shows nothing: it is made only of invisible characters (such as zero-width spaces)',
    params: { reason: 'invisible' },
  })
  .openapi({ type: 'string', maxLength: 64, description: 'part of a username or name; at most 64 characters' });

/**
 * A filter of a list endpoint (`?state=`, `?departmentCode=`, `?escalationLevel=`, `?q=`, …):
 * sent blank it is absent, as the workbench's forms send a filter left at 全部 (`state=`) and
 * as the pages read it; any other value must pass `schema` (a made-up state, `1e3` or `x`
 * stay 400). Paging (`limit`) and the parameters that are no list filter (an assessment's
 * `year`, a deadline's `workingDays`) keep DESIGN §12's rule: empty is 400
 * (docs/decisions/lists.md).
 */
export const filter = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const Paging = {
  limit: intParam(1, 200, 'a page size').default(50),
  cursor: z.string().max(200).optional(),
};

// ── accounts (DESIGN §1, §13; issue 10) ────────────────────────────────────────────────
/**
 * A staff username: 3–64 letters, digits, dot, dash or underscore, and not a mobile number
 * (owners sign in with their mobile number as username: a staff account named like one would
 * block that owner's registration and tell who has an account).
 */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9._-]{3,64}$/, '3-64 letters, digits, dot, dash or underscore')
  .refine((u) => !isValidMobile(u), { message: "a mobile number is an owner's username; choose another name", params: { reason: 'mobile_username' } });
/**
 * What a sign-in takes as the username (`POST /auth/login`, the sign-in page): an owner's
 * phone number or a staff username, full-width digits and letters read as ASCII. Anything
 * else (a circled ①, a space inside) names no account and is refused as badly formed (400).
 */
export const LoginName = asciiField(
  z
    .string()
    .min(1)
    .max(64)
    .refine((u) => /^[A-Za-z0-9._-]*$/.test(u), { message: 'must be a phone number or a username (letters, digits, dot, dash or underscore)', params: { reason: 'login_name' } }),
  'alphanumeric',
);
/** A password as every account takes it: 8–128 characters. */
export const Password = z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters');
/** The roles of staff accounts (every role but `owner`). */
export const StaffRoleE = RoleE.exclude(['owner']);

/** A staff account as `POST /api/v1/users`, the admin's page and `cli create-user` take it (DESIGN §13). */
export const StaffAccount = z
  .object({
    username: Username,
    password: Password,
    name: line(100),
    email: Email.optional(),
    phone: Mobile.optional(),
    role: StaffRoleE,
    departmentCode: DepartmentCode.optional(),
    isHead: z.boolean().optional(),
  })
  .strict();
export type StaffAccountInput = z.infer<typeof StaffAccount>;

/**
 * A change of a staff account (`PATCH /api/v1/users/:id`): only the fields given change;
 * `null` clears email, phone or (for the admin role) the department. The username never changes.
 */
export const StaffAccountUpdate = z
  .object({
    name: line(100).optional(),
    email: Email.nullable().optional(),
    phone: Mobile.nullable().optional(),
    role: StaffRoleE.optional(),
    departmentCode: DepartmentCode.nullable().optional(),
    isHead: z.boolean().optional(),
  })
  .strict();
export type StaffAccountUpdateInput = z.infer<typeof StaffAccountUpdate>;

/** Deactivating an account (`POST /api/v1/users/:id/deactivate`): an optional reason, recorded. */
export const AccountDeactivation = z.object({ reason: line(500).optional() }).strict();
/** An admin's password reset (`POST /api/v1/users/:id/password-reset`): the temporary password, or none to have one generated. */
export const PasswordReset = z.object({ temporaryPassword: Password.optional() }).strict();
/** Changing one's own password (`PUT /api/v1/me/password`). */
export const PasswordChange = z.object({ currentPassword: z.string().min(1).max(128), newPassword: Password }).strict();

// ── departments and categories (the admin's reference data, DESIGN §1, §2) ─────────────
/** A category code: lower-case letters, digits and underscores, starting with a letter (`tax_fees`). */
export const CategoryCode = z.string().regex(/^[a-z][a-z0-9_]{1,31}$/, 'lower-case letters, digits and underscores, starting with a letter');
/** A new department (`POST /api/v1/departments`). */
export const DepartmentCreate = z.object({ code: DepartmentCode, nameZh: line(100), nameEn: line(200) }).strict();
/** A change of a department (`PATCH /api/v1/departments/:code`): names, and whether it is in use. */
export const DepartmentUpdate = z.object({ nameZh: line(100).optional(), nameEn: line(200).optional(), active: z.boolean().optional() }).strict();
/** A new category (`POST /api/v1/categories`); its default department becomes its routing rule. */
export const CategoryCreate = z.object({ code: CategoryCode, nameZh: line(100), nameEn: line(200), defaultDepartmentCode: DepartmentCode.optional() }).strict();
/** A change of a category (`PATCH /api/v1/categories/:code`): names, and whether new tickets may choose it. */
export const CategoryUpdate = z.object({ nameZh: line(100).optional(), nameEn: line(200).optional(), active: z.boolean().optional() }).strict();

// ── symposiums (DESIGN §8) ─────────────────────────────────────────────────────────────
const SymposiumAttendee = z.object({ name: line(100), phone: Mobile.optional(), email: Email.optional(), businessName: line(100).optional() }).strict();
/** One issue raised at a symposium (a ticket of channel `symposium`). */
export const SymposiumIssue = z
  .object({
    kind: Kind.extract(['complaint', 'suggestion']).default('suggestion'),
    title: line(200),
    description: multiline(5000),
    category: z.string().max(32).optional(),
    priority: PriorityE.optional(),
    owner: OwnerContact.optional(),
    anonymous: z.boolean().optional(),
  })
  .strict();
/** Body of `POST /symposiums` (and the workbench's symposium form). */
export const SymposiumCreate = z
  .object({
    title: line(200),
    heldOn: IsoDate,
    hostDepartmentCode: DepartmentCode.default('SAMR'),
    place: line(200).optional(),
    attendees: z.array(SymposiumAttendee).max(500).default([]),
    issues: z.array(SymposiumIssue).max(200).default([]),
  })
  .strict();
/** Body of `POST /symposiums/:id/issues`. */
export const SymposiumIssues = z.object({ issues: z.array(SymposiumIssue).min(1).max(200) }).strict();

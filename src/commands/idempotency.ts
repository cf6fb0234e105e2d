import type { StagedFile } from '../uploads/stage';
import { runWithFiles } from './attachments';
import { createHash } from 'node:crypto';
import { openBytes, sealBytes, sealKey } from '../seal';
import { Brackets, DataSource, EntityManager, LessThan, LessThanOrEqual } from 'typeorm';
import { IdempotencyKey, Ticket } from '../entities';
import type { AppDeps } from '../deps';
import type { Actor } from '../domain/lifecycle';
import { AppError, unprocessable } from '../errors';
import { isDuplicateKey } from '../db';
import { createTicket, CreateTicketInput } from './create-ticket';

/**
 * The `Idempotency-Key` protocol of ticket creation (DESIGN §11): scoped to the caller (the
 * user, or the client for account-less calls) and kept 24 h; the same key and body return
 * the same ticket as the first response returned it, never more (a report accusing the
 * caller's own department is not readable afterwards, DESIGN §7); the same key with another
 * body is 422; a refused request stores no key. The first response and its access code are
 * kept sealed (AES-256-GCM), never readable at rest (docs/decisions/security.md).
 */

/** How long a key is kept (DESIGN §11). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** HKDF `info`: a key per purpose, never the JWT signing key itself. */
const PURPOSES = { accessCode: 'grievance/idempotency-key/access-code/v1', response: 'grievance/idempotency-key/response/v1' } as const;
type Purpose = keyof typeof PURPOSES;
const VERSION = 'v1.';
/** What a sealed value is bound to: its row, so that a sealed value copied to another row does not open. */
export interface SealContext {
  scope: string;
  idemKey: string;
  ticketId: string;
}
const aad = (c: SealContext) => Buffer.from(`${c.scope}\n${c.idemKey}\n${c.ticketId}`, 'utf8');

function seal(secret: string, purpose: Purpose, ctx: SealContext, plain: string): string {
  return VERSION + sealBytes(sealKey(secret, PURPOSES[purpose]), aad(ctx), plain).toString('base64');
}

function open(secret: string, purpose: Purpose, ctx: SealContext, sealed: string | null): string | null {
  if (!sealed?.startsWith(VERSION)) return null;
  return openBytes(sealKey(secret, PURPOSES[purpose]), aad(ctx), Buffer.from(sealed.slice(VERSION.length), 'base64'));
}

/**
 * Encrypts an access code for `idempotency_key.access_code`: AES-256-GCM under a key derived
 * with HKDF-SHA-256 from `secret` (config.jwtSecret), a fresh 12-byte IV, the row's
 * (scope, key, ticket) as associated data. Returns `v1.` + base64(iv ‖ tag ‖ ciphertext),
 * 55 characters for a 10-character code (the column holds 128).
 */
export const sealAccessCode = (secret: string, ctx: SealContext, code: string): string => seal(secret, 'accessCode', ctx, code);

/**
 * The code sealed by `sealAccessCode`, or null when it does not open: another secret
 * (JWT_SECRET rotated), another row, a changed value, or a value from before sealing.
 * A retry then gets its ticket without the code, never an error.
 */
export const openAccessCode = (secret: string, ctx: SealContext, sealed: string | null): string | null => open(secret, 'accessCode', ctx, sealed);

/** A create request under the protocol. */
export interface IdempotentCreate {
  /** the caller's `Idempotency-Key` (1–128 visible ASCII characters), or none */
  key?: string;
  /** `user:<id>` or `client:<address>` */
  scope: string;
  /** the request body as received (its SHA-256 identifies "the same body") */
  rawBody: unknown;
  input: CreateTicketInput;
  /** files sent with the create (staged; committed with it, deleted if it fails or is a replay) */
  files?: readonly StagedFile[];
  /** the response body for the new ticket, without its access code (the caller's presenter) */
  present: (t: Ticket) => Record<string, unknown>;
}

/** The response of a create: the body (with `accessCode` once, for an account-less submitter) and whether it was replayed. */
export interface CreateResponse {
  body: Record<string, unknown> & { id: string; version?: number };
  replayed: boolean;
}

/**
 * Creates a ticket at most once per (scope, key) within 24 h (DESIGN §11).
 * @throws 400 on `Idempotency-Key` (`invalid`); 422 `idempotency-key-reused` (same key, other body); the create's own errors (nothing stored)
 */
export async function createTicketOnce(deps: AppDeps, actor: Actor, req: IdempotentCreate): Promise<CreateResponse> {
  const { key, scope } = req;
  if (key !== undefined && (key.length < 1 || key.length > 128 || !/^[\x21-\x7e]+$/.test(key))) {
    throw new AppError(400, 'validation-failed', 'Idempotency-Key must be 1-128 visible ASCII characters', [{ field: 'Idempotency-Key', code: 'invalid', message: '1-128 visible ASCII characters' }]);
  }
  const requestHash = createHash('sha256')
    .update(JSON.stringify(req.rawBody ?? {}))
    .digest('hex');
  const secret = deps.config.jwtSecret;

  const replay = async (): Promise<CreateResponse | null> => {
    const row = await deps.db.getRepository(IdempotencyKey).findOneBy({ scope, idemKey: key! });
    if (!row || row.expiresAt.getTime() <= deps.clock.now().getTime()) return null;
    if (row.requestHash !== requestHash)
      throw unprocessable('idempotency-key-reused', 'this Idempotency-Key was used with a different body', [{ field: 'Idempotency-Key', code: 'reused', message: 'used with a different body' }]);
    const ctx = { scope, idemKey: key!, ticketId: row.ticketId };
    const first = open(secret, 'response', ctx, row.response);
    // A row from before responses were kept (or under a rotated secret) replays the receipt only: never the ticket as it is now.
    const body = first ? JSON.parse(first) : await receipt(deps, row.ticketId);
    const accessCode = openAccessCode(secret, ctx, row.accessCode);
    return { body: { ...body, ...(accessCode ? { accessCode } : {}) }, replayed: true };
  };

  if (key !== undefined) {
    const r = await replay();
    if (r) return r;
  }
  try {
    const out = await runWithFiles(deps, actor, req.files ?? [], async (c) => {
      const r = await createTicket(c, req.input, req.files);
      const body = req.present(r.ticket) as CreateResponse['body'];
      if (key !== undefined) {
        const ctx = { scope, idemKey: key, ticketId: r.ticket.id };
        // an expired key (kept 24 h) is forgotten: its row gives way to the new request
        await c.em.delete(IdempotencyKey, { scope, idemKey: key, expiresAt: LessThanOrEqual(c.now) });
        await c.em.insert(IdempotencyKey, {
          scope,
          idemKey: key,
          requestHash,
          ticketId: r.ticket.id,
          accessCode: r.accessCode ? sealAccessCode(secret, ctx, r.accessCode) : null,
          response: seal(secret, 'response', ctx, JSON.stringify(body)),
          createdAt: c.now,
          expiresAt: new Date(c.now.getTime() + IDEMPOTENCY_TTL_MS),
        });
      }
      return { body: { ...body, ...(r.accessCode ? { accessCode: r.accessCode } : {}) }, replayed: false, ticket: r.ticket };
    });
    if (deps.onTicketCreated) deps.onTicketCreated(out.ticket);
    else deps.onTicketsChanged?.([out.ticket.id]);
    return { body: out.body, replayed: false };
  } catch (e) {
    // a concurrent request with the same key won the insert: answer as its replay
    if (key !== undefined && isDuplicateKey(e)) {
      const r = await replay();
      if (r) return r;
    }
    throw e;
  }
}

/**
 * The same protocol for a create that is not one ticket (a symposium with its issues, more
 * issues for one): the form's key under `scope`, the request's hash, the created resource's id
 * (kept in `ticket_id`) and the first result sealed as a ticket's first response is. The pages'
 * double-submit guard: six posts of one form make one record, each answered with the first
 * result. Scopes of their own (`symposium:user:<id>`), so an API client's Idempotency-Key never
 * meets one of these rows.
 */
export interface OnceKey {
  scope: string;
  key: string;
  rawBody: unknown;
}

const hashOf = (rawBody: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(rawBody ?? {}))
    .digest('hex');

/**
 * The first result of `k`, or null (never used, or expired).
 * @throws 422 `idempotency-key-reused` (the same key with another body)
 */
export async function replayOnce(deps: AppDeps, k: OnceKey): Promise<{ resourceId: string; result: unknown } | null> {
  const row = await deps.db.getRepository(IdempotencyKey).findOneBy({ scope: k.scope, idemKey: k.key });
  if (!row || row.expiresAt.getTime() <= deps.clock.now().getTime()) return null;
  if (row.requestHash !== hashOf(k.rawBody))
    throw unprocessable('idempotency-key-reused', 'this key was used with a different body', [{ field: 'Idempotency-Key', code: 'reused', message: 'used with a different body' }]);
  const first = open(deps.config.jwtSecret, 'response', { scope: k.scope, idemKey: k.key, ticketId: row.ticketId }, row.response);
  return { resourceId: row.ticketId, result: first ? JSON.parse(first) : null };
}

/**
 * Records `k` as used for `resourceId` with its `result`, in the create's transaction (the
 * insert of a second request with the same key fails as a duplicate: the caller then answers
 * with {@link replayOnce}). An expired row gives way.
 */
export async function keepOnce(em: EntityManager, deps: AppDeps, now: Date, k: OnceKey, resourceId: string, result: unknown): Promise<void> {
  await em.delete(IdempotencyKey, { scope: k.scope, idemKey: k.key, expiresAt: LessThanOrEqual(now) });
  await em.insert(IdempotencyKey, {
    scope: k.scope,
    idemKey: k.key,
    requestHash: hashOf(k.rawBody),
    ticketId: resourceId,
    accessCode: null,
    response: seal(deps.config.jwtSecret, 'response', { scope: k.scope, idemKey: k.key, ticketId: resourceId }, JSON.stringify(result)),
    createdAt: now,
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
  });
}

/** The least a replay without the first response shows: which ticket was created. */
async function receipt(deps: AppDeps, ticketId: string): Promise<Record<string, unknown>> {
  const t = await deps.db.getRepository(Ticket).findOneByOrFail({ id: ticketId });
  return { id: t.id, number: t.number, kind: t.kind, channel: t.channel, receivedAt: t.receivedAt.toISOString(), createdAt: t.createdAt.toISOString() };
}

/**
 * Deletes Idempotency-Key rows whose `expires_at` is before `now` (kept 24 h, DESIGN §11),
 * `batch` rows per statement (ids read first: SQLite has no DELETE … LIMIT), at most
 * `maxBatches` statements per call so that one sweep stays short; the next sweep goes on.
 * A row renewed between the read and the delete (the create route replaces an expired key)
 * is not deleted: the delete re-checks the expiry.
 * @returns rows deleted
 */
export async function purgeExpiredIdempotencyKeys(db: DataSource, now: Date, o: { batch?: number; maxBatches?: number } = {}): Promise<number> {
  const batch = o.batch ?? 200;
  const maxBatches = o.maxBatches ?? 50;
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const rows = await db.getRepository(IdempotencyKey).find({
      select: { scope: true, idemKey: true },
      where: { expiresAt: LessThan(now) },
      order: { expiresAt: 'ASC' },
      take: batch,
    });
    if (!rows.length) break;
    const res = await db
      .createQueryBuilder()
      .delete()
      .from(IdempotencyKey)
      .where('expires_at < :now', { now })
      .andWhere(
        new Brackets((w) => {
          for (const [j, r] of rows.entries()) w.orWhere(`(scope = :s${j} AND idem_key = :k${j})`, { [`s${j}`]: r.scope, [`k${j}`]: r.idemKey });
        }),
      )
      .execute();
    deleted += res.affected ?? 0;
    if (rows.length < batch) break;
  }
  return deleted;
}

import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Category, RoutingRule, Ticket, TicketEvent, TicketExtension, TicketPause, SlaPolicy, TicketMessage } from '../entities';
import { computeSchedule, nextCheckAt, policyFor, SlaPolicyValues } from '../domain/schedule';
import { Action, Actor, canView, decide, DISCIPLINE_DEPARTMENT, Rating, TicketFacts } from '../domain/lifecycle';
import { AppError, conflict, notFound, preconditionFailed } from '../errors';
import { CommandContext, actorId, actorRole } from './context';
import { isMysql } from '../db';
import { notify } from '../notifications/notify';

export const GENESIS_HASH = '0'.repeat(64);

/** The event types of DESIGN §3. */
export type EventType =
  | 'created' | 'dispatched' | 'signed' | 'returned' | 'info_requested' | 'supplemented' | 'extension_requested'
  | 'extension_decided' | 'replied' | 'rated' | 'reopened' | 'rejected' | 'withdrawn' | 'merged' | 'closed' | 'note'
  | 'escalated' | 'oversight_responded' | 'identity_read' | 'concluded' | 'decided' | 'deadlines_recomputed';

/** SHA-256 over the event's canonical fields and the previous hash: the per-ticket chain (DESIGN §3). */
export function eventHash(e: Pick<TicketEvent, 'ticketId' | 'seq' | 'cycle' | 'type' | 'actorId' | 'actorRole' | 'at' | 'fromState' | 'toState' | 'payload' | 'prevHash'>): string {
  const canonical = JSON.stringify([e.ticketId, e.seq, e.cycle, e.type, e.actorId, e.actorRole, e.at.toISOString(), e.fromState, e.toState, canonicalJson(e.payload), e.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}
function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** Appends one event to the ticket's chain, in the caller's transaction. */
type NewEvent = { type: EventType; actor: Actor; at: Date; fromState: string | null; toState: string | null; payload?: Record<string, unknown> };

export async function appendEvent(
  em: EntityManager,
  t: Pick<Ticket, 'id' | 'cycle'>,
  e: NewEvent,
  /** the ticket's last event when the caller knows it (`null`: this is the first), saving a read */
  prev?: Pick<TicketEvent, 'seq' | 'hash'> | null,
): Promise<TicketEvent> {
  const [ev] = await appendEvents(em, t, [e], prev);
  return ev;
}

/**
 * Appends several events in order, in one INSERT, each linked to the one before; then the
 * notices they cause (DESIGN §10) in the same transaction. Returns them in order.
 */
export async function appendEvents(
  em: EntityManager,
  t: Pick<Ticket, 'id' | 'cycle'>,
  list: NewEvent[],
  prev?: Pick<TicketEvent, 'seq' | 'hash'> | null,
): Promise<TicketEvent[]> {
  // A locking read on MariaDB: it sees the latest committed event even when this
  // transaction's snapshot is older, and holds the chain's head until commit.
  let last = prev !== undefined ? prev : await em.getRepository(TicketEvent).findOne({
    where: { ticketId: t.id }, order: { seq: 'DESC' }, select: { seq: true, hash: true } as never,
    ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  const events: TicketEvent[] = [];
  for (const e of list) {
    const ev = new TicketEvent();
    Object.assign(ev, {
      id: randomUUID(), ticketId: t.id, seq: last ? last.seq + 1 : 1, cycle: t.cycle, type: e.type,
      actorId: actorId(e.actor), actorRole: actorRole(e.actor), at: e.at, fromState: e.fromState, toState: e.toState,
      payload: e.payload ?? {}, prevHash: last ? last.hash : GENESIS_HASH,
    });
    ev.hash = eventHash(ev);
    events.push(ev);
    last = ev;
  }
  await em.insert(TicketEvent, events as never);
  for (const ev of events) await notify(em, { kind: 'ticket_event', event: ev, ticket: t instanceof Ticket ? t : undefined }, ev.at);
  return events;
}

/** Verifies a ticket's chain: `{ ok, checked, brokenAt? }` (brokenAt = seq of the first bad event). */
export async function verifyChain(em: EntityManager, ticketId: string): Promise<{ ok: boolean; checked: number; brokenAt?: number }> {
  const events = await em.find(TicketEvent, { where: { ticketId }, order: { seq: 'ASC' } });
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of events) {
    if (e.seq !== expectedSeq || e.prevHash !== prev || eventHash(e) !== e.hash) return { ok: false, checked: events.length, brokenAt: e.seq };
    prev = e.hash;
    expectedSeq++;
  }
  return { ok: true, checked: events.length };
}

export const facts = (t: Ticket): TicketFacts => ({
  id: t.id, kind: t.kind, state: t.state, departmentCode: t.departmentCode, submitterId: t.submitterId, accusedDepartmentCode: t.accusedDepartmentCode,
});

/** Loads a ticket the actor may see, else 404 (never 403: existence is not disclosed). */
export async function loadVisibleTicket(ctx: CommandContext, id: string, lock = false): Promise<Ticket> {
  const t = await ctx.em.getRepository(Ticket).findOne({ where: { id }, ...(lock && isMysql(ctx.em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!t) throw notFound('ticket');
  if (!canView(facts(t), ctx.actor)) throw notFound('ticket');
  return t;
}

/**
 * Checks an action against the lifecycle and the caller's `If-Match` version.
 * Throws 404 (not visible), 403 (never allowed to this actor), 412 (stale version),
 * 409 `illegal-transition` with `state` and `allowed` (not now).
 */
export function authorize(t: Ticket, action: Action, actor: Actor, expectedVersion?: number, input: { rating?: Rating } = {}) {
  const d = decide(facts(t), action, actor, input);
  if (!d.ok) {
    if (d.reason === 'not_visible') throw notFound('ticket');
    if (d.reason === 'forbidden') throw new AppError(403, 'forbidden', `you may not ${action} this ticket`, [], { state: t.state, allowed: d.allowed });
  }
  if (expectedVersion !== undefined && expectedVersion !== t.version) {
    throw preconditionFailed(`the ticket changed: version is ${t.version}, If-Match said ${expectedVersion}`, { version: t.version });
  }
  if (!d.ok) throw conflict('illegal-transition', `cannot ${action} a ticket in state ${t.state}`, { state: t.state, allowed: d.allowed });
  return d.to;
}

/**
 * Writes the ticket back with `version + 1` only if nobody changed it since it was read
 * (a conditional update); otherwise 409 `concurrent-update` and the transaction rolls back.
 */
export async function saveTicket(em: EntityManager, t: Ticket, readVersion: number, now: Date): Promise<void> {
  t.version = readVersion + 1;
  t.updatedAt = now;
  const { id, ...rest } = t;
  const res = await em.createQueryBuilder().update(Ticket).set(rest).where('id = :id AND version = :v', { id, v: readVersion }).execute();
  if (res.affected === 0) throw conflict('concurrent-update', 'the ticket was changed by someone else at the same time; reload and retry');
}

let policyCache: { at: number; rows: SlaPolicyValues[] } | null = null;
/** SLA policies, cached for 10 s per process; invalidated here when the admin edits them. */
export async function loadPolicies(em: EntityManager): Promise<SlaPolicyValues[]> {
  if (!policyCache || Date.now() - policyCache.at > 10_000) {
    policyCache = { at: Date.now(), rows: (await em.find(SlaPolicy)) as SlaPolicyValues[] };
  }
  return policyCache.rows;
}
export const invalidatePolicies = () => { policyCache = null; routingCache = null; };

let routingCache: { at: number; categories: Map<string, Category>; rules: Map<string, string> } | null = null;
/**
 * Categories and routing rules (category → department), cached for 10 s per process like
 * the policies; invalidated here when the admin edits them (other processes see it within 10 s).
 */
export async function loadRouting(em: EntityManager): Promise<{ categories: Map<string, Category>; rules: Map<string, string> }> {
  if (!routingCache || Date.now() - routingCache.at > 10_000) {
    const [cats, rules] = await Promise.all([em.find(Category), em.find(RoutingRule)]);
    routingCache = { at: Date.now(), categories: new Map(cats.map((c) => [c.code, c])), rules: new Map(rules.map((r) => [r.categoryCode, r.departmentCode])) };
  }
  return routingCache;
}

/** Recomputes every deadline of the ticket from its stored inputs (DESIGN §4) and sets `nextCheckAt`. */
export async function recomputeDeadlines(ctx: Pick<CommandContext, 'em' | 'cal' | 'tz' | 'now'>, t: Ticket, known?: { pauses?: TicketPause[]; extensions?: TicketExtension[] }) {
  const policy = policyFor(await loadPolicies(ctx.em), t.kind, t.priority);
  // A returned ticket keeps its cycle's pauses and extensions: the owner's wait is not reset (DESIGN §4).
  const pauses = known?.pauses ?? await ctx.em.find(TicketPause, { where: { ticketId: t.id, cycle: t.cycle } });
  const extensions = known?.extensions ?? await ctx.em.find(TicketExtension, { where: { ticketId: t.id, cycle: t.cycle, state: 'approved' } });
  const s = computeSchedule({
    state: t.state, cycleStartedAt: t.cycleStartedAt, routingClockStart: t.routingClockStart, repliedAt: t.repliedAt, pausedAt: t.pausedAt,
    pauses: pauses.map((p) => ({ from: p.pausedAt, to: p.resumedAt })),
    extensionWorkingDays: extensions.filter((e) => e.state === 'approved').reduce((n, e) => n + e.workingDays, 0),
    policy, previous: { signBy: t.signBy, replyBy: t.replyBy, redBy: t.redBy, rateBy: t.rateBy },
  }, ctx.cal, ctx.tz, ctx.now);
  if (t.kind === 'integrity_report' && t.accusedDepartmentCode === DISCIPLINE_DEPARTMENT) {
    // Handed to the higher-level commission (DESIGN §7): no district clock runs on it.
    Object.assign(s, { dispatchBy: null, signBy: null, replyBy: null, redBy: null, rateBy: null, infoWaitBy: null, dueSoonAt: null });
  }
  t.dispatchBy = s.dispatchBy;
  t.signBy = s.signBy;
  t.replyBy = s.replyBy;
  t.redBy = s.redBy;
  t.rateBy = s.rateBy;
  t.dueSoonAt = s.dueSoonAt;
  t.deadlinesProvisional = s.provisional;
  t.nextCheckAt = nextCheckAt(t.state, s);
  return s;
}

/** Stores a text written on the ticket; events refer to it by id. */
export async function addMessage(ctx: CommandContext, t: Ticket, kind: string, body: string, internal = false): Promise<string> {
  const id = randomUUID();
  await ctx.em.insert(TicketMessage, { id, ticketId: t.id, cycle: t.cycle, kind, internal, authorId: actorId(ctx.actor), authorRole: actorRole(ctx.actor), body, createdAt: ctx.now });
  return id;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** A 10-character access code (50 bits) for account-less submitters (DESIGN §1). */
export function newAccessCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}
/**
 * Access codes are random and high-entropy, so a keyed fast hash (HMAC-SHA-256) is the
 * right storage; slow password hashes are for human-chosen secrets. Attempts are rate-limited.
 */
export function hashAccessCode(secret: string, number: string, code: string): string {
  return createHmac('sha256', secret).update(`${number}:${code.trim().toUpperCase()}`).digest('hex');
}


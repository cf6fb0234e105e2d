import { createHash, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Ticket, TicketEvent } from '../entities';
import type { Actor } from '../domain/lifecycle';
import { actorId, actorRole } from './context';
import { isMysql } from '../db';
import { notify } from '../notifications/notify';

/**
 * The ticket's append-only, hash-chained event log (DESIGN §3): one event per change, in
 * the transaction of the change, each carrying the hash of the previous one of its ticket.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The event types of DESIGN §3. */
export type EventType =
  | 'created' | 'dispatched' | 'signed' | 'returned' | 'info_requested' | 'supplemented' | 'extension_requested'
  | 'extension_decided' | 'replied' | 'rated' | 'reopened' | 'rejected' | 'withdrawn' | 'merged' | 'closed' | 'note'
  | 'escalated' | 'oversight_responded' | 'identity_read' | 'concluded' | 'decided' | 'deadlines_recomputed'
  | 'attached' | 'attachment_read';

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


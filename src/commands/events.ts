import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import { EventChainSeal, Ticket, TicketEvent } from '../entities';
import { insertEntities } from '../db-insert';
import { eventChainKeys } from '../chain-keys';
import type { Actor } from '../domain/lifecycle';
import { actorId, actorRole } from './context';
import { isMysql } from '../db';
import { notify } from '../notifications/notify';
import { markFiguresDirty } from './figures';

/**
 * The ticket's append-only, hash-chained event log (DESIGN §3): one event per change, in
 * the transaction of the change, each carrying the hash of the previous one of its ticket.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The event types of DESIGN §3. */
export type EventType =
  | 'created'
  | 'dispatched'
  | 'signed'
  | 'returned'
  | 'info_requested'
  | 'supplemented'
  | 'extension_requested'
  | 'extension_decided'
  | 'replied'
  | 'rated'
  | 'reopened'
  | 'rejected'
  | 'withdrawn'
  | 'merged'
  | 'closed'
  | 'note'
  | 'escalated'
  | 'oversight_responded'
  | 'identity_read'
  | 'contact_read'
  | 'concluded'
  | 'decided'
  | 'deadlines_recomputed'
  | 'attached'
  | 'attachment_read'
  | 'unmerged'
  | 'oversight_moved'
  | 'oversight_closed';

/** A key of the chain: its id (stored on each event) and its bytes (only in the configuration). */
export interface ChainKey {
  id: string;
  secret: Buffer;
}

type Hashed = Pick<TicketEvent, 'ticketId' | 'seq' | 'cycle' | 'type' | 'actorId' | 'actorRole' | 'at' | 'fromState' | 'toState' | 'payload' | 'prevHash'>;

/**
 * The hash of an event over its canonical fields and the previous hash (DESIGN §3): an
 * HMAC-SHA-256 under `key`, whose id is part of what is signed (issue 13 item 9); with
 * `key` null, the unkeyed SHA-256 of the events written before the chain had keys.
 * 64 hex characters either way.
 */
export function eventHash(e: Hashed, key: ChainKey | null): string {
  const fields = [e.ticketId, e.seq, e.cycle, e.type, e.actorId, e.actorRole, e.at.toISOString(), e.fromState, e.toState, canonicalJson(e.payload), e.prevHash];
  if (!key) return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  return createHmac('sha256', key.secret)
    .update(JSON.stringify(['hmac-sha256/v1', key.id, ...fields]))
    .digest('hex');
}

/** The MAC of a seal over a chain's last unkeyed event (see `EventChainSeal`). */
export function sealMac(key: ChainKey, ticketId: string, seq: number, hash: string): string {
  return createHmac('sha256', key.secret)
    .update(JSON.stringify(['seal/v1', key.id, ticketId, seq, hash]))
    .digest('hex');
}

/** The key new events of `em`'s database are sealed with. @throws Error when none is configured */
function currentKey(em: EntityManager): ChainKey {
  const ring = eventChainKeys(em.connection);
  return { id: ring.current, secret: ring.keys.get(ring.current)! };
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
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
export async function appendEvents(em: EntityManager, t: Pick<Ticket, 'id' | 'cycle'>, list: NewEvent[], prev?: Pick<TicketEvent, 'seq' | 'hash'> | null): Promise<TicketEvent[]> {
  // A locking read on MariaDB: it sees the latest committed event even when this
  // transaction's snapshot is older, and holds the chain's head until commit.
  let last =
    prev !== undefined
      ? prev
      : await em.getRepository(TicketEvent).findOne({
          where: { ticketId: t.id },
          order: { seq: 'DESC' },
          select: { seq: true, hash: true } as never,
          ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
  const key = currentKey(em);
  const events: TicketEvent[] = [];
  for (const e of list) {
    const ev = new TicketEvent();
    Object.assign(ev, {
      id: randomUUID(),
      ticketId: t.id,
      seq: last ? last.seq + 1 : 1,
      cycle: t.cycle,
      type: e.type,
      actorId: actorId(e.actor),
      actorRole: actorRole(e.actor),
      at: e.at,
      fromState: e.fromState,
      toState: e.toState,
      payload: e.payload ?? {},
      prevHash: last ? last.hash : GENESIS_HASH,
      keyId: key.id,
    });
    ev.hash = eventHash(ev, key);
    events.push(ev);
    last = ev;
  }
  await insertEntities(em, TicketEvent, events);
  // the maintained report figures recompute this ticket (src/commands/figures.ts)
  if (events.length) await markFiguresDirty(em, [t.id]);
  for (const ev of events) await notify(em, { kind: 'ticket_event', event: ev, ticket: t instanceof Ticket ? t : undefined }, ev.at);
  return events;
}

/** Why a chain does not verify, at its first broken event. */
export type ChainFault =
  | 'sequence'
  | 'previous_hash'
  | 'hash'
  | 'unknown_key'
  | 'unkeyed_after_keyed'
  /** the chain ends in unkeyed events and has no seal over them (or a seal that does not match) */
  | 'unsealed';

export type ChainVerdict = { ok: true; checked: number } | { ok: false; checked: number; brokenAt: number; reason: ChainFault };

const sameHex = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Verifies a ticket's chain (`GET /tickets/:id/events/verify`): every event's `seq` follows
 * the one before, its `prevHash` is that event's hash, and its hash is the HMAC under the key
 * it names (a key id not configured cannot be vouched for: `unknown_key`). Unkeyed events
 * (written before the chain had keys) verify by SHA-256 only as a prefix that a keyed event
 * or a keyed seal covers: an unkeyed event after a keyed one, or an unkeyed tail without a
 * matching seal, is broken — otherwise anyone could rewrite the chain as unkeyed.
 * @returns `{ ok, checked }`, and when broken the `seq` of the first event that does not
 *   verify (`brokenAt`; 1 for an unsealed unkeyed chain, none of which is vouched for) and why
 */
export async function verifyChain(em: EntityManager, ticketId: string): Promise<ChainVerdict> {
  const ring = eventChainKeys(em.connection);
  const events = await em.find(TicketEvent, { where: { ticketId }, order: { seq: 'ASC' } });
  const checked = events.length;
  let prev = GENESIS_HASH;
  let keyed = false;
  for (const [i, e] of events.entries()) {
    const broken = (reason: ChainFault): ChainVerdict => ({ ok: false, checked, brokenAt: e.seq, reason });
    if (e.seq !== i + 1) return broken('sequence');
    if (e.prevHash !== prev) return broken('previous_hash');
    if (e.keyId === null) {
      if (keyed) return broken('unkeyed_after_keyed');
      if (!sameHex(eventHash(e, null), e.hash)) return broken('hash');
    } else {
      const secret = ring.keys.get(e.keyId);
      if (!secret) return broken('unknown_key');
      if (!sameHex(eventHash(e, { id: e.keyId, secret }), e.hash)) return broken('hash');
      keyed = true;
    }
    prev = e.hash;
  }
  const last = events[events.length - 1];
  if (last && last.keyId === null) {
    const seal = await em.findOneBy(EventChainSeal, { ticketId });
    const secret = seal ? ring.keys.get(seal.keyId) : undefined;
    const sealed = !!seal && !!secret && seal.seq === last.seq && seal.hash === last.hash && sameHex(sealMac({ id: seal.keyId, secret }, ticketId, seal.seq, seal.hash), seal.mac);
    if (!sealed) return { ok: false, checked, brokenAt: events[0].seq, reason: 'unsealed' };
  }
  return { ok: true, checked };
}

/**
 * The migration path for chains written before the chain had keys (issue 13 item 9): each
 * ticket whose chain ends in unkeyed events and has no seal gets one, a keyed MAC over its
 * last event, after its unkeyed chain verifies by SHA-256. A chain that does not verify is
 * not sealed (it stays reported as broken) and is listed. Tickets are taken in id order from
 * `after`, `limit` at a time; idempotent.
 * @returns what was done, and `next` (the last ticket id looked at; null when done)
 */
export async function sealLegacyChains(
  em: EntityManager,
  now: Date,
  opts: { after?: string; limit?: number; dryRun?: boolean } = {},
): Promise<{ sealed: string[]; broken: { ticketId: string; brokenAt: number; reason: ChainFault }[]; next: string | null }> {
  const limit = opts.limit ?? 500;
  const qb = em.createQueryBuilder(TicketEvent, 'e').select('DISTINCT e.ticket_id', 'id').where('e.key_id IS NULL');
  if (opts.after) qb.andWhere('e.ticket_id > :after', { after: opts.after });
  const ids: string[] = (await qb.orderBy('e.ticket_id', 'ASC').limit(limit).getRawMany()).map((r: { id: string }) => r.id);
  const key = currentKey(em);
  const sealed: string[] = [];
  const broken: { ticketId: string; brokenAt: number; reason: ChainFault }[] = [];
  const sealedBefore = new Set((ids.length ? await em.find(EventChainSeal, { where: { ticketId: In(ids) }, select: { ticketId: true } }) : []).map((x) => x.ticketId));
  for (const id of ids) {
    const last = await em.findOne(TicketEvent, { where: { ticketId: id }, order: { seq: 'DESC' } });
    if (!last || last.keyId !== null || sealedBefore.has(id)) continue; // a keyed event covers it, or sealed already
    const v = await verifyChain(em, id);
    if (!v.ok && v.reason !== 'unsealed') {
      broken.push({ ticketId: id, brokenAt: v.brokenAt, reason: v.reason });
      continue;
    }
    if (!opts.dryRun) await em.insert(EventChainSeal, { ticketId: id, seq: last.seq, hash: last.hash, keyId: key.id, mac: sealMac(key, id, last.seq, last.hash), sealedAt: now });
    sealed.push(id);
  }
  return { sealed, broken, next: ids.length === limit ? ids[ids.length - 1] : null };
}

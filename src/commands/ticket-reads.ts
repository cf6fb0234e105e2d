/**
 * Reading one ticket as a viewer (DESIGN §1, §3, §7): the ticket with its oversight
 * orders, the timeline, the texts, the chain check. Each answers 404 for a ticket the viewer
 * may not see; every read of an integrity reporter's identity is recorded.
 */
import { OversightOrder, Ticket, TicketEvent, TicketMessage } from '../entities';
import type { AppDeps } from '../deps';
import { runAs } from '../deps';
import { Actor, isAuditedIdentityRead, mayRevealContact } from '../domain/lifecycle';
import { facts, loadVisibleTicket } from './ticket-store';
import { appendEvent, verifyChain } from './events';
import { canReadOrders, listOrders } from './oversight';
import { isHiddenFromSubmitter } from '../domain/attachments';

/**
 * One ticket as the viewer may read it: `identityAudited` when this read was recorded as an
 * `identity_read` event, `contactRevealed` when it was recorded as a `contact_read` event (the
 * presenter then shows a handler the whole phone number).
 */
export interface TicketRead {
  ticket: Ticket;
  oversight?: OversightOrder[];
  identityAudited: boolean;
  contactRevealed: boolean;
}

/**
 * The ticket, and for staff its oversight orders oldest first (DESIGN §5 "shown on the
 * ticket"). A supervisor's read of an integrity reporter's identity writes an
 * `identity_read` event in the same transaction (DESIGN §7), under the ticket's row lock so
 * that concurrent reads append to the chain in turn. With `identity: false` (the workbench's
 * ticket page until the supervisor asks to see the reporter) nothing is recorded and the
 * presenter masks the reporter.
 *
 * With `contact: true` a handler of the department that holds the ticket reads the
 * submitter's whole phone number, recorded the same way as a `contact_read` event (payload
 * `{ field: 'phone' }`, docs/decisions/core.md "Personal data"); for anyone else, or on a
 * ticket where {@link mayRevealContact} says no, the flag changes nothing (no error, nothing
 * recorded, the phone as the role sees it).
 * @throws 404 `not-found`
 */
export async function readTicket(deps: AppDeps, actor: Actor, id: string, o: { identity?: boolean; contact?: boolean } = {}): Promise<TicketRead> {
  return runAs(deps, actor, async (c) => {
    let t = await loadVisibleTicket(c, id);
    const audited = o.identity !== false && !!t.contact && !t.anonymous && isAuditedIdentityRead(facts(t), actor);
    const revealed = o.contact === true && !!t.contact?.phone && mayRevealContact({ ...facts(t), anonymous: !!t.anonymous }, actor);
    if (audited || revealed) t = await loadVisibleTicket(c, id, true);
    if (audited) await appendEvent(c.em, t, { type: 'identity_read', actor, at: c.now, fromState: t.state, toState: t.state, payload: {} });
    // re-checked on the locked row: the state may have moved on between the two reads
    const contactRevealed = revealed && !!t.contact?.phone && mayRevealContact({ ...facts(t), anonymous: !!t.anonymous }, actor);
    if (contactRevealed) await appendEvent(c.em, t, { type: 'contact_read', actor, at: c.now, fromState: t.state, toState: t.state, payload: { field: 'phone' } });
    const oversight = canReadOrders(actor) ? (await listOrders(c.em, actor, { ticketId: t.id, limit: 200 }, c.now)).reverse() : undefined;
    return { ticket: t, oversight, identityAudited: audited, contactRevealed };
  });
}

/**
 * The timeline as the viewer may read it: owners do not see internal notes, audited reads
 * (identity, evidence) or staff's internal attachments; on an integrity report the reporter's own actions are masked (`hideActorId`) for
 * everyone but the reporter, since an actor id is an identity (supervisors read it only
 * through the audited `readTicket`).
 * @throws 404 `not-found`
 */
export async function ticketTimeline(deps: AppDeps, actor: Actor, id: string): Promise<{ events: TicketEvent[]; hideActorId: string | null }> {
  return runAs(deps, actor, async (c) => {
    const t = await loadVisibleTicket(c, id);
    const events = await c.em.find(TicketEvent, { where: { ticketId: id }, order: { seq: 'ASC' } });
    const owner = actor.kind === 'user' && actor.role === 'owner';
    const self = actor.kind === 'user' && actor.userId === t.submitterId;
    const hideActorId = t.kind === 'integrity_report' && t.submitterId && !self ? t.submitterId : null;
    return { events: events.filter((e) => !(owner && isHiddenFromSubmitter(e))), hideActorId };
  });
}

/** The texts written on the ticket; internal notes only for staff. @throws 404 `not-found` */
export async function ticketMessages(deps: AppDeps, actor: Actor, id: string): Promise<TicketMessage[]> {
  return runAs(deps, actor, async (c) => {
    await loadVisibleTicket(c, id);
    const rows = await c.em.find(TicketMessage, { where: { ticketId: id }, order: { createdAt: 'ASC' } });
    const staff = actor.kind === 'user' && actor.role !== 'owner';
    return rows.filter((m) => staff || !m.internal);
  });
}

/** The hash-chain check of a ticket the viewer may see: `{ ok, checked, brokenAt? }`. @throws 404 `not-found` */
export async function verifyTicketChain(deps: AppDeps, actor: Actor, id: string): Promise<{ ok: boolean; checked: number; brokenAt?: number }> {
  return runAs(deps, actor, async (c) => {
    await loadVisibleTicket(c, id);
    return verifyChain(c.em, id);
  });
}

/** The oversight orders of one ticket the viewer may see, oldest first. @throws 404 `not-found` */
export async function ticketOversight(deps: AppDeps, actor: Actor, id: string): Promise<OversightOrder[]> {
  return runAs(deps, actor, async (c) => {
    await loadVisibleTicket(c, id);
    return (await listOrders(c.em, actor, { ticketId: id, limit: 200 }, c.now)).reverse();
  });
}

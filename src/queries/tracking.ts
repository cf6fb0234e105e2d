import { timingSafeEqual } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import { OutboxMessage, Ticket, TicketEvent, TicketExtension, TicketMessage } from '../entities';
import { maskPhone } from '../domain/validators';
import { hashAccessCode } from '../commands/access-codes';
import { notFound } from '../errors';
import { Actor, canView } from '../domain/lifecycle';
import { facts } from '../commands/ticket-store';

/**
 * The ticket of `number` if `code` is its access code (DESIGN §1), compared in constant
 * time. The caller counts the attempt first (`trackLimit` in http/limiter.ts) and clears it
 * on success.
 * @throws AppError 404 `not-found` for a wrong code and for an unknown number alike
 */
export async function unlockTicket(em: EntityManager, secret: string, number: string, code: string): Promise<Ticket> {
  const t = await em.getRepository(Ticket).findOneBy({ number });
  const expected = t?.accessCodeHash ? Buffer.from(t.accessCodeHash, 'hex') : null;
  const given = Buffer.from(hashAccessCode(secret, number, code), 'hex');
  if (!t || !expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw notFound('ticket');
  return t;
}

/**
 * The text that carries a new ticket's number and access code to its submitter (the
 * `ticket_received` SMS, written in the create's transaction: only to an account-less,
 * non-anonymous submitter with a mobile number, src/notifications/notify.ts `textsTo`), as the
 * receipt page tells it: the number masked (`138****8000`) and, when quiet hours hold it back,
 * the instant it goes (UTC). Null when no such text was written (anonymous, no phone, an account).
 */
export async function receiptText(em: EntityManager, ticketId: string): Promise<{ to: string; notBefore: Date | null } | null> {
  const row = await em
    .getRepository(OutboxMessage)
    .findOne({ where: { ticketId, channel: 'sms', notice: 'ticket_received', recipientRole: 'submitter' }, select: { recipient: true, notBefore: true } });
  if (!row?.recipient) return null;
  return { to: maskPhone(row.recipient)!, notBefore: row.notBefore ?? null };
}

/**
 * The ticket of `number` if `actor` may see it (an owner: their own), else 404 — the
 * signed-in owner's way to the track page.
 */
export async function findVisibleByNumber(em: EntityManager, actor: Actor, number: string): Promise<Ticket> {
  const t = await em.getRepository(Ticket).findOneBy({ number });
  if (!t || !canView(facts(t), actor)) throw notFound('ticket');
  return t;
}

/** Message kinds the submitter reads as answers (DESIGN §13 "public answers only"). */
export const ANSWER_KINDS = ['reply', 'intake_answer', 'info_request', 'conclusion', 'decision'] as const;

/** The public answers of a ticket, oldest first. */
export async function publicAnswers(em: EntityManager, ticketId: string): Promise<TicketMessage[]> {
  return em.getRepository(TicketMessage).find({ where: { ticketId, internal: false, kind: In([...ANSWER_KINDS]) }, order: { createdAt: 'ASC' } });
}

/**
 * One step of the public timeline (issue 9 "the public timeline"): what the submitter may
 * read of the ticket's history — never a person, a note, an oversight order or who read
 * what. `departmentCode` names the department now holding it; `text` is a public message
 * (the question asked, the answer, the submitter's own supplement, a rejection's detail);
 * `extension` gives an extension decision with the department's reason (DESIGN §3 "the
 * owner is told why").
 */
export interface TimelineStep {
  type:
    | 'created'
    | 'dispatched'
    | 'signed'
    | 'returned'
    | 'info_requested'
    | 'supplemented'
    | 'extension_decided'
    | 'replied'
    | 'rated'
    | 'reopened'
    | 'rejected'
    | 'withdrawn'
    | 'merged'
    | 'unmerged'
    | 'closed'
    | 'concluded'
    | 'decided';
  at: Date;
  cycle: number;
  departmentCode?: string | null;
  text?: string | null;
  extension?: { approved: boolean; workingDays: number; reason: string };
  outcome?: string | null;
  rating?: string | null;
  ground?: string | null;
  finding?: string | null;
  decision?: string | null;
  /** closed by the clock (no rating in time) rather than by a person */
  auto?: boolean;
}

const PUBLIC_TYPES: readonly TimelineStep['type'][] = [
  'created',
  'dispatched',
  'signed',
  'returned',
  'info_requested',
  'supplemented',
  'extension_decided',
  'replied',
  'rated',
  'reopened',
  'rejected',
  'withdrawn',
  'merged',
  'unmerged',
  'closed',
  'concluded',
  'decided',
];
/** Message kinds a public step may quote (never internal ones: notes, dispatch notes, reopening reasons). */
const QUOTED_KINDS = new Set(['info_request', 'supplement', 'reply', 'intake_answer', 'conclusion', 'decision', 'reject_detail', 'rating_comment', 'extension_decision']);

/** The public timeline of a ticket, oldest first (see {@link TimelineStep}). */
export async function publicTimeline(em: EntityManager, ticketId: string): Promise<TimelineStep[]> {
  const [events, messages, extensions] = await Promise.all([
    em.getRepository(TicketEvent).find({ where: { ticketId, type: In([...PUBLIC_TYPES]) }, order: { seq: 'ASC' } }),
    em.getRepository(TicketMessage).find({ where: { ticketId, internal: false } }),
    em.getRepository(TicketExtension).find({ where: { ticketId } }),
  ]);
  const text = new Map(messages.filter((m) => QUOTED_KINDS.has(m.kind)).map((m) => [m.id, m.body]));
  const ext = new Map(extensions.map((x) => [x.id, x]));
  return events.map((e) => {
    const p = e.payload as Record<string, unknown>;
    const step: TimelineStep = { type: e.type as TimelineStep['type'], at: e.at, cycle: e.cycle };
    const quoted = typeof p.messageId === 'string' ? (text.get(p.messageId) ?? null) : null;
    switch (e.type) {
      case 'dispatched':
        step.departmentCode = (p.departmentCode as string) ?? null;
        break;
      case 'info_requested':
      case 'supplemented':
      case 'replied':
      case 'concluded':
      case 'decided':
      case 'rejected':
      case 'rated':
        step.text = quoted;
        break;
      case 'extension_decided': {
        const x = typeof p.extensionId === 'string' ? ext.get(p.extensionId) : undefined;
        if (x) step.extension = { approved: !!p.approved, workingDays: x.workingDays, reason: x.reason };
        step.text = quoted;
        break;
      }
      case 'closed':
        step.auto = e.actorRole === 'system';
        break;
      default:
        break;
    }
    if (e.type === 'replied') step.outcome = (p.outcome as string) ?? null;
    if (e.type === 'rated') step.rating = (p.rating as string) ?? null;
    if (e.type === 'rejected') step.ground = (p.ground as string) ?? null;
    if (e.type === 'concluded') step.finding = (p.finding as string) ?? null;
    if (e.type === 'decided') step.decision = (p.outcome as string) ?? null;
    return step;
  });
}

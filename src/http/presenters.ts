import { redactSecrets } from '../sms/text';
import type { Ticket, TicketEvent, TicketMessage, User, Department, Category, OversightOrder, RoutingRule, SlaPolicy, Symposium, TicketAttachment, OutboxMessage, AccountEvent } from '../entities';
import { ATTACHMENT_TYPES } from '../domain/attachments';
import { Actor, allowedActions, canSeeReporterIdentity } from '../domain/lifecycle';
import { isDueSoon, isOverdue } from '../domain/owed';
import type { VetoRecord } from '../commands/vetoes';
import { facts } from '../commands/ticket-store';
import { maskPhone } from '../domain/validators';
import type { TimelineStep } from '../queries/tracking';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export interface PresentOptions {
  now: Date;
  /** list views mask phone numbers for intake too */
  list?: boolean;
  /**
   * Set only by the single-ticket read, which records an `identity_read` event for this very
   * response. Everywhere else (lists, action responses) an integrity reporter's identity is
   * masked even for supervisors, so that every read of it is audited (DESIGN §7).
   */
  identityAudited?: boolean;
  /**
   * Set only by the single-ticket read that recorded a `contact_read` event for this very
   * response: the handler sees the submitter's whole phone number (still no email). Without it
   * handlers get the number masked.
   */
  contactRevealed?: boolean;
  /** oversight orders of the ticket (staff views of one ticket); shown as `oversight` when given */
  oversight?: OversightOrder[];
}

/**
 * The ticket as the actor may see it (STYLE: presenters choose fields per role). The
 * contact record: full to the owner and to staff who need to call back; phone masked for
 * handlers (unless this read recorded a `contact_read`: `contactRevealed`) and in lists; for
 * integrity reports only supervisors see the reporter (the caller audits that read), everyone
 * else gets `reporter: "masked"`.
 */
export function presentTicket(t: Ticket, actor: Actor, o: PresentOptions) {
  const role = actor.kind === 'user' ? actor.role : actor.kind;
  let contact: Record<string, unknown> | null = null;
  let reporter: 'shown' | 'masked' | 'anonymous' = t.anonymous ? 'anonymous' : 'shown';
  if (t.contact && !t.anonymous) {
    if (!canSeeReporterIdentity(facts(t), actor) || role === 'access_code' || role === 'anonymous' || (t.kind === 'integrity_report' && role !== 'owner' && !o.identityAudited)) {
      reporter = 'masked';
    } else {
      contact = { ...t.contact };
      if ((role === 'handler' && !o.contactRevealed) || (o.list && role !== 'owner')) contact.phone = maskPhone(t.contact.phone);
      if (role === 'handler' && contact.email) contact.email = undefined;
    }
  }
  const overdue = isOverdue(t, o.now);
  return {
    id: t.id,
    number: t.number,
    kind: t.kind,
    channel: t.channel,
    category: t.categoryCode,
    priority: t.priority,
    state: t.state,
    cycle: t.cycle,
    departmentCode: t.departmentCode,
    title: t.title,
    description: t.description,
    anonymous: !!t.anonymous,
    reporter,
    contact,
    receivedAt: iso(t.receivedAt),
    deadlines: {
      dispatchBy: iso(t.dispatchBy),
      signBy: iso(t.signBy),
      replyBy: iso(t.replyBy),
      rateBy: iso(t.rateBy),
      escalateBy: iso(t.redBy),
      provisional: !!t.deadlinesProvisional,
    },
    overdue,
    dueSoon: isDueSoon(t, o.now),
    escalationLevel: t.escalationLevel,
    outcome: t.outcome,
    repliedAt: iso(t.repliedAt),
    rating: t.rating,
    closedAt: iso(t.closedAt),
    rejectGround: t.rejectGround,
    mergedIntoId: t.mergedIntoId,
    symposiumId: t.symposiumId,
    resultNoticeId: t.resultNoticeId,
    resultEntryId: t.resultEntryId,
    ...(t.kind === 'integrity_report'
      ? {
          accused: { departmentCode: t.accusedDepartmentCode, person: t.accusedPerson, demand: t.demand, amountYuan: t.amountYuan, occurredOn: t.occurredOn },
          finding: t.finding,
        }
      : {}),
    ...(t.kind === 'objection' ? { subjectCreditCode: t.subjectCreditCode, decision: t.decision } : {}),
    ...(o.oversight ? { oversight: o.oversight.map((x) => presentOversightOrder(x, o.now)) } : {}),
    version: t.version,
    allowedActions: allowedActions(facts(t), actor),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

/** One step of the public timeline (`queries/tracking.ts`), instants as ISO strings. */
export function presentTimelineStep(s: TimelineStep) {
  return { ...s, at: s.at.toISOString() };
}

/**
 * Public tracking view (access code): state, deadlines, public answers and the public
 * timeline only (DESIGN §13). The pages show the same and nothing more.
 */
export function presentTracked(t: Ticket, answers: TicketMessage[], timeline: TimelineStep[] = []) {
  return {
    number: t.number,
    kind: t.kind,
    title: t.title,
    state: t.state,
    cycle: t.cycle,
    departmentCode: t.departmentCode,
    receivedAt: iso(t.receivedAt),
    deadlines: { replyBy: iso(t.replyBy), rateBy: iso(t.rateBy), provisional: !!t.deadlinesProvisional },
    outcome: t.outcome,
    rating: t.rating,
    closedAt: iso(t.closedAt),
    answers: answers.map((m) => ({ kind: m.kind, cycle: m.cycle, body: m.body, at: iso(m.createdAt) })),
    timeline: timeline.map(presentTimelineStep),
  };
}

/**
 * One timeline entry. `hideActor` names an account whose id must not be shown: the reporter
 * of an integrity report, for everyone but the reporter (DESIGN §7: an actor id is an
 * identity, since the admin can look it up; supervisors read it through the audited detail view).
 */
export function presentEvent(e: TicketEvent, hideActor: string | null = null) {
  const hidden = hideActor !== null && e.actorId === hideActor;
  return {
    id: e.id,
    seq: e.seq,
    type: e.type,
    at: iso(e.at),
    actor: { id: hidden ? null : e.actorId, role: e.actorRole, ...(hidden ? { masked: true } : {}) },
    cycle: e.cycle,
    fromState: e.fromState,
    toState: e.toState,
    payload: e.payload,
  };
}

export function presentMessage(m: TicketMessage) {
  return { id: m.id, kind: m.kind, cycle: m.cycle, internal: m.internal, authorRole: m.authorRole, body: m.body, at: iso(m.createdAt) };
}

export function presentUser(u: User) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    name: u.name,
    email: u.email,
    phone: u.phone,
    departmentCode: u.departmentCode,
    isHead: !!u.isHead,
    creditCode: u.creditCode,
    businessName: u.businessName,
    active: !!u.active,
    mustChangePassword: !!u.mustChangePassword,
    createdAt: iso(u.createdAt),
  };
}

/** A recorded account change (docs/decisions/accounts.md): no personal values, no password material. */
export function presentAccountEvent(e: AccountEvent) {
  return { seq: e.seq, type: e.type, at: iso(e.at), actorId: e.actorId, via: e.via, payload: e.payload ?? {} };
}

export const presentDepartment = (d: Department) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn, kind: d.kind, active: !!d.active });
export const presentCategory = (c: Category) => ({ code: c.code, nameZh: c.nameZh, nameEn: c.nameEn, defaultDepartmentCode: c.defaultDepartmentCode, active: !!c.active });

/**
 * An oversight order (DESIGN §5): `overdue` = still open past its response deadline. The
 * department's answer and the coordinator's notes are staff texts; every reader of orders is staff.
 */
export function presentOversightOrder(o: OversightOrder, now: Date) {
  return {
    id: o.id,
    ticketId: o.ticketId,
    ticketNumber: o.ticketNumber,
    cycle: o.cycle,
    level: o.level,
    reason: o.reason,
    departmentCode: o.departmentCode,
    state: o.state,
    note: o.note,
    openedAt: iso(o.openedAt),
    respondBy: iso(o.respondBy),
    respondByProvisional: !!o.respondByProvisional,
    overdue: o.state === 'open' && o.respondBy.getTime() <= now.getTime(),
    respondedAt: iso(o.respondedAt),
    respondedById: o.respondedById,
    response: o.response,
    closedAt: iso(o.closedAt),
    closedById: o.closedById,
    closeNote: o.closeNote,
  };
}

/** An SLA policy (DESIGN §4). */
export const presentPolicy = (p: SlaPolicy) => ({
  kind: p.kind,
  priority: p.priority,
  signAmount: p.signAmount,
  signUnit: p.signUnit,
  replyAmount: p.replyAmount,
  replyUnit: p.replyUnit,
  updatedAt: p.updatedAt.toISOString(),
});
/** A routing rule (category → department, DESIGN §2). */
export const presentRoutingRule = (r: RoutingRule) => ({ categoryCode: r.categoryCode, departmentCode: r.departmentCode, updatedAt: r.updatedAt.toISOString() });

/**
 * A symposium with each issue's state and answer (DESIGN §8), as the actor may see it:
 * handlers get attendees' phone numbers masked and no email, as for tickets (DESIGN §1).
 */
export function presentSymposium(v: { symposium: Symposium; tickets: Ticket[]; answers: Map<string, TicketMessage> }, actor: Actor, now: Date) {
  const s = v.symposium;
  return {
    id: s.id,
    title: s.title,
    heldOn: s.heldOn,
    hostDepartmentCode: s.hostDepartmentCode,
    place: s.place,
    createdAt: s.createdAt.toISOString(),
    attendees:
      actor.kind === 'user' && actor.role === 'handler'
        ? s.attendees.map((a: { phone?: string; email?: string }) => ({ ...a, phone: a.phone ? maskPhone(a.phone) : undefined, email: undefined }))
        : s.attendees,
    issues: v.tickets.map((t) => {
      const p = presentTicket(t, actor, { now, list: true });
      const answer = v.answers.get(t.id);
      return {
        id: t.id,
        number: t.number,
        title: t.title,
        state: t.state,
        departmentCode: t.departmentCode,
        deadlines: p.deadlines,
        overdue: p.overdue,
        outcome: t.outcome,
        answer: answer ? { body: answer.body, at: answer.createdAt.toISOString() } : null,
      };
    }),
  };
}

/** `{ attachments: [{ id, name, type, size, sha256 }] }` of the files an action just stored (nothing without files). */
export function presentAttachmentRefs(files: readonly { id: string; name: string; type: { mime: string }; size: number; sha256: string }[]) {
  return files.length ? { attachments: files.map((f) => ({ id: f.id, name: f.name, type: f.type.mime, size: f.size, sha256: f.sha256 })) } : {};
}

/**
 * One attachment as listed (issue 12): `{ id, name, type, size, sha256, kind, preview, context,
 * internal, cycle, eventId, attachedAt, by }`. On an integrity report the list shows staff a
 * neutral name (`attachment-<n>.<ext>`): a file name can name the reporter, and the real one comes
 * with the audited download; the reporter sees their own names.
 */
/** `{ items }` of a list (or an upload's answer): each attachment presented with its place on the ticket. */
export const presentAttachments = (r: { ticket: Ticket; items: { attachment: TicketAttachment; ordinal: number }[] }, actor: Actor) => ({
  items: r.items.map((x) => presentAttachment(x.attachment, r.ticket, actor, x.ordinal)),
});

export function presentAttachment(a: TicketAttachment, t: Ticket, actor: Actor, ordinal: number) {
  const masked = t.kind === 'integrity_report' && !(actor.kind === 'access_code' || (actor.kind === 'user' && actor.userId === t.submitterId));
  const type = ATTACHMENT_TYPES[a.mediaType];
  return {
    id: a.id,
    name: masked ? `attachment-${ordinal}.${type?.ext[0] ?? 'bin'}` : a.name,
    type: a.mediaType,
    size: a.size,
    sha256: a.sha256,
    kind: type?.kind ?? 'document',
    preview: a.hasPreview,
    context: a.context,
    internal: a.internal,
    cycle: a.cycle,
    eventId: a.eventId,
    eventSeq: a.eventSeq,
    attachedAt: a.createdAt.toISOString(),
    by: a.uploaderRole,
  };
}

const EMAIL_IN_TEXT = /[^\s<>"'@]+@[^\s<>"']+/g;

/**
 * One outbox row as the admin sees it (DESIGN §13 `GET /outbox`). Rows about an
 * integrity report show the recipient fully masked (`***`: even a domain can name a business)
 * and no body: the address of a reporter is their identity, which only supervisors may see (DESIGN §7).
 */
export function presentOutbox(r: OutboxMessage) {
  const masked = r.sensitive;
  return {
    id: r.id,
    notice: r.notice,
    channel: r.channel,
    segments: r.segments,
    notBefore: r.notBefore ? r.notBefore.toISOString() : null,
    ticketNumber: r.ticketNumber,
    recipient: masked ? (r.recipient ? '***' : null) : r.recipient,
    recipientRole: r.recipientRole,
    subject: r.subject,
    state: r.state,
    attempts: r.attempts,
    lastError: masked && r.lastError ? r.lastError.replace(EMAIL_IN_TEXT, '***') : r.lastError,
    messageId: r.messageId,
    createdAt: r.createdAt.toISOString(),
    nextAttemptAt: r.state === 'pending' ? r.nextAttemptAt.toISOString() : null,
    sentAt: r.sentAt ? r.sentAt.toISOString() : null,
    masked,
    text: masked ? null : redactSecrets(r.bodyText),
  };
}

/**
 * A veto as the accused department's own staff may see it (DESIGN §7): the veto, its
 * status and the number of substantiated cases — never the reports, their numbers or
 * amounts. The coordinator office is SAMR: when SAMR is vetoed, the coordinator sees this too.
 */
export function vetoForAccused(v: VetoRecord) {
  return {
    id: v.id,
    departmentCode: v.departmentCode,
    year: v.year,
    status: v.status,
    vetoed: v.vetoed,
    activeCauses: v.activeCauses,
    decidedBy: v.decidedBy,
    decidedAt: v.decidedAt,
    revokedBy: v.revokedBy,
    revokedAt: v.revokedAt,
    revokeReason: v.revokeReason,
    history: v.history.map(({ ticketId: _t, number: _n, ...h }) => h),
  };
}

/** The register entry as `actor` may see it: in full, or redacted for the vetoed department's own staff. */
export function presentVeto(v: VetoRecord, actor: Actor) {
  return actor.kind === 'user' && actor.departmentCode === v.departmentCode ? vetoForAccused(v) : v;
}

import { createHash, randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Department, OutboxMessage, OversightOrder, Ticket, TicketExtension, TicketMessage } from '../entities';
import { insertEntities } from '../db-insert';
import type { TicketEvent } from '../entities';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { maskPhone } from '../domain/validators';
import { ttlCache } from '../cache';
import {
  CHANNEL_LABEL,
  DEADLINE_LABEL,
  DECISION_LABEL,
  DEMAND_LABEL,
  FINDING_LABEL,
  GROUND_LABEL,
  KIND_LABEL,
  LEVEL_LABEL,
  OUTCOME_LABEL,
  PRIORITY_LABEL,
  RATING_LABEL,
  REASON_LABEL,
  STATE_LABEL,
  excerpt,
  formatDeadlineOrNull,
  formatInstant,
} from './labels';
import { Recipient, Topic, attendeesOf, dispatcherGroup, finalRecipients, handlersOf, handlingGroup, headsOf, mergedSubmitters, submitterOf, withRole } from './recipients';
import { Audience, ContactView, IntegrityView, NoticeData, SITE_NAME, TicketView, renderNotice, renderSms, smsTemplateExists } from './render';
import { secret, segmentText, unmarkSecrets } from '../sms/text';
import { quietUntil } from './quiet-hours';
import { afterCommit, notifySettings } from './outbox-hook';
import { isDuplicateKey } from '../db';

/**
 * What may notify people (DESIGN §10). Ticket events arrive from `appendEvent`; deadline
 * reminders and oversight orders come from the clock.
 */
export type Notice =
  /** `ticket`: the ticket as just written, when the caller has it (saves reading it back) */
  | { kind: 'ticket_event'; event: TicketEvent; ticket?: Ticket }
  | { kind: 'due_soon'; ticketId: string; deadline: 'dispatch' | 'sign' | 'reply'; dueAt: Date }
  | { kind: 'oversight_opened'; orderId: string }
  | { kind: 'oversight_late'; orderId: string };

/** One mail to write: a template, a recipient, what it adds, and the ticket it is about (a merged ticket for its own submitter). */
interface Delivery {
  template: string;
  to: Recipient;
  vars?: Record<string, unknown>;
  ticket?: Ticket;
}
interface Plan {
  sourceKey: string;
  ticket: Ticket | null;
  deliveries: Delivery[];
}

/** Event types that mail somebody; every other event returns before touching the database. */
const NOTIFYING = new Set([
  'created',
  'dispatched',
  'returned',
  'info_requested',
  'supplemented',
  'extension_requested',
  'extension_decided',
  'replied',
  'rated',
  'closed',
  'rejected',
  'withdrawn',
  'merged',
  'unmerged',
  'reopened',
  'escalated',
  'concluded',
  'decided',
]);

/**
 * Writes the outbox rows for a notice in the caller's transaction, so that the change and
 * its mail commit together (DESIGN §10), and hands them to the mail queue after the commit.
 *
 * Recipients come from the ticket and its department (`recipients.ts`); per-user
 * preferences apply except to a department head's escalation mail; integrity reports
 * never reach the accused department, and one accusing DIS reaches no district user: it
 * is written for the higher commission as a `held` row (the worker fills in
 * `HIGHER_DISCIPLINE_EMAIL`, or the admin forwards it). Each text is rendered now, for its
 * reader's audience, from `templates/`.
 *
 * One row per (source, address): notifying the same event twice writes nothing new.
 * `now` is the event's instant (service clock). Throws if a template fails to render, so
 * that a broken template shows instead of silently losing mail.
 */
export async function notify(em: EntityManager, notice: Notice, now: Date): Promise<void> {
  const batch = deferred.get(em);
  if (batch) {
    batch.push({ notice, now });
    return;
  }
  const plan = await planFor(em, notice);
  if (plan) await writePlans(em, [{ plan, now }]);
}

async function planFor(em: EntityManager, notice: Notice): Promise<Plan | null> {
  if (notice.kind === 'ticket_event' && !NOTIFYING.has(notice.event.type)) return null;
  const plan = await planNotice(em, notice);
  return plan?.deliveries.length ? plan : null;
}

/**
 * Which texts go by SMS (issue 11), by template: to owners (the submitter) the receipt (only
 * account-less submitters: it carries the number and the access code), an information request,
 * an extension decision, the reply with the rating link, an objection's outcome and the news
 * that a merged ticket is handled on its own again (issue 13 item 2); to
 * handlers and heads a new ticket to sign for, the due-soon and the escalation reminders.
 * A submitter's text about an integrity report says only that it was received and how to
 * track it: no later text, and no text names the accusation or the title.
 */
const OWNER_SMS = new Set(['ticket_received', 'info_requested', 'extension_decided', 'ticket_replied', 'objection_decided', 'ticket_unmerged']);
const STAFF_SMS = new Set(['ticket_dispatched', 'due_soon', 'overdue', 'oversight_opened', 'oversight_late', 'red_card']);
function textsTo(template: string, to: Recipient, t: Ticket | null): boolean {
  if (!to.phone) return false;
  if (to.audience === 'submitter') {
    if (!OWNER_SMS.has(template) || !t || t.anonymous) return false;
    if (template === 'ticket_received') return !t.submitterId;
    return t.kind !== 'integrity_report';
  }
  return (to.audience === 'handler' || to.audience === 'head') && STAFF_SMS.has(template);
}

/** What only this transaction knows and a text may carry: the access code of a ticket just created (never stored in the clear elsewhere). */
export interface NoticeSecrets {
  accessCode?: { ticketId: string; code: string };
}

/** Renders the planned notices (now, so that texts show the ticket as it is at commit) and inserts them in one statement. */
async function writePlans(em: EntityManager, plans: { plan: Plan; now: Date }[], secrets: NoticeSecrets = {}): Promise<void> {
  if (!plans.length) return;
  const st = notifySettings(em.connection);
  const { tz, publicUrl } = st;
  const departments = await departmentNames(em);
  const rows: OutboxMessage[] = [];
  const wall = new Date();
  const base = (plan: Plan, t: Ticket | null, d: Delivery, now: Date) => ({
    sourceKey: plan.sourceKey,
    notice: d.template,
    ticketId: t?.id ?? null,
    ticketNumber: t?.number ?? null,
    sensitive: plan.ticket?.kind === 'integrity_report',
    recipientUserId: d.to.userId,
    recipientRole: d.to.audience,
    attempts: 0,
    lastError: null,
    messageId: null,
    nextAttemptAt: wall,
    claimedUntil: null,
    claimToken: null,
    sentAt: null,
    createdAt: now,
    updatedAt: now,
  });
  for (const { plan, now } of plans) {
    for (const d of plan.deliveries) {
      const t = d.ticket ?? plan.ticket;
      const data = noticeData(t, d.to, d.vars ?? {}, departments, tz, publicUrl);
      if (d.to.email || !d.to.phone) {
        const r = renderNotice(d.template, data);
        const recipientKey = d.to.email ? d.to.email.trim().toLowerCase() : `held:${d.to.audience}`;
        const row = new OutboxMessage();
        Object.assign(row, {
          ...base(plan, t, d, now),
          id: randomUUID(),
          channel: 'email',
          dedupeKey: createHash('sha256').update(`${plan.sourceKey}\n${recipientKey}`).digest('hex'),
          recipient: d.to.email,
          subject: r.subject,
          bodyText: r.text,
          bodyHtml: r.html,
          state: d.to.email ? 'pending' : 'held',
          notBefore: null,
          segments: null,
        } satisfies OutboxMessage);
        rows.push(row);
      }
      if (textsTo(d.template, d.to, t) && smsTemplateExists(d.template)) {
        const code = secrets.accessCode && t && secrets.accessCode.ticketId === t.id ? secret(secrets.accessCode.code) : null;
        const text = `${st.smsSignature ?? ''}${renderSms(d.template, { ...data, vars: { ...data.vars, accessCode: code } })}`;
        const row = new OutboxMessage();
        Object.assign(row, {
          ...base(plan, t, d, now),
          id: randomUUID(),
          channel: 'sms',
          dedupeKey: createHash('sha256').update(`${plan.sourceKey}\nsms:${d.to.phone}`).digest('hex'),
          recipient: d.to.phone,
          subject: '',
          bodyText: text,
          bodyHtml: '',
          state: 'pending',
          // Owners are not woken at night (issue 11); staff reminders go at once.
          notBefore: d.to.audience === 'submitter' ? quietUntil(now, tz, st.smsQuietHours ?? null) : null,
          segments: segmentText(unmarkSecrets(text)).length,
        } satisfies OutboxMessage);
        rows.push(row);
      }
    }
  }
  // Duplicates (the same event notified twice) are refused by the unique key: insertNew skips them.
  const fresh = rows.filter((r, i) => rows.findIndex((x) => x.dedupeKey === r.dedupeKey) === i);
  const written = await insertNew(em, fresh);
  afterCommit(
    em,
    written.filter((r) => r.state === 'pending' || r.notice === 'integrity_forward'),
  );
}

const deferred = new WeakMap<EntityManager, { notice: Notice; now: Date }[]>();

/**
 * Collects the notices of a transaction instead of writing them at once, for a command
 * that must keep a lock short (creating a ticket holds the year's number counter until
 * commit): `plan()` does the reads (recipients) before the lock is taken, `write()`
 * renders and inserts every row in one statement afterwards. Same rows as `notify`.
 */
export function deferNotifications(em: EntityManager) {
  const queue: { notice: Notice; now: Date }[] = [];
  deferred.set(em, queue);
  let planned: { plan: Plan; now: Date }[] | null = null;
  return {
    async plan(): Promise<void> {
      deferred.delete(em);
      planned = [];
      for (const q of queue) {
        const plan = await planFor(em, q.notice);
        if (plan) planned.push({ plan, now: q.now });
      }
    },
    /** `secrets`: what the texts may carry that is not stored (the access code of the ticket just created) */
    async write(secrets: NoticeSecrets = {}): Promise<void> {
      if (!planned) await this.plan();
      await writePlans(em, planned!, secrets);
    },
    cancel(): void {
      deferred.delete(em);
    },
  };
}

/** Department names for the texts, cached 60 s per process (departments are seed data). */
const departmentCache = ttlCache<'all', Map<string, string>, EntityManager>(60_000, async (_k, em) => new Map((await em.find(Department)).map((d) => [d.code, d.nameZh])));
const departmentNames = (em: EntityManager) => departmentCache.get('all', em);

/**
 * Inserts the rows; if a concurrent transaction wrote the same (source, address) first,
 * inserts one by one and skips those (a failed statement does not abort the transaction
 * on MariaDB or SQLite). Returns the rows written.
 */
async function insertNew(em: EntityManager, rows: OutboxMessage[]): Promise<OutboxMessage[]> {
  if (!rows.length) return rows;
  try {
    await insertEntities(em, OutboxMessage, rows);
    return rows;
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
  }
  const written: OutboxMessage[] = [];
  for (const r of rows) {
    try {
      await insertEntities(em, OutboxMessage, [r]);
      written.push(r);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
  }
  return written;
}

async function planNotice(em: EntityManager, notice: Notice): Promise<Plan | null> {
  switch (notice.kind) {
    case 'ticket_event':
      return planEvent(em, notice.event, notice.ticket);
    case 'due_soon':
      return planDueSoon(em, notice);
    case 'oversight_opened':
    case 'oversight_late':
      return planOversight(em, notice.kind, notice.orderId);
  }
}

async function messageBody(em: EntityManager, payload: Record<string, unknown>): Promise<string | null> {
  const id = payload.messageId;
  if (typeof id !== 'string') return null;
  const m = await em.findOneBy(TicketMessage, { id });
  return m && !m.internal ? m.body : null;
}

/** The mails one ticket event causes (issue 4 "Events that notify"; DESIGN §3, §5, §7, §8). */
async function planEvent(em: EntityManager, ev: TicketEvent, known?: Ticket): Promise<Plan | null> {
  const t = known && known.id === ev.ticketId ? known : await em.findOneBy(Ticket, { id: ev.ticketId });
  if (!t) return null;
  const p = ev.payload ?? {};
  const plan: Plan = { sourceKey: `event:${ev.id}`, ticket: t, deliveries: [] };
  const add = (template: string, list: Recipient[], vars?: Record<string, unknown>) => {
    for (const to of finalRecipients(t, list)) plan.deliveries.push({ template, to, vars });
  };
  const msg = () => messageBody(em, p);
  switch (ev.type) {
    case 'created': {
      if (t.kind === 'integrity_report' && t.accusedDepartmentCode === DISCIPLINE_DEPARTMENT) {
        // Cannot be handled inside the district (DESIGN §7): the higher commission gets it
        // (held until an address is known), and the submitter is told so.
        add('ticket_received', await submitterOf(em, t, 'received'), { forwardedToHigher: true });
        add('integrity_forward', [{ email: null, phone: null, userId: null, name: null, audience: 'higher', topic: 'received', mandatory: true, prefs: null, departmentCode: null }]);
        break;
      }
      // Answered at first contact: the reply mail carries the number already.
      if (t.state === 'replied') break;
      add('ticket_received', await submitterOf(em, t, 'received'), { forwardedToHigher: false });
      break;
    }
    case 'dispatched': {
      const dep = typeof p.departmentCode === 'string' ? p.departmentCode : t.departmentCode;
      add('ticket_dispatched', await handlingGroup(em, t, 'dispatched', dep), { redispatch: !!p.redispatch });
      break;
    }
    case 'returned':
      add('ticket_returned', await dispatcherGroup(em, t, 'returned'), { reason: await msg(), fromDepartmentCode: p.departmentCode ?? null });
      break;
    case 'info_requested':
      add('info_requested', await submitterOf(em, t, 'info_requested'), { message: await msg(), waitWorkingDays: 5 });
      break;
    case 'supplemented':
      // Also written by the clock when nothing came within 5 working days (payload.timeout).
      add('ticket_supplemented', await handlingGroup(em, t, 'supplemented'), { message: await msg(), timeout: !!p.timeout });
      break;
    case 'extension_requested': {
      const ext = typeof p.extensionId === 'string' ? await em.findOneBy(TicketExtension, { id: p.extensionId }) : null;
      add('extension_requested', await dispatcherGroup(em, t, 'extension'), { workingDays: p.workingDays ?? ext?.workingDays ?? null, reason: ext?.reason ?? null });
      break;
    }
    case 'extension_decided': {
      const vars = { approved: !!p.approved, workingDays: p.workingDays ?? null, note: await msg() };
      // The owner is told the new date (DESIGN §3: "the owner is told why").
      add('extension_decided', [...(await handlingGroup(em, t, 'extension')), ...(p.approved ? await submitterOf(em, t, 'extension') : [])], vars);
      break;
    }
    case 'replied': {
      const message = await msg();
      const vars = { outcome: p.outcome ?? t.outcome, message, atIntake: !!p.atIntake };
      add('ticket_replied', await submitterOf(em, t, 'replied'), { ...vars, mergedFrom: null });
      await addMerged(em, plan, t, 'ticket_replied', 'replied', vars);
      const att = await attendeesOf(em, t);
      if (att) add('symposium_answer', att.to, { ...vars, symposiumTitle: att.symposium.title, heldOn: att.symposium.heldOn });
      break;
    }
    case 'rated':
      // A good rating closes the ticket: the submitter rated it themselves; merged submitters learn of the closure.
      if (ev.toState === 'closed') await addMerged(em, plan, t, 'ticket_closed', 'closed', { rating: p.rating ?? null });
      break;
    case 'closed':
      // By the coordinator, or by the clock when the rating window passed (payload.rating 'none').
      add('ticket_closed', await submitterOf(em, t, 'closed'), { rating: p.rating ?? t.rating, mergedFrom: null });
      await addMerged(em, plan, t, 'ticket_closed', 'closed', { rating: p.rating ?? t.rating });
      break;
    case 'rejected':
      add('ticket_rejected', await submitterOf(em, t, 'rejected'), { ground: p.ground ?? t.rejectGround, detail: await msg() });
      break;
    case 'withdrawn':
      if (ev.fromState !== 'registered') add('ticket_withdrawn', await handlingGroup(em, t, 'withdrawn'), {});
      break;
    case 'merged': {
      // Merged into a primary that is already answered (awaiting its rating): its reply mail went
      // before this submitter was on it, so this mail carries the answer (issue 13 item 2).
      const primary = typeof p.intoTicketId === 'string' ? await em.findOneBy(Ticket, { id: p.intoTicketId }) : null;
      const answer =
        primary?.state === 'replied'
          ? await em.findOne(TicketMessage, { where: { ticketId: primary.id, cycle: primary.cycle, kind: In(['reply', 'intake_answer']), internal: false }, order: { createdAt: 'DESC' } })
          : null;
      add('ticket_merged', await submitterOf(em, t, 'merged'), {
        intoNumber: p.intoNumber ?? null,
        answered: !!answer,
        outcome: answer ? primary!.outcome : null,
        message: answer?.body ?? null,
      });
      break;
    }
    case 'unmerged':
      // Its primary ended without an answer (issue 13 item 2): the submitter learns it is handled on its own.
      add('ticket_unmerged', await submitterOf(em, t, 'merged'), { fromNumber: p.fromNumber ?? null });
      break;
    case 'reopened':
      add('ticket_reopened', t.departmentCode ? await handlingGroup(em, t, 'reopened') : await dispatcherGroup(em, t, 'reopened'), { cycle: p.cycle ?? t.cycle, badRating: p.reason === 'bad_rating' });
      break;
    case 'escalated':
      await planEscalation(em, plan, t, p);
      break;
    case 'concluded':
      add('ticket_concluded', await submitterOf(em, t, 'outcome'), { finding: p.finding ?? t.finding, message: await msg() });
      break;
    case 'decided':
      add('objection_decided', await submitterOf(em, t, 'outcome'), { decision: p.outcome ?? t.decision, message: await msg() });
      break;
  }
  return plan;
}

async function addMerged(em: EntityManager, plan: Plan, primary: Ticket, template: string, topic: Topic, vars: Record<string, unknown>) {
  for (const m of await mergedSubmitters(em, primary, topic)) {
    for (const to of finalRecipients(m.ticket, [m.to])) {
      // Written about the submitter's own ticket, naming the primary that carries the answer.
      plan.deliveries.push({ template, to, ticket: m.ticket, vars: { ...vars, mergedFrom: m.ticket.number, primaryNumber: primary.number } });
    }
  }
}

/**
 * `escalated` (DESIGN §5). Level 1 reaches the department's handlers and, with mail that
 * cannot be switched off, its head (the coordinator office for an undispatched ticket);
 * the coordinator is informed. Levels 2 and 3 of a complaint, suggestion or objection open
 * an oversight order in the same transaction, and the order's own notice
 * (`oversight_opened`) is the mail; an integrity report has no order and goes straight to
 * the discipline supervisors (level 3).
 */
async function planEscalation(em: EntityManager, plan: Plan, t: Ticket, p: Record<string, unknown>) {
  const level = Number(p.level);
  const reason = typeof p.reason === 'string' ? p.reason : null;
  const add = (template: string, list: Recipient[], vars: Record<string, unknown>) => {
    for (const to of finalRecipients(t, list)) plan.deliveries.push({ template, to, vars });
  };
  if (level === 1) {
    const list = t.departmentCode
      ? [...(await headsOf(em, t.departmentCode, 'overdue')), ...(await handlersOf(em, t.departmentCode, 'overdue')), ...(await dispatcherGroup(em, t, 'overdue'))]
      : await dispatcherGroup(em, t, 'overdue');
    add('overdue', list, { level, reason });
  } else if (t.kind === 'integrity_report') {
    add('red_card', await handlingGroup(em, t, 'red_card'), { level, reason });
  }
}

async function planDueSoon(em: EntityManager, n: Extract<Notice, { kind: 'due_soon' }>): Promise<Plan | null> {
  const t = await em.findOneBy(Ticket, { id: n.ticketId });
  if (!t) return null;
  const plan: Plan = { sourceKey: `due_soon:${t.id}:${t.cycle}:${n.deadline}:${n.dueAt.toISOString()}`, ticket: t, deliveries: [] };
  const list = n.deadline === 'dispatch' ? await dispatcherGroup(em, t, 'due_soon') : await handlingGroup(em, t, 'due_soon');
  for (const to of finalRecipients(t, list)) plan.deliveries.push({ template: 'due_soon', to, vars: { deadline: n.deadline, dueAt: n.dueAt } });
  return plan;
}

/**
 * An oversight order opened or late (DESIGN §5). A yellow card (level 2) reaches the
 * addressed department's head (cannot be switched off) and the coordinator office; a red
 * card (level 3) also the discipline supervisors. An order addressed to the coordinator
 * office (undispatched ticket) reaches the coordinators. One mail per order and person.
 */
async function planOversight(em: EntityManager, kind: 'oversight_opened' | 'oversight_late', orderId: string): Promise<Plan | null> {
  const order = await em.findOneBy(OversightOrder, { id: orderId });
  if (!order) return null;
  const t = await em.findOneBy(Ticket, { id: order.ticketId });
  if (!t) return null;
  const dep = order.departmentCode;
  const plan: Plan = { sourceKey: `${kind}:${order.id}`, ticket: t, deliveries: [] };
  const red = order.level >= 3;
  const topic: Topic = red ? 'red_card' : 'oversight';
  const list = [...(await headsOf(em, dep, topic)), ...(red ? await withRole(em, 'supervisor', topic) : []), ...(await dispatcherGroup(em, t, topic))];
  const template = kind === 'oversight_late' ? 'oversight_late' : red ? 'red_card' : 'oversight_opened';
  for (const to of finalRecipients(t, list)) {
    plan.deliveries.push({ template, to, vars: { level: order.level, reason: order.reason, respondBy: order.respondBy, departmentCode: dep } });
  }
  return plan;
}

/**
 * Who signs in to the workbench: their mail about a ticket links to its page,
 * `${PUBLIC_URL}/work/tickets/<id>` (the supervisors' integrity console opens the same page);
 * owners, symposium attendees and the higher commission keep what they had (the track link, or none).
 */
const STAFF_AUDIENCES = new Set<Audience>(['handler', 'head', 'coordinator', 'supervisor']);

/** Whether this audience reads the account of what happened in the mail. */
const readsDescription = (a: Audience, integrity: boolean) => a === 'higher' || (!integrity && (a === 'handler' || a === 'head' || a === 'coordinator' || a === 'supervisor'));

/**
 * The template data for one reader (DESIGN §1, §7): handlers get the contact with the
 * phone masked; the coordinator office and supervisors the full contact; on integrity
 * reports no mail carries the reporter's identity except the one to the higher
 * commission (supervisors read it in the system, where each read is recorded); the
 * accusation itself goes to the discipline staff and the higher commission only.
 */
/** `PUBLIC_URL`'s default at the default PORT (src/config.ts: `http://localhost:<PORT>` when unset). */
export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

export function noticeData(
  t: Ticket | null,
  to: Pick<Recipient, 'audience' | 'name'>,
  vars: Record<string, unknown>,
  departments: Map<string, string>,
  tz: string,
  publicUrl = DEFAULT_PUBLIC_URL,
): NoticeData {
  const a = to.audience;
  const integrity = t?.kind === 'integrity_report';
  let ticket: TicketView | null = null;
  let contact: ContactView | null = null;
  let integrityView: IntegrityView | null = null;
  if (t) {
    ticket = {
      number: t.number,
      title: t.title,
      kind: t.kind,
      kindLabel: KIND_LABEL[t.kind] ?? t.kind,
      channelLabel: CHANNEL_LABEL[t.channel] ?? t.channel,
      priorityLabel: PRIORITY_LABEL[t.priority] ?? t.priority,
      stateLabel: STATE_LABEL[t.state] ?? t.state,
      departmentName: t.departmentCode ? (departments.get(t.departmentCode) ?? t.departmentCode) : null,
      receivedAt: formatInstant(t.receivedAt, tz),
      dispatchBy: formatDeadlineOrNull(t.dispatchBy, tz),
      signBy: formatDeadlineOrNull(t.signBy, tz),
      replyBy: formatDeadlineOrNull(t.replyBy, tz),
      rateBy: formatDeadlineOrNull(t.rateBy, tz),
      isIntegrity: integrity,
      accountLess: !t.submitterId,
      anonymous: !!t.anonymous,
      trackUrl: `${publicUrl}/track?number=${encodeURIComponent(t.number)}`,
      workUrl: STAFF_AUDIENCES.has(a) ? `${publicUrl}/work/tickets/${encodeURIComponent(t.id)}` : null,
      workLinkLabel: integrity && a === 'supervisor' ? '在平台查看本件举报（查看举报人身份将被记录）' : '在平台查看和办理本工单',
      description: readsDescription(a, integrity) ? excerpt(t.description, a === 'higher' ? 5000 : 1000) : null,
    };
    const c = t.contact;
    if (c && !t.anonymous) {
      if (integrity) {
        if (a === 'higher') contact = { name: c.name ?? null, phone: c.phone ?? null, businessName: c.businessName ?? null, email: c.email ?? null };
      } else if (a === 'handler' || a === 'head') {
        contact = { name: c.name ?? null, phone: maskPhone(c.phone), businessName: c.businessName ?? null, email: null };
      } else if (a === 'coordinator' || a === 'supervisor') {
        contact = { name: c.name ?? null, phone: c.phone ?? null, businessName: c.businessName ?? null, email: c.email ?? null };
      }
    }
    if (integrity && (a === 'supervisor' || a === 'handler' || a === 'head' || a === 'higher')) {
      integrityView = {
        accusedDepartmentName: t.accusedDepartmentCode ? (departments.get(t.accusedDepartmentCode) ?? t.accusedDepartmentCode) : '',
        accusedPerson: t.accusedPerson,
        demandLabel: t.demand ? (DEMAND_LABEL[t.demand] ?? t.demand) : '',
        amountYuan: t.amountYuan,
        occurredOn: t.occurredOn,
      };
    }
  }
  const v: Record<string, unknown> = { ...vars };
  // Labels and local times computed once here, so templates stay free of logic.
  if (typeof v.outcome === 'string') v.outcomeLabel = OUTCOME_LABEL[v.outcome] ?? v.outcome;
  if (typeof v.ground === 'string') v.groundLabel = GROUND_LABEL[v.ground] ?? v.ground;
  if (typeof v.finding === 'string') v.findingLabel = FINDING_LABEL[v.finding] ?? v.finding;
  if (typeof v.decision === 'string') v.decisionLabel = DECISION_LABEL[v.decision] ?? v.decision;
  if (typeof v.rating === 'string') v.ratingLabel = RATING_LABEL[v.rating] ?? v.rating;
  if (typeof v.deadline === 'string') v.deadlineLabel = DEADLINE_LABEL[v.deadline] ?? v.deadline;
  if (typeof v.reason === 'string' && REASON_LABEL[v.reason]) v.reasonLabel = REASON_LABEL[v.reason];
  if (typeof v.level === 'number') v.levelLabel = LEVEL_LABEL[v.level] ?? String(v.level);
  if (v.dueAt instanceof Date) v.dueAt = formatDeadlineOrNull(v.dueAt, tz);
  if (v.respondBy instanceof Date) v.respondBy = formatDeadlineOrNull(v.respondBy, tz);
  if (typeof v.fromDepartmentCode === 'string') v.fromDepartmentName = departments.get(v.fromDepartmentCode) ?? v.fromDepartmentCode;
  if (typeof v.departmentCode === 'string') v.departmentName = departments.get(v.departmentCode) ?? v.departmentCode;
  for (const k of ['message', 'reason', 'detail', 'note']) if (typeof v[k] === 'string') v[k] = excerpt(v[k] as string, 3000);
  return { audience: a, greeting: to.name || '您', site: SITE_NAME, siteUrl: publicUrl, ticket, contact, integrity: integrityView, vars: v };
}

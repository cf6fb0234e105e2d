import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import { Category, Department, Ticket, TicketExtension, TicketPause, TicketReturn, Symposium, User } from '../entities';
import type { Contact } from '../entities/ticket';
import { Action, allowedActions, BAD_RATINGS, Channel, DISCIPLINE_DEPARTMENT, Outcome, Priority, Rating, RejectGround, TicketKind, isOpen } from '../domain/lifecycle';
import { localDate } from '../domain/deadline';
import { AppError, conflict, fieldError, forbidden, unprocessable } from '../errors';
import { CommandContext } from './context';
import {
  addMessage, appendEvent, appendEvents, authorize, loadRouting, facts, hashAccessCode, loadVisibleTicket, newAccessCode, recomputeDeadlines, saveTicket,
} from './ticket-store';
import { isDuplicateKey, isMysql } from '../db';
import { prepareIntegrityReport, concludeIntegrityReport, ConcludeInput } from './integrity';
import { prepareObjection, decideObjection, DecideInput } from './objections';
import { escalateManually, escalateNewCycle, EscalateInput } from './escalation';
import { deferNotifications } from '../notifications/notify';

export interface ContactInput { name: string; phone: string; creditCode?: string; businessName?: string; email?: string }
export interface AccusedInput { departmentCode: string; person?: string; demand: 'fee' | 'levy' | 'property' | 'other'; amountYuan?: string; occurredOn: string }

/** Body of `POST /tickets` after validation (DESIGN §13). Instants are UTC. */
export interface CreateTicketInput {
  kind: TicketKind;
  channel: Channel;
  title: string;
  description: string;
  category?: string;
  priority?: Priority;
  owner?: ContactInput;
  anonymous?: boolean;
  receivedAt?: Date;
  symposiumId?: string;
  resultNoticeId?: string;
  resultEntryId?: string;
  subjectCreditCode?: string;
  accused?: AccusedInput;
  /** 咨询类: answered by intake at first contact; the ticket is created `replied` */
  answerAtIntake?: { message: string };
  /** id in the source system of an import (hotline export); unique */
  sourceId?: string;
}

const STAFF_CHANNELS: readonly Channel[] = ['hotline', 'symposium', 'letter'];
/** How far back staff may date a receipt (`receivedAt`): 366 days. */
export const MAX_RECEIVED_AGE_MS = 366 * 24 * 3_600_000;

/** Allocates the next ticket number of the year from the counter row, inside the caller's transaction. */
async function nextNumber(ctx: CommandContext, receivedAt: Date): Promise<string> {
  const year = Number(localDate(receivedAt, ctx.tz).slice(0, 4));
  const em = ctx.em;
  let value: number;
  if (isMysql(em)) {
    // LAST_INSERT_ID(expr) returns the new value to this connection in the same statement.
    const res = await em.query('INSERT INTO ticket_counter (year, last_value) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last_value = LAST_INSERT_ID(last_value + 1)', [year]);
    value = Number(res.insertId);
  } else {
    const rows: { last_value: number }[] = await em.query('INSERT INTO ticket_counter (year, last_value) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value', [year]);
    value = Number(rows[0].last_value);
  }
  return `${ctx.ticketPrefix}${year}${String(value).padStart(6, '0')}`;
}

/**
 * Creates a ticket (DESIGN §3 `create`): checks who may file what on which channel,
 * routes it by rule (→ `dispatched`, events `created` + `dispatched`) or leaves it
 * `registered`, computes its deadlines, and for an account-less submitter returns the
 * access code once. Throws 403 for a role that may not create, 422 naming the field.
 */
export async function createTicket(ctx: CommandContext, input: CreateTicketInput): Promise<{ ticket: Ticket; accessCode?: string }> {
  const { em, actor, now } = ctx;
  const role = actor.kind === 'user' ? actor.role : actor.kind;
  const isStaff = role === 'intake' || role === 'coordinator';
  if (!(isStaff || role === 'owner' || role === 'anonymous')) throw forbidden(`a ${role} may not submit tickets`);
  // An imported record (sourceId: set by the import command only, never by the HTTP schema)
  // keeps the channel its source system recorded: a 12345 web-portal submission stays `web`.
  if (isStaff && !STAFF_CHANNELS.includes(input.channel) && !input.sourceId) throw fieldError('channel', 'staff_channel', 'staff register hotline, symposium or letter tickets; web tickets come from owners');
  if (!isStaff && input.channel !== 'web') throw fieldError('channel', 'web_only', 'owners and account-less submitters use the web channel');
  if (input.receivedAt && !isStaff) throw fieldError('receivedAt', 'staff_only', 'only staff may record when a call or meeting happened');
  if (input.receivedAt && input.receivedAt.getTime() > now.getTime()) throw fieldError('receivedAt', 'in_future', 'must not be in the future');
  // A late-recorded call or meeting is days or weeks old; a year bounds typing mistakes (and the number's year).
  if (input.receivedAt && input.receivedAt.getTime() < now.getTime() - MAX_RECEIVED_AGE_MS) throw fieldError('receivedAt', 'too_old', 'must be within the last 366 days');
  if (input.answerAtIntake && role !== 'intake') throw fieldError('answerAtIntake', 'intake_only', 'only intake staff answer at first contact');
  if (input.answerAtIntake && !['complaint', 'suggestion'].includes(input.kind)) throw fieldError('answerAtIntake', 'kind', 'only complaints and suggestions are answered at intake');
  if (input.anonymous && input.kind === 'objection') throw fieldError('anonymous', 'objection_real_name', 'objections are real-name (DESIGN §6)');
  if (input.anonymous && input.owner) throw fieldError('owner', 'anonymous', 'an anonymous submission stores no identity; leave owner out');
  if (input.symposiumId && !(await em.findOneBy(Symposium, { id: input.symposiumId }))) throw fieldError('symposiumId', 'unknown', 'no such symposium');
  if (input.kind === 'integrity_report' || input.kind === 'objection') {
    if (input.category) throw fieldError('category', 'not_applicable', `a ${input.kind} has no category`);
  } else if (input.accused) {
    throw fieldError('accused', 'not_applicable', 'only integrity reports name an accused department');
  }

  let category: Category | null = null;
  if (input.category) {
    category = (await loadRouting(em)).categories.get(input.category) ?? null;
    if (!category || !category.active) throw fieldError('category', 'unknown', `unknown category ${input.category}`);
  }

  // Identity: a signed-in owner files as themselves; staff record the caller; anonymous stores none.
  let contact: Contact | null = null;
  let submitterId: string | null = null;
  if (!input.anonymous) {
    if (actor.kind === 'user' && actor.role === 'owner') {
      submitterId = actor.userId;
      const u = await em.findOneByOrFail(User, { id: actor.userId });
      contact = { name: u.name, phone: u.phone ?? undefined, creditCode: u.creditCode ?? undefined, businessName: u.businessName ?? undefined, email: u.email ?? undefined };
    } else if (input.owner) {
      contact = { ...input.owner };
    }
  }
  if (input.kind === 'objection' && !contact?.name) throw fieldError('owner', 'required', 'an objection names its objector (name and phone)');
  if (isStaff && !input.anonymous && !contact) throw fieldError('owner', 'required', 'record the caller (owner) or mark the ticket anonymous');

  const receivedAt = input.receivedAt ?? now;
  const accountLess = submitterId === null;
  const t = new Ticket();
  Object.assign(t, {
    id: randomUUID(), number: '', kind: input.kind, channel: input.channel, categoryCode: category?.code ?? null,
    priority: input.priority ?? 'normal', state: 'registered', cycle: 1, departmentCode: null,
    title: input.title, description: input.description, submitterId, createdById: isStaff && actor.kind === 'user' ? actor.userId : null,
    anonymous: !!input.anonymous, accessCodeHash: null, contact, sourceId: input.sourceId ?? null,
    receivedAt, cycleStartedAt: receivedAt, routingClockStart: receivedAt, dispatchBy: null, signBy: null, replyBy: null, redBy: null, rateBy: null, dueSoonAt: null,
    deadlinesProvisional: false, nextCheckAt: null, pausedAt: null, escalationLevel: 0, outcome: null, repliedAt: null, rating: null, ratedAt: null,
    closedAt: null, rejectGround: null, mergedIntoId: null, symposiumId: input.symposiumId ?? null, resultNoticeId: null, resultEntryId: null,
    subjectCreditCode: null, decision: null, accusedDepartmentCode: null, accusedPerson: null, demand: null, amountYuan: null, occurredOn: null,
    finding: null, version: 1, createdAt: now, updatedAt: now,
  } satisfies Partial<Ticket>);

  // Routing: the category's rule, or the kind's own rule (integrity → DIS, objection → the notice's department).
  let routeTo: string | null = null;
  // A question answered at first contact never reaches a department (its events go
  // created → replied); a bad rating of that answer opens cycle 2 for the coordinator to dispatch.
  if (category && !input.answerAtIntake) {
    routeTo = (await loadRouting(em)).rules.get(category.code) ?? null;
  }
  if (input.kind === 'integrity_report') routeTo = await prepareIntegrityReport(ctx, t, input);
  else if (input.kind === 'objection') routeTo = await prepareObjection(ctx, t, input);

  // The year's number counter is locked from its update until commit, so it is taken last:
  // the ticket's events and the reads for its mail come first (nothing refers to the ticket
  // row by key), and only the ticket row with its number and the rendered mail follow the lock.
  if (routeTo) {
    t.state = 'dispatched';
    t.departmentCode = routeTo;
  }
  if (input.answerAtIntake) {
    t.state = 'replied';
    t.outcome = 'explained';
    t.repliedAt = now;
  }
  await recomputeDeadlines(ctx, t, { pauses: [], extensions: [] });
  const mail = deferNotifications(em);
  let accessCode: string | undefined;
  try {
    // A new ticket's chain starts here: its events go in one INSERT, without reading anything back.
    const events: Parameters<typeof appendEvents>[2] = [{
      type: 'created', actor, at: now, fromState: null, toState: 'registered',
      payload: { kind: t.kind, channel: t.channel, categoryCode: t.categoryCode, priority: t.priority, receivedAt: receivedAt.toISOString(), anonymous: !!input.anonymous, symposiumId: t.symposiumId },
    }];
    if (routeTo) {
      events.push({ type: 'dispatched', actor: { kind: 'system' }, at: now, fromState: 'registered', toState: 'dispatched', payload: { departmentCode: routeTo, auto: true } });
    }
    if (input.answerAtIntake) {
      const messageId = await addMessage(ctx, t, 'intake_answer', input.answerAtIntake.message);
      events.push({ type: 'replied', actor, at: now, fromState: 'registered', toState: 'replied', payload: { outcome: 'explained', messageId, atIntake: true } });
    }
    await appendEvents(em, t, events, null);
    await mail.plan();
    t.number = await nextNumber(ctx, receivedAt);
    if (accountLess) {
      accessCode = newAccessCode();
      t.accessCodeHash = hashAccessCode(ctx.secret, t.number, accessCode);
    }
    try {
      await em.insert(Ticket, t as never);
    } catch (e) {
      if (isDuplicateKey(e) && input.sourceId) throw conflict('duplicate-source', `a ticket with sourceId ${input.sourceId} exists`);
      throw e;
    }
    await mail.write();
  } finally {
    mail.cancel();
  }
  return { ticket: t, accessCode };
}

/** Arguments of the ticket actions of DESIGN §3 (`POST /tickets/:id/<action>`). */
export type ActionInput =
  | { action: 'dispatch'; departmentCode: string; note?: string }
  | { action: 'sign' }
  | { action: 'return'; reason: string }
  | { action: 'request-info'; message: string }
  | { action: 'supplement'; message: string }
  | { action: 'request-extension'; workingDays: number; reason: string }
  | { action: 'decide-extension'; approve: boolean; note?: string }
  | { action: 'reply'; outcome: Outcome; message: string }
  | { action: 'rate'; rating: Rating; comment?: string; via?: 'callback' }
  | { action: 'reject'; ground: RejectGround; detail: string }
  | { action: 'withdraw'; reason?: string }
  | { action: 'merge'; intoTicketId: string }
  | { action: 'reopen'; reason: string }
  | { action: 'close'; note?: string }
  | { action: 'note'; text: string }
  | ({ action: 'escalate' } & EscalateInput)
  | ({ action: 'conclude' } & ConcludeInput)
  | ({ action: 'decide' } & DecideInput);

/**
 * Performs one lifecycle action on a ticket in the caller's transaction: authorizes it
 * (404/403/409/412, see `authorize`), applies it, writes its event and messages,
 * recomputes the deadlines, and saves with a conditional update on `version`.
 */
export async function performAction(ctx: CommandContext, ticketId: string, input: ActionInput, expectedVersion?: number): Promise<Ticket> {
  const t = await loadVisibleTicket(ctx, ticketId);
  const action = input.action as Action;
  const to = authorize(t, action, ctx.actor, expectedVersion, input.action === 'rate' ? { rating: input.rating } : {});
  const from = t.state;
  const read = t.version;
  const readCycle = t.cycle;
  const { em, now, actor } = ctx;
  let type: Parameters<typeof appendEvent>[2]['type'];
  let payload: Record<string, unknown> = {};
  let extraEvents: Parameters<typeof appendEvent>[2][] = [];

  switch (input.action) {
    case 'dispatch': {
      const dep = await em.findOneBy(Department, { code: input.departmentCode });
      if (!dep || !dep.active) throw fieldError('departmentCode', 'unknown', `unknown department ${input.departmentCode}`);
      if (t.kind === 'integrity_report') {
        if (dep.code === t.accusedDepartmentCode) throw conflict('conflict-of-interest', 'an integrity report is never dispatched to the department it accuses');
        if (dep.code !== DISCIPLINE_DEPARTMENT) throw fieldError('departmentCode', 'discipline_only', 'integrity reports are handled by the discipline department (DIS)');
      } else if (dep.code === DISCIPLINE_DEPARTMENT) {
        throw fieldError('departmentCode', 'discipline', 'the discipline department receives integrity reports only');
      }
      if (from === 'dispatched' && dep.code === t.departmentCode) {
        throw fieldError('departmentCode', 'same_department', `the ticket is already with ${dep.code}; 改派 names another department`);
      }
      type = 'dispatched';
      payload = { departmentCode: dep.code, previousDepartmentCode: t.departmentCode, redispatch: from === 'dispatched' };
      t.departmentCode = dep.code;
      t.routingClockStart = now;
      if (input.note) payload.messageId = await addMessage(ctx, t, 'note', input.note, true);
      break;
    }
    case 'sign':
      type = 'signed';
      payload = { signBy: t.signBy?.toISOString() ?? null, onTime: !t.signBy || now.getTime() < t.signBy.getTime() };
      break;
    case 'return': {
      try {
        await em.insert(TicketReturn, { id: randomUUID(), ticketId: t.id, cycle: t.cycle, departmentCode: t.departmentCode!, returnedAt: now });
      } catch (e) {
        if (isDuplicateKey(e)) throw conflict('already-returned', 'this department returned the ticket once in this cycle; dispatched back, it must handle it (首接负责)', { state: t.state, allowed: allowedActions(facts(t), actor).filter((a) => a !== 'return') });
        throw e;
      }
      type = 'returned';
      payload = { departmentCode: t.departmentCode, messageId: await addMessage(ctx, t, 'return_reason', input.reason) };
      // The returning department's undecided extension request goes with it: the next department asks for its own.
      const pendingExt = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
      if (pendingExt) {
        await em.update(TicketExtension, { id: pendingExt.id }, { state: 'cancelled', decidedAt: now });
        payload.cancelledExtensionId = pendingExt.id;
      }
      t.departmentCode = null;
      t.routingClockStart = now;
      break;
    }
    case 'request-info':
      type = 'info_requested';
      payload = { messageId: await addMessage(ctx, t, 'info_request', input.message) };
      t.pausedAt = now;
      await em.insert(TicketPause, { id: randomUUID(), ticketId: t.id, cycle: t.cycle, pausedAt: now, resumedAt: null });
      break;
    case 'supplement':
      type = 'supplemented';
      payload = { messageId: await addMessage(ctx, t, 'supplement', input.message) };
      // IsNull(): TypeORM 1.x refuses a plain null in a where (invalidWhereValuesBehavior: throw).
      await em.update(TicketPause, { ticketId: t.id, cycle: t.cycle, resumedAt: IsNull() }, { resumedAt: now });
      t.pausedAt = null;
      break;
    case 'request-extension': {
      if (t.replyBy && now.getTime() >= t.replyBy.getTime()) {
        throw unprocessable('extension-too-late', 'an extension must be requested before the reply deadline', [{ field: 'workingDays', code: 'too_late', message: `the reply was due ${t.replyBy.toISOString()}` }]);
      }
      const pending = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
      if (pending) throw conflict('extension-pending', 'an extension request is already waiting for a decision', { state: t.state, allowed: allowedActions(facts(t), actor).filter((a) => a !== 'request-extension') });
      const ext = { id: randomUUID(), ticketId: t.id, cycle: t.cycle, workingDays: input.workingDays, reason: input.reason, state: 'requested', requestedById: actor.kind === 'user' ? actor.userId : '', requestedAt: now, decidedById: null, decidedAt: null };
      await em.insert(TicketExtension, ext);
      type = 'extension_requested';
      payload = { extensionId: ext.id, workingDays: input.workingDays };
      break;
    }
    case 'decide-extension': {
      const pending = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
      if (!pending) throw conflict('no-pending-extension', 'there is no extension request to decide', { state: t.state, allowed: allowedActions(facts(t), actor).filter((a) => a !== 'decide-extension') });
      pending.state = input.approve ? 'approved' : 'denied';
      pending.decidedById = actor.kind === 'user' ? actor.userId : null;
      pending.decidedAt = now;
      await em.save(pending);
      type = 'extension_decided';
      payload = { extensionId: pending.id, approved: input.approve, workingDays: pending.workingDays };
      if (input.note) payload.messageId = await addMessage(ctx, t, 'extension_decision', input.note);
      break;
    }
    case 'reply':
      type = 'replied';
      payload = { outcome: input.outcome, messageId: await addMessage(ctx, t, 'reply', input.message), onTime: !t.replyBy || now.getTime() < t.replyBy.getTime() };
      t.outcome = input.outcome;
      t.repliedAt = now;
      break;
    case 'rate': {
      if (input.via === 'callback' && !(actor.kind === 'user' && actor.role === 'intake')) {
        throw fieldError('via', 'intake_only', 'only intake staff record a rating taken on a callback');
      }
      type = 'rated';
      payload = { rating: input.rating, via: input.via ?? (actor.kind === 'access_code' ? 'access_code' : actor.kind === 'user' && actor.role === 'intake' ? 'callback' : 'owner') };
      if (input.comment) payload.messageId = await addMessage(ctx, t, 'rating_comment', input.comment);
      t.rating = input.rating;
      t.ratedAt = now;
      if (BAD_RATINGS.includes(input.rating)) {
        // A bad rating opens a new cycle in the same department (DESIGN §3).
        payload.reopened = true;
        startNewCycle(t, now);
        // toState is what the new cycle starts in: `registered` when no department ever had it (answered at intake).
        extraEvents = [{ type: 'reopened', actor, at: now, fromState: 'replied', toState: t.state, payload: { cycle: t.cycle, reason: 'bad_rating' } }];
      } else {
        t.closedAt = now;
      }
      break;
    }
    case 'reject':
      type = 'rejected';
      payload = { ground: input.ground, messageId: await addMessage(ctx, t, 'reject_detail', input.detail) };
      t.rejectGround = input.ground;
      t.closedAt = now;
      break;
    case 'withdraw':
      type = 'withdrawn';
      if (input.reason) payload = { messageId: await addMessage(ctx, t, 'withdraw_reason', input.reason) };
      t.closedAt = now;
      break;
    case 'merge': {
      if (input.intoTicketId === t.id) throw fieldError('intoTicketId', 'self', 'a ticket cannot be merged into itself');
      const primary = await em.findOneBy(Ticket, { id: input.intoTicketId });
      if (!primary || primary.kind === 'integrity_report') throw fieldError('intoTicketId', 'unknown', 'no such ticket');
      if (!isOpen(primary.state)) throw fieldError('intoTicketId', 'not_open', `the primary ticket is ${primary.state}`);
      type = 'merged';
      payload = { intoTicketId: primary.id, intoNumber: primary.number };
      t.mergedIntoId = primary.id;
      t.closedAt = now;
      break;
    }
    case 'reopen':
      type = 'reopened';
      payload = { cycle: t.cycle + 1, reason: 'coordinator', messageId: await addMessage(ctx, t, 'reopen_reason', input.reason, true) };
      startNewCycle(t, now);
      if (!t.departmentCode) t.state = 'registered';
      break;
    case 'close':
      type = 'closed';
      t.closedAt = now;
      if (input.note) payload = { messageId: await addMessage(ctx, t, 'note', input.note, true) };
      break;
    case 'note':
      type = 'note';
      payload = { messageId: await addMessage(ctx, t, 'note', input.text, true) };
      break;
    case 'escalate':
      ({ type, payload } = await escalateManually(ctx, t, input));
      break;
    case 'conclude':
      ({ type, payload } = await concludeIntegrityReport(ctx, t, input));
      payload.onTime = !t.replyBy || now.getTime() < t.replyBy.getTime();
      break;
    case 'decide':
      ({ type, payload } = await decideObjection(ctx, t, input));
      payload.onTime = !t.replyBy || now.getTime() < t.replyBy.getTime();
      break;
    default:
      throw new AppError(400, 'unknown-action', 'unknown action');
  }
  // A new cycle (bad rating, reopening) has set the state itself; every other action takes the table's.
  const newCycle = t.cycle !== readCycle;
  if (!newCycle) t.state = to;
  // A bad rating writes `rated` in the old cycle and `reopened` in the new one.
  const cycleOfMain = extraEvents.length ? readCycle : t.cycle;
  await recomputeDeadlines(ctx, t);
  await saveTicket(em, t, read, now);
  await appendEvent(em, { id: t.id, cycle: cycleOfMain }, { type, actor, at: now, fromState: from, toState: extraEvents.length ? 'replied' : t.state, payload });
  for (const e of extraEvents) await appendEvent(em, t, e);
  // From the second reopening on, the new cycle starts with a level-2 oversight order (DESIGN §3).
  if (newCycle) await escalateNewCycle(ctx, t);
  return t;
}

/** A new cycle (bad rating or reopening): fresh reply and sign-for clocks in the same department. */
function startNewCycle(t: Ticket, now: Date) {
  t.cycle += 1;
  t.state = t.departmentCode ? 'dispatched' : 'registered';
  t.cycleStartedAt = now;
  t.routingClockStart = now;
  t.outcome = null;
  t.repliedAt = null;
  t.rateBy = null;
  t.signBy = null;
  t.replyBy = null;
  t.redBy = null;
  t.closedAt = null;
  t.pausedAt = null;
  t.escalationLevel = 0;
}


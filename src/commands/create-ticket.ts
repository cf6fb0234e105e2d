import { randomUUID } from 'node:crypto';
import { Category, Ticket, Symposium, User } from '../entities';
import type { Contact } from '../entities/ticket';
import { Channel, mayShowAccessCode, Priority, TicketKind } from '../domain/lifecycle';
import { localDate } from '../domain/deadline';
import { conflict, fieldError, forbidden } from '../errors';
import { CommandContext } from './context';
import { addMessage } from './ticket-store';
import { appendEvents } from './events';
import { loadRouting } from './reference-data';
import { recomputeDeadlines } from './deadlines';
import { hashAccessCode, newAccessCode } from './access-codes';
import { isDuplicateKey, isMysql } from '../db';
import { insertEntities } from '../db-insert';
import { prepareIntegrityReport } from './integrity';
import { prepareObjection } from './objections';
import { deferNotifications } from '../notifications/notify';
import type { StagedFile } from '../uploads/stage';
import { attachmentRefs, recordAttachments } from './attachments';
import { indexNewTicket, indexTicketNumber } from './search-index';

export interface ContactInput {
  name: string;
  phone: string;
  creditCode?: string;
  businessName?: string;
  email?: string;
}
export interface AccusedInput {
  departmentCode: string;
  person?: string;
  demand: 'fee' | 'levy' | 'property' | 'other';
  amountYuan?: string;
  occurredOn: string;
}

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
    const rows: { last_value: number }[] = await em.query(
      'INSERT INTO ticket_counter (year, last_value) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value',
      [year],
    );
    value = Number(rows[0].last_value);
  }
  return `${ctx.ticketPrefix}${year}${String(value).padStart(6, '0')}`;
}

/**
 * Creates a ticket (DESIGN §3 `create`): checks who may file what on which channel,
 * routes it by rule (→ `dispatched`, events `created` + `dispatched`) or leaves it
 * `registered`, computes its deadlines, and for an account-less submitter returns the
 * access code once (not to a filer of the department an integrity report accuses:
 * `mayShowAccessCode`; that code reaches the reporter by text only). Throws 403 for a role
 * that may not create, 422 naming the field.
 * `files` (staged by the caller, committed by `runWithFiles`) are the submitter's evidence: listed
 * with their SHA-256 in the `created` event, their rows written with the ticket.
 */
export async function createTicket(ctx: CommandContext, input: CreateTicketInput, files: readonly StagedFile[] = []): Promise<{ ticket: Ticket; accessCode?: string }> {
  const { em, actor, now } = ctx;
  const role = actor.kind === 'user' ? actor.role : actor.kind;
  const isStaff = role === 'intake' || role === 'coordinator';
  if (!(isStaff || role === 'owner' || role === 'anonymous')) throw forbidden(`a ${role} may not submit tickets`);
  // An imported record (sourceId: set by the import command only, never by the HTTP schema)
  // keeps the channel its source system recorded: a 12345 web-portal submission stays `web`.
  if (isStaff && !STAFF_CHANNELS.includes(input.channel) && !input.sourceId)
    throw fieldError('channel', 'staff_channel', 'staff register hotline, symposium or letter tickets; web tickets come from owners');
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
    if (!category?.active) throw fieldError('category', 'unknown', `unknown category ${input.category}`);
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
    id: randomUUID(),
    number: '',
    kind: input.kind,
    channel: input.channel,
    categoryCode: category?.code ?? null,
    priority: input.priority ?? 'normal',
    state: 'registered',
    cycle: 1,
    departmentCode: null,
    title: input.title,
    description: input.description,
    submitterId,
    createdById: isStaff && actor.kind === 'user' ? actor.userId : null,
    anonymous: !!input.anonymous,
    accessCodeHash: null,
    contact,
    sourceId: input.sourceId ?? null,
    receivedAt,
    cycleStartedAt: receivedAt,
    routingClockStart: receivedAt,
    dispatchBy: null,
    signBy: null,
    replyBy: null,
    redBy: null,
    rateBy: null,
    dueSoonAt: null,
    deadlinesProvisional: false,
    nextCheckAt: null,
    pausedAt: null,
    escalationLevel: 0,
    outcome: null,
    repliedAt: null,
    rating: null,
    ratedAt: null,
    closedAt: null,
    rejectGround: null,
    mergedIntoId: null,
    symposiumId: input.symposiumId ?? null,
    resultNoticeId: null,
    resultEntryId: null,
    subjectCreditCode: null,
    decision: null,
    accusedDepartmentCode: null,
    accusedPerson: null,
    demand: null,
    amountYuan: null,
    occurredOn: null,
    finding: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
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
    const events: Parameters<typeof appendEvents>[2] = [
      {
        type: 'created',
        actor,
        at: now,
        fromState: null,
        toState: 'registered',
        payload: {
          kind: t.kind,
          channel: t.channel,
          categoryCode: t.categoryCode,
          priority: t.priority,
          receivedAt: receivedAt.toISOString(),
          anonymous: !!input.anonymous,
          symposiumId: t.symposiumId,
          ...(files.length ? { attachments: attachmentRefs(files) } : {}),
        },
      },
    ];
    if (routeTo) {
      events.push({ type: 'dispatched', actor: { kind: 'system' }, at: now, fromState: 'registered', toState: 'dispatched', payload: { departmentCode: routeTo, auto: true } });
    }
    if (input.answerAtIntake) {
      const messageId = await addMessage(ctx, t, 'intake_answer', input.answerAtIntake.message);
      events.push({ type: 'replied', actor, at: now, fromState: 'registered', toState: 'replied', payload: { outcome: 'explained', messageId, atIntake: true } });
    }
    const [created] = await appendEvents(em, t, events, null);
    // The search index (issue 15 item 3): the words before the counter lock, the number after it.
    await indexNewTicket(em, t);
    await mail.plan();
    t.number = await nextNumber(ctx, receivedAt);
    if (accountLess) {
      accessCode = newAccessCode();
      t.accessCodeHash = hashAccessCode(ctx.secret, t.number, accessCode);
    }
    try {
      await insertEntities(em, Ticket, [t]);
    } catch (e) {
      if (isDuplicateKey(e) && input.sourceId) throw conflict('duplicate-source', `a ticket with sourceId ${input.sourceId} exists`);
      throw e;
    }
    await indexTicketNumber(em, t);
    await recordAttachments(ctx, t, files, { event: created, context: 'create', internal: false, fresh: true });
    await mail.write(accessCode ? { accessCode: { ticketId: t.id, code: accessCode } } : {});
  } finally {
    mail.cancel();
  }
  // the code still went to the submitter's phone above; the filer sees it only when they may
  return { ticket: t, accessCode: accessCode && mayShowAccessCode(actor, t) ? accessCode : undefined };
}

/**
 * Symposiums (座谈会, DESIGN §8): the meeting and the issues raised there, one ticket each
 * (channel `symposium`); its view shows each issue's state and answer, the feedback owed to
 * the attendees.
 */
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { Department, Symposium, Ticket, TicketMessage } from '../entities';
import type { Actor, UserActor } from '../domain/lifecycle';
import { canView } from '../domain/lifecycle';
import { localDate, startOfLocalDay } from '../domain/deadline';
import { fieldError, notFound } from '../errors';
import type { AppDeps } from '../deps';
import { runAs } from '../deps';
import { CommandContext } from './context';
import { createTicket, CreateTicketInput } from './create-ticket';
import { facts } from './ticket-store';
import { keepOnce, OnceKey, replayOnce } from './idempotency';
import { isDuplicateKey } from '../db';
import { decodeCursor, encodeCursor } from '../queries/cursor';

export interface Attendee {
  name: string;
  phone?: string;
  email?: string;
  businessName?: string;
}
/** An issue raised at the meeting: the fields of a ticket without channel, receipt or symposium (set here). */
export type SymposiumIssue = Omit<CreateTicketInput, 'channel' | 'receivedAt' | 'symposiumId' | 'sourceId'> & { kind: 'complaint' | 'suggestion' };
export interface SymposiumInput {
  title: string;
  heldOn: string;
  hostDepartmentCode: string;
  place?: string;
  attendees: Attendee[];
  issues: SymposiumIssue[];
}

/** What a symposium's issues became: ticket ids, and each new ticket's access code (shown once). */
export interface IssuesAdded {
  symposiumId: string;
  ticketIds: string[];
  accessCodes: Map<string, string> /** the first result of the same form, given again */;
  replayed?: boolean;
}

/**
 * Creates tickets for issues raised at the symposium, in the caller's transaction. The
 * meeting's date is the receipt: noon local that day, or now if the meeting is today.
 * @throws the create errors, with each field named `issues.<i>.<field>`
 */
async function addIssues(c: CommandContext, symposiumId: string, heldOn: string, issues: SymposiumIssue[]): Promise<IssuesAdded> {
  const ticketIds: string[] = [];
  const accessCodes = new Map<string, string>();
  const noon = new Date(startOfLocalDay(heldOn, c.tz).getTime() + 12 * 3_600_000);
  const receivedAt = noon.getTime() < c.now.getTime() ? noon : c.now;
  for (const [i, issue] of issues.entries()) {
    try {
      const r = await createTicket(c, { ...issue, channel: 'symposium', symposiumId, receivedAt });
      ticketIds.push(r.ticket.id);
      if (r.accessCode) accessCodes.set(r.ticket.id, r.accessCode);
    } catch (e) {
      const err = e as { errors?: { field: string }[] };
      if (err.errors)
        err.errors.forEach((f) => {
          f.field = `issues.${i}.${f.field}`;
        });
      throw e;
    }
  }
  return { symposiumId, ticketIds, accessCodes };
}

/** `IssuesAdded` as kept with a form's key (the Map as pairs). */
const keptForm = (a: IssuesAdded) => ({ symposiumId: a.symposiumId, ticketIds: a.ticketIds, accessCodes: [...a.accessCodes] });
const fromKept = (r: unknown): IssuesAdded => {
  const x = r as ReturnType<typeof keptForm>;
  return { symposiumId: x.symposiumId, ticketIds: x.ticketIds, accessCodes: new Map(x.accessCodes), replayed: true };
};

/**
 * `fn` in a transaction as `actor`, at most once per `once` key (the pages' form key, 24 h:
 * `keepOnce` / `replayOnce` of commands/idempotency.ts): a repeated or concurrent post of the
 * same form gets the first result (`replayed`), and nothing more is recorded.
 */
async function recordOnce(deps: AppDeps, actor: UserActor, once: OnceKey | undefined, fn: (c: CommandContext) => Promise<IssuesAdded>): Promise<IssuesAdded> {
  const replay = async () => {
    const r = once ? await replayOnce(deps, once) : null;
    return r?.result ? fromKept(r.result) : null;
  };
  const first = await replay();
  if (first) return first;
  try {
    const added = await runAs(deps, actor, async (c) => {
      const a = await fn(c);
      if (once) await keepOnce(c.em, deps, c.now, once, a.symposiumId, keptForm(a));
      return a;
    });
    deps.onTicketsChanged?.(added.ticketIds);
    return added;
  } catch (e) {
    if (once && isDuplicateKey(e)) {
      const r = await replay();
      if (r) return r;
    }
    throw e;
  }
}

/**
 * Records a symposium with the issues raised there (intake, coordinator; the route checks the
 * role); with `once` (a form's key), at most once per key.
 * @throws 422 on `heldOn` (`in_future`), `hostDepartmentCode` (`unknown`), `issues.<i>.*`; 422 `idempotency-key-reused`
 */
export async function recordSymposium(deps: AppDeps, actor: UserActor, input: SymposiumInput, once?: OnceKey): Promise<IssuesAdded> {
  const id = randomUUID();
  return recordOnce(deps, actor, once, async (c) => {
    if (input.heldOn > localDate(c.now, c.tz)) throw fieldError('heldOn', 'in_future', 'must not be in the future');
    if (!(await c.em.findOneBy(Department, { code: input.hostDepartmentCode }))) throw fieldError('hostDepartmentCode', 'unknown', 'unknown department');
    await c.em.insert(Symposium, {
      id,
      title: input.title,
      heldOn: input.heldOn,
      hostDepartmentCode: input.hostDepartmentCode,
      place: input.place ?? null,
      attendees: input.attendees,
      createdById: actor.userId,
      createdAt: c.now,
    });
    return addIssues(c, id, input.heldOn, input.issues);
  });
}

/** Records more issues raised at an existing symposium (with `once`, at most once per key). @throws 404 `not-found`; as `recordSymposium` */
export async function addSymposiumIssues(deps: AppDeps, actor: UserActor, symposiumId: string, issues: SymposiumIssue[], once?: OnceKey): Promise<IssuesAdded> {
  return recordOnce(deps, actor, once, async (c) => {
    const s = await c.em.findOneBy(Symposium, { id: symposiumId });
    if (!s) throw notFound('symposium');
    return addIssues(c, s.id, s.heldOn, issues);
  });
}

/**
 * A symposium with the issues the actor may see (an integrity report raised there stays
 * hidden from the accused department, DESIGN §7), each with its latest public answer.
 * @throws 404 `not-found`
 */
export async function symposiumWithIssues(deps: AppDeps, actor: Actor, id: string): Promise<{ symposium: Symposium; tickets: Ticket[]; answers: Map<string, TicketMessage> }> {
  const s = await deps.db.getRepository(Symposium).findOneBy({ id });
  if (!s) throw notFound('symposium');
  // issues recorded in one call share their creation instant: their numbers keep the order given
  const tickets = (await deps.db.getRepository(Ticket).find({ where: { symposiumId: id }, order: { createdAt: 'ASC', number: 'ASC' } })).filter((t) => canView(facts(t), actor));
  const replies = tickets.length
    ? await deps.db.getRepository(TicketMessage).find({ where: { ticketId: In(tickets.map((t) => t.id)), kind: In(['reply', 'intake_answer']) }, order: { createdAt: 'ASC' } })
    : [];
  const answers = new Map<string, TicketMessage>();
  for (const m of replies) answers.set(m.ticketId, m);
  return { symposium: s, tickets, answers };
}

/** Symposiums, newest first (keyset paging). @throws 400 for a foreign cursor */
export async function listSymposiums(deps: AppDeps, page: { limit: number; cursor?: string }): Promise<{ items: Symposium[]; nextCursor: string | null }> {
  const qb = deps.db.getRepository(Symposium).createQueryBuilder('s');
  const cur = decodeCursor(page.cursor);
  if (cur) qb.andWhere('(s.created_at < :cat OR (s.created_at = :cat AND s.id < :cid))', { cat: cur.at, cid: cur.id });
  const rows = await qb
    .orderBy('s.created_at', 'DESC')
    .addOrderBy('s.id', 'DESC')
    .take(page.limit + 1)
    .getMany();
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? encodeCursor(items[items.length - 1].createdAt, items[items.length - 1].id) : null };
}

/**
 * The reads of the staff workbench (issue 10): the ticket page, the handler's 待办, the
 * coordinator's dispatch board, the callback list, the possible duplicates of a caller.
 * Every ticket query applies `visibilityScope` inside the query (DESIGN §1, §7): what a page
 * lists, counts or searches is what `GET /api/v1/tickets` would give the same viewer, so the
 * accused department finds no trace of an integrity report here either.
 */
import { Brackets, EntityManager, In } from 'typeorm';
import { OversightOrder, Ticket, TicketEvent, TicketExtension, TicketMessage } from '../entities';
import type { AppDeps } from '../deps';
import { Actor, BAD_RATINGS, isOpen, TicketState, UserActor } from '../domain/lifecycle';
import { readTicket, TicketRead, ticketMessages, ticketTimeline } from '../commands/ticket-reads';
import { AttachmentsRead, listTicketAttachments } from '../commands/attachments';
import { listOrders } from '../commands/oversight';
import { loadRouting } from '../commands/reference-data';
import { readLagTolerant } from '../replicas';
import { countTickets, listTickets, TicketCriteria } from './tickets';
import { valueToken } from '../domain/search';
import { visibilityScope } from './visibility';
import { CategoryRow, DepartmentRow, listCategories, listDepartments } from './reference';

/** Everything the workbench's ticket page shows, read as the viewer may read it. */
export interface TicketWorkView {
  read: TicketRead;
  /** the timeline, oldest first; `hideActorId` as `presentEvent` takes it */
  events: TicketEvent[];
  hideActorId: string | null;
  /** the texts the events refer to (`payload.messageId`), by id */
  messages: Map<string, TicketMessage>;
  attachments: AttachmentsRead;
  /** the extension requests of the ticket (their reasons and states), by id */
  extensions: Map<string, TicketExtension>;
  /** this cycle's undecided extension request, if any */
  pendingExtension: TicketExtension | null;
  departments: DepartmentRow[];
  categories: CategoryRow[];
  /** the dispatch form's suggestion and default ({@link dispatchSuggestion}: never a department that returned it this cycle) */
  suggestedDepartment: string | null;
  /** the returns (退单) of this cycle, oldest first */
  returns: ReturnNote[];
  /** for the merge form: the open tickets matching `mergeQuery` (number or words), this one and integrity reports left out */
  mergeCandidates: Ticket[];
}

/**
 * The ticket page's data (404 for a ticket the viewer may not see). `identity: false` reads
 * without recording an identity read, so a supervisor sees the reporter only after asking
 * (`identity: true`, recorded as the API records it, DESIGN §7); likewise `contact: true`
 * shows a handler of the holding department the whole phone number, recorded as `contact_read`.
 * @throws 404 `not-found`
 */
export async function ticketWorkView(deps: AppDeps, actor: Actor, id: string, o: { identity: boolean; contact?: boolean; mergeQuery?: string }): Promise<TicketWorkView> {
  const read = await readTicket(deps, actor, id, { identity: o.identity, contact: o.contact });
  const { events, hideActorId } = await ticketTimeline(deps, actor, id);
  const messages = new Map((await ticketMessages(deps, actor, id)).map((m) => [m.id, m]));
  const attachments = await listTicketAttachments(deps, actor, id);
  const em = deps.db.manager;
  const extRows = await em.find(TicketExtension, { where: { ticketId: id }, order: { requestedAt: 'ASC' } });
  const t = read.ticket;
  const routing = await loadRouting(em);
  const returns = (await returnsThisCycle(em, [t])).get(t.id) ?? [];
  let mergeCandidates: Ticket[] = [];
  if (o.mergeQuery) {
    const page = await listTickets(em, actor, { q: o.mergeQuery, limit: 20 }, deps.clock.now());
    mergeCandidates = page.items.filter((c) => c.id !== t.id && c.kind !== 'integrity_report' && isOpen(c.state));
  }
  return {
    read,
    events,
    hideActorId,
    messages,
    attachments,
    extensions: new Map(extRows.map((x) => [x.id, x])),
    pendingExtension: extRows.find((x) => x.cycle === t.cycle && x.state === 'requested') ?? null,
    departments: await listDepartments(em),
    categories: await listCategories(em),
    suggestedDepartment: dispatchSuggestion(t.categoryCode, routing.rules, returns),
    returns,
    mergeCandidates,
  };
}

/** One list of the workbench: a page of tickets, its count and the cursor of the next page. */
export interface WorkList {
  items: Ticket[];
  total: number;
  nextCursor: string | null;
}

async function workList(em: EntityManager, actor: Actor, c: TicketCriteria, now: Date, limit: number, cursor?: string): Promise<WorkList> {
  const page = await listTickets(em, actor, { ...c, limit, cursor, sort: 'deadline' }, now);
  const total = page.nextCursor || cursor ? await countTickets(em, actor, c, now) : page.items.length;
  return { ...page, total };
}

/**
 * A workbench list (`/work/tickets`): the filters of `GET /api/v1/tickets`, next deadline
 * first, with the number of matches. Lag-tolerant (a replica when there is one).
 */
export function workTickets(deps: AppDeps, actor: Actor, c: TicketCriteria, page: { limit: number; cursor?: string }): Promise<WorkList & { departments: DepartmentRow[] }> {
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => ({ ...(await workList(em, actor, c, now, page.limit, page.cursor)), departments: await listDepartments(em) }));
}

/** The handler's 待办 (issue 10): to sign, in progress, awaiting information, oversight orders to answer. */
export interface HandlerTodo {
  toSign: WorkList;
  inProgress: WorkList;
  awaitingInfo: WorkList;
  orders: OversightOrder[];
}

/**
 * The 待办 of a department's handler: its tickets to sign for, in progress and awaiting
 * information (next deadline first), and its open oversight orders (response deadline first).
 */
export function handlerTodo(deps: AppDeps, actor: UserActor, limit = 50): Promise<HandlerTodo> {
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => {
    const list = (state: TicketState) => workList(em, actor, { state }, now, limit);
    const orders = await listOrders(em, actor, { state: 'open', limit: 200 }, now);
    return {
      toSign: await list('dispatched'),
      inProgress: await list('in_progress'),
      awaitingInfo: await list('awaiting_info'),
      orders: orders.slice(0, 200).sort((a, b) => a.respondBy.getTime() - b.respondBy.getTime()),
    };
  });
}

/** A return (退单) as the dispatch board shows it: which department, why, when. */
export interface ReturnNote {
  departmentCode: string | null;
  reason: string | null;
  at: Date;
}

/**
 * The department a dispatch form suggests and pre-selects, the one rule of the dispatch board
 * and the ticket page: the routing rules' department for the ticket's category, unless that
 * department returned the ticket in this cycle (it said the matter is not theirs; suggesting it
 * again sends it straight back). Null: no suggestion, the coordinator chooses.
 */
export function dispatchSuggestion(categoryCode: string | null, rules: ReadonlyMap<string, string>, returns: readonly ReturnNote[]): string | null {
  const d = categoryCode ? rules.get(categoryCode) : undefined;
  return d && !returns.some((r) => r.departmentCode === d) ? d : null;
}

/** The returns of each ticket's current cycle, oldest first, with their reasons. */
async function returnsThisCycle(em: EntityManager, tickets: readonly { id: string; cycle: number }[]): Promise<Map<string, ReturnNote[]>> {
  const out = new Map<string, ReturnNote[]>();
  if (!tickets.length) return out;
  const evs = await em.find(TicketEvent, { where: { ticketId: In(tickets.map((t) => t.id)), type: 'returned' }, order: { seq: 'ASC' } });
  const cycleOf = new Map(tickets.map((t) => [t.id, t.cycle]));
  const current = evs.filter((e) => e.cycle === cycleOf.get(e.ticketId));
  const msgIds = current.map((e) => e.payload.messageId).filter((x): x is string => typeof x === 'string');
  const texts = new Map(msgIds.length ? (await em.find(TicketMessage, { where: { id: In(msgIds) } })).map((m) => [m.id, m.body]) : []);
  for (const e of current) {
    const list = out.get(e.ticketId) ?? [];
    list.push({ departmentCode: (e.payload.departmentCode as string | undefined) ?? null, reason: texts.get(e.payload.messageId as string) ?? null, at: e.at });
    out.set(e.ticketId, list);
  }
  return out;
}

/** The coordinator's dispatch board (issue 10). */
export interface DispatchBoard {
  /** `registered` tickets (new and returned), dispatch deadline first */
  waiting: WorkList;
  /** the department the routing rules give each ticket's category, by ticket id */
  suggestions: Map<string, string>;
  /** the latest return of each returned ticket of this cycle, by ticket id */
  returns: Map<string, ReturnNote>;
  /** undecided extension requests with their tickets, oldest first */
  extensions: { ticket: Ticket; extension: TicketExtension }[];
  departments: DepartmentRow[];
}

/**
 * The dispatch board: tickets waiting for the coordinator's dispatch with the routing rules'
 * suggestion and the return reasons, and the extension requests to decide. Integrity reports
 * the viewer may not see are left out inside the queries (`visibilityScope`).
 */
export function dispatchBoard(deps: AppDeps, actor: UserActor, page: { limit: number; cursor?: string }): Promise<DispatchBoard> {
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => {
    const waiting = await workList(em, actor, { state: 'registered' }, now, page.limit, page.cursor);
    const routing = await loadRouting(em);
    const byTicket = await returnsThisCycle(em, waiting.items);
    const suggestions = new Map<string, string>();
    const returns = new Map<string, ReturnNote>();
    for (const t of waiting.items) {
      const r = byTicket.get(t.id) ?? [];
      const d = dispatchSuggestion(t.categoryCode, routing.rules, r);
      if (d) suggestions.set(t.id, d);
      if (r.length) returns.set(t.id, r[r.length - 1]);
    }
    const qb = em.getRepository(Ticket).createQueryBuilder('t').innerJoin(TicketExtension, 'x', "x.ticket_id = t.id AND x.cycle = t.cycle AND x.state = 'requested'");
    visibilityScope(qb, actor);
    const withExt = await qb.orderBy('t.reply_by', 'ASC').addOrderBy('t.id', 'ASC').take(100).getMany();
    const exts = withExt.length ? await em.find(TicketExtension, { where: { ticketId: In(withExt.map((t) => t.id)), state: 'requested' } }) : [];
    const extensions = withExt.flatMap((t) => {
      const x = exts.find((e) => e.ticketId === t.id && e.cycle === t.cycle);
      return x ? [{ ticket: t, extension: x }] : [];
    });
    return { waiting, suggestions, returns, extensions, departments: await listDepartments(em) };
  });
}

/** The callback list (回访, issue 10): replied tickets awaiting a rating, and tickets rated badly. */
export interface CallbackList {
  awaiting: WorkList;
  badlyRated: WorkList;
}

/**
 * Intake's callback list: replied tickets awaiting the owner's rating (rating window first),
 * and tickets whose last rating was one of the two bad ones (差评, now in a new cycle).
 * Intake sees no integrity report (DESIGN §1), inside the query.
 */
export function callbackList(deps: AppDeps, actor: UserActor, limit = 50): Promise<CallbackList> {
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => ({
    awaiting: await workList(em, actor, { state: 'replied' }, now, limit),
    badlyRated: await badlyRated(em, actor, limit),
  }));
}

async function badlyRated(em: EntityManager, actor: Actor, limit: number): Promise<WorkList> {
  const qb = em.getRepository(Ticket).createQueryBuilder('t').where('t.rating IN (:...bad)', { bad: BAD_RATINGS });
  visibilityScope(qb, actor);
  const total = await qb.getCount();
  const items = await qb.orderBy('t.rated_at', 'DESC').addOrderBy('t.id', 'DESC').take(limit).getMany();
  return { items, total, nextCursor: null };
}

/** How far back the duplicate check looks (a caller's earlier tickets of the last year). */
export const DUPLICATE_LOOKBACK_MS = 366 * 24 * 3_600_000;

/**
 * A caller's earlier tickets by phone number or unified social credit code (issue 10: shown
 * to intake as possible duplicates before saving), newest first, at most `limit`, received
 * within {@link DUPLICATE_LOOKBACK_MS}. Integrity reports are never among them (intake never
 * sees one, DESIGN §1; nobody is shown a report by a caller's phone), and the viewer's
 * visibility applies inside the query. `phone` and `creditCode` must be validated first
 * (digits and capitals only: safe inside LIKE).
 */
export async function possibleDuplicates(deps: AppDeps, actor: Actor, who: { phone?: string; creditCode?: string }, limit = 10): Promise<Ticket[]> {
  if (!who.phone && !who.creditCode) return [];
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => {
    // Found through the search index, which holds every ticket's phone and credit codes whole
    // (docs/decisions/search.md), instead of scanning a year of contacts; the contact test
    // below keeps it to the caller's own tickets (not those whose text names the number).
    const tokens = [who.phone, who.creditCode].filter((v): v is string => !!v).map(valueToken);
    const qb = em
      .getRepository(Ticket)
      .createQueryBuilder('t')
      .where("t.kind <> 'integrity_report'")
      .andWhere('t.id IN (SELECT st.ticket_id FROM ticket_search_token st WHERE st.token IN (:...dupTokens))', { dupTokens: tokens })
      .andWhere('t.received_at >= :since', { since: new Date(now.getTime() - DUPLICATE_LOOKBACK_MS) })
      .andWhere(
        new Brackets((w) => {
          if (who.phone) w.orWhere('t.contact LIKE :ph', { ph: `%"phone":"${who.phone}"%` });
          if (who.creditCode) w.orWhere('t.contact LIKE :cc', { cc: `%"creditCode":"${who.creditCode}"%` }).orWhere('t.subject_credit_code = :ccode', { ccode: who.creditCode });
        }),
      );
    visibilityScope(qb, actor);
    return qb.orderBy('t.received_at', 'DESC').addOrderBy('t.id', 'DESC').take(limit).getMany();
  });
}

/**
 * The oversight orders list of the workbench (`/work/oversight`): as `GET /api/v1/oversight`
 * gives them to the viewer (handlers their department's), open ones by response deadline,
 * then the rest newest first.
 */
export function workOrders(
  deps: AppDeps,
  actor: UserActor,
  f: { state?: 'open' | 'responded' | 'closed'; level?: number; overdue?: boolean },
  limit = 100,
): Promise<{ items: OversightOrder[]; departments: DepartmentRow[] }> {
  const now = deps.clock.now();
  return readLagTolerant(deps, actor, async (em) => {
    const rows = (await listOrders(em, actor, { ...f, limit }, now)).slice(0, limit);
    const open = rows.filter((o) => o.state === 'open').sort((a, b) => a.respondBy.getTime() - b.respondBy.getTime());
    return { items: [...open, ...rows.filter((o) => o.state !== 'open')], departments: await listDepartments(em) };
  });
}

import Router from '@koa/router';
import { decodeCursor, encodeCursor } from '../../queries/cursor';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, runCommand } from '../deps';
import { Paging, line, multiline, IsoDate, DepartmentCode, Mobile, Email, Uuid, OwnerContact, PriorityE, Kind } from '../../schemas';
import { Department, Symposium, Ticket, TicketMessage } from '../../entities';
import { requireRole } from '../auth';
import { createTicket } from '../../commands/create-ticket';
import { fieldError, notFound } from '../../errors';
import { Actor, canView } from '../../domain/lifecycle';
import { facts } from '../../commands/ticket-store';
import { localDate, startOfLocalDay } from '../../domain/deadline';
import { presentTicket } from '../presenters';
import { maskPhone } from '../../domain/validators';

const Attendee = z.object({ name: line(100), phone: Mobile.optional(), email: Email.optional(), businessName: line(100).optional() }).strict();
const Issue = z.object({
  kind: Kind.extract(['complaint', 'suggestion']).default('suggestion'),
  title: line(200), description: multiline(5000), category: z.string().max(32).optional(), priority: PriorityE.optional(),
  owner: OwnerContact.optional(), anonymous: z.boolean().optional(),
}).strict();

/** Symposiums (座谈会) and the issues raised there (DESIGN §8). */
export function symposiumRoutes(router: Router, deps: AppDeps) {
  const tags = ['symposiums'];

  async function view(id: string, actor: Actor) {
    const s = await deps.db.getRepository(Symposium).findOneBy({ id });
    if (!s) throw notFound('symposium');
    // issues recorded in one call share their creation instant: their numbers keep the order given
    const tickets = (await deps.db.getRepository(Ticket).find({ where: { symposiumId: id }, order: { createdAt: 'ASC', number: 'ASC' } })).filter((t) => canView(facts(t), actor));
    const replies = tickets.length ? await deps.db.getRepository(TicketMessage).find({ where: { ticketId: In(tickets.map((t) => t.id)), kind: In(['reply', 'intake_answer']) }, order: { createdAt: 'ASC' } }) : [];
    const now = deps.clock.now();
    return {
      id: s.id, title: s.title, heldOn: s.heldOn, hostDepartmentCode: s.hostDepartmentCode, place: s.place, createdAt: s.createdAt.toISOString(),
      // handlers get attendees' phone numbers masked and no email, as for tickets (DESIGN §1)
      attendees: actor.kind === 'user' && actor.role === 'handler'
        ? s.attendees.map((a: { phone?: string; email?: string }) => ({ ...a, phone: a.phone ? maskPhone(a.phone) : undefined, email: undefined }))
        : s.attendees,
      issues: tickets.map((t) => {
        const p = presentTicket(t, actor, { now, list: true });
        const answer = replies.filter((m) => m.ticketId === t.id).pop();
        return { id: t.id, number: t.number, title: t.title, state: t.state, departmentCode: t.departmentCode, deadlines: p.deadlines, overdue: p.overdue, outcome: t.outcome, answer: answer ? { body: answer.body, at: answer.createdAt.toISOString() } : null };
      }),
    };
  }

  route(router, { method: 'post', path: '/symposiums', roles: ['intake', 'coordinator'] as const, summary: 'Record a symposium, optionally with the issues raised there', tags, status: 201,
    body: z.object({
      title: line(200), heldOn: IsoDate, hostDepartmentCode: DepartmentCode.default('SAMR'), place: line(200).optional(),
      attendees: z.array(Attendee).max(500).default([]), issues: z.array(Issue).max(200).default([]),
    }).strict() },
  async (ctx, { body }) => {
    const actor = requireRole(ctx);
    const id = randomUUID();
    const { ids, codes } = await runCommand(deps, ctx, async (c) => {
      if (body.heldOn > localDate(c.now, c.tz)) throw fieldError('heldOn', 'in_future', 'must not be in the future');
      if (!(await c.em.findOneBy(Department, { code: body.hostDepartmentCode }))) throw fieldError('hostDepartmentCode', 'unknown', 'unknown department');
      await c.em.insert(Symposium, { id, title: body.title, heldOn: body.heldOn, hostDepartmentCode: body.hostDepartmentCode, place: body.place ?? null, attendees: body.attendees, createdById: actor.userId, createdAt: c.now });
      return addIssues(c, id, body.heldOn, body.issues);
    });
    deps.onTicketsChanged?.(ids);
    ctx.status = 201;
    ctx.body = withAccessCodes(await view(id, ctx.state.actor), codes);
  });

  async function addIssues(c: Parameters<Parameters<typeof runCommand>[2]>[0], symposiumId: string, heldOn: string, issues: z.infer<typeof Issue>[]) {
    const ids: string[] = [];
    const codes = new Map<string, string>();
    // The meeting's date is the receipt: noon local that day, or now if the meeting is today.
    const noon = new Date(startOfLocalDay(heldOn, c.tz).getTime() + 12 * 3_600_000);
    const receivedAt = noon.getTime() < c.now.getTime() ? noon : c.now;
    for (const [i, issue] of issues.entries()) {
      try {
        const r = await createTicket(c, { ...issue, channel: 'symposium', symposiumId, receivedAt });
        ids.push(r.ticket.id);
        if (r.accessCode) codes.set(r.ticket.id, r.accessCode);
      } catch (e) {
        const err = e as { errors?: { field: string }[]; status?: number };
        if (err.errors) err.errors.forEach((f) => { f.field = `issues.${i}.${f.field}`; });
        throw e;
      }
    }
    return { ids, codes };
  }

  /** Each new issue's access code, shown once with the response that created it (DESIGN §1: every symposium ticket gets one). */
  function withAccessCodes<V extends { issues: { id: string }[] }>(v: V, codes: Map<string, string>): V {
    return { ...v, issues: v.issues.map((i) => (codes.has(i.id) ? { ...i, accessCode: codes.get(i.id) } : i)) };
  }

  route(router, { method: 'post', path: '/symposiums/:id/issues', roles: ['intake', 'coordinator'] as const, summary: 'Record issues raised at a symposium (one ticket each)', tags, status: 201,
    params: z.object({ id: Uuid }), body: z.object({ issues: z.array(Issue).min(1).max(200) }).strict() },
  async (ctx, { params, body }) => {
    const { ids, codes } = await runCommand(deps, ctx, async (c) => {
      const s = await c.em.findOneBy(Symposium, { id: params.id });
      if (!s) throw notFound('symposium');
      return addIssues(c, s.id, s.heldOn, body.issues);
    });
    deps.onTicketsChanged?.(ids);
    ctx.status = 201;
    ctx.body = withAccessCodes(await view(params.id, ctx.state.actor), codes);
  });

  route(router, { method: 'get', path: '/symposiums', summary: 'List symposiums, newest first', tags, roles: ['intake', 'coordinator', 'supervisor', 'admin'] as const,
    query: z.object({ ...Paging }).strict() },
  async (ctx, { query }) => {
    const qb = deps.db.getRepository(Symposium).createQueryBuilder('s');
    const cur = decodeCursor(query.cursor);
    if (cur) qb.andWhere('(s.created_at < :cat OR (s.created_at = :cat AND s.id < :cid))', { cat: cur.at, cid: cur.id });
    const rows = await qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC').take(query.limit + 1).getMany();
    const page = rows.slice(0, query.limit);
    ctx.body = {
      items: page.map((s) => ({ id: s.id, title: s.title, heldOn: s.heldOn, hostDepartmentCode: s.hostDepartmentCode, place: s.place, attendeeCount: s.attendees.length })),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].createdAt, page[page.length - 1].id) : null,
    };
  });

  route(router, { method: 'get', path: '/symposiums/:id', summary: 'A symposium with each issue\'s state and answer', tags, params: z.object({ id: Uuid }) }, async (ctx, { params }) => {
    requireRole(ctx, 'intake', 'coordinator', 'supervisor', 'admin', 'handler');
    ctx.body = await view(params.id, ctx.state.actor);
  });
}

import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { IsoDate, Instant, DepartmentCode, Kind, PriorityE, line } from '../../schemas';
import { CalendarDay, CalendarYear, Category, Department, RoutingRule, SlaPolicy } from '../../entities';
import { requireRole } from '../auth';
import { AppError, fieldError } from '../../errors';
import { addWorkingDays } from '../../domain/deadline';
import { recomputeOpenTickets } from '../../commands/recompute';
import { invalidateReferenceData } from '../../commands/reference-data';
import { loadCalendar } from '../../commands/calendar';
import { Actor } from '../../domain/lifecycle';
import { inTransaction } from '../../db';

const Year = z.object({ year: z.coerce.number().int().min(2000).max(2100) });

/** Calendar, SLA policies and routing rules (admin), and the deadline calculator (DESIGN §4, §13). */
export function configRoutes(router: Router, deps: AppDeps) {
  async function recomputeAll(actor: Actor, reason: string, filter: { kind?: string; priority?: string } = {}) {
    deps.calendar.invalidate();
    invalidateReferenceData();
    const cal = await loadCalendar(deps.db.manager);
    const changed = await recomputeOpenTickets(deps.db, { cal, tz: deps.config.businessTz, now: deps.clock.now(), actor, reason, ...filter });
    if (changed.length) deps.onTicketsChanged?.(changed);
    return changed.length;
  }

  route(router, { method: 'get', path: '/calendar/deadline', summary: 'N working days from an instant, by the rule of DESIGN §4', tags: ['calendar'],
    query: z.object({ start: Instant, workingDays: z.coerce.number().int().min(1).max(1000) }).strict() },
  async (ctx, { query }) => {
    requireRole(ctx);
    const cal = await deps.calendar.get(deps.db.manager);
    const d = addWorkingDays(query.start, query.workingDays, cal, deps.config.businessTz);
    ctx.body = { dueAt: d.dueAt.toISOString(), provisional: d.provisional };
  });

  route(router, { method: 'get', path: '/calendar/:year', summary: 'A year\'s holidays and adjusted working days, and whether it is official', tags: ['calendar'], params: Year },
    async (ctx, { params }) => {
      requireRole(ctx);
      const cal = await deps.calendar.get(deps.db.manager);
      const overrides = await deps.db.getRepository(CalendarDay).createQueryBuilder('d').where('d.source = :s AND d.date LIKE :y', { s: 'override', y: `${params.year}-%` }).orderBy('d.date').getMany();
      ctx.body = { ...cal.yearSchedule(params.year), overrides: overrides.map((d) => ({ date: d.date, type: d.type, note: d.note })) };
    });

  route(router, { method: 'put', path: '/calendar/:year', roles: ['admin'] as const, summary: 'Load a year\'s full official schedule (marks it official; recomputes open deadlines)', tags: ['calendar'], params: Year,
    body: z.object({ holidays: z.array(IsoDate).max(366), workdays: z.array(IsoDate).max(366) }).strict() },
  async (ctx, { params, body }) => {
    const actor = requireRole(ctx);
    const all = [...body.holidays.map((d, i) => ['holidays', i, d] as const), ...body.workdays.map((d, i) => ['workdays', i, d] as const)];
    const wrongYear = all.find(([, , d]) => Number(d.slice(0, 4)) !== params.year);
    if (wrongYear) throw fieldError(`${wrongYear[0]}.${wrongYear[1]}`, 'wrong_year', `${wrongYear[2]} is not in ${params.year}`);
    const both = body.holidays.find((d) => body.workdays.includes(d));
    if (both) throw fieldError('workdays', 'duplicate', `${both} is listed as both holiday and working day`);
    const now = deps.clock.now();
    await inTransaction(deps.db, async (em) => {
      await em.createQueryBuilder().delete().from(CalendarDay).where('source = :s AND date LIKE :y', { s: 'official', y: `${params.year}-%` }).execute();
      for (const d of new Set(body.holidays)) await em.insert(CalendarDay, { date: d, type: 'holiday', source: 'official', note: null, updatedAt: now }).catch(async () => {
        // an override of that date stays the override
      });
      for (const d of new Set(body.workdays)) await em.insert(CalendarDay, { date: d, type: 'workday', source: 'official', note: null, updatedAt: now }).catch(async () => {});
      await em.delete(CalendarYear, { year: params.year });
      await em.insert(CalendarYear, { year: params.year, loadedAt: now, loadedById: actor.userId });
    });
    const recomputed = await recomputeAll(actor, `calendar ${params.year} loaded`);
    const cal = await deps.calendar.get(deps.db.manager);
    ctx.body = { ...cal.yearSchedule(params.year), recomputedTickets: recomputed };
  });

  route(router, { method: 'put', path: '/calendar/days/:date', roles: ['admin'] as const, summary: 'Override one day (holiday or working day); recomputes open deadlines', tags: ['calendar'],
    params: z.object({ date: IsoDate }), body: z.object({ type: z.enum(['holiday', 'workday']), note: line(200).optional() }).strict() },
  async (ctx, { params, body }) => {
    const actor = requireRole(ctx);
    const now = deps.clock.now();
    await inTransaction(deps.db, async (em) => {
      await em.delete(CalendarDay, { date: params.date });
      await em.insert(CalendarDay, { date: params.date, type: body.type, source: 'override', note: body.note ?? null, updatedAt: now });
    });
    const recomputed = await recomputeAll(actor, `calendar override ${params.date}`);
    ctx.body = { date: params.date, type: body.type, note: body.note ?? null, recomputedTickets: recomputed };
  });

  const Policy = z.object({
    kind: Kind, priority: PriorityE, signAmount: z.number().int().min(1).max(1000), signUnit: z.enum(['working_days', 'hours']),
    replyAmount: z.number().int().min(1).max(1000), replyUnit: z.enum(['working_days', 'hours']),
  }).strict();
  const presentPolicy = (p: SlaPolicy) => ({ kind: p.kind, priority: p.priority, signAmount: p.signAmount, signUnit: p.signUnit, replyAmount: p.replyAmount, replyUnit: p.replyUnit, updatedAt: p.updatedAt.toISOString() });

  route(router, { method: 'get', path: '/sla-policies', summary: 'SLA policies', tags: ['configuration'] }, async (ctx) => {
    requireRole(ctx, 'admin', 'coordinator', 'supervisor');
    ctx.body = { items: (await deps.db.getRepository(SlaPolicy).find({ order: { kind: 'ASC', priority: 'ASC' } })).map(presentPolicy), nextCursor: null };
  });

  route(router, { method: 'put', path: '/sla-policies', roles: ['admin'] as const, summary: 'Set one or more SLA policies; recomputes open deadlines of those kinds', tags: ['configuration'],
    body: z.object({ items: z.array(Policy).min(1).max(20) }).strict() },
  async (ctx, { body }) => {
    const actor = requireRole(ctx);
    body.items.forEach((p, i) => {
      if (body.items.findIndex((q) => q.kind === p.kind && q.priority === p.priority) !== i) throw fieldError(`items.${i}`, 'duplicate', `${p.kind}/${p.priority} appears twice`);
      // The sign-for deadline comes before the reply deadline (DESIGN §4); comparable only in the same unit.
      if (p.signUnit === p.replyUnit && p.signAmount >= p.replyAmount) throw fieldError(`items.${i}.signAmount`, 'not_before_reply', 'the sign-for period must be shorter than the reply period');
    });
    const now = deps.clock.now();
    await inTransaction(deps.db, async (em) => {
      for (const p of body.items) await em.save(SlaPolicy, { ...p, updatedAt: now });
    });
    let recomputed = 0;
    for (const kind of new Set(body.items.map((p) => p.kind))) recomputed += await recomputeAll(actor, 'SLA policy changed', { kind });
    ctx.body = { items: (await deps.db.getRepository(SlaPolicy).find({ order: { kind: 'ASC', priority: 'ASC' } })).map(presentPolicy), recomputedTickets: recomputed };
  });

  route(router, { method: 'get', path: '/routing-rules', summary: 'Routing rules (category → department)', tags: ['configuration'] }, async (ctx) => {
    requireRole(ctx, 'admin', 'coordinator');
    const rows = await deps.db.getRepository(RoutingRule).find({ order: { categoryCode: 'ASC' } });
    ctx.body = { items: rows.map((r) => ({ categoryCode: r.categoryCode, departmentCode: r.departmentCode, updatedAt: r.updatedAt.toISOString() })), nextCursor: null };
  });

  route(router, { method: 'put', path: '/routing-rules', roles: ['admin'] as const, summary: 'Replace the routing rules; applies to tickets created from now on', tags: ['configuration'],
    body: z.object({ items: z.array(z.object({ categoryCode: z.string().max(32), departmentCode: DepartmentCode }).strict()).max(200) }).strict() },
  async (ctx, { body }) => {
    const now = deps.clock.now();
    await inTransaction(deps.db, async (em) => {
      for (const [i, r] of body.items.entries()) {
        if (!(await em.findOneBy(Category, { code: r.categoryCode }))) throw fieldError(`items.${i}.categoryCode`, 'unknown', `unknown category ${r.categoryCode}`);
        if (!(await em.findOneBy(Department, { code: r.departmentCode }))) throw fieldError(`items.${i}.departmentCode`, 'unknown', `unknown department ${r.departmentCode}`);
        if (r.departmentCode === 'DIS') throw fieldError(`items.${i}.departmentCode`, 'discipline', 'the discipline department receives integrity reports only');
      }
      const cats = body.items.map((r) => r.categoryCode);
      if (new Set(cats).size !== cats.length) throw new AppError(422, 'validation-failed', 'a category appears twice', [{ field: 'items', code: 'duplicate', message: 'one rule per category' }]);
      await em.createQueryBuilder().delete().from(RoutingRule).execute();
      for (const r of body.items) await em.insert(RoutingRule, { id: randomUUID(), categoryCode: r.categoryCode, departmentCode: r.departmentCode, updatedAt: now });
    });
    invalidateReferenceData();
    const rows = await deps.db.getRepository(RoutingRule).find({ order: { categoryCode: 'ASC' } });
    ctx.body = { items: rows.map((r) => ({ categoryCode: r.categoryCode, departmentCode: r.departmentCode, updatedAt: r.updatedAt.toISOString() })) };
  });
}

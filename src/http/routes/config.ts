import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { IsoDate, Instant, DepartmentCode, intParam, Kind, PriorityE, line, YearParam } from '../../schemas';
import { calendarYear, deadlineFrom, listRoutingRules, listSlaPolicies, loadOfficialYear, overrideCalendarDay, replaceRoutingRules, setSlaPolicies } from '../../commands/configuration';
import { presentPolicy, presentRoutingRule } from '../presenters';

const Year = z.object({ year: YearParam });
const Policy = z
  .object({
    kind: Kind,
    priority: PriorityE,
    signAmount: z.number().int().min(1).max(1000),
    signUnit: z.enum(['working_days', 'hours']),
    replyAmount: z.number().int().min(1).max(1000),
    replyUnit: z.enum(['working_days', 'hours']),
  })
  .strict();
/** Calendar, SLA policies and routing rules (admin), and the deadline calculator (DESIGN §4, §13). */
export function configRoutes(router: Router, deps: AppDeps) {
  route(
    router,
    {
      method: 'get',
      path: '/calendar/deadline',
      summary: 'N working days from an instant, by the rule of DESIGN §4',
      tags: ['calendar'],
      query: z.object({ start: Instant, workingDays: intParam(1, 1000, 'a number of working days') }).strict(),
    },
    async (ctx, { query }) => {
      const d = await deadlineFrom(deps, query.start, query.workingDays);
      ctx.body = { dueAt: d.dueAt.toISOString(), provisional: d.provisional };
    },
  );

  route(
    router,
    { method: 'get', path: '/calendar/:year', summary: "A year's holidays and adjusted working days, and whether it is official", tags: ['calendar'], params: Year },
    async (ctx, { params }) => {
      ctx.body = await calendarYear(deps, params.year);
    },
  );

  route(
    router,
    {
      method: 'put',
      path: '/calendar/:year',
      roles: ['admin'] as const,
      summary: "Load a year's full official schedule (marks it official; recomputes open deadlines)",
      tags: ['calendar'],
      params: Year,
      body: z.object({ holidays: z.array(IsoDate).max(366), workdays: z.array(IsoDate).max(366) }).strict(),
    },
    async (ctx, { params, body, actor }) => {
      ctx.body = await loadOfficialYear(deps, actor, params.year, body);
    },
  );

  route(
    router,
    {
      method: 'put',
      path: '/calendar/days/:date',
      roles: ['admin'] as const,
      summary: 'Override one day (holiday or working day); recomputes open deadlines',
      tags: ['calendar'],
      params: z.object({ date: IsoDate }),
      body: z.object({ type: z.enum(['holiday', 'workday']), note: line(200).optional() }).strict(),
    },
    async (ctx, { params, body, actor }) => {
      ctx.body = await overrideCalendarDay(deps, actor, params.date, body);
    },
  );

  route(router, { method: 'get', path: '/sla-policies', roles: ['admin', 'coordinator', 'supervisor'] as const, summary: 'SLA policies', tags: ['configuration'] }, async (ctx) => {
    ctx.body = { items: (await listSlaPolicies(deps)).map(presentPolicy), nextCursor: null };
  });

  route(
    router,
    {
      method: 'put',
      path: '/sla-policies',
      roles: ['admin'] as const,
      summary: 'Set one or more SLA policies; recomputes open deadlines of those kinds',
      tags: ['configuration'],
      body: z.object({ items: z.array(Policy).min(1).max(20) }).strict(),
    },
    async (ctx, { body, actor }) => {
      const r = await setSlaPolicies(deps, actor, body.items);
      ctx.body = { items: r.items.map(presentPolicy), recomputedTickets: r.recomputedTickets };
    },
  );

  route(router, { method: 'get', path: '/routing-rules', roles: ['admin', 'coordinator'] as const, summary: 'Routing rules (category → department)', tags: ['configuration'] }, async (ctx) => {
    ctx.body = { items: (await listRoutingRules(deps)).map(presentRoutingRule), nextCursor: null };
  });

  route(
    router,
    {
      method: 'put',
      path: '/routing-rules',
      roles: ['admin'] as const,
      summary: 'Replace the routing rules; applies to tickets created from now on',
      tags: ['configuration'],
      body: z.object({ items: z.array(z.object({ categoryCode: z.string().max(32), departmentCode: DepartmentCode }).strict()).max(200) }).strict(),
    },
    async (ctx, { body }) => {
      ctx.body = { items: (await replaceRoutingRules(deps, body.items)).map(presentRoutingRule) };
    },
  );
}

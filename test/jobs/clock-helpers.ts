import { startHarness, standardStaff } from '../helpers/harness';
import type { Client, Harness } from '../helpers/harness';
import { startWorkers, JobRunner } from '../../src/jobs/runner';
import { Escalation, OversightOrder, DeadlineNotice } from '../../src/entities';

export const Z = (local: string) => new Date(local).toISOString();
export const CALLER = { name: '李四', phone: '13612345678' };

/** A hotline complaint about tax fees (routed to TAX at once), registered by intake. */
export async function taxComplaint(intake: Client, extra: Record<string, unknown> = {}) {
  const r = await intake.post('/api/v1/tickets', {
    kind: 'complaint',
    channel: 'hotline',
    category: 'tax_fees',
    title: '定额税核定偏高',
    description: '营业额下降但定额未调整',
    owner: CALLER,
    ...extra,
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.body;
}

export async function act(c: Client, id: string, action: string, body: Record<string, unknown> = {}, status = 200) {
  const r = await c.post(`/api/v1/tickets/${id}/${action}`, body);
  if (r.status !== status) throw new Error(`${action}: expected ${status}, got ${r.status} ${r.text}`);
  return r.body;
}

/** The timeline as [type, cycle, payload] (payload without message ids). */
export async function timeline(c: Client, id: string): Promise<[string, number, Record<string, unknown>][]> {
  const items = (await c.get(`/api/v1/tickets/${id}/events`)).body.items as { type: string; cycle: number; payload: Record<string, unknown> }[];
  return items.map((e) => {
    const { messageId: _m, ...p } = e.payload;
    return [e.type, e.cycle, p];
  });
}

/** Only the `escalated` events: [cycle, level, reason, actor role, at]. */
export async function escalatedEvents(c: Client, id: string) {
  const items = (await c.get(`/api/v1/tickets/${id}/events`)).body.items as any[];
  return items.filter((e) => e.type === 'escalated').map((e) => [e.cycle, e.payload.level, e.payload.reason, e.actor.role, e.at]);
}

export async function escalationRows(h: Harness, ticketId: string) {
  const rows = await h.deps.db.getRepository(Escalation).find({ where: { ticketId }, order: { cycle: 'ASC', level: 'ASC' } });
  return rows.map((r) => ({
    cycle: r.cycle,
    level: r.level,
    reason: r.reason,
    target: r.target,
    departmentCode: r.departmentCode,
    triggeredAt: r.triggeredAt?.toISOString() ?? null,
    orderId: r.orderId,
  }));
}

export async function orders(h: Harness, ticketId: string) {
  const rows = await h.deps.db.getRepository(OversightOrder).find({ where: { ticketId }, order: { openedAt: 'ASC', level: 'ASC' } });
  return rows.map((o) => ({
    id: o.id,
    cycle: o.cycle,
    level: o.level,
    reason: o.reason,
    departmentCode: o.departmentCode,
    state: o.state,
    respondBy: o.respondBy.toISOString(),
    late: o.lateAt !== null,
  }));
}

export async function dueSoonNotices(h: Harness, ticketId: string) {
  const rows = await h.deps.db.getRepository(DeadlineNotice).find({ where: { ticketId }, order: { dueAt: 'ASC' } });
  return rows.map((n) => [n.cycle, n.deadline, n.dueAt.toISOString()]);
}

/** Polls `fn` until it returns true (or fails after `ms`). */
export async function eventually(fn: () => Promise<boolean>, ms = 10_000, step = 50): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, step));
  }
  return fn();
}

/**
 * A harness on the real November 2026 calendar with the standard staff and a job runner
 * whose sweep the test calls itself (no interval, no post-commit hook).
 */
export async function startClockHarness(): Promise<{ h: Harness; s: Awaited<ReturnType<typeof standardStaff>>; jobs: JobRunner }> {
  const h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  const s = await standardStaff(h);
  const jobs = await startWorkers(h.deps, { hook: false, sweepIntervalMs: 0 });
  await jobs.sweep();
  return { h, s, jobs };
}

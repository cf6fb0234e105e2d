import { In, MoreThan } from 'typeorm';
import { DataSource } from 'typeorm';
import { Ticket } from '../entities';
import { OPEN_STATES, Actor } from '../domain/lifecycle';
import { WorkCalendar } from '../domain/calendar';
import { appendEvent } from './events';
import { recomputeDeadlines } from './deadlines';
import { saveTicket } from './ticket-store';
import { inTransaction } from '../db';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Recomputes the deadlines of every open ticket from their stored inputs after a calendar
 * or policy change (DESIGN §4: recompute, never patch). Tickets whose deadlines moved get a
 * `deadlines_recomputed` event with the old and new instants. Works in batches of 200,
 * one transaction per ticket. Returns the ids of the tickets that changed.
 */
export async function recomputeOpenTickets(ds: DataSource, opts: { cal: WorkCalendar; tz: string; now: Date; actor: Actor; reason: string; kind?: string; priority?: string }): Promise<string[]> {
  const changed: string[] = [];
  let lastId = '';
  for (;;) {
    const batch = await ds.getRepository(Ticket).find({
      select: { id: true },
      where: { state: In(OPEN_STATES as string[]) as never, id: MoreThan(lastId), ...(opts.kind ? { kind: opts.kind as never } : {}), ...(opts.priority ? { priority: opts.priority as never } : {}) },
      order: { id: 'ASC' },
      take: 200,
    });
    if (!batch.length) break;
    for (const { id } of batch) {
      lastId = id;
      await inTransaction(ds, async (em) => {
        const t = await em.findOneBy(Ticket, { id });
        if (!t || !OPEN_STATES.includes(t.state)) return;
        const before = { dispatchBy: iso(t.dispatchBy), signBy: iso(t.signBy), replyBy: iso(t.replyBy), rateBy: iso(t.rateBy), provisional: t.deadlinesProvisional };
        await recomputeDeadlines({ em, cal: opts.cal, tz: opts.tz, now: opts.now }, t);
        const after = { dispatchBy: iso(t.dispatchBy), signBy: iso(t.signBy), replyBy: iso(t.replyBy), rateBy: iso(t.rateBy), provisional: t.deadlinesProvisional };
        if (JSON.stringify(before) === JSON.stringify(after)) return;
        await saveTicket(em, t, t.version, opts.now);
        await appendEvent(em, t, { type: 'deadlines_recomputed', actor: opts.actor, at: opts.now, fromState: t.state, toState: t.state, payload: { reason: opts.reason, before, after } });
        changed.push(id);
      });
    }
  }
  return changed;
}

import type Bull from 'bull';
import type { RedisClient } from '../redis';
import type { ClockTimer } from '../domain/escalation';

/** A deadline timer of one ticket: fires at `dueAt` and makes a worker check the ticket. */
export interface ArmedTimer {
  ticketId: string;
  cycle: number;
  /** `due_soon`, `dispatch`, `sign`, `reply`, `red`, `info_wait`, `rate`, `oversight:<orderId>` */
  kind: string;
  dueAt: Date;
  jobId: string;
}

/** Data of a `timer` job: ids and instants, never records (STYLE: jobs carry ids). */
export interface TimerJobData {
  ticketId: string;
  cycle: number;
  kind: string;
  dueAt: number;
}

/**
 * The deterministic job id of a timer (issue 3): (ticket, cycle, kind, deadline). The same
 * deadline armed twice is one job; a moved deadline is a different job, and the old one is
 * removed when the ticket is re-armed.
 */
export function timerJobId(t: { ticketId: string; cycle: number; kind: string; dueAt: Date }): string {
  return `timer:${t.ticketId}:${t.cycle}:${t.kind}:${t.dueAt.getTime()}`;
}

/** Keeps one timer per open deadline of each ticket. */
export interface TimerStore {
  /** makes the ticket's timers exactly `timers` (removing those of moved or past deadlines) */
  arm(ticketId: string, cycle: number, timers: readonly ClockTimer[], now: Date): Promise<void>;
  armed(ticketId: string): Promise<ArmedTimer[]>;
  /**
   * Arms the timers of tickets just created (none armed yet), all at once: one addBulk and one
   * MULTI for any number of tickets (issue 15).
   */
  armNew(tickets: readonly NewTicketTimers[], now: Date): Promise<void>;
  close(): Promise<void>;
}

/** The timers of one ticket its creating transaction just committed. */
export interface NewTicketTimers {
  ticketId: string;
  cycle: number;
  timers: readonly ClockTimer[];
}

const TIMER_JOB_OPTS = { attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 };

const specs = (ticketId: string, cycle: number, timers: readonly ClockTimer[]): ArmedTimer[] =>
  timers.map((t) => ({ ticketId, cycle, kind: t.kind, dueAt: t.dueAt, jobId: timerJobId({ ticketId, cycle, kind: t.kind, dueAt: t.dueAt }) }));

/**
 * Timers as bull delayed jobs. Which job is armed for which (ticket, kind) is kept in a
 * Redis hash per ticket under the same hash-tagged prefix, so that re-arming can remove
 * the job of a deadline that moved. Two workers arming one ticket at the same moment may
 * leave a stale job behind; it is harmless: its check finds nothing due.
 */
export function bullTimers(queue: Bull.Queue, redis: RedisClient, prefix: string): TimerStore {
  const key = (ticketId: string) => `${prefix}:clock:armed:${ticketId}`;
  const timerJob = (w: ArmedTimer, now: Date) => ({
    name: 'timer',
    data: { ticketId: w.ticketId, cycle: w.cycle, kind: w.kind, dueAt: w.dueAt.getTime() } satisfies TimerJobData,
    opts: { jobId: w.jobId, delay: Math.max(0, w.dueAt.getTime() - now.getTime()), ...TIMER_JOB_OPTS },
  });
  /** the ticket's hash of armed job ids, replaced, kept a week past its last deadline */
  const record = (m: ReturnType<RedisClient['multi']>, ticketId: string, want: ArmedTimer[], now: Date) => {
    m.del(key(ticketId));
    if (!want.length) return;
    m.hset(key(ticketId), Object.fromEntries(want.map((w) => [w.kind, w.jobId])));
    const last = Math.max(...want.map((w) => w.dueAt.getTime()));
    m.pexpire(key(ticketId), Math.max(0, last - now.getTime()) + 7 * 86_400_000);
  };
  return {
    async arm(ticketId, cycle, timers, now) {
      const want = specs(ticketId, cycle, timers);
      const old: Record<string, string> = await redis.hgetall(key(ticketId));
      const unchanged = Object.keys(old).length === want.length && want.every((w) => old[w.kind] === w.jobId);
      if (unchanged) return;
      for (const [kind, jobId] of Object.entries(old)) {
        if (want.some((w) => w.kind === kind && w.jobId === jobId)) continue;
        const job = await queue.getJob(jobId);
        // A job being processed right now cannot be removed; it finishes harmlessly.
        if (job) await job.remove().catch(() => undefined);
      }
      // the new timers in one addBulk (one round trip), not one add each
      const add = want.filter((w) => old[w.kind] !== w.jobId);
      if (add.length) await queue.addBulk(add.map((w) => timerJob(w, now)));
      const m = redis.multi();
      record(m, ticketId, want, now);
      await m.exec();
    },
    async armNew(tickets, now) {
      const all = tickets.map((t) => ({ t, want: specs(t.ticketId, t.cycle, t.timers) }));
      const jobs = all.flatMap((x) => x.want.map((w) => timerJob(w, now)));
      if (jobs.length) await queue.addBulk(jobs);
      const m = redis.multi();
      for (const x of all) record(m, x.t.ticketId, x.want, now);
      await m.exec();
    },
    async armed(ticketId) {
      const out: ArmedTimer[] = [];
      for (const jobId of Object.values(await redis.hgetall(key(ticketId)))) {
        const job = await queue.getJob(jobId);
        if (!job) continue;
        const d = job.data as TimerJobData;
        out.push({ ticketId: d.ticketId, cycle: d.cycle, kind: d.kind, dueAt: new Date(d.dueAt), jobId });
      }
      return out.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.kind.localeCompare(b.kind));
    },
    async close() {
      // the queue is closed by the factory
    },
  };
}

/** Node's setTimeout limit (~24.8 days): a later deadline fires a check early, which re-arms it. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Timers in this process (no `REDIS_URL`): one setTimeout per deadline. Lost on restart by
 * nature; the startup sweep and the periodic sweep find everything again from the database.
 */
export function localTimers(fire: (t: ArmedTimer) => void, clockNow: () => Date): TimerStore {
  const byTicket = new Map<string, Map<string, { spec: ArmedTimer; handle: NodeJS.Timeout }>>();
  return {
    async arm(ticketId, cycle, timers) {
      const want = specs(ticketId, cycle, timers);
      const current = byTicket.get(ticketId) ?? new Map();
      for (const [kind, entry] of current) {
        if (want.some((w) => w.kind === kind && w.jobId === entry.spec.jobId)) continue;
        clearTimeout(entry.handle);
        current.delete(kind);
      }
      for (const w of want) {
        if (current.get(w.kind)?.spec.jobId === w.jobId) continue;
        const delay = Math.min(MAX_DELAY, Math.max(0, w.dueAt.getTime() - clockNow().getTime()));
        const handle = setTimeout(() => {
          current.delete(w.kind);
          fire(w);
        }, delay);
        handle.unref();
        current.set(w.kind, { spec: w, handle });
      }
      if (current.size) byTicket.set(ticketId, current);
      else byTicket.delete(ticketId);
    },
    async armNew(tickets, now) {
      for (const t of tickets) await this.arm(t.ticketId, t.cycle, t.timers, now);
    },
    async armed(ticketId) {
      return [...(byTicket.get(ticketId)?.values() ?? [])].map((e) => e.spec).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.kind.localeCompare(b.kind));
    },
    async close() {
      for (const m of byTicket.values()) for (const e of m.values()) clearTimeout(e.handle);
      byTicket.clear();
    },
  };
}

import type Bull from 'bull';
import client from 'prom-client';
import type { AppDeps } from '../deps';
import { checkTicketClock, ClockCheck, newTicketTimers } from '../commands/clock-actions';
import { isMysql } from '../db';
import { metrics } from '../metrics';
import { createQueueFactory, QueueFactory } from './queue';
import { throttledErrorLog } from './log-throttle';
import { coalesce, coalesceItems } from './coalesce';
import { inPool, sweepOnce, SweepResult, SWEEP_TASKS } from './sweep';
import { ArmedTimer, bullTimers, localTimers, NewTicketTimers, TimerJobData, TimerStore } from './timers';
import type { Ticket } from '../entities';
import { startMailProducer, startMailWorker } from '../notifications/mail-worker';

/** Name of the clock's queue (under the configured `{grievance}` prefix). */
export const CLOCK_QUEUE = 'clock';

type ClockJobData = { ticketId: string } | TimerJobData | Record<string, never>;

const timerLateness = new client.Histogram({
  name: 'clock_timer_lateness_seconds',
  help: 'How late a deadline timer started its check, after its deadline',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 120],
  registers: [metrics],
});
const escalations = new client.Counter({ name: 'clock_escalations_total', help: 'Escalations written by the clock', labelNames: ['level'], registers: [metrics] });
const sweepSeconds = new client.Histogram({ name: 'clock_sweep_seconds', help: 'Duration of one sweep', buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120], registers: [metrics] });

/** What the job runner offers the process (and tests). */
export interface JobRunner {
  /** hands these tickets to the workers to look at (after a change): as queue jobs with Redis, else in this process */
  schedule(ticketIds: string[]): Promise<void>;
  /** looks at these tickets in this process now; resolves when done */
  check(ticketIds: string[]): Promise<void>;
  /** runs one sweep in this process now (workers only) */
  sweep(): Promise<SweepResult>;
  /** the timers armed for a ticket */
  armed(ticketId: string): Promise<ArmedTimer[]>;
  /** where this runner keeps its timers */
  readonly timers: TimerStore;
  /** stops taking work, finishes (or returns) jobs in flight, closes connections */
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** install `deps.onTicketsChanged` (default true; tests of the runner itself may call `check` explicitly) */
  hook?: boolean;
  /** default `SWEEP_INTERVAL_MS`; 0 = no periodic sweep */
  sweepIntervalMs?: number;
  /** checks in parallel per job kind (default 4 on MariaDB, 1 on SQLite) */
  concurrency?: number;
  /** called when a timer starts its check: `lateMs` = start − deadline (bench:sweep) */
  onTimer?: (t: TimerJobData, lateMs: number) => void;
}

/**
 * One check of a ticket, then its timers re-armed for what it left for later.
 * @returns the check, or throws (the caller retries or logs)
 */
async function checkAndArm(deps: AppDeps, timers: TimerStore, ticketId: string, skipLocked = false, readFirst = false): Promise<ClockCheck | null> {
  await deps.clock.refresh?.();
  const now = deps.clock.now();
  const cal = await deps.calendar.get(deps.db.manager);
  const r = await checkTicketClock(deps.db, ticketId, { now, cal, tz: deps.config.businessTz, skipLocked, readFirst });
  if (!r) return null;
  for (const s of r.applied) {
    if (s.step === 'escalate') escalations.inc({ level: String(s.level) });
  }
  if (r.applied.length) deps.log.info({ ticketId, steps: r.applied.map((s) => (s.step === 'escalate' ? `escalate:${s.level}:${s.reason}` : s.step === 'system' ? s.action : s.step)) }, 'clock acted');
  await timers.arm(r.ticketId, r.cycle, r.timers, now);
  return r;
}

/**
 * Starts the background processors of DESIGN §4–§5 (`ROLE=worker|all`): deadline timers,
 * checks after changes, and the periodic sweep. With `REDIS_URL` they are bull jobs on one
 * `clock` queue shared by every worker process (a repeatable `sweep` job every
 * SWEEP_INTERVAL_MS, delayed `timer` jobs with deterministic ids, `check` jobs); without it
 * the same processors run in this process (setTimeout timers, setInterval sweep, one check
 * at a time). Either way every decision is made in the database under a row lock and a
 * unique key, so any number of workers and any number of deliveries act once. A sweep runs
 * at start, so nothing due while no worker ran waits for the first interval.
 * Sets `deps.onTicketsChanged` (re-arm after a change) and, with Redis, `deps.queueReady`.
 */
export async function startWorkers(deps: AppDeps, opts: WorkerOptions = {}): Promise<JobRunner> {
  const every = opts.sweepIntervalMs ?? deps.config.sweepIntervalMs;
  const concurrency = opts.concurrency ?? (isMysql(deps.db) ? 4 : 1);
  const runner = deps.config.redisUrl ? await bullWorkers(deps, every, concurrency, opts) : localWorkers(deps, every, concurrency, opts);
  // Mail and text delivery (issue 4, 11): a lane per channel (bull queues `mail` and `sms`), processors and sweep of pending outbox rows.
  const mail = await startMailWorker(deps);
  const closeClock = runner.close.bind(runner);
  runner.close = async () => {
    await closeClock();
    await mail.close();
  };
  if (opts.hook !== false) {
    // Changes committed in the same turn of the event loop become one addBulk (issue 15).
    deps.onTicketsChanged = coalesce(
      (ids) => runner.schedule(ids),
      (e) => deps.log.error({ err: e }, 'could not schedule ticket checks'),
    );
    deps.onTicketCreated = newTicketHook(deps, runner.timers, deps.onTicketsChanged);
  }
  deps.clock.onMove?.(() => {
    runner.sweep().catch((e) => deps.log.error({ err: e }, 'sweep after a clock move failed'));
  });
  deps.log.info({ queue: deps.config.redisUrl ? 'redis' : 'in-process', sweepIntervalMs: every, concurrency }, 'clock workers started');
  return runner;
}

/**
 * The API side of the jobs (`ROLE=api`): after a change, asks the workers to check the
 * tickets (a `check` job each); after a test-clock move, to sweep. Without `REDIS_URL`
 * there is no channel to the workers: they find changes with their sweep.
 */
export async function startJobClient(deps: AppDeps): Promise<{ close: () => Promise<void> }> {
  // Hands committed outbox rows to the mail workers (issue 4); without Redis their sweep finds them.
  const mail = await startMailProducer(deps);
  if (!deps.config.redisUrl) {
    deps.log.info('no REDIS_URL: worker processes find changed tickets by their sweep');
    return { close: () => mail.close() };
  }
  const factory = createQueueFactory(deps.config.redisUrl, deps.config.queuePrefix);
  const queue = factory.create<ClockJobData>(CLOCK_QUEUE);
  queue.on('error', throttledErrorLog(deps.log, 'clock queue error'));
  deps.queueReady = () => factory.ready();
  deps.onTicketsChanged = coalesce(
    (ids) => queue.addBulk(ids.map((ticketId) => ({ name: 'check', data: { ticketId }, opts: CHECK_OPTS }))),
    (e, ids) => deps.log.error({ err: e, ticketIds: ids }, 'could not enqueue ticket checks (the sweep will find them)'),
  );
  deps.onTicketCreated = newTicketHook(deps, bullTimers(queue as Bull.Queue, factory.redis, factory.prefix), deps.onTicketsChanged);
  deps.clock.onMove?.(() => {
    queue.add('sweep', {}, { removeOnComplete: true, removeOnFail: true }).catch((e) => deps.log.error({ err: e }, 'could not enqueue a sweep'));
  });
  return {
    close: async () => {
      await factory.close();
      await mail.close();
    },
  };
}

/**
 * After the commit that created a ticket (issue 15): its timers armed at once from what the
 * create computed, without a check job (the check would read the ticket and three empty
 * tables only to arm them), batched with the other tickets committed in the same turn of the
 * event loop. A ticket with something due already (a receipt dated back) gets its check.
 * Arming that fails is logged: the ticket's `next_check_at` is in the database, so the sweep
 * acts on time anyway (within SWEEP_INTERVAL_MS).
 */
function newTicketHook(deps: AppDeps, timers: TimerStore, check: (ids: string[]) => void): (t: Ticket) => void {
  const arm = coalesceItems<NewTicketTimers>(
    (items) => timers.armNew(items, deps.clock.now()),
    (e, items) => deps.log.error({ err: e, ticketIds: items.map((i) => i.ticketId) }, 'could not arm the timers of new tickets (the sweep will act on them)'),
    { key: (i) => i.ticketId },
  );
  return (t) => {
    deps.calendar
      .get(deps.db.manager)
      .then((cal) => {
        const list = newTicketTimers(t, { now: deps.clock.now(), cal, tz: deps.config.businessTz });
        if (list) arm([{ ticketId: t.id, cycle: t.cycle, timers: list }]);
        else check([t.id]);
      })
      .catch((e) => {
        deps.log.warn({ err: e, ticketId: t.id }, 'could not plan the timers of a new ticket; it is checked instead');
        check([t.id]);
      });
  };
}

const CHECK_OPTS: Bull.JobOptions = { attempts: 5, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: 1000 };

async function bullWorkers(deps: AppDeps, every: number, concurrency: number, opts: WorkerOptions): Promise<JobRunner> {
  const { log } = deps;
  const factory: QueueFactory = createQueueFactory(deps.config.redisUrl!, deps.config.queuePrefix);
  const queue = factory.create<ClockJobData>(CLOCK_QUEUE);
  const timers = bullTimers(queue as Bull.Queue, factory.redis, factory.prefix);
  queue.on('error', throttledErrorLog(log, 'clock queue error'));
  queue.on('stalled', (job) => log.warn({ jobId: job.id, name: job.name }, 'clock job stalled (its worker died); it runs again'));
  queue.on('failed', (job, e) => log.warn({ jobId: job.id, name: job.name, attempts: job.attemptsMade, err: e }, 'clock job failed'));
  deps.queueReady = () => factory.ready();

  const check = async (ticketId: string, skipLocked = false, readFirst = false) => {
    await checkAndArm(deps, timers, ticketId, skipLocked, readFirst);
  };
  const sweep = async (): Promise<SweepResult> => {
    await deps.clock.refresh?.();
    const end = sweepSeconds.startTimer();
    const r = await sweepOnce(
      deps.db,
      deps.clock.now(),
      async (id) => {
        try {
          await check(id, true);
          return true;
        } catch (e) {
          log.error({ err: e, ticketId: id }, 'clock check failed in sweep');
          return false;
        }
      },
      { concurrency, tasks: SWEEP_TASKS, env: { storage: deps.storage, uploadTmpDir: deps.uploads.tmpDir, log: deps.log, businessTz: deps.config.businessTz } },
    );
    end();
    if (r.checked) log.info(r, 'sweep');
    return r;
  };
  const noop = () => undefined;
  // a check after a change reads first: most find nothing due and only re-arm the timers
  void queue.process('check', concurrency, async (job) => check((job.data as { ticketId: string }).ticketId, true, true)).catch(noop);
  void queue
    .process('timer', concurrency, async (job) => {
      const d = job.data as TimerJobData;
      await deps.clock.refresh?.();
      const late = deps.clock.now().getTime() - d.dueAt;
      if (job.attemptsMade === 0) {
        timerLateness.observe(Math.max(0, late) / 1000);
        opts.onTimer?.(d, late);
      }
      await check(d.ticketId, true);
    })
    .catch(noop);
  void queue
    .process('sweep', 1, async () => {
      await sweep();
    })
    .catch(noop);

  // One repeatable sweep for the whole deployment (same key from every worker); an old
  // interval left by an earlier configuration is removed.
  const ensureRepeat = async () => {
    if (!every) return;
    const reps = await queue.getRepeatableJobs();
    for (const r of reps) if (r.name === 'sweep' && Number(r.every) !== every) await queue.removeRepeatableByKey(r.key);
    if (!reps.some((r) => r.name === 'sweep' && Number(r.every) === every)) {
      await queue.add('sweep', {}, { repeat: { every }, jobId: 'sweep', removeOnComplete: true, removeOnFail: true });
    }
  };
  await ensureRepeat();
  // A flushed Redis also loses the repeatable: each worker re-creates it if it is gone.
  const watchdog = every
    ? setInterval(() => {
        ensureRepeat().catch((e) => log.warn({ err: e }, 'could not check the sweep schedule'));
      }, every)
    : null;
  watchdog?.unref();
  await queue.add('sweep', {}, { removeOnComplete: true, removeOnFail: true });

  return {
    async schedule(ids) {
      await queue.addBulk(ids.map((ticketId) => ({ name: 'check', data: { ticketId }, opts: CHECK_OPTS })));
    },
    async check(ids) {
      await inPool([...new Set(ids)], concurrency, (id) => check(id));
    },
    sweep,
    armed: (id) => timers.armed(id),
    timers,
    async close() {
      if (watchdog) clearInterval(watchdog);
      await factory.close();
    },
  };
}

function localWorkers(deps: AppDeps, every: number, concurrency: number, opts: WorkerOptions): JobRunner {
  const { log } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  // One piece of clock work at a time: on the embedded SQLite every transaction shares one connection.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const timers: TimerStore = localTimers(
    (t) => {
      if (closed) return;
      const late = deps.clock.now().getTime() - t.dueAt.getTime();
      timerLateness.observe(Math.max(0, late) / 1000);
      opts.onTimer?.({ ticketId: t.ticketId, cycle: t.cycle, kind: t.kind, dueAt: t.dueAt.getTime() }, late);
      void runner.schedule([t.ticketId]).catch(() => undefined);
    },
    () => deps.clock.now(),
  );
  const checkOne = async (id: string): Promise<boolean> => {
    try {
      await checkAndArm(deps, timers, id);
      return true;
    } catch (e) {
      log.error({ err: e, ticketId: id }, 'clock check failed');
      return false;
    }
  };
  let queuedSweep: Promise<SweepResult> | null = null;
  const check = (ids: string[]) =>
    serial(async () => {
      for (const id of new Set(ids)) if (!closed) await checkOne(id);
    });
  const runner: JobRunner = {
    schedule: check,
    check,
    sweep() {
      // a sweep requested while another one still waits for its turn joins it
      queuedSweep ??= serial(async () => {
        queuedSweep = null;
        const end = sweepSeconds.startTimer();
        const r = await sweepOnce(deps.db, deps.clock.now(), checkOne, {
          concurrency,
          tasks: SWEEP_TASKS,
          env: { storage: deps.storage, uploadTmpDir: deps.uploads.tmpDir, log: deps.log, businessTz: deps.config.businessTz },
        });
        end();
        if (r.checked) log.info(r, 'sweep');
        return r;
      });
      return queuedSweep;
    },
    armed: (id) => timers.armed(id),
    timers,
    async close() {
      closed = true;
      if (interval) clearInterval(interval);
      await timers.close();
      await chain;
    },
  };
  const interval = every
    ? setInterval(() => {
        void runner.sweep().catch(() => undefined);
      }, every)
    : null;
  interval?.unref();
  void runner.sweep().catch(() => undefined);
  return runner;
}

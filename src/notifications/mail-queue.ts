import type Bull from 'bull';
import type { OutboxChannel } from '../entities/outbox-message';
import { throttledErrorLog } from '../jobs/log-throttle';
import type { QueueFactory } from '../jobs/queue';
import type { Logger } from '../logger';
import { RetryLater } from './delivery';

/**
 * One delivery lane: the queue of one channel's outbox rows (mail, or texts), one job per
 * row, job id = row id (STYLE: deterministic job ids; jobs carry ids, not records). Adding an
 * id that is already queued, delayed or running in this lane does nothing. Each lane has its
 * own concurrency, so a channel whose server hangs holds only its own slots
 * (docs/decisions/notifications.md, "A lane per channel"). Two backends with the same
 * behaviour: bull on Redis, or in-process timers when there is no `REDIS_URL` (DESIGN §11).
 */
export interface MailQueue {
  readonly kind: 'bull' | 'in-process';
  readonly channel: OutboxChannel;
  add(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Handles one row; throws `RetryLater` (or anything) to be called again after a delay. */
export type RowProcessor = (id: string) => Promise<unknown>;

export interface QueueOptions {
  log: Logger;
  /** rows delivered at the same time per process */
  concurrency: number;
  /** delay after an unexpected error (RetryLater carries its own), ms */
  errorDelay: (attempt: number) => number;
  /** for tests: bull's lock duration and stalled-job check, ms */
  bull?: { lockDurationMs?: number; stalledIntervalMs?: number };
}

/** bull retries a job this many times with our backoff; after that the row waits for the sweep (it stays `pending`). */
const JOB_ATTEMPTS = 20;
/**
 * The bull queue of each lane (keys `<QUEUE_PREFIX>:<name>:*`). Mail keeps the name of the one
 * queue earlier versions used for both channels, so the jobs such a version left there are
 * still processed; a text among them is handed to the `sms` lane without being sent from a
 * mail slot (`deliverOutboxRow`'s lane).
 */
export const LANE_QUEUE_NAMES: Readonly<Record<OutboxChannel, string>> = { email: 'mail', sms: 'sms' };
export const MAIL_QUEUE_NAME = LANE_QUEUE_NAMES.email;
const what = (c: OutboxChannel) => (c === 'sms' ? 'text' : 'mail');

/**
 * The bull backend of `channel`'s lane, on the shared queue factory (`src/jobs/queue.ts`).
 * `process` absent: producer only (an API process hands rows to the workers). The backoff is
 * a custom strategy reading the delay the delivery computed (capped exponential), so bull's
 * retry and the row's `nextAttemptAt` agree.
 */
export function bullMailQueue(factory: QueueFactory, channel: OutboxChannel, process: RowProcessor | null, o: QueueOptions): MailQueue {
  const q: Bull.Queue<{ id: string }> = factory.create<{ id: string }>(LANE_QUEUE_NAMES[channel]);
  // The factory takes no per-queue settings; bull reads these from `queue.settings` when it
  // computes a retry and when processing starts, so they are set before `process()`.
  const settings = (q as unknown as { settings: Bull.AdvancedSettings }).settings;
  settings.backoffStrategies = { ...settings.backoffStrategies, outbox: (attemptsMade: number, err: Error) => (err instanceof RetryLater ? err.retryInMs : o.errorDelay(attemptsMade)) };
  if (o.bull?.lockDurationMs) Object.assign(settings, { lockDuration: o.bull.lockDurationMs, lockRenewTime: Math.floor(o.bull.lockDurationMs / 2) });
  if (o.bull?.stalledIntervalMs) settings.stalledInterval = o.bull.stalledIntervalMs;
  const w = what(channel);
  q.on('error', throttledErrorLog(o.log, `${w} queue error`));
  if (process) {
    q.on('stalled', (job) => o.log.warn({ outboxId: job.data?.id }, `${w} job stalled (worker died?); bull runs it again`));
    q.on('failed', (job, err) => {
      if (job.attemptsMade >= JOB_ATTEMPTS) o.log.warn({ outboxId: job.data?.id, err: err.message }, `${w} job gave up; the row stays pending for the sweep`);
    });
    q.process(o.concurrency, async (job) => {
      await process(job.data.id);
    }).catch((err) => o.log.error({ err }, `${w} queue stopped processing`));
  }
  return {
    kind: 'bull',
    channel,
    async add(ids) {
      if (!ids.length) return;
      await q.addBulk(
        ids.map((id) => ({
          data: { id },
          opts: { jobId: id, attempts: JOB_ATTEMPTS, backoff: { type: 'outbox' }, removeOnComplete: true, removeOnFail: true },
        })),
      );
    },
    async close() {
      await q.close();
    },
  };
}

/**
 * The in-process backend of `channel`'s lane (no Redis): timers and a bounded number of
 * concurrent deliveries. What it holds is lost with the process, which is fine: the database
 * has every row and the sweep finds them again.
 */
export function inProcessMailQueue(channel: OutboxChannel, process: RowProcessor, o: QueueOptions): MailQueue {
  const known = new Map<string, { timer?: NodeJS.Timeout; attempt: number }>();
  const waiting: string[] = [];
  const running = new Set<Promise<void>>();
  let closed = false;

  const schedule = (id: string, delay: number, attempt: number) => {
    const timer = setTimeout(() => {
      known.set(id, { attempt });
      waiting.push(id);
      pump();
    }, delay);
    known.set(id, { timer, attempt });
  };
  const pump = () => {
    while (!closed && running.size < o.concurrency && waiting.length) {
      const id = waiting.shift()!;
      const attempt = (known.get(id)?.attempt ?? 0) + 1;
      const p = process(id)
        .then(
          () => {
            known.delete(id);
          },
          (err) => {
            if (closed) {
              known.delete(id);
              return;
            }
            if (!(err instanceof RetryLater)) o.log.error({ outboxId: id, err }, `${what(channel)} delivery error`);
            schedule(id, err instanceof RetryLater ? err.retryInMs : o.errorDelay(attempt), attempt);
          },
        )
        .finally(() => {
          running.delete(p);
          pump();
        });
      running.add(p);
    }
  };
  return {
    kind: 'in-process',
    channel,
    async add(ids) {
      for (const id of ids) {
        if (closed || known.has(id)) continue;
        known.set(id, { attempt: 0 });
        waiting.push(id);
      }
      pump();
    },
    async close() {
      closed = true;
      for (const k of known.values()) if (k.timer) clearTimeout(k.timer);
      known.clear();
      waiting.length = 0;
      await Promise.allSettled([...running]);
    },
  };
}

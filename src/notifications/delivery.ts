import { randomBytes } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import { batchCalls } from '../jobs/coalesce';
import { OutboxMessage } from '../entities';
import type { OutboxChannel } from '../entities/outbox-message';
import { classifySendError, MailTransport } from '../mail/transport';
import type { Logger } from '../logger';
import { classifySmsError, SmsSendError, SmsTransport } from '../sms/transport';
import { hasSecrets, redactSecrets } from '../sms/text';

/** Thrown by `deliverOutboxRow` when the row must be tried again later; the queue waits `retryInMs`. */
export class RetryLater extends Error {
  constructor(
    readonly retryInMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DeliveryDeps {
  db: DataSource;
  transport: MailTransport;
  /** texts (rows of channel `sms`); absent: such rows wait */
  sms?: SmsTransport;
  /** the service clock (quiet hours are in business time; the test clock moves them); default the wall clock */
  serviceNow?: () => Date;
  /** true once the worker is closing: a mark that keeps failing is then given up (the row is sent again later) */
  stopping?: () => boolean;
  /** `MAIL_FROM` */
  from: string;
  log: Logger;
  /** `HIGHER_DISCIPLINE_EMAIL`: fills in held reports for the higher commission */
  higherDisciplineEmail?: string;
  /** how long a claim protects a row being sent, ms; renewed every third of it while the send and the mark run (`keepLease`) */
  leaseMs: number;
  /** a send still running after this long is aborted and the row retried (a server trickling its replies, which no socket timeout notices), ms; default 10 min */
  maxSendMs?: number;
  /** delay before retry number `attempt` (1-based), ms */
  backoff: (attempt: number) => number;
  /** the wall clock (delivery runs in real time, whatever the service clock says) */
  wallNow: () => Date;
}

/** Exponential backoff, `base · 2^(attempt-1)`, capped (DESIGN §10: capped at 60 s). */
export const cappedBackoff = (baseMs: number, capMs: number) => (attempt: number) => Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));

/**
 * `waiting`: a text in quiet hours, left pending untouched for the sweep after they end.
 * `rerouted`: the row belongs to another lane's channel; handed to that lane untouched.
 */
export type DeliveryOutcome = 'sent' | 'failed' | 'skipped' | 'waiting' | 'rerouted';

/**
 * The delivery lane a job ran in (docs/decisions/notifications.md, "A lane per channel"): it
 * delivers rows of its `channel` only, and hands any other row (a text in the `mail` queue
 * of an earlier version, which had one queue for both) to its own channel's lane with
 * `reroute`, unclaimed, so a mail slot never waits on the SMS gateway nor a text slot on SMTP.
 */
export interface Lane {
  channel: OutboxChannel;
  reroute(id: string, channel: OutboxChannel): Promise<unknown>;
}

/**
 * Delivers one outbox row; safe to call any number of times, concurrently, from any
 * process (bull jobs are at-least-once):
 *
 * 1. a held report for the higher commission gets the configured address (conditional update);
 * 2. the row is read and claimed by a conditional update (`pending`, no live claim) that sets
 *    a lease, a claim token and counts the attempt: a second job for the same row does
 *    nothing (`skipped` when the row is already sent or failed; `RetryLater` while another
 *    worker, or another job of this one, holds it). The claims of the jobs that arrive while
 *    one claim is running go together in the next (`claimBatch`: one SELECT and one UPDATE of
 *    `id IN (…)`; a text is read again once claimed);
 * 3. sent: mail with a Message-ID derived from the row id; a text (channel `sms`) part by
 *    part through the SMS gateway, skipping parts an earlier attempt got accepted;
 * 4. marked `sent` (conditional on still `pending`; the marks of deliveries that finish
 *    while one mark is running go in one UPDATE, `markBatch`), retried until the database takes it —
 *    the server has the message, so a database outage now must not cause a second send
 *    (issue 13 item 16); a permanent refusal of the address or number marks it `failed`;
 *    anything else records the error (and the parts already accepted), sets
 *    `nextAttemptAt` and throws `RetryLater` with the backoff — the row stays `pending`, never final.
 *    Both are written only while the row still carries this delivery's claim token: a
 *    delivery that outlived its lease does not release the claim of the worker that took the
 *    row over (which may have sent it and not yet marked it).
 *
 * A text to an owner whose `notBefore` (quiet hours, service clock) lies ahead is not
 * claimed: `waiting`, and the sweep hands it over again once it is due. With a `lane`, a row
 * of another channel is not claimed either: handed to its own lane (`rerouted`).
 *
 * At-least-once by design: if the process dies after the server accepted the message and
 * before step 4 commits, the lease expires and the row is sent again, with the same Message-ID.
 * The other order (mark first, then send) would lose that mail instead (docs/decisions/notifications.md).
 */
export async function deliverOutboxRow(d: DeliveryDeps, id: string, lane?: Lane): Promise<DeliveryOutcome> {
  const repo = d.db.getRepository(OutboxMessage);
  const claim = await batches(d).claim({ id, lane: lane?.channel });
  if (claim.kind === 'skipped' || claim.kind === 'waiting') return claim.kind;
  if (claim.kind === 'elsewhere') {
    await lane!.reroute(id, claim.channel);
    d.log.info({ outboxId: id, from: lane!.channel, to: claim.channel }, 'row handed to the lane of its channel');
    return 'rerouted';
  }
  if (claim.kind === 'busy') throw new RetryLater(claim.retryInMs, claim.why);
  if (claim.row.channel === 'sms') return deliverSms(d, claim.row);
  const row = claim.row;
  let wall: Date;
  const domain = d.from.split('@')[1]?.replace(/[>\s]/g, '') || 'grievance.local';
  const lease = keepLease(d, row);
  try {
    const info = await d.transport.send(
      {
        from: d.from,
        to: row.recipient!,
        subject: row.subject,
        text: row.bodyText,
        html: row.bodyHtml,
        messageId: `<${row.id}@${domain}>`,
        headers: { 'X-Outbox-Id': row.id, ...(row.ticketNumber ? { 'X-Ticket-Number': row.ticketNumber } : {}), 'Auto-Submitted': 'auto-generated' },
      },
      row.id,
      { beforeData: lease.check, signal: lease.signal },
    );
    wall = d.wallNow();
    await markSent(d, row.id, { messageId: info.messageId.slice(0, 255) }, wall);
    d.log.info({ outboxId: row.id, notice: row.notice, attempts: row.attempts }, 'mail sent');
    return 'sent';
  } catch (err) {
    if (err instanceof MarkSentFailed) throw err;
    if (lease.lost) throw lostClaim(d, row, lease.lost, 'mail');
    const c = classifySendError(err);
    wall = d.wallNow();
    if (c.permanent) {
      await repo
        .createQueryBuilder()
        .update()
        .set({ state: 'failed', lastError: c.message, claimedUntil: null, claimToken: null, updatedAt: wall })
        .where("id = :id AND state = 'pending' AND claim_token = :token", { id, token: row.claimToken })
        .execute();
      d.log.warn({ outboxId: row.id, notice: row.notice, error: c.message }, 'mail refused permanently');
      return 'failed';
    }
    const delay = d.backoff(row.attempts);
    await repo
      .createQueryBuilder()
      .update()
      .set({ lastError: c.message, nextAttemptAt: new Date(wall.getTime() + delay), claimedUntil: null, claimToken: null, updatedAt: wall })
      .where("id = :id AND state = 'pending' AND claim_token = :token", { id, token: row.claimToken })
      .execute();
    d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, retryInMs: delay, error: c.message }, 'mail deferred');
    throw new RetryLater(delay, c.message);
  } finally {
    lease.stop();
  }
}

/** A text (issue 11): the same claim, then the gateway; parts accepted before a failure are kept in `messageId` and skipped next time. */
async function deliverSms(d: DeliveryDeps, row: OutboxMessage): Promise<DeliveryOutcome> {
  const repo = d.db.getRepository(OutboxMessage);
  const earlier = row.messageId ? row.messageId.split(',').filter(Boolean) : [];
  const lease = keepLease(d, row);
  try {
    const info = await d.sms!.send({ id: row.id, to: row.recipient!, text: row.bodyText, skipParts: earlier.length }, { beforePart: lease.check });
    const wall = d.wallNow();
    const ids = [...earlier, ...info.messageIds].join(',').slice(0, 255);
    await markSent(d, row.id, { messageId: ids, segments: info.segments, ...(hasSecrets(row.bodyText) ? { bodyText: redactSecrets(row.bodyText) } : {}) }, wall);
    d.log.info({ outboxId: row.id, notice: row.notice, attempts: row.attempts, segments: info.segments }, 'text sent');
    return 'sent';
  } catch (err) {
    if (err instanceof MarkSentFailed) throw err;
    if (lease.lost) throw lostClaim(d, row, lease.lost, 'text');
    const c = classifySmsError(err);
    const wall = d.wallNow();
    const accepted = [...earlier, ...(err instanceof SmsSendError ? err.sentIds : [])];
    const progress = accepted.length ? accepted.join(',').slice(0, 255) : null;
    if (c.permanent) {
      await repo
        .createQueryBuilder()
        .update()
        .set({ state: 'failed', lastError: c.message, messageId: progress, claimedUntil: null, claimToken: null, updatedAt: wall })
        .where("id = :id AND state = 'pending' AND claim_token = :token", { id: row.id, token: row.claimToken })
        .execute();
      d.log.warn({ outboxId: row.id, notice: row.notice, error: c.message }, 'text refused permanently');
      return 'failed';
    }
    const delay = d.backoff(row.attempts);
    await repo
      .createQueryBuilder()
      .update()
      .set({ lastError: c.message, messageId: progress, nextAttemptAt: new Date(wall.getTime() + delay), claimedUntil: null, claimToken: null, updatedAt: wall })
      .where("id = :id AND state = 'pending' AND claim_token = :token", { id: row.id, token: row.claimToken })
      .execute();
    d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, retryInMs: delay, error: c.message }, 'text deferred');
    throw new RetryLater(delay, c.message);
  } finally {
    lease.stop();
  }
}

/** Thrown into a send whose claim no longer holds, right before its message (or a text's next part) would go. */
export class LeaseLost extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'LeaseLost';
  }
}

/** A delivery that lost its claim writes nothing (the row is another delivery's, or settled) and is tried again after a lease: it then finds the row sent, or claimed, or free. */
function lostClaim(d: DeliveryDeps, row: OutboxMessage, why: string, what: 'mail' | 'text'): RetryLater {
  d.log.warn({ outboxId: row.id, notice: row.notice, attempts: row.attempts, why }, `${what} not sent: this delivery's claim no longer holds`);
  return new RetryLater(d.leaseMs, `claim lost: ${why}`);
}

/** The claim of one row while its send and its mark run. */
export interface HeldLease {
  /** why the claim no longer holds (taken over by another worker, the row settled meanwhile), null while it does */
  readonly lost: string | null;
  /** right before the message goes (SMTP DATA, each SMPP part): resolves when the claim holds for a while yet, else rejects with `LeaseLost` */
  check: () => Promise<void>;
  /** aborted when the claim is lost before the message went, or the send outlives `maxSendMs` (then renewals stop too) */
  signal: AbortSignal;
  stop(): void;
}

/**
 * Keeps the claim of `row` alive while it is being delivered (docs/decisions/notifications.md,
 * "The lease while a send is in flight"): every third of the lease `claimed_until` is moved a
 * lease ahead, conditional on the row still being `pending` with this claim's token, so a
 * slow send (a slow server, a wait for a pooled connection, a retry inside the pool, a slow
 * event loop, a slow mark) keeps its row and no second worker takes it. A renewal that
 * changes nothing means the claim is gone: before the message went the send is aborted;
 * after, it finishes and is marked (the server has it). A renewal the database refuses
 * changes nothing: the claim still runs until its last `claimed_until`.
 *
 * `check` runs right before the message goes: a claim taken or renewed less than a third of a
 * lease ago passes at once (nobody can claim the row before `claimed_until`, so the fast path
 * costs no statement); an older one is renewed first and passes only if that renewal took
 * (or, the database not answering, if a third of a lease is left).
 */
export function keepLease(d: DeliveryDeps, row: OutboxMessage): HeldLease {
  const repo = d.db.getRepository(OutboxMessage);
  const every = Math.max(50, Math.floor(d.leaseMs / 3));
  const startedAt = Date.now();
  const maxSendMs = d.maxSendMs ?? 600_000;
  const ac = new AbortController();
  let until = row.claimedUntil?.getTime() ?? 0;
  let lost: string | null = null;
  let passed = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let renewing: Promise<boolean | null> | null = null;
  const lose = (why: string) => {
    if (stopped || lost) return;
    lost = why;
    if (!passed) ac.abort(new LeaseLost(why));
  };
  /** true: renewed; false: the claim is gone; null: the database did not answer */
  const renewOnce = async (): Promise<boolean | null> => {
    const next = new Date(d.wallNow().getTime() + d.leaseMs);
    try {
      const res = await repo
        .createQueryBuilder()
        .update()
        .set({ claimedUntil: next })
        .where("id = :id AND state = 'pending' AND claim_token = :token", { id: row.id, token: row.claimToken })
        .execute();
      if (res.affected) {
        until = Math.max(until, next.getTime());
        return true;
      }
      lose('another worker took the row over, or it was settled meanwhile');
      return false;
    } catch (err) {
      if (!stopped) d.log.warn({ outboxId: row.id, err: (err as Error).message }, 'could not renew the claim of a row being sent; it holds until its lease runs out');
      return null;
    }
  };
  /** one renewal at a time: the heartbeat's and the check's share it */
  const renew = (): Promise<boolean | null> => {
    if (!renewing) {
      renewing = renewOnce().finally(() => {
        renewing = null;
      });
    }
    return renewing;
  };
  const beat = () => {
    timer = setTimeout(async () => {
      if (stopped) return;
      if (Date.now() - startedAt > maxSendMs) {
        // no longer renewed: the claim runs out a lease from now whatever happens to this send
        d.log.warn({ outboxId: row.id, ms: Date.now() - startedAt }, 'send still running after maxSendMs: aborted, the row is retried');
        ac.abort(new Error(`send aborted after ${maxSendMs} ms`));
        return;
      }
      await renew();
      if (!stopped && !lost) beat();
    }, every);
    timer.unref();
  };
  beat();
  return {
    get lost() {
      return lost;
    },
    signal: ac.signal,
    async check() {
      if (lost) throw new LeaseLost(lost);
      if (ac.signal.aborted) throw ac.signal.reason;
      if (until - d.wallNow().getTime() < (2 * d.leaseMs) / 3) {
        const renewed = await renew();
        if (renewed === null && until - d.wallNow().getTime() < d.leaseMs / 3) lose('the claim runs out and the database does not answer its renewal');
        if (lost) throw new LeaseLost(lost);
      }
      passed = true;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

class MarkSentFailed extends Error {}

/** One row's `sent` mark. */
export interface Mark {
  id: string;
  set: { messageId: string; segments?: number; bodyText?: string };
  /** when the server accepted it (wall clock): `sent_at` */
  wall: Date;
}

/**
 * The server has the message: record that, retrying (capped at 5 s apart) for as long as the
 * database refuses — a database outage must not turn into a second send (issue 13 item 16).
 * The first try goes with the marks of other deliveries finishing meanwhile (`markBatch`); the
 * retries are this row's own. Only a closing worker gives up (then the lease expires and the
 * row is sent again: a duplicate).
 */
async function markSent(d: DeliveryDeps, id: string, set: Mark['set'], wall: Date) {
  for (let i = 0; ; i++) {
    try {
      if (i === 0) await batches(d).mark({ id, set, wall });
      else await markBatch(d, [{ id, set, wall }]);
      if (i) d.log.info({ outboxId: id, tries: i + 1 }, 'sent message recorded after the database came back');
      return;
    } catch (e) {
      if (d.stopping?.()) {
        d.log.error({ outboxId: id, err: e }, 'message sent but not recorded and the worker is closing; it will be sent again when its lease expires');
        throw new MarkSentFailed((e as Error).message);
      }
      if (i === 0 || i % 20 === 0) d.log.warn({ outboxId: id, err: (e as Error).message, tries: i + 1 }, 'message sent, recording it keeps failing; retrying the record, not the send');
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * (i + 1))));
    }
  }
}

/** What a claim found for one job: the row, now held by this call; or why not (`elsewhere`: a row of another lane's channel, not claimed). */
export type Claim =
  | { kind: 'claimed'; row: OutboxMessage }
  | { kind: 'skipped' }
  | { kind: 'waiting' }
  | { kind: 'busy'; retryInMs: number; why: string }
  | { kind: 'elsewhere'; channel: OutboxChannel };

/** One job's claim: the row, and the channel of the lane asking (absent: any channel). */
export interface ClaimRequest {
  id: string;
  lane?: OutboxChannel;
}

const grouped = new WeakMap<DeliveryDeps, { claim: (r: ClaimRequest) => Promise<Claim>; mark: (m: Mark) => Promise<void> }>();
/**
 * The claim and mark batchers of `d` (one of each per worker: `batchCalls`), shared by the
 * worker's lanes: a ticket's mail and text, started together in their two lanes, still share
 * one claim and one mark. Claims and marks wait on the database only, never on a mail or SMS
 * server, so sharing them does not let one channel's server hold the other's rows back.
 */
function batches(d: DeliveryDeps) {
  let b = grouped.get(d);
  if (!b) {
    b = { claim: batchCalls((rs: ClaimRequest[]) => claimBatch(d, rs), CLAIM_BATCH), mark: batchCalls((ms: Mark[]) => markBatch(d, ms).then(() => ms.map(() => undefined)), CLAIM_BATCH) };
    grouped.set(d, b);
  }
  return b;
}
/** At most this many rows per claim or mark statement. */
const CLAIM_BATCH = 64;

/**
 * Claims the rows of `ids` (one entry per job; a row named twice is claimed for its first
 * entry only, the others find it busy). The rows are read first (a mail row does not change
 * while pending, so the claim's lease covers only the send and the mark, as with one row),
 * then the candidates — `pending`, an address, no live claim, and for a text a transport in
 * this worker and its quiet hours over — are claimed in one conditional UPDATE that sets a
 * lease, a fresh random token and counts the attempt. When it changed every candidate they are
 * all this batch's; otherwise (another worker took some meanwhile) the rows carrying the token
 * are (MariaDB's UPDATE returns nothing, so the token tells this claim from another worker's
 * at the same millisecond). Texts are read again once claimed (the parts an earlier attempt
 * got accepted). One commit for the batch instead of one per row; the exactly-once claim is
 * the same conditional update. A held report for the higher commission gets the configured
 * address first. A request from a lane (`ClaimRequest.lane`) claims only a row of that
 * lane's channel; for a row of the other channel it gets `elsewhere` and the row is left as
 * it is. `requests` may be plain ids (any channel).
 */
export async function claimBatch(d: DeliveryDeps, requests: readonly (string | ClaimRequest)[]): Promise<Claim[]> {
  const repo = d.db.getRepository(OutboxMessage);
  const reqs = requests.map((r): ClaimRequest => (typeof r === 'string' ? { id: r } : r));
  const ids = reqs.map((r) => r.id);
  const unique = [...new Set(ids)];
  /** the lanes asking for each row (undefined: a request for any channel) */
  const askedBy = new Map<string, Set<OutboxChannel | undefined>>();
  for (const r of reqs) askedBy.set(r.id, (askedBy.get(r.id) ?? new Set()).add(r.lane));
  const fits = (r: OutboxMessage, lane: OutboxChannel | undefined) => lane === undefined || r.channel === lane;
  const wall = d.wallNow();
  const service = (d.serviceNow ?? d.wallNow)();
  if (d.higherDisciplineEmail) {
    await repo
      .createQueryBuilder()
      .update()
      .set({ recipient: d.higherDisciplineEmail, state: 'pending', updatedAt: wall })
      .where("id IN (:...ids) AND state = 'held' AND notice = 'integrity_forward' AND recipient IS NULL", { ids: unique })
      .execute();
  }
  const rows = new Map((await repo.find({ where: { id: In(unique) } })).map((r) => [r.id, r]));
  const quiet = (r: OutboxMessage) => r.channel === 'sms' && !!r.notBefore && r.notBefore.getTime() > service.getTime();
  const candidates = unique.filter((id) => {
    const r = rows.get(id);
    return (
      r &&
      [...askedBy.get(id)!].some((lane) => fits(r, lane)) &&
      r.state === 'pending' &&
      r.recipient !== null &&
      (!r.claimedUntil || r.claimedUntil.getTime() < wall.getTime()) &&
      (r.channel !== 'sms' || (d.sms && !quiet(r)))
    );
  });
  const won = new Set<string>();
  if (candidates.length) {
    const token = randomBytes(16).toString('hex');
    const until = new Date(wall.getTime() + d.leaseMs);
    const texts = d.sms ? "(channel <> 'sms' OR not_before IS NULL OR not_before <= :service)" : "channel <> 'sms'";
    const res = await repo
      .createQueryBuilder()
      .update()
      .set({ claimedUntil: until, claimToken: token, attempts: () => 'attempts + 1', updatedAt: wall })
      .where(`id IN (:...ids) AND state = 'pending' AND recipient IS NOT NULL AND (claimed_until IS NULL OR claimed_until < :wall) AND ${texts}`, { ids: candidates, wall, service })
      .execute();
    if (res.affected === candidates.length) {
      for (const id of candidates) {
        won.add(id);
        Object.assign(rows.get(id)!, { claimedUntil: until, claimToken: token, attempts: rows.get(id)!.attempts + 1, updatedAt: wall });
      }
    }
    // some taken by another claim meanwhile (or the count unknown): which ones are ours, and the others' leases
    const recheck = res.affected === candidates.length ? candidates.filter((id) => rows.get(id)!.channel === 'sms') : candidates;
    if (recheck.length) {
      for (const r of await repo.find({ where: { id: In(recheck) } })) {
        rows.set(r.id, r);
        if (r.claimToken === token) won.add(r.id);
      }
    }
  }
  const given = new Set<string>();
  return reqs.map(({ id, lane }): Claim => {
    const r = rows.get(id);
    if (!r || r.state === 'sent' || r.state === 'failed') return { kind: 'skipped' };
    if (!fits(r, lane)) return { kind: 'elsewhere', channel: r.channel };
    if (won.has(id) && !given.has(id)) {
      given.add(id);
      return { kind: 'claimed', row: r };
    }
    if (r.state !== 'pending') return { kind: 'skipped' };
    if (r.channel === 'sms' && !d.sms) return { kind: 'busy', retryInMs: 60_000, why: 'no SMS transport in this worker' };
    if (quiet(r)) return { kind: 'waiting' };
    const left = r.claimedUntil ? Math.max(0, r.claimedUntil.getTime() - wall.getTime()) : 0;
    return { kind: 'busy', retryInMs: left + 100, why: 'another worker is delivering it' };
  });
}

/**
 * Marks sent rows `sent` (conditional on still `pending`) in one UPDATE: each row's message
 * id, send instant, segments and redacted text through `CASE id WHEN … END`; the lease and
 * the token released. One row: the plain update.
 */
export async function markBatch(d: DeliveryDeps, marks: readonly Mark[]): Promise<void> {
  const qb = d.db.getRepository(OutboxMessage).createQueryBuilder().update();
  const common = { state: 'sent' as const, claimedUntil: null, claimToken: null, lastError: null, updatedAt: d.wallNow() };
  if (marks.length === 1) {
    const [m] = marks;
    await qb
      .set({ ...common, ...m.set, sentAt: m.wall })
      .where("id = :id AND state = 'pending'", { id: m.id })
      .execute();
    return;
  }
  const params: Record<string, unknown> = { ids: marks.map((m) => m.id) };
  const caseOf = (column: string, key: string, value: (m: Mark) => unknown, keep: boolean) => {
    const arms = marks
      .map((m, i) => [m, i] as const)
      .filter(([m]) => value(m) !== undefined)
      .map(([m, i]) => {
        params[`i${i}`] = m.id;
        params[`${key}${i}`] = value(m);
        return `WHEN :i${i} THEN :${key}${i}`;
      });
    if (!arms.length) return null;
    return () => `CASE id ${arms.join(' ')} ELSE ${keep ? column : 'NULL'} END`;
  };
  const set: Record<string, unknown> = { ...common };
  for (const [prop, column, key, value] of [
    ['messageId', 'message_id', 'm', (m: Mark) => m.set.messageId],
    ['sentAt', 'sent_at', 't', (m: Mark) => m.wall],
    ['segments', 'segments', 's', (m: Mark) => m.set.segments],
    ['bodyText', 'body_text', 'b', (m: Mark) => m.set.bodyText],
  ] as const) {
    const expr = caseOf(column, key, value, true);
    if (expr) set[prop] = expr;
  }
  await qb
    .set(set as never)
    .where("id IN (:...ids) AND state = 'pending'")
    .setParameters(params)
    .execute();
}

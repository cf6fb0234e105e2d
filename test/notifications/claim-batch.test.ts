import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startHarness, Harness } from '../helpers/harness';
import { claimBatch, deliverOutboxRow, DeliveryDeps, markBatch, RetryLater } from '../../src/notifications/delivery';
import type { MailTransport, OutgoingMail } from '../../src/mail/transport';
import type { SmsTransport } from '../../src/sms/transport';
import { OutboxMessage } from '../../src/entities';
import { createLogger } from '../../src/logger';

// issue 15 item 4: the mail worker claims the rows of several jobs in one UPDATE (a claim
// token tells its rows from another worker's) and marks the sent ones in one UPDATE; the
// exactly-once claim, the lease and each row's own retry are those of docs/decisions/notifications.md.

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

const T0 = new Date('2026-12-03T04:00:00.000Z');
const LEASE = 120_000;
const repo = () => h.deps.db.getRepository(OutboxMessage);

/** `n` pending rows (mail unless `sms`), written directly: no queue, no worker. */
async function rows(n: number, o: { channel?: 'email' | 'sms'; notBefore?: Date | null; state?: OutboxMessage['state'] } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    ids.push(id);
    await repo().insert({
      id,
      dedupeKey: id.replace(/-/g, ''),
      sourceKey: `test:${id}`,
      notice: 'ticket_received',
      channel: o.channel ?? 'email',
      ticketId: null,
      ticketNumber: null,
      sensitive: false,
      recipient: o.channel === 'sms' ? '13800000000' : `r${i}@example.test`,
      recipientUserId: null,
      recipientRole: 'submitter',
      subject: o.channel === 'sms' ? '' : `subject ${i}`,
      bodyText: `text ${i}`,
      bodyHtml: '',
      state: o.state ?? 'pending',
      attempts: 0,
      lastError: null,
      messageId: null,
      nextAttemptAt: T0,
      notBefore: o.notBefore ?? null,
      segments: null,
      claimedUntil: null,
      claimToken: null,
      sentAt: null,
      createdAt: T0,
      updatedAt: T0,
    });
  }
  return ids;
}

/** A worker's delivery deps on a wall clock that the test moves; the transport records what it sent. */
function worker(o: { wall?: () => Date; sms?: SmsTransport; send?: (m: OutgoingMail) => Promise<void> } = {}) {
  const sent: string[] = [];
  const transport: MailTransport = {
    kind: 'smtp',
    async send(m) {
      await o.send?.(m);
      sent.push(m.headers!['X-Outbox-Id']);
      return { messageId: m.messageId, response: '250 ok' };
    },
    close() {},
  };
  const d: DeliveryDeps = { db: h.deps.db, transport, sms: o.sms, from: 'grievance@grievance.local', log: createLogger('silent'), leaseMs: LEASE, backoff: () => 1000, wallNow: o.wall ?? (() => T0) };
  return { d, sent };
}

const byId = async (ids: string[]) => {
  const all = await repo().findBy(ids.map((id) => ({ id })));
  return ids.map((id) => all.find((r) => r.id === id)!);
};

test.serial('two workers claiming the same rows at once get disjoint rows, every row once, each with its own token and lease', async (t) => {
  const ids = await rows(12);
  const a = worker();
  const b = worker();
  const [ca, cb] = await Promise.all([claimBatch(a.d, ids), claimBatch(b.d, [...ids].reverse())]);
  const won = (cs: Awaited<ReturnType<typeof claimBatch>>, order: string[]) => order.filter((_, i) => cs[i].kind === 'claimed');
  const wa = won(ca, ids);
  const wb = won(cb, [...ids].reverse());
  t.deepEqual([...wa, ...wb].sort(), [...ids].sort(), 'together they hold every row');
  t.deepEqual(
    wa.filter((id) => wb.includes(id)),
    [],
    'no row is held by both',
  );
  for (const [i, c] of [...ca.entries()]) if (c.kind !== 'claimed') t.deepEqual(c, { kind: 'busy', retryInMs: LEASE + 100, why: 'another worker is delivering it' }, ids[i]);
  const stored = await byId(ids);
  const tokens = new Set(stored.map((r) => r.claimToken));
  t.is(tokens.size, wa.length && wb.length ? 2 : 1, 'one token per batch');
  for (const r of stored) {
    t.is(r.state, 'pending');
    t.is(r.attempts, 1);
    t.is(r.claimedUntil?.toISOString(), new Date(T0.getTime() + LEASE).toISOString());
    t.regex(r.claimToken ?? '', /^[0-9a-f]{32}$/);
  }
  // the claimed row handed back is the row as stored after the claim
  const first = ca.find((c) => c.kind === 'claimed');
  if (first?.kind === 'claimed') t.like(first.row, { attempts: 1, state: 'pending' });
});

test.serial('a row named twice in one batch is claimed for its first job only; sent, failed and held rows are skipped', async (t) => {
  const [p] = await rows(1);
  const [s] = await rows(1, { state: 'sent' });
  const [f] = await rows(1, { state: 'failed' });
  const [held] = await rows(1, { state: 'held' });
  const { d } = worker();
  const out = await claimBatch(d, [p, p, s, f, held, randomUUID()]);
  t.deepEqual(
    out.map((c) => c.kind),
    ['claimed', 'busy', 'skipped', 'skipped', 'skipped', 'skipped'],
  );
  t.deepEqual(out[1], { kind: 'busy', retryInMs: LEASE + 100, why: 'another worker is delivering it' });
  const [row, sent, held2] = await byId([p, s, held]);
  t.is(row.attempts, 1, 'one attempt counted');
  t.is(sent.attempts, 0);
  t.is(sent.claimToken, null);
  t.is(held2.claimToken, null);
});

test.serial('texts: in quiet hours not claimed (waiting); without an SMS transport left for a worker that has one', async (t) => {
  const later = new Date(T0.getTime() + 3_600_000);
  const [quiet] = await rows(1, { channel: 'sms', notBefore: later });
  const [text] = await rows(1, { channel: 'sms' });
  const noSms = worker();
  t.deepEqual(await claimBatch(noSms.d, [quiet, text]), [
    { kind: 'busy', retryInMs: 60_000, why: 'no SMS transport in this worker' },
    { kind: 'busy', retryInMs: 60_000, why: 'no SMS transport in this worker' },
  ]);
  const sms: SmsTransport = { kind: 'file', send: async () => ({ messageIds: ['m1'], segments: 1, response: 'ok' }), onReceipt() {}, close: async () => {} };
  const withSms = worker({ sms });
  const out = await claimBatch({ ...withSms.d, serviceNow: () => T0 }, [quiet, text]);
  t.deepEqual(out[0], { kind: 'waiting' });
  t.is(out[1].kind, 'claimed');
  const [q, x] = await byId([quiet, text]);
  t.like(q, { attempts: 0, claimedUntil: null, claimToken: null });
  t.is(x.attempts, 1);
});

test.serial('a worker that dies between claim and mark: the row waits for the lease, then the next worker sends it once (attempts 2)', async (t) => {
  const ids = await rows(3);
  const dead = worker();
  const claims = await claimBatch(dead.d, ids); // … and the process dies: no send, no mark
  t.true(claims.every((c) => c.kind === 'claimed'));
  let now = new Date(T0.getTime() + 1_000);
  const next = worker({ wall: () => now });
  const early = await Promise.allSettled(ids.map((id) => deliverOutboxRow(next.d, id)));
  t.true(early.every((r) => r.status === 'rejected' && r.reason instanceof RetryLater && r.reason.retryInMs === LEASE - 1_000 + 100));
  t.deepEqual(next.sent, [], 'nothing sent while the lease holds');
  now = new Date(T0.getTime() + LEASE + 1);
  t.deepEqual(await Promise.all(ids.map((id) => deliverOutboxRow(next.d, id))), ['sent', 'sent', 'sent']);
  t.deepEqual([...next.sent].sort(), [...ids].sort(), 'each row sent once');
  t.deepEqual(await Promise.all(ids.map((id) => deliverOutboxRow(next.d, id))), ['skipped', 'skipped', 'skipped'], 'a job run again does nothing');
  t.is(next.sent.length, 3);
  for (const r of await byId(ids)) {
    t.like(r, { state: 'sent', attempts: 2, claimedUntil: null, claimToken: null, lastError: null, messageId: `<${r.id}@grievance.local>` });
    t.is(r.sentAt?.toISOString(), now.toISOString());
  }
});

test.serial('deliveries finishing together are marked in one UPDATE, each row with its own message id and instant; a row no longer pending is not touched', async (t) => {
  const ids = await rows(4);
  const { d } = worker();
  await claimBatch(d, ids);
  await repo().update({ id: ids[3] }, { state: 'failed', lastError: 'by hand' });
  const at = (i: number) => new Date(T0.getTime() + 10 * i);
  await markBatch(
    d,
    ids.map((id, i) => ({ id, set: i === 1 ? { messageId: `m-${i}`, segments: 2, bodyText: 'redacted' } : { messageId: `m-${i}` }, wall: at(i) })),
  );
  const [r0, r1, r2, r3] = await byId(ids);
  t.like(r0, { state: 'sent', messageId: 'm-0', segments: null, bodyText: 'text 0', claimedUntil: null, claimToken: null, lastError: null, attempts: 1 });
  t.like(r1, { state: 'sent', messageId: 'm-1', segments: 2, bodyText: 'redacted' });
  t.like(r2, { state: 'sent', messageId: 'm-2', segments: null, bodyText: 'text 2' });
  t.deepEqual(
    [r0, r1, r2].map((r) => r.sentAt?.toISOString()),
    [at(0), at(1), at(2)].map((x) => x.toISOString()),
  );
  t.like(r3, { state: 'failed', messageId: null, sentAt: null, lastError: 'by hand' });
});

test.serial('many jobs at once: their claims and marks go in a few statements, every row sent once', async (t) => {
  const ids = await rows(20);
  let statements = 0;
  const logger = h.deps.db.logger;
  const counting = Object.create(logger, {
    logQuery: {
      value: (q: string) => {
        if (/outbox_message/.test(q)) statements++;
      },
    },
  });
  (h.deps.db as { logger: unknown }).logger = counting;
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { d, sent } = worker({ send: () => gate });
    const all = Promise.all(ids.map((id) => deliverOutboxRow(d, id)));
    await new Promise((r) => setTimeout(r, 200));
    release();
    t.deepEqual(
      await all,
      ids.map(() => 'sent'),
    );
    t.deepEqual([...sent].sort(), [...ids].sort());
    // the first job's claim goes alone (nothing else was waiting yet); the other 19 wait for it and go together; then one mark
    t.true(statements >= 3 && statements <= 5, `claims (UPDATE + SELECT each) and marks for all 20: ${statements} statements`);
  } finally {
    (h.deps.db as { logger: unknown }).logger = logger;
  }
  for (const r of await byId(ids)) t.like(r, { state: 'sent', attempts: 1, claimToken: null });
});

test.serial('a delivery that outlived its lease and then failed leaves the claim of the worker that took the row over', async (t) => {
  const [id] = await rows(1);
  let fail!: (e: Error) => void;
  const gate = new Promise<void>((_, rej) => {
    fail = rej;
  });
  const slow = worker({ send: () => gate });
  const delivering = deliverOutboxRow(slow.d, id).catch((e) => e);
  await new Promise((r) => setTimeout(r, 200)); // claimed, sending
  const next = worker({ wall: () => new Date(T0.getTime() + LEASE + 1) });
  const [taken] = await claimBatch(next.d, [id]);
  t.is(taken.kind, 'claimed', 'the lease expired: the next worker takes the row');
  const { claimToken } = (await byId([id]))[0];
  fail(Object.assign(new Error('451 try later'), { responseCode: 451, command: 'RCPT TO' }));
  t.true((await delivering) instanceof RetryLater);
  const [r] = await byId([id]);
  t.like(r, { state: 'pending', attempts: 2, claimToken, lastError: null });
  t.is(r.claimedUntil?.toISOString(), new Date(T0.getTime() + 2 * LEASE + 1).toISOString());
});

test.serial("a lane claims rows of its own channel only: a row of the other channel is left unclaimed and handed to that channel's lane", async (t) => {
  const [mail] = await rows(1);
  const [text] = await rows(1, { channel: 'sms' });
  const sms: SmsTransport = { kind: 'file', send: async () => ({ messageIds: ['m1'], segments: 1, response: 'ok' }), onReceipt() {}, close: async () => {} };
  const { d, sent } = worker({ sms });
  // one batch: the mail lane asks for both rows (the text was left in an earlier version's mail queue), the text lane for the text
  t.deepEqual(
    (
      await claimBatch(d, [
        { id: mail, lane: 'email' },
        { id: text, lane: 'email' },
        { id: text, lane: 'sms' },
      ])
    ).map((c) => (c.kind === 'claimed' ? [c.kind, c.row.id] : c)),
    [['claimed', mail], { kind: 'elsewhere', channel: 'sms' }, ['claimed', text]],
  );
  const [m, x] = await byId([mail, text]);
  t.is(m.attempts, 1);
  t.is(x.attempts, 1, 'the text counted once, for its own lane');

  const [other] = await rows(1, { channel: 'sms' });
  const handed: [string, string][] = [];
  const mailLane = { channel: 'email' as const, reroute: async (id: string, channel: string) => void handed.push([id, channel]) };
  t.is(await deliverOutboxRow(d, other, mailLane), 'rerouted');
  t.deepEqual(handed, [[other, 'sms']]);
  t.like((await byId([other]))[0], { state: 'pending', attempts: 0, claimedUntil: null, claimToken: null });
  t.deepEqual(sent, [], 'the mail lane sent nothing');
  t.is(await deliverOutboxRow(d, other, { channel: 'sms', reroute: mailLane.reroute }), 'sent', 'its own lane sends it');
  t.is(handed.length, 1);
  t.is(await deliverOutboxRow(d, other, mailLane), 'skipped', 'once sent, a stale job in the other lane does nothing');
});

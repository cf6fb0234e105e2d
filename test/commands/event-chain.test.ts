import test from 'ava';
import { startHarness, standardStaff, Harness, TEST_CHAIN_KEYS } from '../helpers/harness';
import { TicketEvent, EventChainSeal } from '../../src/entities';
import { eventHash, sealLegacyChains, verifyChain } from '../../src/commands/events';
import { chainKeysOf, configureEventChain, derivedChainKeys, parseChainKeys } from '../../src/chain-keys';
import { hkdfSync } from 'node:crypto';
import { inTransaction } from '../../src/db';
import { boot } from '../../src/boot';

// issue 13 item 9: the event chain is keyed (HMAC under a key the database does not hold),
// rotated by configuration, with a migration path for chains written before it had keys.
let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness();
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const KEY_B = Buffer.alloc(32, 9).toString('base64');
const events = (ticketId: string) => h.deps.db.getRepository(TicketEvent).find({ where: { ticketId }, order: { seq: 'ASC' } });

/** A rated ticket: created, dispatched, signed, replied, rated (five events). */
async function ratedTicket() {
  const owner = await h.owner(`1390000${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}`);
  const tk = (await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '定额税', description: '偏高' })).body;
  await s.tax.post(`/api/v1/tickets/${tk.id}/sign`);
  await s.tax.post(`/api/v1/tickets/${tk.id}/reply`, { outcome: 'resolved', message: '已处理' });
  const rated = await owner.post(`/api/v1/tickets/${tk.id}/rate`, { rating: 'basically_satisfied' });
  must(rated.status === 200, rated.text);
  return tk.id as string;
}
function must(ok: boolean, msg: string) {
  if (!ok) throw new Error(msg);
}

/**
 * What a database writer without the key can do: change the rating, then recompute every
 * hash from there on with the chain's published rule (SHA-256 over the canonical fields).
 */
async function rewriteRating(ticketId: string, opts: { unkeyed: boolean }) {
  const list = await events(ticketId);
  let prev = list[0].prevHash;
  for (const e of list) {
    if (e.type === 'rated') e.payload = { ...e.payload, rating: 'very_satisfied' };
    e.prevHash = prev;
    if (opts.unkeyed) e.keyId = null;
    e.hash = eventHash(e, null);
    prev = e.hash;
    await h.deps.db.getRepository(TicketEvent).update({ id: e.id }, { payload: e.payload as never, prevHash: e.prevHash, hash: e.hash, keyId: e.keyId });
  }
  await h.deps.db.query("UPDATE ticket SET rating = 'satisfied' WHERE id = ?", [ticketId]);
}

test.serial('events are HMACs under the configured key; a writer without it cannot recompute the chain', async (t) => {
  const id = await ratedTicket();
  const list = await events(id);
  t.deepEqual(
    list.map((e) => [e.type, e.keyId]),
    [
      ['created', 'test1'],
      ['dispatched', 'test1'],
      ['signed', 'test1'],
      ['replied', 'test1'],
      ['rated', 'test1'],
    ],
  );
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: 5 });
  // the old rule no longer produces the stored hash: it is keyed
  t.not(eventHash(list[0], null), list[0].hash);

  await rewriteRating(id, { unkeyed: false });
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: false, checked: 5, brokenAt: 1, reason: 'hash' });

  // marking the rewritten events unkeyed (as if written before the keys) does not help either
  const other = await ratedTicket();
  await rewriteRating(other, { unkeyed: true });
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${other}/events/verify`)).body, { ok: false, checked: 5, brokenAt: 1, reason: 'unsealed' });
});

test.serial('a changed rating event alone is reported as the first broken event', async (t) => {
  const id = await ratedTicket();
  const rated = (await events(id)).find((e) => e.type === 'rated')!;
  await h.deps.db.getRepository(TicketEvent).update({ id: rated.id }, { payload: { ...rated.payload, rating: 'very_satisfied' } as never });
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: false, checked: 5, brokenAt: 5, reason: 'hash' });
});

test.serial('rotation: new events under the new key, old ones verify under the retired key, a dropped key is reported', async (t) => {
  const id = await ratedTicket();
  configureEventChain(h.deps.db, parseChainKeys(`test2:${KEY_B},${TEST_CHAIN_KEYS}`));
  try {
    t.is((await s.coord.post(`/api/v1/tickets/${id}/reopen`, { reason: '回访后重办' })).status, 200);
    t.deepEqual(
      (await events(id)).map((e) => e.keyId),
      ['test1', 'test1', 'test1', 'test1', 'test1', 'test2'],
    );
    t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: 6 });
    // the retired key removed from the configuration: its events can no longer be vouched for
    configureEventChain(h.deps.db, parseChainKeys(`test2:${KEY_B}`));
    t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: false, checked: 6, brokenAt: 1, reason: 'unknown_key' });
  } finally {
    configureEventChain(h.deps.db, parseChainKeys(TEST_CHAIN_KEYS));
  }
});

test.serial('migration path: an unkeyed chain from before is sealed once, then tampering with it is found', async (t) => {
  const id = await ratedTicket();
  const broken = await ratedTicket();
  // as the rows of an older version look: SHA-256, no key id
  for (const tid of [id, broken]) {
    let prev = '0'.repeat(64);
    for (const e of await events(tid)) {
      e.prevHash = prev;
      e.keyId = null;
      e.hash = eventHash(e, null);
      prev = e.hash;
      await h.deps.db.getRepository(TicketEvent).update({ id: e.id }, { prevHash: e.prevHash, hash: e.hash, keyId: null });
    }
  }
  await h.deps.db.query("UPDATE ticket_event SET type = 'closed' WHERE ticket_id = ? AND seq = 3", [broken]);
  t.deepEqual(await inTransaction(h.deps.db, (em) => verifyChain(em, id)), { ok: false, checked: 5, brokenAt: 1, reason: 'unsealed' });
  const now = h.clock.now();
  const r = await inTransaction(h.deps.db, (em) => sealLegacyChains(em, now, {}));
  t.true(r.sealed.includes(id));
  t.deepEqual(
    r.broken.filter((b) => b.ticketId === broken),
    [{ ticketId: broken, brokenAt: 3, reason: 'hash' }],
  );
  t.is(await h.deps.db.getRepository(EventChainSeal).countBy({ ticketId: broken }), 0);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: 5 });
  // sealing again does nothing
  t.false((await inTransaction(h.deps.db, (em) => sealLegacyChains(em, now, {}))).sealed.includes(id));

  // new events continue the chain keyed; the unkeyed prefix stays covered
  t.is((await s.coord.post(`/api/v1/tickets/${id}/reopen`, { reason: '重办' })).status, 200);
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: true, checked: 6 });

  // a writer rewriting the sealed unkeyed prefix (rating changed, SHA-256 recomputed) is found
  const list = await events(id);
  let prev = '0'.repeat(64);
  for (const e of list.slice(0, 5)) {
    if (e.type === 'rated') e.payload = { ...e.payload, rating: 'very_satisfied' };
    e.prevHash = prev;
    e.hash = eventHash(e, null);
    prev = e.hash;
    await h.deps.db.getRepository(TicketEvent).update({ id: e.id }, { payload: e.payload as never, prevHash: e.prevHash, hash: e.hash });
  }
  t.deepEqual((await s.coord.get(`/api/v1/tickets/${id}/events/verify`)).body, { ok: false, checked: 6, brokenAt: 6, reason: 'previous_hash' });
});

test('EVENT_CHAIN_KEYS: ids, lengths, the current key; without it outside the embedded default, a key derived from JWT_SECRET', async (t) => {
  const ring = parseChainKeys(`a:${KEY_B},b:${KEY_B}`, 'b');
  t.deepEqual([ring.current, [...ring.keys.keys()]], ['b', ['a', 'b']]);
  t.is(parseChainKeys(`a:${KEY_B}`).current, 'a');
  t.throws(() => parseChainKeys(`a:${Buffer.alloc(16).toString('base64')}`), { message: /at least 32/ });
  t.throws(() => parseChainKeys(`a:${KEY_B},a:${KEY_B}`), { message: /twice/ });
  t.throws(() => parseChainKeys(`bad id:${KEY_B}`), { message: /id:base64key/ });
  t.throws(() => parseChainKeys(`a:${KEY_B}`, 'c'), { message: /not one of/ });
  // the same secret, the same key (every process of a deployment seals alike); another secret, another key
  const derived = chainKeysOf({ embedded: false, dataDir: '/nonexistent', jwtSecret: 'x'.repeat(32) })!;
  t.is(derived.current, 'jwt');
  t.is(derived.keys.get('jwt')!.toString('base64'), Buffer.from(hkdfSync('sha256', 'x'.repeat(32), 'grievance-event-chain', 'v1', 32)).toString('base64'));
  t.deepEqual(derived, derivedChainKeys('x'.repeat(32)));
  t.notDeepEqual(derivedChainKeys('y'.repeat(32)).keys.get('jwt'), derived.keys.get('jwt'));
  t.is(chainKeysOf({ embedded: false, dataDir: '/nonexistent', eventChainKeys: ring, jwtSecret: 'x'.repeat(32) }), ring, 'EVENT_CHAIN_KEYS wins');
  t.is(chainKeysOf({ embedded: false, dataDir: '/nonexistent' }), undefined);
  // boot no longer refuses for want of EVENT_CHAIN_KEYS: it gets as far as the database (unreachable here)
  const e = await t.throwsAsync(boot({ DATABASE_URL: 'mysql://root@127.0.0.1:1/none', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent', DATABASE_CONNECT_TIMEOUT_MS: '500' }));
  t.notRegex(e!.message, /EVENT_CHAIN_KEYS/);
});

import test from 'ava';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { FallbackAttemptStore, MemoryAttemptStore, RedisAttemptStore, Limit } from '../../src/http/limiter';

// The attempt counters behind login and access-code throttling (src/http/limiter.ts):
// fixed windows opened by the first attempt, all-or-nothing takes, eviction that never
// lifts a lockout, and the Redis store shared by several processes.

const lim = (key: string, max = 3, windowMs = 60_000): Limit => ({ key, max, windowMs });

test('memory: max attempts per window, then the time left; the window closing resets the key', async (t) => {
  let now = 1_000_000;
  const s = new MemoryAttemptStore(100, () => now);
  for (let i = 0; i < 3; i++) t.deepEqual(await s.take([lim('a')]), { ok: true });
  now += 10_000;
  t.deepEqual(await s.take([lim('a')]), { ok: false, retryAfterMs: 50_000 });
  t.deepEqual(await s.take([lim('b')]), { ok: true }, 'other keys are not affected');
  now += 49_999;
  t.deepEqual(await s.take([lim('a')]), { ok: false, retryAfterMs: 1 });
  now += 1;
  t.deepEqual(await s.take([lim('a')]), { ok: true });
});

test('memory: a take counts on every key or on none; refund gives one back; clear forgets', async (t) => {
  const s = new MemoryAttemptStore(100, () => 0);
  for (let i = 0; i < 3; i++) await s.take([lim('user')]);
  t.deepEqual(await s.take([lim('addr', 5), lim('user')]), { ok: false, retryAfterMs: 60_000 });
  for (let i = 0; i < 5; i++) t.true((await s.take([lim('addr', 5)])).ok, `addr attempt ${i + 1} was not counted by the refused take`);
  t.false((await s.take([lim('addr', 5)])).ok);
  await s.refund(['addr']);
  t.true((await s.take([lim('addr', 5)])).ok);
  t.false((await s.take([lim('addr', 5)])).ok);
  await s.clear(['user', 'addr']);
  t.true((await s.take([lim('addr', 5), lim('user')])).ok);
});

test('memory: past maxKeys the oldest windows go first, but a locked key stays until its window closes', async (t) => {
  let now = 0;
  const s = new MemoryAttemptStore(100, () => now);
  for (let i = 0; i < 3; i++) await s.take([lim('victim')]);
  t.false((await s.take([lim('victim')])).ok);
  await s.take([lim('half')]); // counted, not locked
  // 50,000 lookups for made-up numbers used to clear the whole map
  for (let i = 0; i < 5000; i++) {
    now += 1;
    await s.take([lim(`made-up-${i}`)]);
  }
  t.true(s.size <= 100);
  t.false((await s.take([lim('victim')])).ok, 'the lockout holds');
  t.false(s.has('half'), 'the oldest unlocked key was evicted');
  t.false(s.has('made-up-0'));
  t.true(s.has('made-up-4999'), 'the newest keys are kept');
  now = 60_000;
  t.true((await s.take([lim('victim')])).ok, 'after its window the victim key is free again');
});

test('memory: a store full of locked keys keeps them all (bounded by the attempts it took to lock them)', async (t) => {
  let now = 0;
  const s = new MemoryAttemptStore(10, () => now);
  for (let k = 0; k < 20; k++) for (let i = 0; i < 3; i++) await s.take([lim(`locked-${k}`)]);
  t.is(s.size, 20);
  for (let k = 0; k < 20; k++) t.false((await s.take([lim(`locked-${k}`)])).ok);
  now = 60_000;
  await s.take([lim('fresh')]);
  t.true(s.size <= 10, 'closed windows are evicted');
});

test('fallback: while Redis does not answer, counting goes on in memory', async (t) => {
  const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, commandTimeout: 500, enableReadyCheck: false, retryStrategy: () => null });
  down.on('error', () => undefined);
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => warnings.push(o) } as never;
  try {
    const s = new FallbackAttemptStore(new RedisAttemptStore(down, '{t}'), new MemoryAttemptStore(), log);
    for (let i = 0; i < 3; i++) t.true((await s.take([lim('k')])).ok);
    t.false((await s.take([lim('k')])).ok);
    await s.clear(['k']);
    t.true((await s.take([lim('k')])).ok);
    t.is(warnings.length, 1, 'warned once, not per request');
  } finally {
    down.disconnect();
  }
});

const redisTest = process.env.REDIS_URL ? test : test.skip;

redisTest('redis: the same rules, and one count shared by two processes (two connections)', async (t) => {
  const url = process.env.REDIS_URL!;
  const a = new Redis(url);
  const b = new Redis(url);
  const prefix = `{gt-limit-${randomBytes(4).toString('hex')}}`;
  try {
    const sa = new RedisAttemptStore(a, prefix);
    const sb = new RedisAttemptStore(b, prefix);
    t.true((await sa.take([lim('u', 3, 60_000)])).ok);
    t.true((await sb.take([lim('u', 3, 60_000)])).ok);
    t.true((await sa.take([lim('u', 3, 60_000)])).ok);
    const refused = await sb.take([lim('u', 3, 60_000)]);
    t.false(refused.ok);
    t.true(!refused.ok && refused.retryAfterMs > 59_000 && refused.retryAfterMs <= 60_000);
    t.is(await a.get(`${prefix}:limit:u`), '3');
    const ttl = await a.pttl(`${prefix}:limit:u`);
    t.true(ttl > 59_000 && ttl <= 60_000, 'the key expires with its window');

    // all or nothing
    t.false((await sa.take([lim('addr', 5, 60_000), lim('u', 3, 60_000)])).ok);
    t.is(await a.get(`${prefix}:limit:addr`), null);
    await sb.refund(['u']);
    t.is(await a.get(`${prefix}:limit:u`), '2');
    await sb.refund(['nothing-here']);
    t.is(await a.get(`${prefix}:limit:nothing-here`), null, 'refunding an absent key creates nothing');
    await sa.clear(['u']);
    t.is(await a.get(`${prefix}:limit:u`), null);

    // the window closes
    for (let i = 0; i < 3; i++) await sa.take([lim('short', 3, 300)]);
    t.false((await sa.take([lim('short', 3, 300)])).ok);
    await new Promise((r) => setTimeout(r, 400));
    t.true((await sb.take([lim('short', 3, 300)])).ok);

    // a counter left without expiry (by hand) still gets a window when it locks
    await a.set(`${prefix}:limit:stuck`, '9');
    const r = await sa.take([lim('stuck', 3, 5_000)]);
    t.true(!r.ok && r.retryAfterMs === 5_000);
    t.true((await a.pttl(`${prefix}:limit:stuck`)) > 0);
  } finally {
    const keys = await a.keys(`${prefix}:limit:*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  }
});

import test from 'ava';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AttemptStore, clearExpiredAttempts, memoryAttemptStore, redisAttemptStore, sqliteAttemptStore, Limit } from '../../src/http/limiter';

// The attempt counters behind login and access-code throttling (src/http/limiter.ts, on
// rate-limiter-flexible): fixed windows opened by the first attempt, all-or-nothing takes,
// a flood of made-up keys that never lifts a lockout, the Redis store shared by several
// processes and its in-memory insurance. The memory and SQLite stores read the wall clock
// (Date.now), which these tests set: they run one at a time.

const lim = (key: string, max = 3, windowMs = 60_000): Limit => ({ key, max, windowMs });

/** Runs `fn` with Date.now() answering `clock.now` (the library's memory and SQLite stores read it). */
async function withClock<T>(start: number, fn: (clock: { now: number }) => Promise<T>): Promise<T> {
  const real = Date.now;
  const clock = { now: start };
  Date.now = () => clock.now;
  try {
    return await fn(clock);
  } finally {
    Date.now = real;
  }
}

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const sqliteFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'limits-'));
  dirs.push(d);
  return join(d, 'limits.sqlite');
};
const stores: [string, () => AttemptStore][] = [
  ['memory', () => memoryAttemptStore()],
  ['sqlite', () => sqliteAttemptStore(sqliteFile())],
];

for (const [name, make] of stores) {
  test.serial(`${name}: max attempts per window, then the time left; the window closing resets the key`, (t) =>
    withClock(1_000_000, async (clock) => {
      const s = make();
      for (let i = 0; i < 3; i++) t.deepEqual(await s.take([lim('a')]), { ok: true });
      clock.now += 10_000;
      t.deepEqual(await s.take([lim('a')]), { ok: false, retryAfterMs: 50_000 });
      t.deepEqual(await s.take([lim('b')]), { ok: true }, 'other keys are not affected');
      clock.now += 49_999;
      t.deepEqual(await s.take([lim('a')]), { ok: false, retryAfterMs: 1 });
      clock.now += 1;
      t.deepEqual(await s.take([lim('a')]), { ok: true });
    }),
  );

  test.serial(`${name}: a take counts on every key or on none; refund gives one back (never below zero); clear forgets`, (t) =>
    withClock(0, async () => {
      const s = make();
      for (let i = 0; i < 3; i++) await s.take([lim('user')]);
      t.deepEqual(await s.take([lim('addr', 5), lim('user')]), { ok: false, retryAfterMs: 60_000 });
      for (let i = 0; i < 5; i++) t.true((await s.take([lim('addr', 5)])).ok, `addr attempt ${i + 1} was not counted by the refused take`);
      t.false((await s.take([lim('addr', 5)])).ok);
      await s.refund(['addr']);
      t.true((await s.take([lim('addr', 5)])).ok);
      t.false((await s.take([lim('addr', 5)])).ok);
      await s.clear(['user', 'addr']);
      t.true((await s.take([lim('addr', 5), lim('user')])).ok);
      // two limits where one only goes over in this take: neither keeps the count
      await s.clear(['x', 'y']);
      for (let i = 0; i < 2; i++) await s.take([lim('x', 2)]);
      t.false((await s.take([lim('y', 5), lim('x', 2)])).ok);
      for (let i = 0; i < 5; i++) t.true((await s.take([lim('y', 5)])).ok, `y attempt ${i + 1}`);
      await s.refund(['never-taken']);
      for (let i = 0; i < 3; i++) t.true((await s.take([lim('never-taken')])).ok, 'a refund of an absent key gives no extra attempt');
      t.false((await s.take([lim('never-taken')])).ok);
    }),
  );
}

test.serial('sqlite (embedded default): a flood of made-up keys never lifts a lockout; it costs rows on disk, and closed windows are deleted', (t) =>
  withClock(0, async (clock) => {
    const file = sqliteFile();
    const s = sqliteAttemptStore(file);
    for (let k = 0; k < 20; k++) for (let i = 0; i < 3; i++) await s.take([lim(`locked-${k}`)]);
    await s.take([lim('half')]); // counted, not locked
    // 50,000 lookups for made-up numbers used to clear the whole map of the old memory store
    for (let i = 0; i < 5000; i++) {
      clock.now += 1;
      await s.take([lim(`made-up-${i}`)]);
    }
    for (let k = 0; k < 20; k++) t.false((await s.take([lim(`locked-${k}`)])).ok, `locked-${k} holds`);
    t.deepEqual(await s.take([lim('half', 2)]), { ok: true }, 'a partial count is kept too');
    t.false((await s.take([lim('half', 2)])).ok);
    const Database = require('better-sqlite3') as new (f: string, o: object) => { prepare(s: string): { get(): unknown }; close(): void };
    const db = new Database(file, { readonly: true });
    try {
      t.is((db.prepare('SELECT COUNT(*) AS n FROM attempt_limit').get() as { n: number }).n, 5021);
    } finally {
      db.close();
    }
    clock.now = 62_500;
    t.true((await s.take([lim('locked-0')])).ok, 'after its window the key is free again');
    // closed: locked-1…19, half, made-up-0…2498 (opened at 1…2499 ms); locked-0 re-opened
    t.is(clearExpiredAttempts(file, clock.now), 19 + 1 + 2499);
  }),
);

test.serial('fallback: while Redis does not answer, counting goes on in memory', async (t) => {
  const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, commandTimeout: 500, enableReadyCheck: false, retryStrategy: () => null });
  down.on('error', () => undefined);
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => warnings.push(o) } as never;
  try {
    const s = redisAttemptStore(down, '{t}', log, 300);
    for (let i = 0; i < 3; i++) t.true((await s.take([lim('k')])).ok);
    t.false((await s.take([lim('k')])).ok);
    await s.clear(['k']);
    t.true((await s.take([lim('k')])).ok);
    t.is(warnings.length, 1, 'warned once, not per request');
  } finally {
    down.disconnect();
  }
});

const redisTest = process.env.REDIS_URL ? test.serial : test.skip;

redisTest('redis: the same rules, and one count shared by two processes (two connections)', async (t) => {
  const url = process.env.REDIS_URL!;
  const a = new Redis(url);
  const b = new Redis(url);
  const prefix = `{gt-limit-${randomBytes(4).toString('hex')}}`;
  try {
    const sa = redisAttemptStore(a, prefix);
    const sb = redisAttemptStore(b, prefix);
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

    // the window closes (whole seconds: the shortest window is 1 s)
    for (let i = 0; i < 3; i++) await sa.take([lim('short', 3, 1000)]);
    const short = await sa.take([lim('short', 3, 1000)]);
    t.true(!short.ok && short.retryAfterMs <= 1000);
    await new Promise((r) => setTimeout(r, short.ok ? 0 : short.retryAfterMs + 50));
    t.true((await sb.take([lim('short', 3, 1000)])).ok);

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

/**
 * Several workers, lost timers (issue 3): two worker processes (`ROLE=worker`, real child
 * processes of build/src/main.js against this file's MariaDB database and Redis prefix),
 * an in-process worker and concurrent sweeps over 200 overdue tickets produce exactly one
 * `escalated` event per (ticket, cycle, level); with every timer lost (Redis keys of the
 * deployment deleted, or the in-process runner stopped) a restarted worker still escalates
 * everything once, from the database alone.
 */
import test from 'ava';
import { spawn, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { startHarness, standardStaff, Harness, ADMIN_PASSWORD, TEST_CHAIN_KEYS } from '../helpers/harness';
import { startWorkers, startJobClient } from '../../src/jobs/runner';
import { databaseClockStore } from '../../src/jobs/test-clock';
import { systemClock } from '../../src/clock';
import { Escalation, TicketEvent } from '../../src/entities';
import { inPool } from '../../src/jobs/sweep';
import { taxComplaint, eventually } from './clock-helpers';

const multiProcess = !!(process.env.DATABASE_URL && process.env.REDIS_URL);
// Several processes need MariaDB and Redis (SQLite is single-process): reported as skipped without them.
const multiProcessTest = multiProcess ? test.serial : test.serial.skip;
const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
const DAY = 86_400_000;

/** Counts `escalated` events per (ticket, cycle, level). */
async function escalationCounts(h: Harness, ticketIds: string[]) {
  const rows = await h.deps.db.getRepository(TicketEvent).createQueryBuilder('e').where("e.type = 'escalated'").getMany();
  const ids = new Set(ticketIds);
  const counts = new Map<string, number>();
  for (const e of rows) {
    if (!ids.has(e.ticketId)) continue;
    const k = `${e.ticketId}|${e.cycle}|${(e.payload as { level: number }).level}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

interface Worker {
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}
function spawnWorker(h: Harness, dataDir: string, extra: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      ROLE: 'worker',
      DATABASE_URL: h.deps.config.databaseUrl,
      REDIS_URL: process.env.REDIS_URL,
      QUEUE_PREFIX: h.deps.config.queuePrefix,
      JWT_SECRET: 'test-secret-test-secret-test-secret',
      EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
      MIGRATE_ON_START: '0',
      SWEEP_INTERVAL_MS: '250',
      TEST_CLOCK: '1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

multiProcessTest('two worker processes, an in-process worker and repeated sweeps over 200 overdue tickets: exactly one event per (ticket, cycle, level)', async (t) => {
  const started = Date.now();
  const h = await startHarness({ start: new Date().toISOString(), env: { TOKEN_TTL_HOURS: '8760' } });
  const dataDir = mkdtempSync(join(tmpdir(), 'grievance-workers-'));
  const workers: Worker[] = [];
  try {
    const s = await standardStaff(h);
    // Calls recorded late: received 60 days ago, so sign-for, reply and N + 5 have all passed.
    const receivedAt = new Date(Date.now() - 60 * DAY).toISOString();
    const ids: string[] = [];
    await inPool(
      Array.from({ length: 200 }, (_, i) => i),
      8,
      async () => {
        ids.push((await taxComplaint(s.intake, { receivedAt })).id);
      },
    );
    t.is(ids.length, 200);
    const t0 = Date.now();
    t.log(`200 tickets created after ${t0 - started} ms`);

    workers.push(spawnWorker(h, dataDir), spawnWorker(h, dataDir));
    const local = await startWorkers(h.deps, { hook: false, sweepIntervalMs: 0 });
    const api = { ...h.deps }; // the API side: hands changed tickets to the workers as check jobs
    const client = await startJobClient(api);
    try {
      // Everyone at once: the children's startup and periodic sweeps (every 250 ms) and the
      // check jobs enqueued twice per ticket, racing three sweeps and checks in this process.
      api.onTicketsChanged!(ids);
      api.onTicketsChanged!(ids);
      await Promise.all([local.sweep(), local.sweep(), local.sweep(), local.check(ids)]);
      t.log(`in-process sweeps and checks done after ${Date.now() - t0} ms`);
      t.true(await eventually(async () => (await escalationCounts(h, ids)).size === 600, 45_000, 200));
      t.log(`600 escalations after ${Date.now() - t0} ms`);
      // A few more sweep intervals: nothing may be added.
      await new Promise((r) => setTimeout(r, 1500));
      await local.sweep();
    } finally {
      await client.close();
      await local.close();
    }
    const codes = await Promise.all(workers.map((w) => w.stop()));
    t.deepEqual(codes, [0, 0], workers.map((w) => w.output().slice(-2000)).join('\n---\n'));

    const counts = await escalationCounts(h, ids);
    t.is(counts.size, 600);
    t.deepEqual([...new Set(counts.values())], [1]);
    t.is(await h.deps.db.getRepository(Escalation).count(), 600);
    // Every ticket climbed 1 → 2 → 3, in that order in its timeline.
    const ev = await h.deps.db.getRepository(TicketEvent).find({ where: { ticketId: ids[0] }, order: { seq: 'ASC' } });
    t.deepEqual(
      ev.filter((e) => e.type === 'escalated').map((e) => [(e.payload as any).level, (e.payload as any).reason]),
      [
        [1, 'sign_late'],
        [2, 'reply_late'],
        [3, 'reply_missing'],
      ],
    );
    // Both child processes did work (each logs what it acted on).
    const acted = workers.map((w) => (w.output().match(/clock acted/g) ?? []).length);
    t.log(`checks that acted: child 1 ${acted[0]}, child 2 ${acted[1]}, this process ${600 - acted[0] - acted[1]} or fewer`);
  } finally {
    await Promise.all(workers.map((w) => (w.child.exitCode === null ? w.stop() : null)));
    rmSync(dataDir, { recursive: true, force: true });
    await h.close();
  }
});

test.serial('nothing lost: with every timer gone (Redis keys deleted, or the runner stopped) a restarted worker escalates each ticket once', async (t) => {
  const h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  try {
    const s = await standardStaff(h);
    const first = await startWorkers(h.deps, { hook: false, sweepIntervalMs: 0 });
    await first.sweep();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await taxComplaint(s.intake)).id);
    await first.check(ids);
    t.is((await first.armed(ids[0])).length, 4); // due soon, sign, reply, red
    await first.close(); // the worker stops (its in-process timers die with it)
    if (process.env.REDIS_URL) {
      // Flush this deployment's Redis: every key under its prefix (other test files share the server).
      const redis = new Redis(process.env.REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${h.deps.config.queuePrefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
        t.deepEqual(await redis.keys(`${h.deps.config.queuePrefix}*`), []);
      } finally {
        redis.disconnect();
      }
    }
    // Time passes the sign-for and reply deadlines (Nov 4 and Nov 10 00:00) while nothing runs.
    h.clock.set(new Date('2026-11-10T08:00:00+08:00'));
    const second = await startWorkers(h.deps, { hook: false, sweepIntervalMs: 0 });
    try {
      await second.sweep();
      await second.sweep();
      const counts = await escalationCounts(h, ids);
      t.is(counts.size, 40);
      t.deepEqual([...new Set(counts.values())], [1]);
      t.deepEqual([...counts.keys()].filter((k) => k.startsWith(ids[0])).sort(), [`${ids[0]}|1|1`, `${ids[0]}|1|2`]);
      // …and the timers are back for what is still ahead (the order's response, level 3).
      t.deepEqual(
        (await second.armed(ids[0])).map((x) => x.kind.replace(/:.*/, '')),
        ['oversight', 'red'],
      );
    } finally {
      await second.close();
    }
  } finally {
    await h.close();
  }
});

test.serial('the test clock is shared: a move stored by one process is what another process\'s "now" reads', async (t) => {
  const h = await startHarness({ env: { TOKEN_TTL_HOURS: '8760' } });
  try {
    const a = systemClock(true, databaseClockStore(h.deps.db));
    const b = systemClock(true, databaseClockStore(h.deps.db));
    const target = new Date(Date.now() + 30 * DAY);
    let moved = 0;
    b.onMove?.(() => {
      moved++;
    });
    a.set(target);
    await a.settle!();
    t.true(Math.abs(a.now().getTime() - target.getTime()) < 1000);
    t.true(b.now().getTime() < target.getTime() - 29 * DAY);
    await b.refresh!();
    t.true(Math.abs(b.now().getTime() - target.getTime()) < 1000);
    t.is(moved, 0); // listeners are per process: b did not move itself
    t.throws(() => b.set(new Date()), { message: 'the test clock only moves forward' });
  } finally {
    await h.close();
  }
});

multiProcessTest('ROLE=api and ROLE=worker side by side: the test clock moved through the API is the worker\'s "now", and the worker sweeps at once', async (t) => {
  const h = await startHarness({ start: new Date().toISOString(), env: { TOKEN_TTL_HOURS: '8760' } });
  const dataDir = mkdtempSync(join(tmpdir(), 'grievance-roles-'));
  const procs: Worker[] = [];
  try {
    const s = await standardStaff(h);
    const tk = await taxComplaint(s.intake);
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    // The worker's own sweep interval is long: only the sweep asked for by the clock move can act.
    procs.push(spawnWorker(h, dataDir, { ROLE: 'api', PORT: String(port) }), spawnWorker(h, dataDir, { SWEEP_INTERVAL_MS: '600000' }));
    const base = `http://127.0.0.1:${port}`;
    t.true(await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 20_000, 200));
    t.true(await eventually(async () => procs[1].output().includes('clock workers started'), 20_000, 100));
    await new Promise((r) => setTimeout(r, 500)); // let the worker's startup sweep pass
    t.deepEqual(await escalationCounts(h, [tk.id]), new Map());
    const to = new Date(new Date(tk.deadlines.signBy).getTime() + 60_000).toISOString();
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const moved = await fetch(`${base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ now: to }) });
    t.is(moved.status, 200);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, string>; testClock: boolean; now: string };
    t.deepEqual([ready.checks.queue, ready.testClock], ['ok', true]);
    t.true(Math.abs(new Date(ready.now).getTime() - new Date(to).getTime()) < 5_000);
    t.true(await eventually(async () => (await escalationCounts(h, [tk.id])).size === 1, 15_000, 100), procs[1].output().slice(-1500));
    t.deepEqual([...(await escalationCounts(h, [tk.id])).keys()], [`${tk.id}|1|1`]);
    t.deepEqual(await Promise.all(procs.map((p) => p.stop())), [0, 0]);
  } finally {
    await Promise.all(procs.map((p) => (p.child.exitCode === null ? p.stop() : null)));
    rmSync(dataDir, { recursive: true, force: true });
    await h.close();
  }
});

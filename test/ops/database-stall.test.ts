import test from 'ava';
import { createConnection } from 'mysql2/promise';
import { startServiceProcess, ServiceProcess } from '../helpers/service-process';
import { createScratchDatabase, dropScratchDatabase } from '../helpers/harness';
import { StallableProxy } from '../helpers/stallable-proxy';

// Fault tester, 2026-12-03: the database stalls (its process stopped, a frozen VM, a proxy
// that stops forwarding) instead of refusing. Requests that already held a connection hung
// for the whole stall. The service runs as a real process against MariaDB through a TCP
// proxy of this test that stops forwarding bytes both ways (the machine's MariaDB is shared,
// so it is not stopped). The embedded SQLite has no network to stall: MariaDB only.
const base = process.env.DATABASE_URL;
const mariaTest = base ? test.serial : test.serial.skip;

/** What a request was answered, or that it was not answered while the proxy was stalled. */
interface Answer {
  what: string;
  status: number;
  code?: string;
  retryAfter: string | null;
  type: string;
  text: string;
  /** whether the proxy was still stalled when the answer came */
  duringStall: boolean;
}

let svc: ServiceProcess | undefined;
let proxy: StallableProxy | undefined;
let scratch: { name: string; url: string } | undefined;
test.after.always(async () => {
  proxy?.resume();
  await svc?.stop();
  await proxy?.close();
  if (scratch) await dropScratchDatabase(base!, scratch.name);
});

const ticketBody = (title: string) => ({ kind: 'complaint', channel: 'web', category: 'tax_fees', title, description: '数据库停顿时的提交', anonymous: true });

mariaTest('database stall: requests holding or waiting for a connection answer 503 database-unavailable while it lasts; afterwards the pool has healed and nothing was half-created', async (t) => {
  scratch = await createScratchDatabase(base!);
  const real = new URL(scratch.url);
  proxy = new StallableProxy({ host: real.hostname, port: Number(real.port || 3306) });
  await proxy.open();
  const viaProxy = new URL(scratch.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  // a small pool, so that the stalled requests both hold every connection and wait for one
  viaProxy.searchParams.set('connectionLimit', '3');
  svc = await startServiceProcess({
    DATABASE_URL: viaProxy.toString(),
    ROLE: 'api',
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_ACQUIRE_TIMEOUT_MS: '2000',
    DATABASE_STATEMENT_TIMEOUT_MS: '1500',
  });
  const admin = svc.admin;
  const created: string[] = [];
  const create = async (title: string, key: string) => {
    const r = await svc!.http.post('/api/v1/tickets', ticketBody(title), { 'idempotency-key': key });
    if (r.status === 201) created.push(r.body.id);
    return r;
  };
  // before: the pool holds open connections (three requests at once)
  const before = await Promise.all([create('停顿之前 1', 'stall-before-1'), admin.get('/api/v1/tickets'), svc.http.get('/submit/complaint')]);
  t.deepEqual(
    before.map((r) => r.status),
    [201, 200, 200],
  );

  proxy.pause();
  const ask = async (what: string, send: () => Promise<{ status: number; headers: Headers; text: string; body: any }>): Promise<Answer> => {
    const r = await send();
    return {
      what,
      status: r.status,
      code: r.body?.code,
      retryAfter: r.headers.get('retry-after'),
      type: (r.headers.get('content-type') ?? '').split(';')[0],
      text: r.text,
      duringStall: proxy!.paused,
    };
  };
  const requests: Promise<Answer>[] = [];
  for (let i = 1; i <= 4; i++) {
    requests.push(ask(`create ${i}`, () => create(`停顿之中 ${i}`, `stall-during-${i}`)));
    requests.push(ask(`list ${i}`, () => admin.get('/api/v1/tickets')));
  }
  requests.push(ask('page', () => svc!.http.get('/submit/complaint')));
  // A generous deadline, not a measured duration: the requests must be answered at all while
  // the database is still stalled (before the fix they waited for the stall to end).
  const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), 60_000).unref());
  const during = await Promise.race([Promise.all(requests), deadline]);
  t.true(proxy.paused);
  t.not(during, 'deadline', 'the requests were not all answered while the database stalled');
  proxy.resume();
  if (during === 'deadline') return;
  for (const a of during) {
    t.true(a.duringStall, a.what);
    if (a.what === 'page') {
      t.deepEqual([a.status, a.type, a.retryAfter], [503, 'text/html', '5'], a.what);
      t.true(a.text.includes('系统暂时无法访问数据库'), a.text.slice(0, 500));
    } else {
      t.deepEqual([a.status, a.code, a.retryAfter, a.type], [503, 'database-unavailable', '5', 'application/problem+json'], `${a.what}: ${a.text}`);
    }
  }

  // after: every request succeeds again, on every connection of the pool (more requests at
  // once than it holds, several rounds), and the creates refused during the stall, sent
  // again with their Idempotency-Key, are created once
  for (let round = 1; round <= 3; round++) {
    const rs = await Promise.all([
      create(`停顿之后 ${round}a`, `stall-after-${round}a`),
      create(`停顿之后 ${round}b`, `stall-after-${round}b`),
      admin.get('/api/v1/tickets'),
      admin.get('/api/v1/tickets'),
      svc.http.get('/submit/complaint'),
    ]);
    t.deepEqual(
      rs.map((r) => r.status),
      [201, 201, 200, 200, 200],
      `round ${round}: ${rs.map((r) => r.text.slice(0, 200)).join(' | ')}`,
    );
  }
  for (let i = 1; i <= 4; i++) t.is((await create(`停顿之中 ${i}`, `stall-during-${i}`)).status, 201);
  const again = await svc.http.post('/api/v1/tickets', ticketBody('停顿之中 1'), { 'idempotency-key': 'stall-during-1' });
  t.is(again.status, 201);
  t.is(again.body.id, created[created.length - 4], 'the same key answers the same ticket');
  t.true(svc.alive(), svc.stderr());

  // exactly the tickets answered 201, each with its events; nothing of the refused ones
  const conn = await createConnection(scratch.url);
  try {
    const [tickets] = (await conn.query('SELECT id, title FROM ticket')) as unknown as [{ id: string; title: string }[]];
    t.deepEqual(tickets.map((r) => r.id).sort(), [...created].sort());
    t.deepEqual(
      tickets.map((r) => r.title).sort(),
      ['停顿之中 1', '停顿之中 2', '停顿之中 3', '停顿之中 4', '停顿之前 1', '停顿之后 1a', '停顿之后 1b', '停顿之后 2a', '停顿之后 2b', '停顿之后 3a', '停顿之后 3b'].sort(),
    );
    const [events] = (await conn.query('SELECT DISTINCT ticket_id AS id FROM ticket_event')) as unknown as [{ id: string }[]];
    t.deepEqual(events.map((r) => r.id).sort(), [...created].sort());
  } finally {
    await conn.end();
  }
});

import test from 'ava';
import { parseConfig } from '../../src/config';
import { parseRedisUrl } from '../../src/redis';

// The scale-out settings (issue 14; README configuration table): Redis forms, replicas,
// transaction retries, trusted proxies; a bad value stops the process listing every problem.

test('REDIS_URL: one node, a Cluster by its seed nodes, a Sentinel-managed master', (t) => {
  t.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/11'), { kind: 'single', url: 'redis://127.0.0.1:6379/11' });
  t.deepEqual(parseRedisUrl('redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002'), {
    kind: 'cluster',
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ],
    username: undefined,
    password: 's3cret',
    tls: false,
  });
  t.deepEqual(parseRedisUrl('redis+sentinel://s1:26379,s2,s3:26380/grievance/2?sentinelPassword=x%20y'), {
    kind: 'sentinel',
    sentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
      { host: 's3', port: 26380 },
    ],
    name: 'grievance',
    db: 2,
    username: undefined,
    password: undefined,
    sentinelPassword: 'x y',
    tls: false,
  });
  const c = parseConfig({ REDIS_URL: 'redis+sentinel://127.0.0.1:26379/main', DATABASE_REPLICA_URLS: ' mysql://r@h1:3306/g , mysql://r@h2/g', DATABASE_URL: 'mysql://root@h0/g', TRUST_PROXY: '1' });
  t.is(c.redis?.kind, 'sentinel');
  t.deepEqual(c.databaseReplicaUrls, ['mysql://r@h1:3306/g', 'mysql://r@h2/g']);
  t.is(c.trustProxy, 1);
  t.is(c.databaseRetries, 8);
  t.deepEqual(parseConfig({}).databaseReplicaUrls, []);
});

test('bad values: every problem listed at once', (t) => {
  const e = t.throws(() =>
    parseConfig({
      REDIS_URL: 'redis+cluster://h1:7000,h2:7001',
      QUEUE_PREFIX: 'grievance',
      DATABASE_REPLICA_URLS: 'postgres://x@y/z',
      DATABASE_RETRIES: '-1',
      TRUST_PROXY: 'yes',
      PORT: 'eighty',
    }),
  );
  t.deepEqual(
    e!.message
      .split('\n')
      .map((l) => l.trim().split(':')[0])
      .sort(),
    ['DATABASE_REPLICA_URLS', 'DATABASE_REPLICA_URLS', 'DATABASE_RETRIES', 'PORT', 'QUEUE_PREFIX', 'TRUST_PROXY', 'invalid configuration'],
  );
  t.regex(e!.message, /QUEUE_PREFIX: on a Redis Cluster it must contain a hash tag/);
  t.regex(e!.message, /replicas need DATABASE_URL/);
  for (const bad of ['http://h:1', 'redis://h1:1,h2:2', 'redis+sentinel://s1:26379', 'redis+cluster://h1:7000/3', 'redis+cluster://h1:99999']) {
    t.throws(() => parseConfig({ REDIS_URL: bad }), { message: /REDIS_URL: / }, bad);
  }
});

test('statement bounds: 10 s for a request, 120 s for the reports (0: none); outside their ranges the start stops naming the variable', (t) => {
  const d = parseConfig({});
  t.deepEqual([d.databaseStatementTimeoutMs, d.databaseReportStatementTimeoutMs], [10_000, 120_000]);
  const c = parseConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '3000', DATABASE_REPORT_STATEMENT_TIMEOUT_MS: '0' });
  t.deepEqual([c.databaseStatementTimeoutMs, c.databaseReportStatementTimeoutMs], [3000, 0]);
  for (const bad of ['0', '99', '600001', '1.5', 'ten'])
    t.throws(() => parseConfig({ DATABASE_STATEMENT_TIMEOUT_MS: bad }), { message: /DATABASE_STATEMENT_TIMEOUT_MS: must be milliseconds from 100 to 600000/ }, bad);
  for (const bad of ['50', '3600001', '-1'])
    t.throws(() => parseConfig({ DATABASE_REPORT_STATEMENT_TIMEOUT_MS: bad }), { message: /DATABASE_REPORT_STATEMENT_TIMEOUT_MS: must be milliseconds from 100 to 3600000, or 0 for no bound/ }, bad);
});

test('PUBLIC_URL: unset, this machine at PORT (mails link where npm start serves); set, as given without a trailing slash', (t) => {
  t.is(parseConfig({}).publicUrl, 'http://localhost:3000');
  t.is(parseConfig({ PORT: '3456' }).publicUrl, 'http://localhost:3456');
  t.is(parseConfig({ PORT: '3456', PUBLIC_URL: 'https://12345.example.gov.cn/' }).publicUrl, 'https://12345.example.gov.cn');
  t.throws(() => parseConfig({ PUBLIC_URL: 'ftp://x' }), { message: /PUBLIC_URL/ });
});

test('PORT: decimal digits from 1 to 65535 only; anything else stops the start with one line naming PORT', (t) => {
  const MESSAGE = 'invalid configuration: PORT: must be a port number: decimal digits from 1 to 65535';
  for (const bad of ['1e3', '0x10', '0', '00', '65536', '3000.0', ' 3000', '+3000', '-1', '３０００', 'eighty', '123456']) {
    t.throws(() => parseConfig({ PORT: bad }), { message: MESSAGE }, bad);
  }
  t.is(parseConfig({ PORT: '1' }).port, 1);
  t.is(parseConfig({ PORT: '65535' }).port, 65535);
  t.is(parseConfig({ PORT: '03456' }).publicUrl, 'http://localhost:3456');
  t.is(parseConfig({}).port, 3000);
  t.is(parseConfig({ PORT: '' }).port, 3000, 'an empty variable is unset');
});

test('the start fails with that one line on stderr and exit code 1, listening nowhere', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'port-'));
  for (const port of ['1e3', '0x10', '0']) {
    const r = spawnSync(process.execPath, [join(__dirname, '../../src/main.js')], { env: { PATH: process.env.PATH, PORT: port, DATA_DIR: dir }, encoding: 'utf8', timeout: 30_000 });
    t.is(r.status, 1, port);
    t.is(r.stderr, 'invalid configuration: PORT: must be a port number: decimal digits from 1 to 65535\n', port);
  }
});

test('the start tells where to go: the listening line carries url; a terminal gets one plain line after it, a log pipe JSON only', async (t) => {
  const { startLine } = await import('../../src/start-line.js');
  t.is(startLine('http://localhost:3000'), '打开 http://localhost:3000/ (staff: http://localhost:3000/account/sign-in)\n');
  const { spawn } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'start-'));
  const child = spawn(process.execPath, [join(__dirname, '../../src/main.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dir, BOOTSTRAP_ADMIN_PASSWORD: 'Start-Pw-123!' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try {
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 60 s: ${out}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    t.is(listening.url, `http://localhost:${port}/`);
    t.is(listening.port, port);
    await new Promise((r) => setTimeout(r, 700)); // past the logger's flush
    t.deepEqual(
      out.split('\n').filter((l) => l && !l.startsWith('{')),
      [],
      'stdout not a terminal: JSON lines only',
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

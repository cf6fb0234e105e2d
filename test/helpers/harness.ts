import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import IORedis from 'ioredis';
import { boot } from '../../src/boot';
import { createApp } from '../../src/app';
import { manualClock } from '../../src/clock';
import { AppDeps } from '../../src/deps';
import { IsNull } from 'typeorm';
import { OutboxMessage, PhoneVerification } from '../../src/entities';
import { hashVerificationCode } from '../../src/commands/phone-verification';
import { createLogger } from '../../src/logger';

export const ADMIN_PASSWORD = 'Admin-Test-Pw-1!';
/** The event chain's key in tests (EVENT_CHAIN_KEYS): every process of one test database must hold the same. */
export const TEST_CHAIN_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;
export const OWNER = { name: '经营户甲', phone: '13800001234', creditCode: '92500102AY4CL12TH8', businessName: '涪陵区示例面馆', email: 'owner1@example.test' };

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** An HTTP client bound to the test server; `as(token)` signs requests. */
export class Client {
  constructor(
    private readonly base: string,
    private readonly token?: string,
  ) {}
  as(token?: string) {
    return new Client(this.base, token);
  }
  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (typeof body === 'string') {
      payload = body;
      h['content-type'] ??= 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, body: json, headers: r.headers, text };
  }
  get<T = any>(p: string, h?: Record<string, string>) {
    return this.req<T>('GET', p, undefined, h);
  }
  /** the raw response bytes (for CSV with a BOM, XLSX) */
  async raw(method: string, path: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
    const r = await fetch(this.base + path, { method, headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()), headers: r.headers };
  }
  post<T = any>(p: string, b?: unknown, h?: Record<string, string>) {
    return this.req<T>('POST', p, b ?? {}, h);
  }
  /** a multipart/form-data request (files as Blobs); the response as JSON when it is JSON */
  async form<T = any>(path: string, form: FormData, headers: Record<string, string> = {}, method = 'POST'): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    const r = await fetch(this.base + path, { method, headers: h, body: form });
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, body: json, headers: r.headers, text };
  }
  /** the raw response bytes of a GET with this client's token */
  async bytes(path: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
    return this.raw('GET', path);
  }
  put<T = any>(p: string, b?: unknown, h?: Record<string, string>) {
    return this.req<T>('PUT', p, b ?? {}, h);
  }
}

/**
 * `POST /api/v1/tickets/:id/:action` as `c`; throws (naming the action, the status and the
 * body) unless the answer is `status` (default 200). @returns the response body
 */
export async function act(c: Client, id: string, action: string, body: Record<string, unknown> = {}, status = 200) {
  const r = await c.post(`/api/v1/tickets/${id}/${action}`, body);
  if (r.status !== status) throw new Error(`${action}: expected ${status}, got ${r.status} ${r.text}`);
  return r.body;
}

/**
 * The newest verification code texted to `phone` (issue 11), read from its outbox row (the
 * code sits between the secret marks until the text is sent); null when none was sent.
 */
export async function smsCode(deps: AppDeps, phone: string, purpose: 'register' | 'reset' = 'register'): Promise<string | null> {
  const live = await deps.db.getRepository(PhoneVerification).findOne({ where: { phone, purpose, usedAt: IsNull() } });
  if (!live) return null;
  const rows = await deps.db.getRepository(OutboxMessage).find({ where: { recipient: phone, notice: 'verification_code', channel: 'sms' } });
  for (const r of rows) {
    // pending: in the row, between the secret marks; sent (redacted in the row): in the file transport's file
    let m = /\u2063(\d{6})\u2063/.exec(r.bodyText);
    const file = join(deps.config.outboxDir, `${r.id}.sms.txt`);
    if (!m && existsSync(file)) m = /验证码(\d{6})/.exec(readFileSync(file, 'utf8'));
    if (m && hashVerificationCode(deps.config.jwtSecret, purpose, phone, m[1]) === live.codeHash) return m[1];
  }
  return null;
}

export interface Harness {
  deps: AppDeps;
  clock: ReturnType<typeof manualClock>;
  http: Client;
  /** the server's address, `http://127.0.0.1:<port>` (for the browser tests) */
  url: string;
  admin: Client;
  /** creates a staff account and returns a client signed in as it */
  staff(username: string, role: string, departmentCode?: string, extra?: Record<string, unknown>): Promise<Client & { id: string }>;
  /** registers an owner and returns a client signed in as them */
  owner(phone?: string, extra?: Record<string, unknown>): Promise<Client & { id: string }>;
  close(): Promise<void>;
  /** mysql or sqlite */
  dialect: 'mysql' | 'sqlite';
}

/**
 * A fresh service for one test file: its own database (a new MariaDB database when
 * `DATABASE_URL` is set, else a temporary SQLite file), migrated and seeded, a manual
 * clock starting at `start`, and an HTTP server on an ephemeral port around `app.callback()`.
 */
export async function startHarness(opts: { start?: string; env?: Record<string, string> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'grievance-test-'));
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dir,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
    LOG_LEVEL: 'silent',
    TEST_CLOCK: '1',
    MIGRATE_ON_START: '1',
    SMS_CODE_MAX_PER_CLIENT: '100000',
    ...opts.env,
  };
  let dbName: string | undefined;
  const base = process.env.DATABASE_URL;
  if (base) {
    const scratch = await createScratchDatabase(base);
    dbName = scratch.name;
    env.DATABASE_URL = scratch.url;
  }
  if (process.env.REDIS_URL && opts.env?.REDIS_URL === undefined) env.REDIS_URL = process.env.REDIS_URL;
  // Test files run in parallel against one Redis: each harness gets its own queue prefix.
  env.QUEUE_PREFIX ??= `{gt-${randomBytes(4).toString('hex')}}`;
  const clock = manualClock(new Date(opts.start ?? '2026-11-02T09:00:00+08:00'));
  const deps = await boot(env, { clock, log: createLogger('silent') });
  const app = createApp(deps);
  const server: Server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = new Client(url);
  const login = async (username: string, password: string) => {
    const r = await http.post('/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
    return r.body.token as string;
  };
  const admin = http.as(await login('admin', ADMIN_PASSWORD));
  return {
    deps,
    clock,
    http,
    url,
    admin,
    dialect: base ? 'mysql' : 'sqlite',
    async staff(username, role, departmentCode, extra = {}) {
      const password = `Pw-${username}-123!`;
      const r = await admin.post('/api/v1/users', { username, password, name: username, email: `${username}@example.test`, role, ...(departmentCode ? { departmentCode } : {}), ...extra });
      if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${r.text}`);
      return Object.assign(http.as(await login(username, password)), { id: r.body.id as string });
    },
    async owner(phone = OWNER.phone, extra = {}) {
      const sent = await http.post('/api/v1/owners/verification-codes', { phone, purpose: 'register' });
      if (sent.status !== 202) throw new Error(`code for ${phone}: ${sent.status} ${sent.text}`);
      const code = await smsCode(deps, phone);
      const r = await http.post('/api/v1/owners', {
        phone,
        code,
        password: 'Owner-Pw-123!',
        name: OWNER.name,
        creditCode: OWNER.creditCode,
        businessName: OWNER.businessName,
        email: OWNER.email,
        ...extra,
      });
      if (r.status !== 201) throw new Error(`owner ${phone}: ${r.status} ${r.text}`);
      return Object.assign(http.as(await login(phone, (extra as { password?: string }).password ?? 'Owner-Pw-123!')), { id: r.body.id as string });
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await deps.db.destroy();
      await deps.storage.close();
      if (env.REDIS_URL) await deleteQueueKeys(env.REDIS_URL, env.QUEUE_PREFIX!);
      if (dbName && base) await dropScratchDatabase(base, dbName);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The standard cast: coordinator, intake, handlers of TAX/HRSS/SAMR, a TAX head, a supervisor. */
export async function standardStaff(h: Harness) {
  return {
    coord: await h.staff('coord1', 'coordinator', 'SAMR'),
    intake: await h.staff('intake1', 'intake', 'SAMR'),
    tax: await h.staff('tax1', 'handler', 'TAX'),
    taxHead: await h.staff('taxhead', 'handler', 'TAX', { isHead: true }),
    hrss: await h.staff('hrss1', 'handler', 'HRSS'),
    samr: await h.staff('samr1', 'handler', 'SAMR'),
    sup: await h.staff('sup1', 'supervisor', 'DIS'),
  };
}

/**
/**
 * A new name for a test's own database: `<prefix>_<time base36>_<tag><random>`, the prefix
 * from `SCRATCH_DB_PREFIX` (default `gt`; on a shared server where a run may only create its
 * own names; `npm test` drops `gt_*` left behind by interrupted runs).
 */
export function scratchDatabaseName(tag = ''): string {
  const prefix = process.env.SCRATCH_DB_PREFIX || 'gt';
  return `${prefix}_${Date.now().toString(36)}_${tag}${randomBytes(3).toString('hex')}`;
}

/** Creates an empty database (`scratchDatabaseName()`) on the server of `base` (a mysql:// URL); returns its name and URL. */
export async function createScratchDatabase(base: string): Promise<{ name: string; url: string }> {
  const name = scratchDatabaseName();
  const url = new URL(base);
  const conn = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Drops a database made by `createScratchDatabase`. */
export async function dropScratchDatabase(base: string, name: string): Promise<void> {
  const url = new URL(base);
  const conn = await createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.end();
}

/** Deletes the queue keys of one `QUEUE_PREFIX` so test runs leave Redis clean. */
export async function deleteQueueKeys(url: string, prefix: string): Promise<void> {
  const redis = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // best effort: a test that stopped Redis on purpose may leave keys behind
  } finally {
    redis.disconnect();
  }
}

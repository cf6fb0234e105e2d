import { z } from 'zod';
import { IANAZone } from 'luxon';
import { resolve } from 'node:path';
import { parseS3Url } from './storage/s3-url';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES } from './domain/attachments';
import { parseRedisUrl, RedisTarget } from './redis';
import { ChainKeyring, parseChainKeys } from './chain-keys';

/**
 * Environment, parsed and validated once (DESIGN §14). A bad value exits the process
 * listing every problem; there is no default secret outside the embedded default.
 */
const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(mysql|mariadb):\/\//, 'must be a mysql:// URL')
    .optional(),
  DATABASE_TYPE: z.enum(['mariadb', 'mysql']).optional(),
  DATABASE_REPLICA_URLS: z.string().optional(),
  // 15: measured with npm start's launch settings, docs/decisions/memory.md (30 until 3 Dec 2026)
  HEAP_GROWING_PERCENT: z.coerce
    .number({ message: 'must be a whole number from 0 to 400' })
    .int('must be a whole number from 0 to 400')
    .min(0, 'must be a whole number from 0 to 400')
    .max(400, 'must be a whole number from 0 to 400')
    .default(15),
  SHUTDOWN_DRAIN_MS: z.coerce
    .number({ message: 'must be milliseconds from 0 to 60000' })
    .int('must be milliseconds from 0 to 60000')
    .min(0, 'must be milliseconds from 0 to 60000')
    .max(60_000, 'must be milliseconds from 0 to 60000')
    .default(0),
  REPLICA_STICKY_MS: z.coerce.number({ message: 'must be milliseconds (1000 or more)' }).int('must be milliseconds (1000 or more)').min(1000, 'must be milliseconds (1000 or more)').default(10_000),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ message: 'must be milliseconds from 100 to 600000' })
    .int('must be milliseconds from 100 to 600000')
    .min(100, 'must be milliseconds from 100 to 600000')
    .max(600_000, 'must be milliseconds from 100 to 600000')
    .default(10_000),
  DATABASE_REPORT_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ message: 'must be milliseconds from 100 to 3600000, or 0 for no bound' })
    .int('must be milliseconds from 100 to 3600000, or 0 for no bound')
    .refine((n) => n === 0 || (n >= 100 && n <= 3_600_000), 'must be milliseconds from 100 to 3600000, or 0 for no bound')
    .default(120_000),
  DATABASE_RETRIES: z.coerce
    .number({ message: 'must be a whole number from 0 to 50' })
    .int('must be a whole number from 0 to 50')
    .min(0, 'must be a whole number from 0 to 50')
    .max(50, 'must be a whole number from 0 to 50')
    .default(8),
  REDIS_URL: z.string().optional(),
  TRUST_PROXY: z.coerce
    .number({ message: 'must be the number of proxies in front (0, 1, 2 …)' })
    .int('must be the number of proxies in front (0, 1, 2 …)')
    .min(0, 'must be the number of proxies in front (0, 1, 2 …)')
    .max(10, 'must be the number of proxies in front (0, 1, 2 …)')
    .default(0),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// URL')
    .optional(),
  MAIL_FROM: z.string().default('noreply@grievance.local'),
  SMS_URL: z
    .string()
    .regex(/^smpp:\/\/[^:@/]+:[^@/]*@[^:/]+(:\d+)?\/?$/, 'must be smpp://system_id:password@host:2775')
    .optional(),
  SMS_SIGNATURE: z.string().max(20, 'at most 20 characters').default('【涪陵区市场监管局】'),
  SMS_CODE_MAX_PER_CLIENT: z.coerce
    .number({ message: 'must be a whole number from 1 to 100000' })
    .int('must be a whole number from 1 to 100000')
    .min(1, 'must be a whole number from 1 to 100000')
    .max(100_000, 'must be a whole number from 1 to 100000')
    .default(20),
  SMS_QUIET_HOURS: z
    .string()
    .regex(/^(([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d|off)$/, 'must be HH:MM-HH:MM (local time) or off')
    .default('21:00-08:00'),
  // Decimal digits only, 1–65535 (z.coerce read 1e3 as 1000 and 0x10 as 16); 0 ("any free port")
  // is refused: the service would listen where nobody is told, and PUBLIC_URL would default to
  // http://localhost:0 (docs/decisions/security.md).
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number: decimal digits from 1 to 65535')
    .transform(Number)
    .pipe(z.number().min(1, 'must be a port number: decimal digits from 1 to 65535').max(65535, 'must be a port number: decimal digits from 1 to 65535'))
    .default(3000),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  BUSINESS_TZ: z
    .string()
    .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai'),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  TOKEN_TTL_HOURS: z.coerce.number().positive().default(12),
  TICKET_PREFIX: z
    .string()
    .regex(/^[A-Z]{1,6}$/, 'must be 1-6 capital letters')
    .default('FL'),
  HIGHER_DISCIPLINE_EMAIL: z.string().email().optional(),
  TEST_CLOCK: z.enum(['0', '1', 'true', 'false']).optional(),
  MIGRATE_ON_START: z.enum(['0', '1', 'true', 'false']).optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(8).optional(),
  DATA_DIR: z.string().default('var'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).default(60_000),
  QUEUE_PREFIX: z.string().min(1).max(64).default('{grievance}'),
  PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// address such as https://12345.example.gov.cn')
    .optional(),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  EVENT_CHAIN_KEYS: z.string().optional(),
  EVENT_CHAIN_KEY_ID: z.string().optional(),
  NODE_ENV: z.string().optional(),
  STORAGE_URL: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseS3Url(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `must be s3://bucket?endpoint=…: ${(e as Error).message}` });
      }
    })
    .optional(),
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024, 'at least 1024 bytes')
    .max(1024 ** 3, 'at most 1 GiB')
    .default(DEFAULT_MAX_BYTES),
  ATTACHMENT_MAX_FILES: z.coerce.number().int().min(1).max(20).default(DEFAULT_MAX_FILES),
  ATTACHMENT_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).optional(),
  ATTACHMENT_MAX_UPLOADS: z.coerce.number().int().min(1).max(1000).default(32),
});

export interface Config {
  databaseUrl?: string;
  databaseType: 'mariadb' | 'mysql';
  embedded: boolean;
  /** read replicas for lag-tolerant reads (mysql:// URLs); empty = every read on the primary */
  databaseReplicaUrls: string[];
  /** on SIGTERM, how long readiness answers 503 before the server stops accepting (the load balancer's check interval × its fall count), ms */
  shutdownDrainMs: number;
  /** V8's old-space growth between major collections, percent of the live heap (0: V8's own heuristics, which let a busy API grow to 4× its live heap) */
  heapGrowingPercent: number;
  /** after a write, the user's lag-tolerant reads stay on the primary this long (read-your-writes), ms */
  replicaStickyMs: number;
  /** how many times a whole transaction is run again after a deadlock or a Galera certification conflict */
  databaseRetries: number;
  /** bound on opening one connection to MariaDB/MySQL (ms): past it the request gets 503 */
  databaseConnectTimeoutMs: number;
  /** bound on waiting for a pooled connection (ms): past it the request gets 503 */
  databaseAcquireTimeoutMs: number;
  /** bound on one statement of an HTTP request (ms): past it the connection is destroyed and the request gets 503 (src/db.ts `withStatementTimeout`) */
  databaseStatementTimeoutMs: number;
  /** the same bound for the statements of the department reports and their exports (ms; 0: none) */
  databaseReportStatementTimeoutMs: number;
  redisUrl?: string;
  /** what `redisUrl` names: one node, a Cluster or a Sentinel-managed master (src/redis.ts) */
  redis?: RedisTarget;
  /** proxies (load balancers) in front whose X-Forwarded-For is trusted for the client address; 0 = the TCP peer */
  trustProxy: number;
  smtpUrl?: string;
  /** `SMS_URL`, smpp://system_id:password@host:port; absent: texts are written as files under `outboxDir` */
  smsUrl?: string;
  /** `SMS_SIGNATURE`: put before every text (carriers require it) */
  smsSignature: string;
  /** `SMS_CODE_MAX_PER_CLIENT`: verification codes one client address may request per hour */
  smsCodeMaxPerClient: number;
  /** `SMS_QUIET_HOURS` in the business time zone, minutes after midnight; null = off. Texts to owners written inside wait for `to` */
  smsQuietHours: { from: number; to: number } | null;
  mailFrom: string;
  port: number;
  role: 'api' | 'worker' | 'all';
  businessTz: string;
  jwtSecret: string;
  tokenTtlHours: number;
  ticketPrefix: string;
  higherDisciplineEmail?: string;
  testClock: boolean;
  migrateOnStart: boolean;
  bootstrapAdminPassword?: string;
  dataDir: string;
  sqlitePath: string;
  outboxDir: string;
  logLevel: string;
  sweepIntervalMs: number;
  /** bull key prefix; one hash tag so that multi-key scripts work on Redis Cluster (DESIGN §11) */
  queuePrefix: string;
  /** where people reach the pages (DESIGN §14), without a trailing slash; every mail and text links there */
  publicUrl: string;
  /** a page session ends after this many minutes without a request (docs/decisions/pages.md) */
  sessionIdleMinutes: number;
  /** attachments: `s3://bucket?endpoint=…`; unset = files under `DATA_DIR/attachments` */
  storageUrl?: string;
  attachments: AttachmentLimits;
  /** bearer token Prometheus must send for `/metrics`; unset: `/metrics` is open */
  metricsToken?: string;
  /**
   * keys of the event chain (`EVENT_CHAIN_KEYS`, `EVENT_CHAIN_KEY_ID`); required with
   * `DATABASE_URL`, generated under DATA_DIR for the embedded default
   */
  eventChainKeys?: ChainKeyring;
}

/** Upload bounds (issue 12, DESIGN §14). Sizes in bytes. */
export interface AttachmentLimits {
  /** one file */
  maxBytes: number;
  /** files per action (request) */
  maxFiles: number;
  /** the whole multipart request (default: maxFiles × maxBytes + 1 MiB for the form fields) */
  maxRequestBytes: number;
  /** multipart requests in progress at once in this process; past it 503 with Retry-After */
  maxConcurrentUploads: number;
}

const truthy = (v: string | undefined) => v === '1' || v === 'true';

/** Parses an environment; throws an Error listing each problem (`VAR: reason`). */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (CI passes DATABASE_URL= to select the embedded default).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const r = EnvSchema.safeParse(present);
  const problems = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // Checks across variables, on the raw values, so that one run lists every problem.
  let redis: RedisTarget | undefined;
  if (present.REDIS_URL) {
    try {
      redis = parseRedisUrl(present.REDIS_URL);
    } catch (err) {
      problems.push(`REDIS_URL: ${(err as Error).message}`);
    }
  }
  if (redis?.kind === 'cluster' && !/\{[^}]+\}/.test(present.QUEUE_PREFIX ?? '{grievance}')) {
    problems.push('QUEUE_PREFIX: on a Redis Cluster it must contain a hash tag such as {grievance}, so that every key of the service is in one slot');
  }
  const replicas = (present.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of replicas) if (!/^(mysql|mariadb):\/\/[^/]+/.test(u)) problems.push(`DATABASE_REPLICA_URLS: "${u.replace(/:[^:@/]*@/, ':***@')}" must be a mysql:// URL`);
  if (replicas.length && !present.DATABASE_URL) problems.push('DATABASE_REPLICA_URLS: replicas need DATABASE_URL (the primary)');
  // One problem is one line (what `npm start` prints before it exits); several, a list.
  if (problems.length === 1) throw new Error(`invalid configuration: ${problems[0]}`);
  if (!r.success || problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const e = r.data;
  let eventChainKeys: ChainKeyring | undefined;
  if (e.EVENT_CHAIN_KEYS !== undefined) {
    try {
      eventChainKeys = parseChainKeys(e.EVENT_CHAIN_KEYS, e.EVENT_CHAIN_KEY_ID);
    } catch (err) {
      throw new Error(`invalid configuration: EVENT_CHAIN_KEYS: ${(err as Error).message}`);
    }
  } else if (e.EVENT_CHAIN_KEY_ID !== undefined) {
    throw new Error('invalid configuration: EVENT_CHAIN_KEY_ID: set only together with EVENT_CHAIN_KEYS');
  }
  const embedded = !e.DATABASE_URL;
  const dataDir = resolve(e.DATA_DIR);
  return {
    databaseUrl: e.DATABASE_URL,
    databaseType: e.DATABASE_TYPE ?? 'mariadb',
    embedded,
    databaseReplicaUrls: replicas,
    replicaStickyMs: e.REPLICA_STICKY_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    databaseRetries: e.DATABASE_RETRIES,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    databaseAcquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseReportStatementTimeoutMs: e.DATABASE_REPORT_STATEMENT_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    redis,
    trustProxy: e.TRUST_PROXY,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    smsUrl: e.SMS_URL,
    smsSignature: e.SMS_SIGNATURE,
    smsQuietHours: parseQuietHours(e.SMS_QUIET_HOURS),
    smsCodeMaxPerClient: e.SMS_CODE_MAX_PER_CLIENT,
    port: e.PORT,
    role: e.ROLE,
    businessTz: e.BUSINESS_TZ,
    // Embedded default without JWT_SECRET: boot() generates one and keeps it under var/.
    jwtSecret: e.JWT_SECRET ?? '',
    tokenTtlHours: e.TOKEN_TTL_HOURS,
    ticketPrefix: e.TICKET_PREFIX,
    higherDisciplineEmail: e.HIGHER_DISCIPLINE_EMAIL,
    testClock: truthy(e.TEST_CLOCK),
    migrateOnStart: e.MIGRATE_ON_START === undefined ? true : truthy(e.MIGRATE_ON_START),
    bootstrapAdminPassword: e.BOOTSTRAP_ADMIN_PASSWORD,
    dataDir,
    sqlitePath: resolve(dataDir, 'grievance.sqlite'),
    outboxDir: resolve(dataDir, 'outbox'),
    logLevel: e.LOG_LEVEL,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    queuePrefix: e.QUEUE_PREFIX,
    storageUrl: e.STORAGE_URL,
    attachments: {
      maxBytes: e.ATTACHMENT_MAX_BYTES,
      maxFiles: e.ATTACHMENT_MAX_FILES,
      maxRequestBytes: e.ATTACHMENT_MAX_REQUEST_BYTES ?? e.ATTACHMENT_MAX_FILES * e.ATTACHMENT_MAX_BYTES + 1024 * 1024,
      maxConcurrentUploads: e.ATTACHMENT_MAX_UPLOADS,
    },
    // unset: this machine at PORT, so that a newcomer's PORT=3456 npm start mails links that work
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    metricsToken: e.METRICS_TOKEN,
    eventChainKeys,
  };
}

/** `21:00-08:00` → minutes after local midnight; `off` → null. */
export function parseQuietHours(v: string): { from: number; to: number } | null {
  if (v === 'off') return null;
  const [a, b] = v.split('-').map((x) => {
    const [h, m] = x.split(':').map(Number);
    return h * 60 + m;
  });
  return a === b ? null : { from: a, to: b };
}

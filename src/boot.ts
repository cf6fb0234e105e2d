import { DERIVED_KEY_ID } from './chain-keys';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Config, parseConfig } from './config';
import { configureTransactions, openDatabase } from './db';
import { createLogger, Logger } from './logger';
import { Clock, systemClock } from './clock';
import { databaseClockStore } from './jobs/test-clock';
import { CalendarCache } from './commands/calendar';
import { TokenService } from './tokens';
import { seedReferenceData, ensureAdmin } from './commands/seed';
import { AppDeps } from './deps';
import { createBlobStore } from './storage';
import { purgeTemporaryFiles } from './uploads/stage';
import { STAGING_GRACE_MS } from './commands/attachments';
import { join } from 'node:path';
import { createRecentWrites } from './replicas';

/**
 * The embedded default has no configured secret: one is generated on first start and
 * kept under `var/` (never a built-in default).
 */
function embeddedSecret(config: Config): string {
  const file = `${config.dataDir}/jwt-secret`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const s = randomBytes(32).toString('base64url');
  writeFileSync(file, s, { mode: 0o600 });
  return s;
}

/**
 * Opens the database, migrates and seeds, creates the bootstrap admin, and returns the
 * dependencies the API and the workers share.
 */
export async function boot(
  env: NodeJS.ProcessEnv = process.env,
  opts: { database?: string; log?: Logger; clock?: Clock; quiet?: boolean } = {},
): Promise<AppDeps & { adminCreated: boolean; generatedAdminPassword?: string }> {
  const parsed = parseConfig(env);
  if (!parsed.embedded && !parsed.jwtSecret) {
    throw new Error('invalid configuration: JWT_SECRET: required when DATABASE_URL is set (no default secret outside the embedded default)');
  }
  const config: Config = { ...parsed, jwtSecret: parsed.embedded && !env.JWT_SECRET ? embeddedSecret(parsed) : parsed.jwtSecret };
  const log = opts.log ?? createLogger(config.logLevel);
  if (!config.embedded && !config.eventChainKeys && !opts.quiet)
    log.warn(
      { keyId: DERIVED_KEY_ID },
      'EVENT_CHAIN_KEYS is not set: the event chain is sealed with a key derived from JWT_SECRET; set EVENT_CHAIN_KEYS (and list this key in it before JWT_SECRET ever changes): docs/decisions/security.md',
    );
  const db: DataSource = await openDatabase(config, { database: opts.database });
  configureTransactions(db, { retries: config.databaseRetries });
  // With TEST_CLOCK=1 the offset lives in the database, so that every process agrees on "now".
  const clock = opts.clock ?? systemClock(config.testClock, config.testClock ? databaseClockStore(db) : undefined);
  await clock.refresh?.();
  const now = clock.now();
  await seedReferenceData(db, now);
  const admin = await ensureAdmin(db, now, config.bootstrapAdminPassword, config.embedded);
  const storage = createBlobStore(config);
  const uploads = { store: storage, tmpDir: join(config.dataDir, 'tmp', 'uploads'), limits: config.attachments, log };
  // files a stopped process was receiving on this machine
  await purgeTemporaryFiles(uploads.tmpDir, Date.now(), STAGING_GRACE_MS);
  const recentWrites = config.databaseReplicaUrls.length ? createRecentWrites(config, log) : undefined;
  return {
    config,
    db,
    clock,
    log,
    recentWrites,
    calendar: new CalendarCache(),
    tokens: new TokenService(config.jwtSecret, config.tokenTtlHours, () => clock.now()),
    storage,
    uploads,
    adminCreated: admin.created,
    generatedAdminPassword: admin.generatedPassword,
  };
}

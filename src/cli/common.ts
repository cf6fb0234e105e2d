import { boot } from '../boot';
import { createLogger } from '../logger';

/**
 * Boots like the service does (migrations when `MIGRATE_ON_START`, reference data, the
 * bootstrap admin) with warnings-only logs, and prints a generated admin password the
 * one time it is created (DESIGN §13), as `npm start` would have.
 */
export async function bootForCli(env: NodeJS.ProcessEnv = process.env) {
  const deps = await boot(env, { log: createLogger(env.LOG_LEVEL ?? 'warn') });
  if (deps.generatedAdminPassword) {
    process.stdout.write(`bootstrap admin created: username "admin", password "${deps.generatedAdminPassword}" (shown once)\n`);
  }
  return deps;
}

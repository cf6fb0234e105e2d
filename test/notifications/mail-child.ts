import 'reflect-metadata';
import { boot } from '../../src/boot';
import { startMailWorker } from '../../src/notifications/mail-worker';
import { createLogger } from '../../src/logger';

// A mail worker in its own process, so that a test can kill it (SIGKILL) in the middle of
// a delivery. Environment: the harness's configuration; MAIL_CHILD_OPTS: worker options (JSON).
async function main() {
  const deps = await boot(process.env, { log: createLogger('silent') });
  await startMailWorker(deps, JSON.parse(process.env.MAIL_CHILD_OPTS ?? '{}'));
  process.stdout.write('ready\n');
}
main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e));
  process.exit(1);
});

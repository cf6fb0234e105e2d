import 'reflect-metadata';
import { createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { boot } from './boot';
import { createApp } from './app';
import { launchMemory } from './launch-memory';
import { startLine } from './start-line';

/**
 * One entry point (DESIGN §11): `ROLE=api|worker|all`. Graceful shutdown on SIGTERM/SIGINT:
 * stop accepting, finish in-flight requests and jobs, close the database.
 */
async function main() {
  let deps: Awaited<ReturnType<typeof boot>>;
  try {
    deps = await boot();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  const { config, log } = deps;
  // Memory (issue 15 item 5): what a busy API process holds live is ~50–80 MB; V8's own heuristics
  // let the old space grow to several times that before collecting (RSS 250–320 MB under load).
  // A fixed growth factor keeps the heap near its live size, for somewhat more frequent collections.
  if (config.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // The young generation is sized before any of this runs: only node's command line sets it (docs/deployment.md); logged with `listening`.
  const memory = { ...launchMemory(process.execArgv, process.env), heapGrowingPercent: config.heapGrowingPercent };
  const closers: (() => Promise<void>)[] = [];
  if (deps.adminCreated) log.warn({ username: 'admin', passwordFrom: deps.generatedAdminPassword ? 'generated' : 'BOOTSTRAP_ADMIN_PASSWORD' }, 'bootstrap admin created');
  if (deps.generatedAdminPassword) {
    // Shown once, on the console of the embedded default only (DESIGN §13).
    process.stdout.write(`\n  bootstrap admin created: username "admin", password "${deps.generatedAdminPassword}" (shown once)\n\n`);
  }
  const { startWorkers, startJobClient } = await import('./jobs/runner.js');
  // Workers (timers, sweep) in worker processes; an API-only process just hands changes to them.
  // Not awaited before listening: with Redis down the queues wait for it, and meanwhile the
  // API serves; nothing is lost, since the first sweep after the queues connect finds every
  // deadline in the database (DESIGN §11).
  if (config.redisUrl) deps.queueReady = async () => false; // until the queues have connected
  const jobs = config.role === 'api' ? startJobClient(deps) : startWorkers(deps);
  let jobsReady = false;
  jobs.then(
    () => {
      jobsReady = true;
      log.info({ role: config.role }, 'jobs ready');
    },
    (e) => log.error({ err: e }, 'could not start the jobs'),
  );
  closers.push(async () => {
    if (jobsReady) await (await jobs).close();
  });
  if (config.role === 'api' || config.role === 'all') {
    const app = createApp(deps);
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        process.stderr.write(e.code === 'EADDRINUSE' ? `port ${config.port} is in use: set PORT to a free port\n` : `cannot listen on port ${config.port}: ${e.message}\n`);
        process.exit(1);
      });
      server.listen(config.port, resolve);
    });
    log.info(
      {
        url: `${config.publicUrl}/`,
        port: config.port,
        role: config.role,
        database: config.embedded ? config.sqlitePath : 'mysql',
        queue: config.redisUrl ? 'redis' : 'in-process',
        mail: config.smtpUrl ? 'smtp' : config.outboxDir,
        memory,
      },
      'listening',
    );
    // a person at a terminal (npm start) is told where to go, after the JSON line; a log pipe gets JSON only
    if (process.stdout.isTTY) log.flush(() => process.stdout.write(startLine(config.publicUrl)));
    if (!config.metricsToken && !config.embedded) log.warn('METRICS_TOKEN is not set: /metrics answers anyone who can reach this port');
    closers.unshift(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections?.();
        }),
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000 + config.shutdownDrainMs);
    force.unref();
    // Drain: readiness answers 503 while requests are still served, so that the load balancer
    // takes this process out before it stops accepting (SHUTDOWN_DRAIN_MS; docs/deployment.md).
    deps.draining = true;
    if (config.shutdownDrainMs && config.role !== 'worker') await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
    for (const close of closers) await close().catch((e) => log.error({ err: e }, 'shutdown step failed'));
    await deps.db.destroy().catch(() => undefined);
    await deps.storage.close().catch(() => undefined);
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main();

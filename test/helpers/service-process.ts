import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ADMIN_PASSWORD, TEST_CHAIN_KEYS, Client, createScratchDatabase, dropScratchDatabase, deleteQueueKeys } from './harness';

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  base: string;
  http: Client;
  /** the admin's client */
  admin: Client;
  /** resident set size of the process now, in bytes (from /proc/<pid>/status) */
  rss(): number;
  alive(): boolean;
  /** what the process wrote to stderr so far */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real service (`node build/src/main.js`, `ROLE=all` unless told) as a child
 * process on a free port, against its own database (a scratch MariaDB database when
 * `DATABASE_URL` is set, else SQLite in a temporary DATA_DIR) and its own queue prefix,
 * and waits until `/readyz` answers 200. `env` overrides any variable.
 */
export async function startServiceProcess(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'grievance-proc-'));
  const port = await freePort();
  const db = process.env.DATABASE_URL && env.DATABASE_URL === undefined ? await createScratchDatabase(process.env.DATABASE_URL) : undefined;
  const queuePrefix = `{gp-${randomBytes(4).toString('hex')}}`;
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dir,
    PORT: String(port),
    ROLE: 'all',
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    EVENT_CHAIN_KEYS: TEST_CHAIN_KEYS,
    QUEUE_PREFIX: queuePrefix,
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    ...env,
  };
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const base = `http://127.0.0.1:${port}`;
  const http = new Client(base);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the service exited during start: ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not become ready: ${err}`);
    }
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const login = await http.post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.text}`);
  const pid = child.pid!;
  return {
    child,
    pid,
    base,
    http,
    admin: http.as(login.body.token),
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    alive: () => !exited,
    stderr: () => err,
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(t);
      }
      if (childEnv.REDIS_URL) await deleteQueueKeys(childEnv.REDIS_URL, queuePrefix);
      if (db) await dropScratchDatabase(process.env.DATABASE_URL!, db.name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

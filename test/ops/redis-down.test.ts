/**
 * A fault loses nothing and stops nothing that does not need the queue: with Redis down the
 * service still starts, takes tickets and says it is not ready (DESIGN §11, /readyz).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

test('with Redis unreachable the API starts, takes a ticket, and /readyz reports the queue down', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'grievance-redis-down-'));
  const [port, deadRedis] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], {
    env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: String(port), REDIS_URL: `redis://127.0.0.1:${deadRedis}`, BOOTSTRAP_ADMIN_PASSWORD: 'Admin-Pw-123!', LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      await new Promise((r) => setTimeout(r, 200));
      up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    }
    t.true(up, 'the API listens although Redis is down');
    const created = await fetch(`${base}/api/v1/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'complaint', channel: 'web', category: 'tax_fees', title: '队列中断', description: '仍可受理', anonymous: true }),
    });
    t.is(created.status, 201);
    t.is(((await created.json()) as { state: string }).state, 'dispatched');
    const ready = await fetch(`${base}/readyz`);
    t.is(ready.status, 503);
    t.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: 'ok', queue: 'down' });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * `npm run bench:attach` (issue 12, "Performance"): attachment upload throughput and the
 * service's memory while C clients upload files of S bytes at once.
 *
 *   1. the service as a child process (`node build/src/main.js`, ROLE=api, embedded SQLite and
 *      the filesystem store in a temporary DATA_DIR, or STORAGE_URL if set), so that the load
 *      generator does not share its process;
 *   2. one owner, one ticket per client; each client posts R uploads in a row
 *      (`POST /tickets/:id/attachments`, one file part of S bytes), all C clients at once;
 *   3. the service's RSS sampled every 250 ms from /proc (before, during, after), and the
 *      throughput (MB/s received and stored) and latency per upload.
 *
 * Options (env): BENCH_CONCURRENCY (16), BENCH_ROUNDS (10), BENCH_SIZE_MB (10: the default
 * ATTACHMENT_MAX_BYTES), BENCH_KIND (`pdf`: stored byte for byte; `photo`: a noisy JPEG that is
 * re-encoded without metadata and previewed). Prints figures; asserts nothing.
 */
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { freePort, say } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');
const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] || fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const CONCURRENCY = Math.round(num('BENCH_CONCURRENCY', 16));
const ROUNDS = Math.round(num('BENCH_ROUNDS', 10));
const SIZE = Math.round(num('BENCH_SIZE_MB', 10) * 1024 * 1024);
const KIND = process.env.BENCH_KIND === 'photo' ? 'photo' : 'pdf';
const MB = 1024 * 1024;

const rssOf = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** A file of about `size` bytes: a PDF padded with a comment, or a noisy photo at the highest quality that fits. */
async function sample(size: number): Promise<Buffer> {
  if (KIND === 'pdf') {
    const head = Buffer.from('%PDF-1.4\n%');
    const tail = Buffer.from('\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x41), tail]);
  }
  for (const quality of [95, 90, 85, 80, 70]) {
    const b = await sharp({ create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } } as never)
      .jpeg({ quality })
      .toBuffer();
    if (b.length <= size) return b;
  }
  throw new Error('no photo fits the size');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-attach-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'build', 'src', 'main.js')], {
    env: {
      ...process.env,
      ROLE: 'api',
      PORT: String(port),
      DATA_DIR: dir,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_PASSWORD: 'Bench-Admin-Pw-1!',
      ATTACHMENT_MAX_BYTES: String(Math.max(SIZE, 10 * MB)),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        /* starting */
      }
      if (i > 300) throw new Error('the service did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const post = async (path: string, body: unknown, token?: string) => {
      const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, any>>;
    };
    await post('/api/v1/owners', { phone: '13800009999', password: 'Bench-Owner-Pw-1!', name: '压测经营户' });
    const { token } = await post('/api/v1/auth/login', { username: '13800009999', password: 'Bench-Owner-Pw-1!' });
    const tickets: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++)
      tickets.push((await post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: `压测 ${i}`, description: '附件上传压测' }, token)).id);
    const file = await sample(SIZE);
    const blob = new Blob([file], { type: KIND === 'pdf' ? 'application/pdf' : 'image/jpeg' });
    say(
      `bench:attach — ${CONCURRENCY} clients × ${ROUNDS} uploads of one ${KIND} of ${(file.length / MB).toFixed(2)} MiB; service: ROLE=api, ${process.env.STORAGE_URL ? 'S3 store' : 'filesystem store'}, embedded SQLite; node ${process.version}`,
    );

    const samples: { t: number; rss: number }[] = [];
    const t0 = Date.now();
    const sampleNow = () => samples.push({ t: Date.now() - t0, rss: rssOf(child.pid!) });
    sampleNow();
    const rssBefore = samples[0].rss;
    const timer = setInterval(sampleNow, 250);
    const latencies: number[] = [];
    let failed = 0;
    const started = Date.now();
    await Promise.all(
      tickets.map(async (id) => {
        for (let r = 0; r < ROUNDS; r++) {
          const f = new FormData();
          f.append('file', blob, KIND === 'pdf' ? '材料.pdf' : '照片.jpg');
          const s = Date.now();
          const res = await fetch(`${base}/api/v1/tickets/${id}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
          await res.arrayBuffer();
          if (res.status !== 201) failed++;
          latencies.push(Date.now() - s);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(timer);
    sampleNow();

    const n = CONCURRENCY * ROUNDS;
    latencies.sort((a, b) => a - b);
    const during = samples.filter((x) => x.t > 0 && x.t <= seconds * 1000);
    const peak = Math.max(...samples.map((x) => x.rss));
    say(
      `uploads: ${n - failed} stored, ${failed} failed, in ${seconds.toFixed(1)} s → ${((n - failed) / seconds).toFixed(1)} uploads/s, ${(((n - failed) * file.length) / MB / seconds).toFixed(1)} MiB/s`,
    );
    say(`latency per upload: p50 ${latencies[Math.floor(n * 0.5)]} ms, p99 ${latencies[Math.min(n - 1, Math.floor(n * 0.99))]} ms`);
    say(
      `service RSS: before ${rssBefore.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (+${(peak - rssBefore).toFixed(0)} MiB for ${CONCURRENCY} uploads of ${(file.length / MB).toFixed(1)} MiB in flight = ${((CONCURRENCY * file.length) / MB).toFixed(0)} MiB), after ${samples[samples.length - 1].rss.toFixed(0)} MiB`,
    );
    // RSS over time, one figure per second of the run
    const perSecond: string[] = [];
    for (let s = 0; s <= Math.ceil(seconds); s++) {
      const inSec = during.filter((x) => x.t > s * 1000 && x.t <= (s + 1) * 1000);
      if (inSec.length) perSecond.push(Math.max(...inSec.map((x) => x.rss)).toFixed(0));
    }
    say(`RSS per second (MiB): ${perSecond.join(' ')}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:attach: ${e.stack ?? e}\n`);
  process.exit(1);
});

/**
 * What the benchmark scripts share (`npm run bench:*`): options from `--name value` or an
 * environment variable, percentiles, output, free loopback ports and how a checkout starts its service. Benchmarks print
 * figures; they assert nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A positive number from `--name value` on the command line, else `envName`, else `fallback`.
 * @throws Error naming both when the value is not a positive number
 */
export function option(name: string, envName: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i > 0 ? process.argv[i + 1] : process.env[envName];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} / ${envName} must be a positive number`);
  return v;
}

/** One line on standard output. */
export const say = (s = ''): void => void process.stdout.write(`${s}\n`);

/** The `p`-th percentile (0–100) of ascending `sorted` values (NaN when empty). */
export const pct = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN);

/** A loopback port free at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/**
 * Resolves `child` once its `/readyz` on `port` answers 200.
 * @throws Error when the process exits first, or after 60 s
 */
export async function untilReady(child: ChildProcess, port: number): Promise<ChildProcess> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return child;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('the service did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM to a service child process; resolves when it has exited. */
export async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/**
 * How a checkout's own `npm start` runs the service: the environment assignments and node
 * flags of the last command of its `start` script, before `build/src/main.js`
 * (`tsc && MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 build/src/main.js` →
 * `{ env: { MALLOC_ARENA_MAX: '2' }, args: ['--max-semi-space-size=4'] }`); nothing when the
 * script does not run `node … build/src/main.js`. The benchmarks start each build as its
 * npm start does, so that a baseline checkout is measured with its own launch.
 */
export function parseStartScript(script: string): { env: Record<string, string>; args: string[] } {
  const words = (script.split('&&').pop() ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]); i++) {
    const eq = words[i].indexOf('=');
    env[words[i].slice(0, eq)] = words[i].slice(eq + 1);
  }
  const main = words.indexOf('build/src/main.js');
  if (words[i] !== 'node' || main < i) return { env: {}, args: [] };
  return { env, args: words.slice(i + 1, main) };
}

/** {@link parseStartScript} of the `start` script in `root`/package.json (nothing when there is none). */
export function startScriptLaunch(root: string): { env: Record<string, string>; args: string[] } {
  try {
    return parseStartScript((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.start ?? '');
  } catch {
    return { env: {}, args: [] };
  }
}

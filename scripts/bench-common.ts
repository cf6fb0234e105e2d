/**
 * What the benchmark scripts share (`npm run bench:*`): options from `--name value` or an
 * environment variable, percentiles, output and free loopback ports. Benchmarks print
 * figures; they assert nothing.
 */
import { createServer } from 'node:net';

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

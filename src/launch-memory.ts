/**
 * The memory settings a process can only be given when it is started (issue 15 item 5;
 * docs/decisions/memory.md, docs/deployment.md): V8's young generation is sized when the heap
 * is set up, so `--max-semi-space-size` must be on node's command line or in NODE_OPTIONS
 * (`v8.setFlagsFromString` later has no effect on it). main.ts reads what the process was
 * actually started with and logs it with `listening` (`memory.maxSemiSpaceMiB`, null: V8's
 * default, up to 16 MiB per semi-space on 64-bit, a 32 MiB new space).
 */

export interface LaunchMemory {
  /** `--max-semi-space-size` in effect, MiB, or null when the process runs with V8's default */
  maxSemiSpaceMiB: number | null;
}

/**
 * What the process was started with: the last `--max-semi-space-size` (or `--max_semi_space_size`,
 * `=N` or ` N`) of NODE_OPTIONS, then of node's own arguments (these come after NODE_OPTIONS and win).
 * `(['--max-semi-space-size=4'], {})` → `{ maxSemiSpaceMiB: 4 }`; `([], { NODE_OPTIONS: '--max-semi-space-size 8' })` → 8;
 * `([], {})` → null. A value that is not a positive number is ignored (node itself refuses to start with it).
 */
export function launchMemory(execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>): LaunchMemory {
  const args = [...(env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean), ...execArgv];
  let semi: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const m = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const raw = m[1] ?? args[++i];
    const n = Number(raw);
    if (raw !== undefined && raw !== '' && Number.isFinite(n) && n > 0) semi = n;
  }
  return { maxSemiSpaceMiB: semi };
}

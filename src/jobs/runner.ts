import type { AppDeps } from '../http/deps';

/** Starts the background processors (timers, sweep, mail). Filled in by the clock and notification work. */
export async function startWorkers(deps: AppDeps): Promise<{ close: () => Promise<void> }> {
  deps.log.info('workers started (no processors yet)');
  return { close: async () => undefined };
}

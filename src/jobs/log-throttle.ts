import type { Logger } from '../logger';

/**
 * An error logger that writes the first error of a kind at once and then at most one line
 * per `everyMs` with the count of those it held back: a Redis outage makes the queue client
 * report every reconnect attempt, which would otherwise flood the log.
 */
export function throttledErrorLog(log: Logger, msg: string, everyMs = 30_000): (err: unknown) => void {
  let last = 0;
  let held = 0;
  return (err: unknown) => {
    const now = Date.now();
    if (now - last < everyMs) {
      held++;
      return;
    }
    log.error({ err, ...(held ? { suppressed: held } : {}) }, msg);
    last = now;
    held = 0;
  };
}

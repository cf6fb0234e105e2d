import { AppError } from '../errors';

/**
 * A per-process bound on concurrent file imports (issue 13 item 3): at most `slots` files
 * are read at once and at most `waiting` more wait for a slot; past that the caller gets
 * 503 `imports-busy` with `Retry-After`, so a burst of uploads queues in bounded memory
 * instead of reading every file at the same time.
 */
export class ImportGate {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  constructor(
    readonly slots: number,
    readonly waiting: number,
    readonly retryAfterSeconds = 5,
  ) {}

  /** Runs `fn` in a slot, waiting for one if needed. @throws AppError 503 `imports-busy` */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      if (this.queue.length >= this.waiting) {
        throw new AppError(503, 'imports-busy', `${this.running} files are being read and ${this.queue.length} wait; try again in ${this.retryAfterSeconds} seconds`, [], {
          retryAfter: this.retryAfterSeconds,
        });
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      // the slot passes straight to the next waiter; otherwise it is freed
      if (next) next();
      else this.running--;
    }
  }
}

/** The gate every import of this process goes through: two files read at once, eight waiting. */
export const importGate = new ImportGate(2, 8);

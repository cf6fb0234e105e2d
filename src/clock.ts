/**
 * The only place the service reads the wall clock. The domain never does; commands get
 * `now` from here. With `TEST_CLOCK=1` time can be moved forward (DESIGN §13).
 */
export interface Clock {
  now(): Date;
  readonly adjustable: boolean;
  /** moves "now" to `to` (never backwards); throws unless adjustable */
  set(to: Date): void;
  /** test clock shared by processes: reads the offset another process may have stored */
  refresh?(): Promise<void>;
  /** test clock shared by processes: resolves once the last `set` is stored and announced */
  settle?(): Promise<void>;
  /** test clock: `listener` runs after every move (the job runner sweeps at once) */
  onMove?(listener: () => void): void;
}

/** Where a test clock keeps its offset from the wall clock so that every process reads the same "now". */
export interface ClockStore {
  load(): Promise<number | null>;
  save(offsetMs: number): Promise<void>;
}

/**
 * The wall clock; with `adjustable` (TEST_CLOCK=1, DESIGN §13) "now" can be moved forward.
 * With a `store`, a move is saved there and other processes (`ROLE=api` and `ROLE=worker`
 * side by side) pick it up on `refresh()`; the offset never decreases.
 */
export function systemClock(adjustable = false, store?: ClockStore): Clock {
  let offsetMs = 0;
  let pending: Promise<void> = Promise.resolve();
  const listeners: (() => void)[] = [];
  return {
    adjustable,
    now: () => new Date(Date.now() + offsetMs),
    set(to: Date) {
      if (!adjustable) throw new Error('the clock is not adjustable');
      const target = to.getTime() - Date.now();
      if (target < offsetMs) throw new RangeError('the test clock only moves forward');
      offsetMs = target;
      const saved = store ? store.save(target) : Promise.resolve();
      pending = pending
        .catch(() => undefined)
        .then(() => saved)
        .then(() => {
          for (const l of listeners) l();
        });
    },
    async refresh() {
      if (!store) return;
      const stored = await store.load();
      if (stored !== null && stored > offsetMs) offsetMs = stored;
    },
    settle: () => pending,
    onMove(listener: () => void) {
      if (adjustable) listeners.push(listener);
    },
  };
}

/** A clock that stands still until moved (tests, demos). `set` may move it anywhere forward. */
export function manualClock(start: Date): Clock & { advance(ms: number): void } {
  let current = start.getTime();
  return {
    adjustable: true,
    now: () => new Date(current),
    set(to: Date) {
      if (to.getTime() < current) throw new RangeError('the test clock only moves forward');
      current = to.getTime();
    },
    advance(ms: number) {
      current += ms;
    },
  };
}

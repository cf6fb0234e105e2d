/**
 * The only place the service reads the wall clock. The domain never does; commands get
 * `now` from here. With `TEST_CLOCK=1` time can be moved forward (DESIGN §13).
 */
export interface Clock {
  now(): Date;
  readonly adjustable: boolean;
  /** moves "now" to `to` (never backwards); throws unless adjustable */
  set(to: Date): void;
}

export function systemClock(adjustable = false): Clock {
  let offsetMs = 0;
  return {
    adjustable,
    now: () => new Date(Date.now() + offsetMs),
    set(to: Date) {
      if (!adjustable) throw new Error('the clock is not adjustable');
      const target = to.getTime() - Date.now();
      if (target < offsetMs) throw new RangeError('the test clock only moves forward');
      offsetMs = target;
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

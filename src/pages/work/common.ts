/** A local path to go back to after a form (never another site), or `fallback`. */
export const localPath = (s: string | undefined, fallback: string): string => (s && /^\/(?!\/)[\w\-/?=&.%]*$/.test(s) ? s : fallback);

/** The offset of `tz` from UTC at `at`, in milliseconds. */
function offsetMs(at: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const p = (t: string) => Number(parts.find((x) => x.type === t)?.value);
  return Date.UTC(p('year'), p('month') - 1, p('day'), p('hour'), p('minute'), p('second')) - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * A `datetime-local` value (`2026-11-02T09:14`, wall time in `tz`) as an ISO instant with
 * its offset (`2026-11-02T09:14:00+08:00`), for the API's `Instant` schema; null when the
 * value is not of that form (the schema then reports it).
 */
export function localInstant(value: string, tz: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const off = offsetMs(new Date(wall - offsetMs(new Date(wall), tz)), tz);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off) / 60_000;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** An instant as a `datetime-local` value in `tz` (`2026-11-02T09:14`). */
export function localInputValue(at: Date, tz: string): string {
  return new Date(at.getTime() + offsetMs(at, tz)).toISOString().slice(0, 16);
}

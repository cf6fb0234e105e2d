import { DateTime } from 'luxon';

/**
 * Quiet hours for texts to owners (issue 11, `SMS_QUIET_HOURS`, default 21:00-08:00 in the
 * business time zone): a text written at `at` inside them waits until they end; outside
 * them, or with quiet hours off (`null`), null (send at once). `from`/`to` are minutes
 * after local midnight; `from > to` spans midnight. Pure: the caller passes the instant.
 */
export function quietUntil(at: Date, tz: string, quiet: { from: number; to: number } | null): Date | null {
  if (!quiet) return null;
  const local = DateTime.fromJSDate(at, { zone: tz });
  const m = local.hour * 60 + local.minute;
  const inside = quiet.from > quiet.to ? m >= quiet.from || m < quiet.to : m >= quiet.from && m < quiet.to;
  if (!inside) return null;
  let end = local.startOf('day').plus({ minutes: quiet.to });
  if (end <= local) end = end.plus({ days: 1 });
  return end.toJSDate();
}

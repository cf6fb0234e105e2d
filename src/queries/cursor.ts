import { AppError } from '../errors';

/** Opaque keyset cursor over (createdAt DESC, id DESC). */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}
export function decodeCursor(c: string | undefined): { at: Date; id: string } | null {
  if (!c) return null;
  const parts = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const [iso, id] = parts;
  const at = new Date(iso);
  // exactly the two parts this service writes: a cursor with more is damaged, not read in part
  if (parts.length !== 2 || !canonical(c, encodeCursor, at, id) || Number.isNaN(at.getTime())) throw badCursor();
  return { at, id };
}

/** The sort key of a ticket without a deadline (after every real one; a valid DATETIME on both databases). */
export const NO_DEADLINE = new Date('9999-01-01T00:00:00.000Z');

/** Opaque keyset cursor over (next deadline ASC, id ASC), marked so a newest-first cursor is not taken for one. */
export function encodeDeadlineCursor(at: Date, id: string): string {
  return Buffer.from(`d|${at.toISOString()}|${id}`).toString('base64url');
}
export function decodeDeadlineCursor(c: string | undefined): { at: Date; id: string } | null {
  if (!c) return null;
  const parts = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const [mark, iso, id] = parts;
  const at = new Date(iso);
  if (parts.length !== 3 || mark !== 'd' || !canonical(c, encodeDeadlineCursor, at, id) || !id || Number.isNaN(at.getTime())) throw badCursor();
  return { at, id };
}

/**
 * The refusal of a cursor that is not one this service returned (damaged, cut, from another
 * list or too long): 400 `validation-failed` on `cursor`, as the API answers it. The pages show
 * their own message for it with a link to the first page (src/pages/index.ts).
 */
export const badCursor = () => new AppError(400, 'validation-failed', 'invalid cursor', [{ field: 'cursor', code: 'invalid', message: 'not a cursor returned by this API' }]);

/**
 * Whether `c` is exactly what the service writes for (at, id): an id of letters, digits, `-`
 * and `_` (every id is a UUID), and the same base64url text when encoded again — so a date in
 * another form (`1`, `Tue Dec 01 2026`, a year past 9999), padding or standard base64 is no cursor.
 */
function canonical(c: string, encode: (at: Date, id: string) => string, at: Date, id: string | undefined): boolean {
  if (!id || !/^[\w-]{1,64}$/.test(id) || Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 || at.getUTCFullYear() > 9999) return false;
  try {
    return encode(at, id) === c;
  } catch {
    return false;
  }
}

import { AppError } from '../errors';

/** Opaque keyset cursor over (createdAt DESC, id DESC). */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}
export function decodeCursor(c: string | undefined): { at: Date; id: string } | null {
  if (!c) return null;
  const [iso, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const at = new Date(iso);
  if (!id || Number.isNaN(at.getTime())) throw new AppError(400, 'validation-failed', 'invalid cursor', [{ field: 'cursor', code: 'invalid', message: 'not a cursor returned by this API' }]);
  return { at, id };
}

import test from 'ava';
import { decodeCursor, decodeDeadlineCursor, encodeCursor, encodeDeadlineCursor } from '../../src/queries/cursor';
import { AppError } from '../../src/errors';

const at = new Date('2026-11-09T02:03:04.567Z');
const id = '0b7e1c9a-2f4d-4c1e-9a3b-5d6e7f8a9b0c';
const b64 = (s: string) => Buffer.from(s).toString('base64url');

test('a cursor this service wrote reads back exactly', (t) => {
  t.deepEqual(decodeCursor(encodeCursor(at, id)), { at, id });
  t.deepEqual(decodeDeadlineCursor(encodeDeadlineCursor(at, id)), { at, id });
});

test('a cursor with a part more than the service writes is refused, not read in part', (t) => {
  for (const [decode, raw] of [
    [decodeCursor, `${at.toISOString()}|${id}|extra`],
    [decodeCursor, `${at.toISOString()}|${id}|`],
    [decodeDeadlineCursor, `d|${at.toISOString()}|${id}|extra`],
    // a date or id the service never writes (found by a tester: these were read as pages)
    [decodeCursor, `1|x`],
    [decodeCursor, `Tue Dec 01 2026|x`],
    [decodeCursor, `+275760-09-13T00:00:00.000Z|x`],
    [decodeCursor, `${at.toISOString()}|a\u0000b`],
    [decodeDeadlineCursor, `d|1|x`],
  ] as const) {
    const e = t.throws(() => decode(b64(raw)), { instanceOf: AppError });
    t.is(e?.status, 400);
    t.deepEqual(
      e?.errors.map((f) => f.field),
      ['cursor'],
    );
  }
});

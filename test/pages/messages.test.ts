/**
 * Every error code the service can return has a Chinese message in the one table
 * (src/pages/messages.ts, issue 9). The codes are found by reading src/: problem codes of
 * `new AppError(status, 'code'`, `conflict('code'`, `unprocessable('code'`, `writeProblem(…)`
 * and the helpers of src/errors.ts; field codes of `fieldError(field, 'code'`, `code: '…'`
 * in field errors, the import's `bad(field, 'code'`, zod's issue codes and the schemas'
 * `reason`s. A new code without a message fails here.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_MESSAGES, PROBLEM_MESSAGES, fieldMessage, problemMessage } from '../../src/pages/messages';

const SRC = join(__dirname, '..', '..', '..', 'src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const sources = files(SRC)
  .filter((f) => !f.endsWith(join('pages', 'messages.ts')))
  .map((f) => readFileSync(f, 'utf8'));
const all = (re: RegExp) => new Set(sources.flatMap((s) => [...s.matchAll(re)].map((m) => m[1])));

const ZOD_CODES = ['invalid_type', 'too_big', 'too_small', 'invalid_format', 'not_multiple_of', 'unrecognized_keys', 'invalid_union', 'invalid_key', 'invalid_element', 'invalid_value', 'custom'];

test('every problem code in src/ has a message', (t) => {
  const codes = new Set([
    ...all(/new AppError\(\s*\d{3},\s*'([a-z0-9-]+)'/g),
    ...all(/\b(?:conflict|unprocessable)\(\s*'([a-z0-9-]+)'/g),
    ...all(/writeProblem\(ctx,\s*\d{3},\s*'([a-z0-9-]+)'/g),
    ...all(/\bsuper\(\s*\d{3},\s*'([a-z0-9-]+)'/g), // AppError subclasses
    'unauthenticated',
    'forbidden',
    'not-found',
    'version-mismatch', // the helpers of src/errors.ts
  ]);
  t.true(codes.size >= 40, `found ${codes.size} problem codes: the scan still reads the sources`);
  t.true(codes.has('objection-window-closed') && codes.has('too-many-attempts') && codes.has('illegal-transition'));
  t.deepEqual([...codes].filter((c) => !(c in PROBLEM_MESSAGES)).sort(), []);
});

test('every field code in src/ has a message', (t) => {
  // the values of `code:` in field errors, also both arms of a conditional (`cond ? 'a' : 'b'`)
  const quoted = (re: RegExp) => new Set(sources.flatMap((s) => [...s.matchAll(re)].flatMap((m) => [...m[1].matchAll(/(?:^|[?:])\s*'([a-z0-9_]+)'/g)].map((q) => q[1]))));
  const codes = new Set([
    ...all(/fieldError\(\s*[^,]+,\s*'([a-z0-9_]+)'/g),
    ...quoted(/\{\s*(?:row,\s*)?field:[^}]*?\bcode:\s*([^,}]+)/g),
    ...all(/\bbad\(\s*[^,]+,\s*'([a-z0-9_]+)'/g),
    ...all(/params:\s*\{\s*reason:\s*'([a-z0-9_]+)'/g),
    ...ZOD_CODES,
  ]);
  t.true(codes.size >= 60, `found ${codes.size} field codes`);
  t.true(codes.has('invalid_mobile') && codes.has('window_closed') && codes.has('objection_real_name'));
  t.deepEqual([...codes].filter((c) => !(c in FIELD_MESSAGES)).sort(), []);
});

test('messages are filled in and specific where the field says more', (t) => {
  t.is(problemMessage('too-many-attempts', { minutes: 7 }), '尝试次数过多，请7分钟后再试。');
  t.is(fieldMessage('title', 'too_long', { max: 200 }), '最多200个字，请删减。');
  t.is(fieldMessage('owner.phone', 'custom'), FIELD_MESSAGES.invalid_mobile);
  t.is(fieldMessage('accused.amountYuan', 'invalid_format'), '金额请只填数字，最多两位小数，例如 300 或 300.50。');
  t.is(fieldMessage('nothing.known', 'no-such-code'), FIELD_MESSAGES.invalid);
});

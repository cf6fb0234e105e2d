import test from 'ava';
import { hasVisibleText, isWhiteSpaceOnly, searchForm, trimWhiteSpace } from '../../src/domain/text';

// issue 13 item 10: what shows nothing is blank; invisible characters do not split words for search.
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u2060', '\u180E', '\u3164', '\u115F', '\u1160', '\uFFA0', '\u034F', '\u00AD', '\u2800', '\uFEFF', '\u2062', '\uFE0F', '\u{E0020}'];

test('blank: white space and invisible characters alone show nothing', (t) => {
  for (const c of INVISIBLE) {
    t.false(hasVisibleText(c), `U+${c.codePointAt(0)!.toString(16)}`);
    t.false(hasVisibleText(` ${c}${c}\u3000\t\n`), `U+${c.codePointAt(0)!.toString(16)} with spaces`);
  }
  t.false(hasVisibleText(''));
  t.false(hasVisibleText('\u0301\u0308'), 'combining marks without a base');
  for (const s of ['面馆', 'a', '7', '?', '¥', '😀', '\u200B面\u200B', 'é']) t.true(hasVisibleText(s), s);
});

test('search form: NFKC, invisible characters removed, spaces folded, lower case', (t) => {
  t.is(searchForm('违\u200B规\u2060收\u00AD费'), '违规收费');
  t.is(searchForm('ＴＡＸ　定额'), 'tax 定额');
  t.is(searchForm('  摊位费\u3164 上涨 '), '摊位费 上涨');
  t.is(searchForm('\u200B\u2800'), '');
});

test('white space alone is Unicode White_Space: of what JavaScript trims, only U+FEFF is not, and it is no white space here', (t) => {
  // every code point JavaScript's trim drops, checked against White_Space: the BOM is the one it adds
  const trimmedByJs = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCodePoint(c);
    if (s.trim() === '' && !isWhiteSpaceOnly(s)) trimmedByJs.push(c.toString(16));
  }
  t.deepEqual(trimmedByJs, ['feff']);
  for (const s of ['', ' ', '\t\n', '\u3000', '\u00A0\u2003\u202F\u205F', '\u2028\u2029']) t.true(isWhiteSpaceOnly(s), JSON.stringify(s));
  for (const s of ['\uFEFF', ' \uFEFF ', '\u200B', 'a']) t.false(isWhiteSpaceOnly(s), JSON.stringify(s));
  t.is(trimWhiteSpace(' \u3000\uFEFF \t'), '\uFEFF');
  t.is(trimWhiteSpace('\u00A0 面馆 \n'), '面馆');
});

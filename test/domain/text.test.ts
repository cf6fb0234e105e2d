import test from 'ava';
import { hasVisibleText, searchForm } from '../../src/domain/text';

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

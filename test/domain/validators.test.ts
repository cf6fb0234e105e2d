import test from 'ava';
import { asciiForm, isValidCreditCode, isValidMobile } from '../../src/domain/validators';

// Full-width digits (U+FF10–FF19) as a Chinese input method types them in a phone field are the same number.
test('asciiForm: full-width digits as ASCII; letters only for a field that takes them, the full stop only for an amount; not trimmed', (t) => {
  const cases: [string, Parameters<typeof asciiForm>[1], string][] = [
    ['１３８００００１２３４', 'digits', '13800001234'],
    ['９２５００１０２ＡＹ４ＣＬ１２ＴＨ８', 'alphanumeric', '92500102AY4CL12TH8'],
    ['ｆｌ２０２６', 'alphanumeric', 'fl2026'],
    ['９２５００１０２ＡＹ４ＣＬ１２ＴＨ８', 'digits', '92500102ＡＹ4ＣＬ12ＴＨ8'],
    ['３００．５０', 'decimal', '300.50'],
    ['３００．５０', 'digits', '300．50'],
    ['１３８\u3000', 'digits', '138\u3000'],
    ['13800001234', 'digits', '13800001234'],
    ['面馆', 'alphanumeric', '面馆'],
  ];
  for (const [input, alphabet, out] of cases) t.is(asciiForm(input, alphabet), out, `${input} (${alphabet})`);
  t.true(isValidMobile(asciiForm('１３８００００１２３４')));
  t.false(isValidMobile('１３８００００１２３４'), 'the check itself reads ASCII only');
});

// NFKC read these as ASCII digits or letters too; none is what a number field is typed with.
test('asciiForm: circled, superscript, other-script digits and other compatibility forms are kept, so the checks refuse them', (t) => {
  for (const alphabet of ['digits', 'decimal', 'alphanumeric'] as const) {
    for (const s of ['①3812345678', '¹3812345678', '١٣٨١٢٣٤٥٦٧٨', '⑴3812345678', '㈠3812345678', '13812345６７８\u2070', '１３８１２３４５６７⒏']) {
      t.is(
        asciiForm(s, alphabet),
        s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)),
        `${s} (${alphabet})`,
      );
      t.false(isValidMobile(asciiForm(s, alphabet)), `${s} (${alphabet})`);
    }
  }
  // the ligature ﬁ, the Roman numeral Ⅸ and the fraction ½ are no letters of a credit code
  t.false(isValidCreditCode(asciiForm('92500102AY4CL12TⅨ', 'alphanumeric')));
  t.is(asciiForm('ﬁ½Ⅸ', 'alphanumeric'), 'ﬁ½Ⅸ');
});

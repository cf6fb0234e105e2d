import test from 'ava';
import { asciiForm, isValidMobile } from '../../src/domain/validators';

// Full-width digits (U+FF10–FF19) as a Chinese input method types them in a phone field are the same number.
test('asciiForm: full-width digits, letters and full stop as ASCII; other characters kept; not trimmed', (t) => {
  const cases: [string, string][] = [
    ['１３８００００１２３４', '13800001234'],
    ['９２５００１０２ＡＹ４ＣＬ１２ＴＨ８', '92500102AY4CL12TH8'],
    ['３００．５０', '300.50'],
    ['１３８\u3000', '138 '],
    ['13800001234', '13800001234'],
    ['面馆', '面馆'],
  ];
  for (const [input, out] of cases) t.is(asciiForm(input), out, input);
  t.true(isValidMobile(asciiForm('１３８００００１２３４')));
  t.false(isValidMobile('１３８００００１２３４'), 'the check itself reads ASCII only');
});

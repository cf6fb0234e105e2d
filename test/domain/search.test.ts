import test from 'ava';
import { readFileSync } from 'node:fs';
import { indexTokens, MAX_QUERY_WORDS, queryWords, ticketSearchTokens } from '../../src/domain/search';

// issue 15 item 3: what a ticket is indexed under and what a query must match (docs/decisions/search.md).
const INDEX: [string, string[]][] = [
  // a long word is indexed with its dictionary sub-words, so the 2-character word finds it
  ['餐馆乱收费', ['乱收', '乱收费', '收费', '餐馆']],
  ['营业执照办理太慢了', ['了', '办理', '太慢', '执照', '营业', '营业执照']],
  // punctuation and white space separate words and are never tokens
  ['路灯坏了，晚上很黑', ['了', '坏', '很', '晚上', '路灯', '黑']],
  // search form first: full-width letters, case, invisible characters inside a word
  ['Ｗｉ-Ｆｉ 信号差', ['fi', 'wi', 'wi-fi', '信号', '差']],
  ['违\u200B规收费', ['收费', '违规']],
  ['多收了300.10元', ['10', '300', '300.10', '了', '元', '多', '收']],
  ['FL2026000001', ['fl2026000001']],
  ['噪音扰民 噪音', ['噪音', '扰民']],
  ['%_!', []],
  ['', []],
  ['a'.repeat(70), ['a'.repeat(64)]],
];
for (const [text, tokens] of INDEX) test(`index tokens of ${JSON.stringify(text.slice(0, 20))}`, (t) => t.deepEqual(indexTokens(text), tokens));

const QUERY: [string, string[]][] = [
  ['餐馆乱收费', ['餐馆', '乱收费']],
  ['噪音', ['噪音']],
  ['噪音 噪音', ['噪音']],
  ['营业执照', ['营业执照']],
  ['Ｗｉ-Ｆｉ', ['wi-fi']],
  ['FL2026000001', ['fl2026000001']],
  [' 13800138000 ', ['13800138000']],
  ['92500102MA5U3XXX8Y', ['92500102ma5u3xxx8y']],
  // a whole phone or credit code typed in groups is that value, as the ticket is indexed under it
  ['138 0013 8000', ['13800138000']],
  ['138-0013-8000', ['13800138000']],
  ['+86 138 0013 8000', ['13800138000']],
  ['9250 0102 AY4C L12T H8', ['92500102ay4cl12th8']],
  ['92500102 AY4CL12TH9', ['92500102', 'ay4cl12th9']],
  ['138 0013 800', ['138', '0013', '800']],
  ['2026 11 02', ['2026', '11', '02']],
  ['0%_', ['0']],
  ['%', []],
  ['a'.repeat(70), ['a'.repeat(64)]],
];
for (const [q, words] of QUERY) test(`query words of ${JSON.stringify(q.slice(0, 20))}`, (t) => t.deepEqual(queryWords(q), words));

test('a long query keeps its longest words, in the order given', (t) => {
  t.is(MAX_QUERY_WORDS, 8);
  t.deepEqual(queryWords('一二三四五六七八九十 营业执照 中华人民共和国 办理 路灯 噪音 扰民 餐馆 乱收费 面馆'), [
    '一二三四五六七八九十',
    '营业执照',
    '中华人民共和国',
    '办理',
    '路灯',
    '噪音',
    '扰民',
    '乱收费',
  ]);
});

test('a ticket is indexed under its words, its number, and whole its phone and credit codes', (t) => {
  const base = { kind: 'complaint' as const, number: 'FL2026000001', title: '路灯坏了', description: '晚上很黑', subjectCreditCode: null };
  t.deepEqual(ticketSearchTokens({ ...base, contact: { phone: '13800138000', creditCode: '92500102MA5U3XXX8Y' } }), [
    '13800138000',
    '92500102ma5u3xxx8y',
    'fl2026000001',
    '了',
    '坏',
    '很',
    '晚上',
    '路灯',
    '黑',
  ]);
  t.deepEqual(ticketSearchTokens({ ...base, contact: null }), ['fl2026000001', '了', '坏', '很', '晚上', '路灯', '黑']);
  t.deepEqual(ticketSearchTokens({ ...base, number: '', kind: 'objection', contact: { phone: '13800138000' }, subjectCreditCode: '92500102EUHUXQEEG7' }), [
    '13800138000',
    '92500102euhuxqeeg7',
    '了',
    '坏',
    '很',
    '晚上',
    '路灯',
    '黑',
  ]);
});

test('an integrity report is never indexed under its reporter’s phone or credit code', (t) => {
  t.deepEqual(
    ticketSearchTokens({
      kind: 'integrity_report',
      number: 'FL2026000002',
      title: '索要财物',
      description: '所长',
      contact: { phone: '13800138000', creditCode: '92500102MA5U3XXX8Y' },
      subjectCreditCode: null,
    }),
    ['fl2026000002', '所长', '索要', '财物'],
  );
});

test('the dictionary is the package’s default one, byte for byte (the stored tokens were cut with it)', (t) => {
  // issue 15 item 5: search.ts reads dict.txt itself (and lets the buffer go) instead of importing
  // @node-rs/jieba/dict, which keeps it and idf.txt for the life of the process; the bytes must not differ.
  const { dict } = require('@node-rs/jieba/dict') as { dict: Buffer };
  t.true(readFileSync(require.resolve('@node-rs/jieba/dict.txt')).equals(dict));
});

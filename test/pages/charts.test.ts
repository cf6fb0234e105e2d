import test from 'ava';
import { countColumns, niceMax, rateBars, rateText } from '../../src/pages/charts';
import { monthSpans } from '../../src/queries/report-views';

test('months of a period, clipped to it', (t) => {
  t.deepEqual(monthSpans('2026-01-15', '2026-03-10'), [
    { month: '2026-01', from: '2026-01-15', to: '2026-01-31' },
    { month: '2026-02', from: '2026-02-01', to: '2026-02-28' },
    { month: '2026-03', from: '2026-03-01', to: '2026-03-10' },
  ]);
  t.deepEqual(monthSpans('2028-02-01', '2028-02-29'), [{ month: '2028-02', from: '2028-02-01', to: '2028-02-29' }]);
  t.is(monthSpans('2026-12-31', '2027-12-31').length, 13);
  t.deepEqual(
    monthSpans('2026-12-31', '2027-01-01').map((m) => m.month),
    ['2026-12', '2027-01'],
  );
});

test('rate bars: widths in proportion to the percentage, the text as fraction and percentage, a summary naming best and worst', (t) => {
  const c = rateBars('sign', '按时签收率', [
    { label: '区税务局', rate: { numerator: 39, denominator: 40, percent: 97.5 } },
    { label: '区人力社保局', rate: { numerator: 1, denominator: 2, percent: 50 } },
    { label: '区民政局', rate: { numerator: 0, denominator: 0, percent: null } },
  ]);
  t.is(c.plotWidth, 370);
  t.deepEqual(
    c.bars.map((b) => [b.width, b.text]),
    [
      [360.8, '97.5%（39/40）'],
      [185, '50%（1/2）'],
      [0, '无数据（0/0）'],
    ],
  );
  t.deepEqual(
    c.ticks.map((x) => x.x),
    [180, 272.5, 365, 457.5, 550],
  );
  t.is(c.summary, '按时签收率：最高的是区税务局（97.5%），最低的是区人力社保局（50%）。另有1个部门没有可计算的数据。');
  t.is(c.height, 28 + 3 * 30 + 8);
  t.is(rateBars('x', '满意率', []).summary, '满意率：这段时间没有可计算的数据。');
  t.is(rateText({ numerator: 2, denominator: 3, percent: 66.67 }), '66.67%（2/3）');
});

test('count columns: a nice axis, one column per series and month, a summary of totals and peaks', (t) => {
  t.deepEqual([0, 5, 6, 17, 20, 21, 480].map(niceMax), [5, 5, 10, 20, 20, 50, 500]);
  const c = countColumns(
    'trend',
    '每月受理与逾期',
    ['9月', '10月', '11月'],
    [
      { name: '受理', fill: '#1d70b8', values: [4, 10, 7] },
      { name: '逾期未办结', fill: '#d4351c', values: [0, 2, 1] },
    ],
  );
  t.deepEqual(
    c.ticks.map((x) => x.label),
    ['0', '2', '4', '6', '8', '10'],
  );
  t.deepEqual(
    c.groups[1].columns.map((x) => [x.value, x.height]),
    [
      [10, 200],
      [2, 40],
    ],
  );
  t.deepEqual(
    c.groups[0].columns.map((x) => x.height),
    [80, 0],
  );
  t.is(c.summary, '每月受理与逾期：受理共21件，最多的是10月（10件）；逾期未办结共3件，最多的是10月（2件）。');
});

import test from 'ava';
import { WorkCalendar } from '../../src/domain/calendar';
import {
  answerOnTime,
  attributeEvents,
  averageOfSum,
  computeDepartmentFigures,
  fraction,
  handlingWorkingDays,
  isCounted,
  periodDates,
  substantiatedCases,
  type IntegrityCase,
  type MetricEvent,
  type MetricPause,
  type MetricTicket,
} from '../../src/domain/metrics';

const cal = new WorkCalendar();
const at = (s: string): Date => {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test instant ${s}`);
  return d;
};

// ---------------------------------------------------------------------------
// fraction and averageOfSum
// ---------------------------------------------------------------------------

const fractionRow = test.macro({
  exec(t, n: number, d: number, percent: number | null) {
    t.deepEqual(fraction(n, d), { numerator: n, denominator: d, percent });
  },
  title: (_p, n: number, d: number, percent: number | null) => `fraction ${n}/${d} → ${percent}%`,
});
test(fractionRow, 0, 0, null);
test(fractionRow, 0, 5, 0);
test(fractionRow, 5, 5, 100);
test(fractionRow, 2, 3, 66.67);
test(fractionRow, 1, 3, 33.33);
test(fractionRow, 1, 8, 12.5);
test(fractionRow, 1, 6, 16.67);
test(fractionRow, 1, 200, 0.5);
test(fractionRow, 1, 80000, 0); // 0.00125 % rounds down
test(fractionRow, 1, 20000, 0.01); // 0.005 % rounds half-up
test('fraction refuses bad inputs', (t) => {
  t.throws(() => fraction(3, 2), { instanceOf: RangeError });
  t.throws(() => fraction(-1, 2), { instanceOf: RangeError });
  t.throws(() => fraction(1.5, 2), { instanceOf: RangeError });
});

const avgRow = test.macro({
  exec(t, values: number[], places: number, expected: string | null) {
    t.is(
      averageOfSum(
        values.reduce((a, b) => a + b, 0),
        values.length,
        places,
      ),
      expected,
    );
  },
  title: (_p, values: number[], places: number, expected: string | null) => `averageOfSum of [${values}] (${places}) → ${expected}`,
});
test(avgRow, [], 2, null);
test(avgRow, [0], 2, '0.00');
test(avgRow, [1, 2], 2, '1.50');
test(avgRow, [2, 5, 0], 2, '2.33');
test(avgRow, [1, 1, 2], 2, '1.33');
test(avgRow, [1, 2, 2], 2, '1.67');
test(avgRow, [1, 0, 0, 0, 0, 0, 0, 0], 2, '0.13'); // 0.125 rounds half-up
test(avgRow, [10, 11], 0, '11'); // 10.5 rounds half-up
test(avgRow, [3], 1, '3.0');
test('averageOfSum refuses negative and fractional values', (t) => {
  t.throws(() => averageOfSum(-1, 1), { instanceOf: RangeError });
  t.throws(() => averageOfSum(0.5, 1), { instanceOf: RangeError });
  t.throws(() => averageOfSum(1, 1.5), { instanceOf: RangeError });
  t.throws(() => averageOfSum(1, 1, 7), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// handlingWorkingDays: the National Day week of 2026 (Oct 1–7 off, Sat Oct 10 worked)
// ---------------------------------------------------------------------------

const daysRow = test.macro({
  exec(t, start: string, answered: string, pauses: [string, string | null][], expected: number) {
    t.is(
      handlingWorkingDays(
        at(start),
        at(answered),
        pauses.map(([p, r]) => ({ pausedAt: at(p), resumedAt: r ? at(r) : null })),
        cal,
      ),
      expected,
    );
  },
  title: (note: string | undefined, start: string, answered: string, _p, expected: number) => `handlingWorkingDays ${start} → ${answered} = ${expected} ${note ?? ''}`,
});
test('same local day', daysRow, '2026-11-02T09:00+08:00', '2026-11-02T17:00+08:00', [], 0);
test('Mon → Wed', daysRow, '2026-11-02T09:00+08:00', '2026-11-04T10:00+08:00', [], 2);
test('over a weekend', daysRow, '2026-11-06T09:00+08:00', '2026-11-09T10:00+08:00', [], 1);
test('over National Day: Oct 8, 9', daysRow, '2026-09-30T10:00+08:00', '2026-10-09T15:00+08:00', [], 2);
test('adjusted Saturday counts', daysRow, '2026-09-30T10:00+08:00', '2026-10-12T15:00+08:00', [], 4);
test('a pause of one working day is taken out', daysRow, '2026-09-30T10:00+08:00', '2026-10-09T15:00+08:00', [['2026-10-08T10:00+08:00', '2026-10-09T09:00+08:00']], 1);
test('an open pause counts until the answer', daysRow, '2026-09-30T10:00+08:00', '2026-10-12T15:00+08:00', [['2026-10-08T10:00+08:00', null]], 1);
test('a pause within one day takes nothing', daysRow, '2026-11-02T09:00+08:00', '2026-11-04T10:00+08:00', [['2026-11-03T09:00+08:00', '2026-11-03T16:00+08:00']], 2);
test('a pause before the cycle start is clipped', daysRow, '2026-11-04T09:00+08:00', '2026-11-06T10:00+08:00', [['2026-11-02T09:00+08:00', '2026-11-05T09:00+08:00']], 1);
test('an answer before the start is 0', daysRow, '2026-11-04T09:00+08:00', '2026-11-03T10:00+08:00', [], 0);

// ---------------------------------------------------------------------------
// attribution, population
// ---------------------------------------------------------------------------

let seq = 0;
const ev = (ticketId: string, type: string, when: string, payload: Record<string, unknown> = {}, cycle = 1): MetricEvent => ({ ticketId, seq: ++seq, cycle, type, at: at(when), payload });

test('attributeEvents: the department responsible when each event happened', (t) => {
  const events = [
    ev('a', 'dispatched', '2026-11-02T09:00+08:00', { departmentCode: 'TAX' }),
    ev('a', 'signed', '2026-11-03T09:00+08:00'),
    ev('a', 'returned', '2026-11-03T10:00+08:00', { departmentCode: 'TAX' }),
    ev('a', 'escalated', '2026-11-04T10:00+08:00', { level: 1 }),
    ev('a', 'dispatched', '2026-11-04T11:00+08:00', { departmentCode: 'HRSS' }),
    ev('a', 'replied', '2026-11-05T11:00+08:00'),
    ev('a', 'reopened', '2026-11-06T11:00+08:00', {}, 2),
    ev('b', 'dispatched', '2026-11-02T09:00+08:00', { departmentCode: 'COM' }),
  ];
  const shuffled = [events[5], events[7], events[0], events[3], events[1], events[6], events[2], events[4]];
  t.deepEqual(
    attributeEvents(shuffled).map((e) => [e.ticketId, e.type, e.departmentCode]),
    [
      ['a', 'dispatched', 'TAX'],
      ['a', 'signed', 'TAX'],
      ['a', 'returned', 'TAX'],
      ['a', 'escalated', null],
      ['a', 'dispatched', 'HRSS'],
      ['a', 'replied', 'HRSS'],
      ['a', 'reopened', 'HRSS'],
      ['b', 'dispatched', 'COM'],
    ],
  );
});

const NOV = { from: at('2026-11-01T00:00+08:00'), to: at('2026-12-01T00:00+08:00') };
const ticket = (id: string, over: Partial<MetricTicket>): MetricTicket => ({
  id,
  kind: 'complaint',
  state: 'closed',
  departmentCode: 'TAX',
  accusedDepartmentCode: null,
  receivedAt: at('2026-11-02T10:00+08:00'),
  cycle: 1,
  cycleStartedAt: at('2026-11-02T10:00+08:00'),
  signBy: null,
  replyBy: null,
  ...over,
});

const countedRow = test.macro({
  exec(t, over: Partial<MetricTicket>, hide: string | null, expected: boolean) {
    t.is(isCounted(ticket('x', over), NOV, hide), expected);
  },
  title: (note: string | undefined, _o, _h, expected: boolean) => `isCounted ${note}: ${expected}`,
});
test('received on the first instant', countedRow, { receivedAt: at('2026-11-01T00:00+08:00') }, null, true);
test('received on the last day', countedRow, { receivedAt: at('2026-11-30T23:59:59.999+08:00') }, null, true);
test('received when the period ends', countedRow, { receivedAt: at('2026-12-01T00:00+08:00') }, null, false);
test('received before', countedRow, { receivedAt: at('2026-10-31T23:59:59.999+08:00') }, null, false);
test('rejected', countedRow, { state: 'rejected' }, null, false);
test('merged', countedRow, { state: 'merged' }, null, false);
test('withdrawn', countedRow, { state: 'withdrawn' }, null, true);
test('open integrity report', countedRow, { kind: 'integrity_report', state: 'in_progress', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }, null, false);
test('concluded integrity report', countedRow, { kind: 'integrity_report', state: 'replied', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }, null, true);
test('concluded integrity report, viewer of the accused department', countedRow, { kind: 'integrity_report', state: 'closed', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }, 'TAX', false);
test('concluded integrity report, viewer of another department', countedRow, { kind: 'integrity_report', state: 'closed', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }, 'HRSS', true);

test('answerOnTime: recorded flag, else the kept reply deadline of the current cycle, else unknown', (t) => {
  const e = (payload: Record<string, unknown>, cycle = 1) => ({ payload, cycle, at: at('2026-11-05T10:00+08:00') });
  t.is(answerOnTime(e({ onTime: false }), { cycle: 1, replyBy: at('2026-11-10T00:00+08:00') }), false);
  t.is(answerOnTime(e({}), { cycle: 1, replyBy: at('2026-11-10T00:00+08:00') }), true);
  t.is(answerOnTime(e({}), { cycle: 1, replyBy: at('2026-11-05T10:00+08:00') }), false);
  t.is(answerOnTime(e({}, 1), { cycle: 2, replyBy: at('2026-11-20T00:00+08:00') }), null);
  t.is(answerOnTime(e({}), { cycle: 1, replyBy: null }), null);
});

test('periodDates; substantiatedCases follow the date of occurrence', (t) => {
  t.deepEqual(periodDates(NOV), { firstDay: '2026-11-01', lastDay: '2026-11-30' });
  const cases: IntegrityCase[] = [
    { ticketId: '1', accusedDepartmentCode: 'TAX', occurredOn: '2026-11-01', finding: 'substantiated' },
    { ticketId: '2', accusedDepartmentCode: 'TAX', occurredOn: '2026-10-31', finding: 'substantiated' },
    { ticketId: '3', accusedDepartmentCode: 'TAX', occurredOn: '2026-11-30', finding: 'unsubstantiated' },
    { ticketId: '4', accusedDepartmentCode: 'HRSS', occurredOn: '2025-12-31', finding: 'substantiated' },
  ];
  t.is(substantiatedCases(cases, 'TAX', '2026-11-01', '2026-11-30'), 1);
  t.is(substantiatedCases(cases, 'TAX', '2026-01-01', '2026-12-31'), 2);
  t.is(substantiatedCases(cases, 'HRSS', '2026-11-01', '2026-11-30'), 0);
  t.is(substantiatedCases(cases, 'HRSS', '2025-12-01', '2026-01-31'), 1);
});

// ---------------------------------------------------------------------------
// computeDepartmentFigures: a month of TAX, HRSS and DIS
// ---------------------------------------------------------------------------

function scenario() {
  seq = 0;
  const tickets: MetricTicket[] = [];
  const events: MetricEvent[] = [];
  const pauses: MetricPause[] = [];
  // T1: TAX signs and replies on time, resolved, rated satisfied.
  tickets.push(ticket('t1', { receivedAt: at('2026-11-02T10:00+08:00') }));
  events.push(
    ev('t1', 'dispatched', '2026-11-02T10:00+08:00', { departmentCode: 'TAX' }),
    ev('t1', 'signed', '2026-11-02T15:00+08:00', { onTime: true }),
    ev('t1', 'replied', '2026-11-04T11:00+08:00', { outcome: 'resolved', onTime: true }),
    ev('t1', 'rated', '2026-11-05T11:00+08:00', { rating: 'satisfied' }),
  );
  // T2: TAX signs late, replies late, yellow card, very dissatisfied → cycle 2, not signed again and overdue now.
  tickets.push(
    ticket('t2', {
      receivedAt: at('2026-11-03T10:00+08:00'),
      state: 'dispatched',
      cycle: 2,
      cycleStartedAt: at('2026-11-12T09:00+08:00'),
      signBy: at('2026-11-14T00:00+08:00'),
      replyBy: at('2026-11-20T00:00+08:00'),
    }),
  );
  events.push(
    ev('t2', 'dispatched', '2026-11-03T10:00+08:00', { departmentCode: 'TAX' }),
    ev('t2', 'signed', '2026-11-05T10:00+08:00', { onTime: false }),
    ev('t2', 'escalated', '2026-11-10T00:00+08:00', { level: 2, reason: 'reply_overdue' }),
    ev('t2', 'replied', '2026-11-10T16:00+08:00', { outcome: 'explained', onTime: false }),
    ev('t2', 'rated', '2026-11-12T09:00+08:00', { rating: 'very_dissatisfied', reopened: true }),
    ev('t2', 'reopened', '2026-11-12T09:00+08:00', { cycle: 2, reason: 'bad_rating' }, 2),
  );
  // T3: TAX signs late, is reminded, returns it; HRSS signs, asks for information a day, replies resolved.
  tickets.push(ticket('t3', { receivedAt: at('2026-11-04T10:00+08:00'), state: 'replied', departmentCode: 'HRSS', replyBy: at('2026-11-12T00:00+08:00') }));
  events.push(
    ev('t3', 'dispatched', '2026-11-04T10:00+08:00', { departmentCode: 'TAX' }),
    ev('t3', 'escalated', '2026-11-06T00:00+08:00', { level: 1, reason: 'sign_overdue' }),
    ev('t3', 'signed', '2026-11-06T09:00+08:00', { onTime: false }),
    ev('t3', 'returned', '2026-11-06T10:00+08:00', { departmentCode: 'TAX' }),
    ev('t3', 'dispatched', '2026-11-06T11:00+08:00', { departmentCode: 'HRSS' }),
    ev('t3', 'signed', '2026-11-06T14:00+08:00', { onTime: true }),
    ev('t3', 'replied', '2026-11-11T10:00+08:00', { outcome: 'resolved' }),
  );
  pauses.push({ ticketId: 't3', cycle: 1, pausedAt: at('2026-11-09T10:00+08:00'), resumedAt: at('2026-11-10T09:00+08:00') });
  // T4: received before the period.
  tickets.push(ticket('t4', { receivedAt: at('2026-10-30T10:00+08:00') }));
  events.push(ev('t4', 'dispatched', '2026-10-30T10:00+08:00', { departmentCode: 'TAX' }), ev('t4', 'signed', '2026-11-02T10:00+08:00', { onTime: false }));
  // T5: open integrity report against TAX; T6 concluded substantiated.
  tickets.push(ticket('t5', { kind: 'integrity_report', state: 'in_progress', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }));
  events.push(ev('t5', 'dispatched', '2026-11-02T10:00+08:00', { departmentCode: 'DIS' }), ev('t5', 'signed', '2026-11-02T11:00+08:00', { onTime: true }));
  tickets.push(ticket('t6', { kind: 'integrity_report', state: 'replied', departmentCode: 'DIS', accusedDepartmentCode: 'TAX', replyBy: at('2026-11-24T00:00+08:00') }));
  events.push(
    ev('t6', 'dispatched', '2026-11-02T10:00+08:00', { departmentCode: 'DIS' }),
    ev('t6', 'signed', '2026-11-02T11:00+08:00', { onTime: true }),
    ev('t6', 'concluded', '2026-11-09T11:00+08:00', { finding: 'substantiated' }),
  );
  // T7: rejected after dispatch.
  tickets.push(ticket('t7', { state: 'rejected' }));
  events.push(ev('t7', 'dispatched', '2026-11-02T10:00+08:00', { departmentCode: 'TAX' }));
  // T8: TAX answers the same day; nobody rates (closed with rating none).
  tickets.push(ticket('t8', { receivedAt: at('2026-11-05T09:00+08:00') }));
  events.push(
    ev('t8', 'dispatched', '2026-11-05T09:00+08:00', { departmentCode: 'TAX' }),
    ev('t8', 'signed', '2026-11-05T09:30+08:00', { onTime: true }),
    ev('t8', 'replied', '2026-11-05T16:00+08:00', { outcome: 'explained', onTime: true }),
    ev('t8', 'rated', '2026-11-11T00:00+08:00', { rating: 'none' }),
  );
  const integrityCases: IntegrityCase[] = [{ ticketId: 't6', accusedDepartmentCode: 'TAX', occurredOn: '2026-11-01', finding: 'substantiated' }];
  return { tickets, events, pauses, integrityCases };
}

test('computeDepartmentFigures: exact figures for TAX, HRSS, DIS', (t) => {
  const s = scenario();
  const now = at('2026-12-10T09:00+08:00');
  const [tax, hrss, dis, com] = computeDepartmentFigures({
    ...s,
    departmentCodes: ['TAX', 'HRSS', 'DIS', 'COM'],
    period: NOV,
    now,
    cal,
    vetoed: new Set(['TAX']),
  });
  t.deepEqual(tax, {
    departmentCode: 'TAX',
    from: '2026-10-31T16:00:00.000Z',
    to: '2026-11-30T16:00:00.000Z',
    received: 3, // t1, t2, t8 (t3 went to HRSS, t4 before, t7 rejected)
    signedOnTime: { numerator: 2, denominator: 5, percent: 40 }, // t1, t8 on time; t2, t3 late; t2 cycle 2 still unsigned past signBy
    repliedOnTime: { numerator: 2, denominator: 4, percent: 50 }, // t1, t8; t2 late; t2 cycle 2 past replyBy
    resolved: { numerator: 1, denominator: 3, percent: 33.33 },
    satisfaction: { numerator: 1, denominator: 2, percent: 50 }, // `none` is not a rating
    reopenRate: { numerator: 1, denominator: 3, percent: 33.33 },
    overdueOpen: 1,
    oversightOrders: { level1: 1, level2: 1, level3: 0 },
    averageWorkingDaysToReply: '2.33', // t1 2 (Nov 3, 4), t2 5 (Nov 4, 5, 6, 9, 10), t8 0
    substantiatedIntegrityCases: 1,
    vetoed: true,
  });
  t.deepEqual(hrss, {
    departmentCode: 'HRSS',
    from: '2026-10-31T16:00:00.000Z',
    to: '2026-11-30T16:00:00.000Z',
    received: 1,
    signedOnTime: { numerator: 1, denominator: 1, percent: 100 },
    repliedOnTime: { numerator: 1, denominator: 1, percent: 100 }, // no flag recorded: 11-11 before the kept replyBy 11-12
    resolved: { numerator: 1, denominator: 1, percent: 100 },
    satisfaction: { numerator: 0, denominator: 0, percent: null },
    reopenRate: { numerator: 0, denominator: 1, percent: 0 },
    overdueOpen: 0,
    oversightOrders: { level1: 0, level2: 0, level3: 0 },
    averageWorkingDaysToReply: '4.00', // Nov 5, 6, 9, 10, 11 minus the pause (Nov 10)
    substantiatedIntegrityCases: 0,
    vetoed: false,
  });
  t.is(dis.received, 1); // only the concluded report
  t.deepEqual(dis.signedOnTime, { numerator: 1, denominator: 1, percent: 100 });
  t.deepEqual(dis.repliedOnTime, { numerator: 1, denominator: 1, percent: 100 });
  t.deepEqual(dis.resolved, { numerator: 0, denominator: 0, percent: null }); // a conclusion is not a reply with an outcome
  t.is(dis.averageWorkingDaysToReply, '5.00');
  t.is(com.received, 0);
  t.is(com.averageWorkingDaysToReply, null);
});

test('computeDepartmentFigures: a viewer of the accused department sees no trace of the report in DIS figures', (t) => {
  const s = scenario();
  const [dis, tax] = computeDepartmentFigures({
    ...s,
    departmentCodes: ['DIS', 'TAX'],
    period: NOV,
    now: at('2026-12-10T09:00+08:00'),
    cal,
    vetoed: new Set(['TAX']),
    hideAccusedOf: 'TAX',
  });
  t.is(dis.received, 0);
  t.deepEqual(dis.signedOnTime, { numerator: 0, denominator: 0, percent: null });
  t.deepEqual(dis.repliedOnTime, { numerator: 0, denominator: 0, percent: null });
  t.is(dis.averageWorkingDaysToReply, null);
  t.is(tax.substantiatedIntegrityCases, 1); // the number only (DESIGN §7)
  t.true(tax.vetoed);
});

test('computeDepartmentFigures: deadlines not yet passed are not missed', (t) => {
  const s = scenario();
  const [tax] = computeDepartmentFigures({ ...s, departmentCodes: ['TAX'], period: NOV, now: at('2026-11-13T09:00+08:00'), cal, vetoed: new Set() });
  t.deepEqual(tax.signedOnTime, { numerator: 2, denominator: 4, percent: 50 });
  t.deepEqual(tax.repliedOnTime, { numerator: 2, denominator: 3, percent: 66.67 });
  t.is(tax.overdueOpen, 0);
  t.false(tax.vetoed);
});

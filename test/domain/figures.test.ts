import test from 'ava';
import { WorkCalendar } from '../../src/domain/calendar';
import { startOfLocalDay } from '../../src/domain/deadline';
import { Bucket, bucketDeltas, figuresFromBuckets, liveOf, mergeDeltas, ticketBuckets, zeroCounts } from '../../src/domain/figures';
import { computeDepartmentFigures, type IntegrityCase, type MetricEvent, type MetricPause, type MetricTicket } from '../../src/domain/metrics';
import type { TicketKind, TicketState } from '../../src/domain/lifecycle';

const cal = new WorkCalendar();
const TZ = 'Asia/Shanghai';
const at = (s: string) => new Date(s);

const ticket = (id: string, over: Partial<MetricTicket> = {}): MetricTicket => ({
  id,
  kind: 'complaint',
  state: 'closed',
  departmentCode: 'TAX',
  accusedDepartmentCode: null,
  receivedAt: at('2026-11-02T09:00:00+08:00'),
  cycle: 1,
  cycleStartedAt: at('2026-11-02T09:00:00+08:00'),
  signBy: at('2026-11-04T00:00:00+08:00'),
  replyBy: at('2026-11-10T00:00:00+08:00'),
  ...over,
});
let seq = 0;
const ev = (ticketId: string, type: string, local: string, payload: Record<string, unknown> = {}, cycle = 1): MetricEvent => ({ ticketId, seq: ++seq, cycle, type, at: at(local), payload });

test('ticketBuckets: a ticket returned by TAX and answered by HRSS counts for both, on its day of receipt', (t) => {
  const x = ticket('x', { departmentCode: 'HRSS' });
  const events = [
    ev('x', 'dispatched', '2026-11-02T09:00:00+08:00', { departmentCode: 'TAX' }),
    ev('x', 'signed', '2026-11-02T10:00:00+08:00', { onTime: true }),
    ev('x', 'escalated', '2026-11-02T11:00:00+08:00', { level: 1 }),
    ev('x', 'returned', '2026-11-02T12:00:00+08:00'),
    ev('x', 'dispatched', '2026-11-02T13:00:00+08:00', { departmentCode: 'HRSS' }),
    ev('x', 'signed', '2026-11-05T10:00:00+08:00', { onTime: false }),
    ev('x', 'replied', '2026-11-06T10:00:00+08:00', { outcome: 'resolved', onTime: true }),
    ev('x', 'rated', '2026-11-07T10:00:00+08:00', { rating: 'satisfied' }),
  ];
  const b = ticketBuckets(x, events, [], cal, TZ);
  t.deepEqual(b, [
    {
      departmentCode: 'HRSS',
      day: '2026-11-02',
      accused: '',
      counts: { ...zeroCounts(), received: 1, signOwed: 1, replyOwed: 1, repliedOnTime: 1, replies: 1, resolved: 1, answers: 1, rated: 1, satisfied: 1, handlingDays: 4 },
    },
    { departmentCode: 'TAX', day: '2026-11-02', accused: '', counts: { ...zeroCounts(), signOwed: 1, signedOnTime: 1, level1: 1 } },
  ]);
  // a ticket received at 23:30 UTC on 1 Nov is Beijing's 2 Nov
  t.is(ticketBuckets(ticket('y', { receivedAt: at('2026-11-01T16:30:00Z') }), [], [], cal, TZ)[0].day, '2026-11-02');
  // rejected, merged and open integrity reports contribute nothing
  for (const over of [{ state: 'rejected' as const }, { state: 'merged' as const }, { kind: 'integrity_report' as const, state: 'in_progress' as const }]) {
    t.deepEqual(ticketBuckets(ticket('z', over), [], [], cal, TZ), []);
  }
  const concluded = ticketBuckets(ticket('r', { kind: 'integrity_report', state: 'replied', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }), [], [], cal, TZ);
  t.deepEqual(
    concluded.map((x) => [x.departmentCode, x.accused, x.counts.received]),
    [['DIS', 'TAX', 1]],
  );
});

test('bucketDeltas and mergeDeltas: the difference, zero changes left out, in key order', (t) => {
  const k = (departmentCode: string, counts: Partial<ReturnType<typeof zeroCounts>>): Bucket => ({ departmentCode, day: '2026-11-02', accused: '', counts: { ...zeroCounts(), ...counts } });
  t.deepEqual(bucketDeltas([k('TAX', { received: 1, signOwed: 1 })], [k('HRSS', { received: 1 }), k('TAX', { signOwed: 1 })]), [k('HRSS', { received: 1 }), k('TAX', { received: -1 })]);
  t.deepEqual(bucketDeltas([k('TAX', { received: 1 })], [k('TAX', { received: 1 })]), []);
  t.deepEqual(mergeDeltas([[k('TAX', { received: 1 })], [k('TAX', { received: -1 })], [k('AAA', { rated: 2 })]]), [k('AAA', { rated: 2 })]);
});

// ---------------------------------------------------------------------------
// The property: buckets + live part = the oracle, for random histories
// ---------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const DEPTS = ['TAX', 'HRSS', 'SAMR', 'DIS'];
const STATES: TicketState[] = ['registered', 'dispatched', 'in_progress', 'awaiting_info', 'replied', 'closed', 'rejected', 'merged', 'withdrawn'];
const KINDS: TicketKind[] = ['complaint', 'suggestion', 'objection', 'integrity_report'];
const TYPES = ['dispatched', 'returned', 'signed', 'replied', 'decided', 'concluded', 'rated', 'reopened', 'escalated', 'note'];
const RATINGS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied', 'none', 'bogus'];

function history(seed: number, n: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const base = at('2026-10-20T00:00:00+08:00').getTime();
  const hour = 3_600_000;
  const tickets: MetricTicket[] = [];
  const events: MetricEvent[] = [];
  const pauses: MetricPause[] = [];
  for (let i = 0; i < n; i++) {
    const id = `t${String(i).padStart(4, '0')}`;
    const received = new Date(base + Math.floor(r() * 40 * 24) * hour + Math.floor(r() * 60) * 60_000);
    const kind = pick(KINDS);
    const cycle = 1 + Math.floor(r() * 3);
    const t: MetricTicket = {
      id,
      kind,
      state: pick(STATES),
      departmentCode: r() < 0.15 ? null : pick(DEPTS),
      accusedDepartmentCode: kind === 'integrity_report' ? pick(DEPTS) : null,
      receivedAt: received,
      cycle,
      cycleStartedAt: new Date(received.getTime() + (cycle - 1) * 48 * hour),
      signBy: r() < 0.2 ? null : new Date(received.getTime() + Math.floor(r() * 200) * hour),
      replyBy: r() < 0.2 ? null : new Date(received.getTime() + Math.floor(r() * 600) * hour),
    };
    tickets.push(t);
    let when = received.getTime();
    for (let s = 1, m = Math.floor(r() * 9); s <= m; s++) {
      when += Math.floor(r() * 72) * hour;
      const type = pick(TYPES);
      const c = Math.min(cycle, 1 + Math.floor(((s - 1) / Math.max(1, m)) * cycle));
      const payload: Record<string, unknown> = {};
      if (type === 'dispatched') payload.departmentCode = pick(DEPTS);
      if (type === 'signed' || type === 'replied' || (type === 'decided' && r() < 0.5)) payload.onTime = r() < 0.6;
      if (type === 'replied') payload.outcome = pick(['resolved', 'explained', 'unresolvable']);
      if (type === 'rated') payload.rating = pick(RATINGS);
      if (type === 'escalated') payload.level = 1 + Math.floor(r() * 4);
      // a reopening follows an answer (the lifecycle's rule; the reopening rate's numerator never exceeds its denominator)
      if (type === 'reopened') events.push({ ticketId: id, seq: s * 10 - 1, cycle: c, type: 'replied', at: new Date(when - 60_000), payload: { outcome: 'explained' } });
      events.push({ ticketId: id, seq: s * 10, cycle: c, type, at: new Date(when), payload });
    }
    for (let p = 0, m = Math.floor(r() * 3); p < m; p++) {
      const from = received.getTime() + Math.floor(r() * 300) * hour;
      pauses.push({ ticketId: id, cycle: 1 + Math.floor(r() * cycle), pausedAt: new Date(from), resumedAt: r() < 0.3 ? null : new Date(from + Math.floor(r() * 100) * hour) });
    }
  }
  // the oracle is handed events in the order the database returns them: not sorted
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  return { tickets, events, pauses };
}

const CASES: IntegrityCase[] = [
  { ticketId: 'c1', accusedDepartmentCode: 'TAX', occurredOn: '2026-11-03', finding: 'substantiated' },
  { ticketId: 'c2', accusedDepartmentCode: 'TAX', occurredOn: '2026-10-03', finding: 'substantiated' },
  { ticketId: 'c3', accusedDepartmentCode: 'HRSS', occurredOn: '2026-11-05', finding: 'unsubstantiated' },
];
const PERIODS: [string, string][] = [
  ['2026-11-01', '2026-12-01'],
  ['2026-10-20', '2026-12-01'],
  ['2026-11-02', '2026-11-03'],
  ['2026-10-25', '2026-11-09'],
];

for (const seed of [1, 2, 3, 42, 2026]) {
  test(`buckets + live = computeDepartmentFigures, random history ${seed}`, (t) => {
    const { tickets, events, pauses } = history(seed, 300);
    const buckets = tickets.flatMap((x) =>
      ticketBuckets(
        x,
        events.filter((e) => e.ticketId === x.id),
        pauses.filter((p) => p.ticketId === x.id),
        cal,
        TZ,
      ),
    );
    for (const [a, b] of PERIODS) {
      const period = { from: startOfLocalDay(a, TZ), to: startOfLocalDay(b, TZ) };
      for (const now of [at('2026-11-04T12:00:00+08:00'), at('2026-12-20T00:00:00+08:00')]) {
        for (const hide of [null, 'TAX', 'DIS']) {
          const oracle = computeDepartmentFigures({
            departmentCodes: DEPTS,
            period,
            now,
            cal,
            tz: TZ,
            tickets,
            events,
            pauses,
            integrityCases: CASES,
            vetoed: new Set(['SAMR']),
            hideAccusedOf: hide,
          });
          const inPeriod = buckets.filter((x) => x.day >= a && x.day < b);
          const live = tickets.map((x) => liveOf(x, period, now)).filter((x) => x !== null);
          const mine = figuresFromBuckets({ departmentCodes: DEPTS, period, buckets: inPeriod, live, integrityCases: CASES, vetoed: new Set(['SAMR']), hideAccusedOf: hide, tz: TZ });
          t.deepEqual(mine, oracle, `${a}..${b} now ${now.toISOString()} hide ${hide}`);
        }
      }
    }
    t.true(buckets.length > 100); // the history is not trivially empty
  });
}

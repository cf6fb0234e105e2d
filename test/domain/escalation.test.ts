import test from 'ava';
import { ClockPlan, LadderInput, LadderOrder, escalationTarget, manualEscalationRefusal, planClock } from '../../src/domain/escalation';

// A normal complaint received Mon 2026-11-02 09:00 +08:00 (DESIGN §4 rule):
// sign-for 1 working day → Wed Nov 4 00:00; reply 5 → Tue Nov 10 00:00; N+5 = 10 → Tue Nov 17 00:00.
const D = (s: string) => new Date(s);
const base = {
  dispatchBy: null,
  signBy: D('2026-11-03T16:00:00Z'),
  replyBy: D('2026-11-09T16:00:00Z'),
  redBy: D('2026-11-16T16:00:00Z'),
  rateBy: null,
  infoWaitBy: null,
  dueSoonAt: D('2026-11-02T16:00:00Z'),
};
const complaint = { kind: 'complaint' as const, state: 'dispatched' as const, cycle: 1, departmentCode: 'TAX', accusedDepartmentCode: null };

type Over = Partial<Omit<LadderInput, 'ticket' | 'deadlines'>> & { ticket?: Partial<LadderInput['ticket']>; deadlines?: Partial<LadderInput['deadlines']> };
function input(over: Over): LadderInput {
  return {
    firedLevels: [],
    orders: [],
    dueSoonSent: [],
    now: D('2026-11-02T01:00:00Z'),
    ...over,
    ticket: { ...complaint, ...over.ticket },
    deadlines: { ...base, ...over.deadlines },
  };
}
const brief = (p: ClockPlan) => ({
  steps: p.steps.map((s) =>
    s.step === 'escalate'
      ? `L${s.level} ${s.reason} → ${s.target} @${s.triggeredAt.toISOString()}`
      : s.step === 'system'
        ? `${s.action} @${s.dueAt.toISOString()}`
        : s.step === 'due_soon'
          ? `due_soon ${s.deadline} ${s.dueAt.toISOString()}`
          : `late ${s.orderId}`,
  ),
  timers: p.timers.map((t) => `${t.kind} ${t.dueAt.toISOString()}`),
  next: p.nextCheckAt?.toISOString() ?? null,
});

const order = (o: Partial<LadderOrder>): LadderOrder => ({ id: 'o1', cycle: 1, level: 2, state: 'open', respondBy: D('2026-11-11T16:00:00Z'), lateAt: null, ...o });

const cases: [string, LadderInput, ReturnType<typeof brief>][] = [
  [
    'fresh dispatched ticket: nothing due; timers for due soon, sign, reply, red',
    input({}),
    {
      steps: [],
      timers: ['due_soon 2026-11-02T16:00:00.000Z', 'sign 2026-11-03T16:00:00.000Z', 'reply 2026-11-09T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-02T16:00:00.000Z',
    },
  ],
  [
    'due soon on the last working day before sign-for',
    input({ now: D('2026-11-03T01:00:00Z') }),
    {
      steps: ['due_soon sign 2026-11-03T16:00:00.000Z'],
      timers: ['sign 2026-11-03T16:00:00.000Z', 'reply 2026-11-09T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-03T16:00:00.000Z',
    },
  ],
  [
    'due soon already sent for that instant: not again',
    input({ now: D('2026-11-03T01:00:00Z'), dueSoonSent: [{ deadline: 'sign', dueAt: D('2026-11-03T16:00:00Z') }] }),
    {
      steps: [],
      timers: ['sign 2026-11-03T16:00:00.000Z', 'reply 2026-11-09T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-03T16:00:00.000Z',
    },
  ],
  [
    'sign-for late: level 1 to the department head, exactly at the deadline',
    input({ now: D('2026-11-03T16:00:00Z') }),
    {
      steps: ['L1 sign_late → department_head @2026-11-03T16:00:00.000Z'],
      timers: ['reply 2026-11-09T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-09T16:00:00.000Z',
    },
  ],
  [
    'registered, not dispatched within 1 working day: level 1 to the coordinator office',
    input({
      ticket: { state: 'registered', departmentCode: null },
      deadlines: { dispatchBy: D('2026-11-03T16:00:00Z'), signBy: null },
      now: D('2026-11-04T00:00:00Z'),
    }),
    { steps: ['L1 dispatch_late → coordinator_office @2026-11-03T16:00:00.000Z'], timers: ['reply 2026-11-09T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'], next: '2026-11-09T16:00:00.000Z' },
  ],
  [
    'late-recorded call past every trigger: climbs 1, 2, 3 in order in one plan',
    input({ now: D('2026-11-20T00:00:00Z') }),
    {
      steps: ['L1 sign_late → department_head @2026-11-03T16:00:00.000Z', 'L2 reply_late → department @2026-11-09T16:00:00.000Z', 'L3 reply_missing → supervisors @2026-11-16T16:00:00.000Z'],
      timers: [],
      next: null,
    },
  ],
  [
    'signed ticket past the reply deadline: level 2 only (sign-for was met)',
    input({ ticket: { state: 'in_progress' }, firedLevels: [], now: D('2026-11-10T00:00:00Z') }),
    {
      steps: ['L2 reply_late → department @2026-11-09T16:00:00.000Z'],
      timers: ['red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-16T16:00:00.000Z',
    },
  ],
  [
    'levels already fired are not repeated; the open order is watched',
    input({ ticket: { state: 'in_progress' }, firedLevels: [1, 2], orders: [order({})], now: D('2026-11-10T00:00:00Z') }),
    {
      steps: [],
      timers: ['oversight:o1 2026-11-11T16:00:00.000Z', 'red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-11T16:00:00.000Z',
    },
  ],
  [
    'level-2 order of this cycle unanswered past its deadline: level 3 and the order marked late',
    input({ ticket: { state: 'in_progress' }, firedLevels: [1, 2], orders: [order({})], now: D('2026-11-12T00:00:00Z') }),
    {
      steps: ['L3 oversight_late → supervisors @2026-11-11T16:00:00.000Z', 'late o1'],
      timers: [],
      next: null,
    },
  ],
  [
    'an answered order is not late',
    input({ ticket: { state: 'in_progress' }, firedLevels: [2], orders: [order({ state: 'responded' })], now: D('2026-11-12T00:00:00Z') }),
    {
      steps: [],
      timers: ['red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-16T16:00:00.000Z',
    },
  ],
  [
    'the ladder only climbs: after a manual level 2, a late sign-for raises nothing and reply-late is not armed',
    input({ firedLevels: [2], now: D('2026-11-04T00:00:00Z') }),
    {
      steps: [],
      timers: ['red 2026-11-16T16:00:00.000Z'],
      next: '2026-11-16T16:00:00.000Z',
    },
  ],
  [
    'integrity report: straight to the supervisors (level 3) on its first trigger, once',
    input({ ticket: { kind: 'integrity_report', departmentCode: 'DIS', accusedDepartmentCode: 'TAX' }, now: D('2026-11-10T00:00:00Z') }),
    {
      steps: ['L3 sign_late → supervisors @2026-11-03T16:00:00.000Z'],
      timers: [],
      next: null,
    },
  ],
  [
    'integrity report accusing DIS: handled outside the district, no clock',
    input({ ticket: { kind: 'integrity_report', departmentCode: null, accusedDepartmentCode: 'DIS', state: 'registered' }, now: D('2026-11-20T00:00:00Z') }),
    {
      steps: [],
      timers: [],
      next: null,
    },
  ],
  [
    'awaiting information: the reply clock is paused; after 5 working days the system resumes it',
    input({
      ticket: { state: 'awaiting_info' },
      deadlines: { infoWaitBy: D('2026-11-10T16:00:00Z') },
      now: D('2026-11-11T00:00:00Z'),
    }),
    { steps: ['info-timeout @2026-11-10T16:00:00.000Z'], timers: [], next: null },
  ],
  [
    'awaiting information, wait not over: only the info timer',
    input({ ticket: { state: 'awaiting_info' }, deadlines: { infoWaitBy: D('2026-11-10T16:00:00Z') }, now: D('2026-11-05T00:00:00Z') }),
    {
      steps: [],
      timers: ['info_wait 2026-11-10T16:00:00.000Z'],
      next: '2026-11-10T16:00:00.000Z',
    },
  ],
  [
    'replied and unrated past the window: rating-timeout after the late order of the cycle',
    input({
      ticket: { state: 'replied' },
      firedLevels: [2],
      orders: [order({})],
      deadlines: { rateBy: D('2026-11-12T16:00:00Z') },
      now: D('2026-11-13T00:00:00Z'),
    }),
    { steps: ['L3 oversight_late → supervisors @2026-11-11T16:00:00.000Z', 'late o1', 'rating-timeout @2026-11-12T16:00:00.000Z'], timers: [], next: null },
  ],
  [
    'new cycle after a bad rating: old breaches do not fire; an old open order is only marked late',
    input({
      ticket: { cycle: 2 },
      firedLevels: [],
      orders: [order({ cycle: 1, respondBy: D('2026-11-05T16:00:00Z') })],
      deadlines: { signBy: D('2026-11-10T16:00:00Z'), replyBy: D('2026-11-16T16:00:00Z'), redBy: D('2026-11-23T16:00:00Z'), dueSoonAt: D('2026-11-09T16:00:00Z') },
      now: D('2026-11-06T00:00:00Z'),
    }),
    {
      steps: ['late o1'],
      timers: ['due_soon 2026-11-09T16:00:00.000Z', 'sign 2026-11-10T16:00:00.000Z', 'reply 2026-11-16T16:00:00.000Z', 'red 2026-11-23T16:00:00.000Z'],
      next: '2026-11-09T16:00:00.000Z',
    },
  ],
  [
    'closed ticket: nothing but the lateness of an order still open',
    input({ ticket: { state: 'closed' }, orders: [order({})], now: D('2026-11-12T00:00:00Z') }),
    {
      steps: ['late o1'],
      timers: [],
      next: null,
    },
  ],
];

for (const [title, inp, want] of cases) {
  test(title, (t) => {
    t.deepEqual(brief(planClock(inp)), want);
  });
}

test('escalationTarget: who each level reaches (DESIGN §5)', (t) => {
  const c = { kind: 'complaint' as const, state: 'dispatched' as const, departmentCode: 'TAX' };
  t.deepEqual(
    [1, 2, 3].map((l) => escalationTarget(c, l as 1 | 2 | 3)),
    ['department_head', 'department', 'supervisors'],
  );
  const r = { kind: 'complaint' as const, state: 'registered' as const, departmentCode: null };
  t.deepEqual(
    [1, 2, 3].map((l) => escalationTarget(r, l as 1 | 2 | 3)),
    ['coordinator_office', 'coordinator_office', 'supervisors'],
  );
  t.is(escalationTarget({ kind: 'integrity_report', state: 'dispatched', departmentCode: 'DIS' }, 1), 'supervisors');
});

test('manual escalation: each level once per cycle, only upwards; integrity reports level 3 only', (t) => {
  t.is(manualEscalationRefusal('complaint', 2, []), null);
  t.is(manualEscalationRefusal('complaint', 2, [1]), null);
  t.is(manualEscalationRefusal('complaint', 2, [2]), 'already');
  t.is(manualEscalationRefusal('complaint', 2, [3]), 'already');
  t.is(manualEscalationRefusal('complaint', 3, [1, 2]), null);
  t.is(manualEscalationRefusal('integrity_report', 2, []), 'integrity_level_3_only');
  t.is(manualEscalationRefusal('integrity_report', 3, []), null);
});

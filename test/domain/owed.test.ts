/**
 * The deadline-owed rule (DESIGN §4, `domain/owed.ts`) in its pure uses: which deadline each
 * state owes, the earliest of them, overdue and due soon.
 */
import test from 'ava';
import { earliestOwedDeadline, isDueSoon, isOverdue, OWED_IN_STATE, OWING_STATES, statesOwing } from '../../src/domain/owed';
import { STATES } from '../../src/domain/lifecycle';

const D = (s: string) => new Date(s);

test('earliestOwedDeadline follows the state (ties: the routing deadline first)', (t) => {
  const d = { dispatchBy: D('2026-11-03T16:00:00Z'), signBy: D('2026-11-03T16:00:00Z'), replyBy: D('2026-11-03T16:00:00Z') };
  t.is(earliestOwedDeadline({ state: 'registered', ...d })?.deadline, 'dispatch');
  t.is(earliestOwedDeadline({ state: 'dispatched', ...d })?.deadline, 'sign');
  t.is(earliestOwedDeadline({ state: 'in_progress', ...d })?.deadline, 'reply');
  t.is(earliestOwedDeadline({ state: 'replied', ...d }), null);
  t.is(earliestOwedDeadline({ state: 'registered', dispatchBy: D('2026-11-05T16:00:00Z'), signBy: null, replyBy: D('2026-11-04T16:00:00Z') })?.deadline, 'reply');
});

test('the table covers every state; only the states before the reply owe anything, awaiting_info pauses', (t) => {
  t.deepEqual(Object.keys(OWED_IN_STATE).sort(), [...STATES].sort());
  t.deepEqual([...OWING_STATES], ['registered', 'dispatched', 'in_progress']);
  t.deepEqual(statesOwing('dispatch'), ['registered']);
  t.deepEqual(statesOwing('sign'), ['dispatched']);
  t.deepEqual(statesOwing('reply'), ['registered', 'dispatched', 'in_progress']);
});

test('overdue from the deadline on (≤ now), due soon before it; a stale deadline of another state does not count', (t) => {
  const now = D('2026-11-10T02:00:00Z');
  const at = (x: string | null) => (x ? D(x) : null);
  const f = (state: any, dispatchBy: string | null, signBy: string | null, replyBy: string | null, dueSoonAt: string | null = null) => ({
    state,
    dispatchBy: at(dispatchBy),
    signBy: at(signBy),
    replyBy: at(replyBy),
    dueSoonAt: at(dueSoonAt),
  });
  t.true(isOverdue(f('dispatched', null, '2026-11-10T02:00:00Z', '2026-11-20T00:00:00Z'), now), 'exactly at the deadline');
  t.false(isOverdue(f('dispatched', null, '2026-11-10T02:00:00.001Z', '2026-11-20T00:00:00Z'), now));
  t.false(isOverdue(f('in_progress', null, '2026-11-01T00:00:00Z', '2026-11-20T00:00:00Z'), now), 'a signed ticket keeps its old signBy');
  t.false(isOverdue(f('awaiting_info', null, null, '2026-11-01T00:00:00Z'), now), 'paused');
  t.true(isDueSoon(f('in_progress', null, null, '2026-11-11T00:00:00Z', '2026-11-10T00:00:00Z'), now));
  t.false(isDueSoon(f('in_progress', null, null, '2026-11-10T00:00:00Z', '2026-11-09T00:00:00Z'), now), 'overdue is not due soon');
  t.false(isDueSoon(f('replied', null, null, '2026-11-11T00:00:00Z', '2026-11-10T00:00:00Z'), now));
});

/** The merge rules of issue 13 items 1 and 2 (src/domain/merge.ts), table-tested. */
import test from 'ava';
import { STATES, TicketState } from '../../src/domain/lifecycle';
import { mergeRefusal, releasesMerged, unmergeReason } from '../../src/domain/merge';

const EXPECTED: Record<TicketState, ReturnType<typeof mergeRefusal>> = {
  registered: null,
  dispatched: null,
  in_progress: null,
  awaiting_info: null,
  replied: null,
  closed: 'not_open',
  rejected: 'not_open',
  withdrawn: 'not_open',
  merged: 'merged',
};
for (const state of STATES) {
  test(`merge into a ${state} primary`, (t) => {
    t.is(mergeRefusal({ id: 'a' }, { id: 'b', kind: 'complaint', state }), EXPECTED[state]);
    t.is(releasesMerged(state), state === 'withdrawn' || state === 'rejected');
  });
}
test('merge refusals that do not depend on the state', (t) => {
  t.is(mergeRefusal({ id: 'a' }, { id: 'a', kind: 'complaint', state: 'dispatched' }), 'self');
  t.is(mergeRefusal({ id: 'a' }, null), 'unknown');
  t.is(mergeRefusal({ id: 'a' }, { id: 'b', kind: 'integrity_report', state: 'dispatched' }), 'unknown');
  t.deepEqual([unmergeReason('withdrawn'), unmergeReason('rejected')], ['primary_withdrawn', 'primary_rejected']);
});

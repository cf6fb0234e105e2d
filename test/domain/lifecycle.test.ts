/**
 * The transition table of DESIGN §3 and the visibility rules of §1 and §7, table-tested:
 * every state × every action × every kind of actor, against an expectation written here
 * independently of src/domain/lifecycle.ts (who may do what from which state).
 */
import test from 'ava';
import {
  ACTIONS,
  Action,
  Actor,
  RATINGS,
  STATES,
  TicketFacts,
  TicketKind,
  TicketState,
  allowedActions,
  callbackRatingRefusal,
  canSeeReporterIdentity,
  canView,
  decide,
  decideSystem,
  mayRevealContact,
  mayShowAccessCode,
} from '../../src/domain/lifecycle';

const OPEN: TicketState[] = ['registered', 'dispatched', 'in_progress', 'awaiting_info', 'replied'];
const BEFORE_REPLY: TicketState[] = ['registered', 'dispatched', 'in_progress', 'awaiting_info'];
const ALL: TicketState[] = [...STATES];

const u = (userId: string, role: string, departmentCode: string | null, isHead = false): Actor => ({ kind: 'user', userId, role, departmentCode, isHead }) as Actor;

/** The cast. The ticket is `t-1`, submitted by `owner-1`. */
const A = {
  submitter: u('owner-1', 'owner', null),
  otherOwner: u('owner-2', 'owner', null),
  accessCode: { kind: 'access_code', ticketId: 't-1' } as Actor,
  otherAccessCode: { kind: 'access_code', ticketId: 't-2' } as Actor,
  intake: u('intake-1', 'intake', 'SAMR'),
  handler: u('tax-1', 'handler', 'TAX'),
  head: u('tax-head', 'handler', 'TAX', true),
  otherHandler: u('hrss-1', 'handler', 'HRSS'),
  samrHandler: u('samr-1', 'handler', 'SAMR'),
  disHandler: u('dis-1', 'handler', 'DIS'),
  coordinator: u('coord-1', 'coordinator', 'SAMR'),
  supervisor: u('sup-1', 'supervisor', 'DIS'),
  admin: u('admin', 'admin', null),
  anonymous: { kind: 'anonymous' } as Actor,
  system: { kind: 'system' } as Actor,
};
type ActorName = keyof typeof A;

/** What an actor may do: action → the states it may do it from. Absent = never (403). */
type Rights = Partial<Record<Action, TicketState[]>>;
interface Expectation {
  /** who sees the ticket in a given state (the rest get not_visible → 404) */
  visible: (state: TicketState) => boolean;
  rights: Rights;
  /** actions refused with a specific code (403 with that code instead of `forbidden`) */
  refused?: Partial<Record<Action, string>>;
}

const nothing: Expectation = { visible: () => false, rights: {} };
const readOnly: Expectation = { visible: () => true, rights: {} };

// The department of a test ticket: none while `registered` (before dispatch or after a return).
const deptFor = (state: TicketState, dept: string) => (state === 'registered' ? null : dept);

/** Complaints and suggestions routed to TAX (DESIGN §1, §3). */
function complaintTable(): Record<ActorName, Expectation> {
  const submitterRights: Rights = { supplement: ['awaiting_info'], rate: ['replied'], withdraw: BEFORE_REPLY };
  const handling: Expectation = {
    // the ticket's department sees it; a returned (registered) ticket has no department
    visible: (s) => s !== 'registered',
    rights: { sign: ['dispatched'], return: ['dispatched', 'in_progress'], 'request-info': ['in_progress'], 'request-extension': ['in_progress'], reply: ['in_progress'], note: ALL },
  };
  return {
    submitter: { visible: () => true, rights: submitterRights },
    otherOwner: nothing,
    accessCode: { visible: () => true, rights: { supplement: ['awaiting_info'], rate: ['replied'] } },
    otherAccessCode: nothing,
    // the table's ticket was filed by a signed-in owner: no callback rating (issue 13 item 8)
    intake: { visible: () => true, rights: { supplement: ['awaiting_info'], note: ALL }, refused: { rate: 'callback-owner-account' } },
    handler: handling,
    head: handling,
    otherHandler: nothing,
    samrHandler: nothing,
    disHandler: nothing,
    coordinator: {
      visible: () => true,
      rights: {
        dispatch: ['registered', 'dispatched'],
        'decide-extension': ['in_progress', 'awaiting_info'],
        reject: ['registered', 'dispatched'],
        merge: OPEN,
        reopen: ['closed'],
        close: ['replied'],
        note: ALL,
        escalate: OPEN,
      },
    },
    supervisor: { visible: () => true, rights: { note: ALL, escalate: OPEN } },
    admin: readOnly,
    anonymous: nothing,
    system: readOnly,
  };
}

/** Objections handled by the notice's department (TAX here): `decide` instead of `reply` (§6). */
function objectionTable(): Record<ActorName, Expectation> {
  const t = complaintTable();
  const { reply: _reply, ...rest } = t.handler.rights;
  const handling = { visible: t.handler.visible, rights: { ...rest, decide: ['in_progress'] as TicketState[] } };
  return { ...t, handler: handling, head: handling };
}

/** An integrity report accusing HRSS, handled by DIS (§7). */
function integrityTable(): Record<ActorName, Expectation> {
  return {
    submitter: { visible: () => true, rights: { supplement: ['awaiting_info'], rate: ['replied'], withdraw: BEFORE_REPLY } },
    otherOwner: nothing,
    accessCode: { visible: () => true, rights: { supplement: ['awaiting_info'], rate: ['replied'] } },
    otherAccessCode: nothing,
    intake: nothing, // intake never reads integrity reports
    handler: nothing, // TAX: neither accused nor handling
    head: nothing,
    otherHandler: nothing, // HRSS: the accused department
    samrHandler: nothing,
    disHandler: {
      visible: (s) => s !== 'registered',
      rights: { sign: ['dispatched'], 'request-info': ['in_progress'], 'request-extension': ['in_progress'], note: ALL },
    },
    coordinator: { visible: () => true, rights: { note: ALL, escalate: OPEN } },
    supervisor: {
      visible: () => true,
      rights: {
        dispatch: ['registered', 'dispatched'],
        sign: ['dispatched'],
        'request-info': ['in_progress'],
        'request-extension': ['in_progress'],
        'decide-extension': ['in_progress', 'awaiting_info'],
        reject: ['registered', 'dispatched'],
        reopen: ['closed'],
        close: ['replied'],
        note: ALL,
        escalate: OPEN,
        conclude: ['in_progress'],
      },
    },
    admin: readOnly,
    anonymous: nothing,
    system: readOnly,
  };
}

interface Scenario {
  name: string;
  kind: TicketKind;
  dept: string;
  accused: string | null;
  table: Record<ActorName, Expectation>;
}
const SCENARIOS: Scenario[] = [
  { name: 'complaint', kind: 'complaint', dept: 'TAX', accused: null, table: complaintTable() },
  { name: 'suggestion', kind: 'suggestion', dept: 'TAX', accused: null, table: complaintTable() },
  { name: 'objection', kind: 'objection', dept: 'TAX', accused: null, table: objectionTable() },
  { name: 'integrity report accusing HRSS', kind: 'integrity_report', dept: 'DIS', accused: 'HRSS', table: integrityTable() },
];

const facts = (kind: TicketKind, state: TicketState, dept: string, accused: string | null, submitterId: string | null = 'owner-1'): TicketFacts => ({
  id: 't-1',
  kind,
  state,
  departmentCode: deptFor(state, dept),
  submitterId,
  accusedDepartmentCode: accused,
});

const expectedAllowed = (e: Expectation, state: TicketState): Action[] => (e.visible(state) ? ACTIONS.filter((a) => e.rights[a]?.includes(state)) : []);

const NEXT: Partial<Record<Action, TicketState>> = {
  dispatch: 'dispatched',
  sign: 'in_progress',
  return: 'registered',
  'request-info': 'awaiting_info',
  supplement: 'in_progress',
  reply: 'replied',
  reject: 'rejected',
  withdraw: 'withdrawn',
  merge: 'merged',
  reopen: 'dispatched',
  close: 'closed',
  conclude: 'replied',
  decide: 'replied',
};
const SAME: Action[] = ['request-extension', 'decide-extension', 'note', 'escalate'];

const row = test.macro({
  exec(t, sc: Scenario, state: TicketState, who: ActorName) {
    const e = sc.table[who];
    const tf = facts(sc.kind, state, sc.dept, sc.accused);
    const actor = A[who];
    const allowed = expectedAllowed(e, state);
    t.is(canView(tf, actor), e.visible(state), 'canView');
    t.deepEqual(allowedActions(tf, actor), allowed, 'allowedActions');
    for (const action of ACTIONS) {
      const got = decide(tf, action, actor);
      if (!e.visible(state)) {
        t.deepEqual(got, { ok: false, reason: 'not_visible', allowed: [] }, action);
      } else if (!e.rights[action]) {
        const code = e.refused?.[action];
        t.deepEqual(got, { ok: false, reason: 'forbidden', allowed, ...(code ? { code } : {}) }, action);
      } else if (!e.rights[action]!.includes(state)) {
        t.deepEqual(got, { ok: false, reason: 'illegal_state', allowed }, action);
      } else if (action === 'rate') {
        for (const rating of RATINGS) {
          const bad = rating === 'dissatisfied' || rating === 'very_dissatisfied';
          t.deepEqual(decide(tf, 'rate', actor, { rating }), { ok: true, to: bad ? 'dispatched' : 'closed' }, `rate ${rating}`);
        }
      } else {
        t.deepEqual(got, { ok: true, to: SAME.includes(action) ? state : NEXT[action]! }, action);
      }
    }
  },
  title: (_p, sc: Scenario, state: TicketState, who: ActorName) => `${sc.name} · ${state} · ${who}`,
});

for (const sc of SCENARIOS) {
  for (const state of STATES) {
    for (const who of Object.keys(A) as ActorName[]) test(row, sc, state, who);
  }
}

// ---------------------------------------------------------------------------
// Integrity reports: the accused never see them, whatever their role (§1, §7)
// ---------------------------------------------------------------------------

const accusedBlind = test.macro({
  exec(t, accused: string, who: Actor, state: TicketState) {
    const tf = facts('integrity_report', state, 'DIS', accused, null);
    t.false(canView(tf, who));
    t.deepEqual(allowedActions(tf, who), []);
    for (const action of ACTIONS) t.deepEqual(decide(tf, action, who), { ok: false, reason: 'not_visible', allowed: [] }, action);
    t.false(canSeeReporterIdentity(tf, who));
  },
  title: (_p, accused: string, who: Actor, state: TicketState) =>
    `integrity report accusing ${accused} (${state}) is invisible to ${who.kind === 'user' ? `${who.userId} (${who.role} of ${who.departmentCode ?? '—'})` : who.kind}`,
});

for (const state of ['dispatched', 'in_progress', 'replied', 'closed'] as TicketState[]) {
  // SAMR accused: the coordinator office and intake (both SAMR) lose sight of it, as do SAMR handlers.
  for (const who of [A.coordinator, A.intake, A.samrHandler, u('samr-head', 'handler', 'SAMR', true)]) test(accusedBlind, 'SAMR', who, state);
  // TAX accused: every TAX user, including an admin account that belongs to TAX.
  for (const who of [A.handler, A.head, u('tax-admin', 'admin', 'TAX'), u('tax-intake', 'intake', 'TAX'), u('tax-coord', 'coordinator', 'TAX')]) test(accusedBlind, 'TAX', who, state);
}
// DIS accused: no district user at all sees it (it goes to the higher commission).
for (const state of ['registered', 'dispatched', 'closed'] as TicketState[]) {
  for (const who of [A.supervisor, A.disHandler, u('sup-head', 'supervisor', 'DIS', true), A.coordinator, A.intake, A.admin, A.handler, A.head, A.otherHandler, A.samrHandler]) {
    test(accusedBlind, 'DIS', who, state);
  }
}

test('the access code on the receipt: never to a filer of the accused department', (t) => {
  const report = (accused: string) => ({ kind: 'integrity_report' as const, accusedDepartmentCode: accused });
  const rows: [Actor, { kind: TicketKind; accusedDepartmentCode: string | null }, boolean][] = [
    [A.intake, report('SAMR'), false], // SAMR intake, SAMR accused
    [u('tax-intake', 'intake', 'TAX'), report('TAX'), false],
    [A.coordinator, report('SAMR'), false],
    [A.intake, report('TAX'), true],
    [A.coordinator, report('DIS'), true],
    [{ kind: 'anonymous' }, report('SAMR'), true], // the reporter themselves, on the web
    [A.intake, { kind: 'complaint', accusedDepartmentCode: null }, true],
    [u('tax-intake', 'intake', 'TAX'), { kind: 'complaint', accusedDepartmentCode: null }, true],
  ];
  for (const [who, ticket, expected] of rows) t.is(mayShowAccessCode(who, ticket), expected, `${who.kind === 'user' ? who.userId : who.kind} → ${ticket.kind} ${ticket.accusedDepartmentCode ?? ''}`);
});

test('integrity report accusing DIS: still visible to its own submitter, its access code and the system', (t) => {
  const tf = facts('integrity_report', 'registered', 'DIS', 'DIS');
  t.true(canView(tf, A.submitter));
  t.true(canView(tf, A.accessCode));
  t.true(canView(tf, A.system));
  t.deepEqual(allowedActions(tf, A.submitter), ['withdraw']);
  t.deepEqual(allowedActions(tf, A.accessCode), []);
});

// ---------------------------------------------------------------------------
// Reporter identity (§7): only supervisors, never the accused
// ---------------------------------------------------------------------------

const identity = test.macro({
  exec(t, kind: TicketKind, accused: string | null, who: ActorName, expected: boolean) {
    t.is(canSeeReporterIdentity(facts(kind, 'in_progress', kind === 'integrity_report' ? 'DIS' : 'TAX', accused), A[who]), expected);
  },
  title: (_p, kind: TicketKind, accused: string | null, who: ActorName, expected: boolean) => `canSeeReporterIdentity ${kind}${accused ? ` accusing ${accused}` : ''} · ${who} → ${expected}`,
});
for (const who of ['supervisor'] as ActorName[]) test(identity, 'integrity_report', 'HRSS', who, true);
for (const who of ['coordinator', 'admin', 'disHandler', 'intake', 'handler', 'otherHandler', 'accessCode', 'anonymous', 'system', 'otherOwner'] as ActorName[]) {
  test(identity, 'integrity_report', 'HRSS', who, false);
}
test(identity, 'integrity_report', 'DIS', 'supervisor', false);
// Complaints have no secret reporter: the presenter masks phone numbers per role instead.
for (const who of ['supervisor', 'coordinator', 'admin', 'handler', 'intake', 'submitter'] as ActorName[]) test(identity, 'complaint', null, who, true);

// ---------------------------------------------------------------------------
// allowedActions: a few rows spelled out
// ---------------------------------------------------------------------------

test('allowedActions: the coordinator on a registered complaint', (t) => {
  t.deepEqual(allowedActions(facts('complaint', 'registered', 'TAX', null), A.coordinator), ['dispatch', 'reject', 'merge', 'note', 'escalate']);
});
test('allowedActions: the handler on a signed complaint', (t) => {
  t.deepEqual(allowedActions(facts('complaint', 'in_progress', 'TAX', null), A.handler), ['return', 'request-info', 'request-extension', 'reply', 'note']);
});
test('allowedActions: the owner on a replied complaint may only rate; after closure nothing', (t) => {
  t.deepEqual(allowedActions(facts('complaint', 'replied', 'TAX', null), A.submitter), ['rate']);
  t.deepEqual(allowedActions(facts('complaint', 'closed', 'TAX', null), A.submitter), []);
});
test('allowedActions: terminal side exits allow only notes to staff', (t) => {
  for (const s of ['rejected', 'withdrawn', 'merged'] as TicketState[]) {
    t.deepEqual(allowedActions(facts('complaint', s, 'TAX', null), A.coordinator), ['note'], s);
    t.deepEqual(allowedActions(facts('complaint', s, 'TAX', null), A.submitter), [], s);
  }
});
test('an anonymous complaint (no submitter account) is never the business of any owner account', (t) => {
  const tf = facts('complaint', 'awaiting_info', 'TAX', null, null);
  t.false(canView(tf, A.submitter));
  t.deepEqual(decide(tf, 'supplement', A.accessCode), { ok: true, to: 'in_progress' });
});
test('access code holders cannot withdraw (only signed-in owners do, DESIGN §1)', (t) => {
  t.deepEqual(decide(facts('complaint', 'dispatched', 'TAX', null), 'withdraw', A.accessCode), { ok: false, reason: 'forbidden', allowed: [] });
});

// ---------------------------------------------------------------------------
// System transitions (§3)
// ---------------------------------------------------------------------------

for (const state of STATES) {
  test(`decideSystem in ${state}`, (t) => {
    t.is(decideSystem({ state }, 'info-timeout'), state === 'awaiting_info' ? 'in_progress' : null);
    t.is(decideSystem({ state }, 'rating-timeout'), state === 'replied' ? 'closed' : null);
  });
}

// ---------------------------------------------------------------------------
// Callback ratings (issue 13 item 8): nobody rates their own department's ticket; a signed-in owner rates their own
// ---------------------------------------------------------------------------

const CALLBACK_CASES: [string, Actor, string | null, string | null][] = [
  // actor, the ticket's submitter account, the refusal
  ['intake of another department, ticket without account', A.intake, null, null],
  ['intake of no department (hotline centre), ticket without account', u('hotline-1', 'intake', null), null, null],
  ['intake of the handling department, ticket without account', u('tax-intake', 'intake', 'TAX'), null, 'rating-own-department'],
  ["intake of the handling department, owner's ticket", u('tax-intake', 'intake', 'TAX'), 'owner-1', 'rating-own-department'],
  ["intake of another department, owner's ticket", A.intake, 'owner-1', 'callback-owner-account'],
  ["intake of no department, owner's ticket", u('hotline-1', 'intake', null), 'owner-1', 'callback-owner-account'],
  ['the owner, own ticket', A.submitter, 'owner-1', null],
  ['the access code', A.accessCode, null, null],
];
for (const [name, actor, submitterId, refusal] of CALLBACK_CASES) {
  test(`callback rating: ${name}`, (t) => {
    const tf = facts('complaint', 'replied', 'TAX', null, submitterId);
    t.is(callbackRatingRefusal(tf, actor) as string | null, refusal);
    const d = decide(tf, 'rate', actor, { rating: 'satisfied' });
    t.deepEqual(d, refusal ? { ok: false, reason: 'forbidden', allowed: allowedActions(tf, actor), code: refusal } : { ok: true, to: 'closed' });
    t.is(allowedActions(tf, actor).includes('rate'), !refusal);
  });
}

// ---------------------------------------------------------------------------
// Revealing the submitter's phone (docs/decisions/core.md "Personal data"): the handlers of the
// department that holds the ticket, recorded as `contact_read`; never an integrity report or an
// anonymous ticket. Written out here, independently of DEPARTMENT_HOLDS_STATES.
// ---------------------------------------------------------------------------

const HOLDS: TicketState[] = ['dispatched', 'in_progress', 'awaiting_info', 'replied'];
const reveal = test.macro({
  exec(t, kind: TicketKind, state: TicketState, anonymous: boolean, who: ActorName, expected: boolean) {
    const dept = kind === 'integrity_report' ? 'DIS' : 'TAX';
    t.is(mayRevealContact({ ...facts(kind, state, dept, kind === 'integrity_report' ? 'HRSS' : null), anonymous }, A[who]), expected);
  },
  title: (_p, kind: TicketKind, state: TicketState, anonymous: boolean, who: ActorName, expected: boolean) =>
    `mayRevealContact ${kind} ${state}${anonymous ? ' anonymous' : ''} · ${who} → ${expected}`,
});
for (const kind of ['complaint', 'suggestion', 'objection'] as TicketKind[]) {
  for (const state of ALL) {
    // the handlers of TAX (the department lead too), only while TAX holds it
    for (const who of ['handler', 'head'] as ActorName[]) test(reveal, kind, state, false, who, HOLDS.includes(state));
    // nobody else ever: they see the number whole (owner, intake, coordinator…) or not at all
    for (const who of ['otherHandler', 'samrHandler', 'disHandler', 'intake', 'coordinator', 'supervisor', 'admin', 'submitter', 'accessCode', 'anonymous', 'system'] as ActorName[]) {
      test(reveal, kind, state, false, who, false);
    }
  }
  for (const state of HOLDS) test(reveal, kind, state, true, 'handler', false);
}
// an integrity report: the reporter is the supervisors' identity read, never a department's call
for (const state of ALL) for (const who of ['disHandler', 'supervisor', 'handler'] as ActorName[]) test(reveal, 'integrity_report', state, false, who, false);
test('mayRevealContact: a ticket returned to the dispatch office (no department) reveals nothing', (t) => {
  t.false(mayRevealContact({ ...facts('complaint', 'dispatched', 'TAX', null), departmentCode: null, anonymous: false }, A.handler));
});

/**
 * The ticket lifecycle of DESIGN §3 as a transition table. Pure: no I/O, no clock.
 *
 * `decide(ticket, action, actor)` says whether `actor` may perform `action` on `ticket`
 * now and which state follows; the commands do the writing. Visibility (§1, §7) is
 * `canView`: one rule above every role hides an integrity report from every user of the
 * department it accuses.
 */

export const TICKET_KINDS = ['complaint', 'suggestion', 'objection', 'integrity_report'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];
export const CHANNELS = ['web', 'hotline', 'symposium', 'letter'] as const;
export type Channel = (typeof CHANNELS)[number];
export const PRIORITIES = ['normal', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const STATES = ['registered', 'dispatched', 'in_progress', 'awaiting_info', 'replied', 'closed', 'rejected', 'withdrawn', 'merged'] as const;
export type TicketState = (typeof STATES)[number];
export const ROLES = ['owner', 'intake', 'handler', 'coordinator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Replies (§3): `resolved` counts towards the resolution rate (§9). */
export const OUTCOMES = ['resolved', 'explained', 'unresolvable'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The five levels of the national 好差评 scheme, best first; the last two are bad ratings (差评). */
export const RATINGS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'] as const;
export type Rating = (typeof RATINGS)[number];
export const BAD_RATINGS: readonly Rating[] = ['dissatisfied', 'very_dissatisfied'];
/** Grounds for not accepting a complaint (SAMR complaint rules, 市场监督管理投诉举报处理暂行办法 art. 15). */
export const REJECT_GROUNDS = ['outside_remit', 'handled_elsewhere', 'not_business_related', 'older_than_3_years', 'materials_missing_or_false', 'identity_refused', 'other'] as const;
export type RejectGround = (typeof REJECT_GROUNDS)[number];

export const ACTIONS = [
  'dispatch',
  'sign',
  'return',
  'request-info',
  'supplement',
  'request-extension',
  'decide-extension',
  'reply',
  'rate',
  'reject',
  'withdraw',
  'merge',
  'reopen',
  'close',
  'note',
  'escalate',
  'conclude',
  'decide',
] as const;
export type Action = (typeof ACTIONS)[number];
/**
 * The deadline an answering action meets (DESIGN §9 on-time rates): signing for meets the
 * sign-for deadline; the reply, an integrity report's conclusion and an objection's decision
 * meet the reply deadline. Their events record `onTime`.
 */
export const ACTION_MEETS: Partial<Record<Action, 'sign' | 'reply'>> = { sign: 'sign', reply: 'reply', conclude: 'reply', decide: 'reply' };
/** Transitions the clock performs by itself (§3): no supplement in 5 working days, no rating in 3. */
export type SystemAction = 'info-timeout' | 'rating-timeout';

/** States before the reply: the reply clock runs (paused in `awaiting_info`), the submitter may still withdraw. */
export const BEFORE_REPLY_STATES: readonly TicketState[] = ['registered', 'dispatched', 'in_progress', 'awaiting_info'];
/** States in which the loop is not closed yet. */
export const OPEN_STATES: readonly TicketState[] = [...BEFORE_REPLY_STATES, 'replied'];
export const TERMINAL_STATES: readonly TicketState[] = ['closed', 'rejected', 'withdrawn', 'merged'];
/** The discipline department: integrity reports always go there (§7). */
export const DISCIPLINE_DEPARTMENT = 'DIS';

/** Who acts. `access_code` is the account-less submitter holding the ticket's access code. */
export type Actor =
  | { kind: 'user'; userId: string; role: Role; departmentCode: string | null; isHead: boolean }
  | { kind: 'access_code'; ticketId: string }
  | { kind: 'system' }
  | { kind: 'anonymous' };
/** A signed-in user acting. */
export type UserActor = Extract<Actor, { kind: 'user' }>;

/** The facts of a ticket the rules look at. */
export interface TicketFacts {
  id: string;
  kind: TicketKind;
  state: TicketState;
  departmentCode: string | null;
  submitterId: string | null;
  accusedDepartmentCode: string | null;
}

const user = (a: Actor) => (a.kind === 'user' ? a : null);
const hasRole = (a: Actor, ...roles: Role[]) => a.kind === 'user' && roles.includes(a.role);
/** The ticket's own submitter: the signed-in owner who filed it, or the holder of its access code. */
export const isSubmitter = (t: TicketFacts, a: Actor) => (a.kind === 'user' && a.role === 'owner' && t.submitterId === a.userId) || (a.kind === 'access_code' && a.ticketId === t.id);
const isIntegrity = (t: TicketFacts) => t.kind === 'integrity_report';

/** The department staff who handle a ticket: its department's handlers; supervisors for integrity reports. */
export function isHandlingStaff(t: TicketFacts, a: Actor): boolean {
  const u = user(a);
  if (!u) return false;
  // Supervisors handle every integrity report they can see, dispatched or not: asked to sign a
  // `registered` one they get 409 (not now), not 403 (never).
  if (isIntegrity(t) && u.role === 'supervisor') return true;
  if (!t.departmentCode) return false;
  return u.role === 'handler' && u.departmentCode === t.departmentCode;
}
/** The dispatching authority: the coordinator, or discipline supervisors for integrity reports (§3). */
export function isDispatcher(t: TicketFacts, a: Actor): boolean {
  return isIntegrity(t) ? hasRole(a, 'supervisor') : hasRole(a, 'coordinator');
}

/**
 * Whether the one who files a ticket is shown its access code on the receipt (the 201, the
 * intake page). Not a user of the department an integrity report accuses (DESIGN §1, §7: the
 * accused never see the report; with the code they could track it, read the supervisors'
 * finding and rate it as the reporter). The reporter gets the code by text message to the
 * phone they gave (issue 11); issue 13, adversarial re-check.
 */
export function mayShowAccessCode(actor: Actor, t: { kind: TicketKind; accusedDepartmentCode: string | null }): boolean {
  if (t.kind !== 'integrity_report' || actor.kind !== 'user') return true;
  return !actor.departmentCode || actor.departmentCode !== t.accusedDepartmentCode;
}

/**
 * Whether `actor` may see the ticket at all (DESIGN §1, §7). A ticket that is not
 * visible is answered 404, left out of lists and counts.
 */
export function canView(t: TicketFacts, a: Actor): boolean {
  if (a.kind === 'system') return true;
  if (a.kind === 'access_code') return a.ticketId === t.id;
  if (a.kind === 'anonymous') return false;
  if (a.role === 'owner') return t.submitterId === a.userId;
  if (isIntegrity(t)) {
    // A report accusing DIS itself goes to the higher commission: no district user sees it.
    if (t.accusedDepartmentCode === DISCIPLINE_DEPARTMENT) return false;
    if (a.departmentCode && a.departmentCode === t.accusedDepartmentCode) return false;
    if (a.role === 'supervisor' || a.role === 'coordinator' || a.role === 'admin') return true;
    if (a.role === 'handler') return a.departmentCode === t.departmentCode;
    return false; // intake never reads integrity reports
  }
  if (a.role === 'handler') return a.departmentCode === t.departmentCode;
  return true; // intake, coordinator, supervisor, admin
}

/**
 * Only discipline supervisors see who filed an integrity report (§7), and every such read is
 * audited; the signed-in owner who filed it sees their own report as filed.
 */
export function canSeeReporterIdentity(t: TicketFacts, a: Actor): boolean {
  if (!isIntegrity(t)) return true;
  if (a.kind === 'user' && a.role === 'owner') return t.submitterId === a.userId;
  return a.kind === 'user' && a.role === 'supervisor' && canView(t, a);
}

/** Whether showing the reporter to this actor is a read that must be recorded (§7): supervisors only. */
export function isAuditedIdentityRead(t: TicketFacts, a: Actor): boolean {
  return isIntegrity(t) && a.kind === 'user' && a.role === 'supervisor' && canView(t, a);
}

/** States in which the ticket's department holds it (DESIGN §3): from dispatch until the rating or the close. */
export const DEPARTMENT_HOLDS_STATES: readonly TicketState[] = ['dispatched', 'in_progress', 'awaiting_info', 'replied'];

/**
 * Whether `actor` may reveal the submitter's whole phone number on this ticket, a read that
 * is recorded as a `contact_read` event (docs/decisions/core.md "Personal data"): a handler
 * of the ticket's own department while that department holds it, to call the business owner
 * or arrange a site visit (handlers otherwise see the number masked). Never on an integrity
 * report (only supervisors see that reporter, as an `identity_read`) nor on an anonymous
 * ticket (no contact is stored). Everyone else reads as before: the number masked or whole
 * by role, and nothing recorded.
 */
export function mayRevealContact(t: TicketFacts & { anonymous: boolean }, a: Actor): boolean {
  if (isIntegrity(t) || t.anonymous || !t.departmentCode || !DEPARTMENT_HOLDS_STATES.includes(t.state)) return false;
  return a.kind === 'user' && a.role === 'handler' && a.departmentCode === t.departmentCode;
}

/**
 * Why an intake user may never record this ticket's rating as a callback (回访, issue 13
 * item 8), or null when they may: nobody rates a ticket handled by their own department
 * (`rating-own-department`: the actor's department is the one that answered), and a ticket
 * filed by a signed-in owner is rated by that owner only (`callback-owner-account`: the owner
 * has an account and rates online; nobody speaks for them). Callback ratings are therefore
 * for tickets without an owner account (hotline, letter, symposium, web without sign-in),
 * recorded by intake staff of another department or of none (the hotline centre).
 */
export function callbackRatingRefusal(t: TicketFacts, a: Actor): 'rating-own-department' | 'callback-owner-account' | null {
  if (a.kind !== 'user' || a.role !== 'intake' || isSubmitter(t, a)) return null;
  if (a.departmentCode && t.departmentCode && a.departmentCode === t.departmentCode) return 'rating-own-department';
  if (t.submitterId) return 'callback-owner-account';
  return null;
}

interface Rule {
  from: readonly TicketState[];
  who: (t: TicketFacts, a: Actor) => boolean;
  /** a specific reason why this actor may never do it on this ticket (403 with that code) */
  refuse?: (t: TicketFacts, a: Actor) => string | null;
  kinds?: readonly TicketKind[];
  /** the next state; `same` keeps the current one */
  to: TicketState | 'same' | ((t: TicketFacts, input: { rating?: Rating }) => TicketState);
}

const NOT_INTEGRITY: readonly TicketKind[] = ['complaint', 'suggestion', 'objection'];

/** The transition table (DESIGN §3). */
export const RULES: Record<Action, Rule> = {
  dispatch: { from: ['registered', 'dispatched'], who: isDispatcher, to: 'dispatched' },
  sign: { from: ['dispatched'], who: isHandlingStaff, to: 'in_progress' },
  return: { from: ['dispatched', 'in_progress'], who: isHandlingStaff, kinds: NOT_INTEGRITY, to: 'registered' },
  'request-info': { from: ['in_progress'], who: isHandlingStaff, to: 'awaiting_info' },
  supplement: { from: ['awaiting_info'], who: (t, a) => isSubmitter(t, a) || (hasRole(a, 'intake') && !isIntegrity(t)), to: 'in_progress' },
  'request-extension': { from: ['in_progress'], who: isHandlingStaff, to: 'same' },
  'decide-extension': { from: ['in_progress', 'awaiting_info'], who: isDispatcher, to: 'same' },
  reply: { from: ['in_progress'], who: isHandlingStaff, kinds: ['complaint', 'suggestion'], to: 'replied' },
  rate: {
    from: ['replied'],
    who: (t, a) => isSubmitter(t, a) || (hasRole(a, 'intake') && !isIntegrity(t)),
    refuse: callbackRatingRefusal,
    to: (_t, input) => (input.rating && BAD_RATINGS.includes(input.rating) ? 'dispatched' : 'closed'),
  },
  reject: { from: ['registered', 'dispatched'], who: isDispatcher, to: 'rejected' },
  withdraw: { from: BEFORE_REPLY_STATES, who: (t, a) => a.kind === 'user' && isSubmitter(t, a), to: 'withdrawn' },
  merge: { from: OPEN_STATES, who: (t, a) => hasRole(a, 'coordinator') && !isIntegrity(t), to: 'merged' },
  reopen: { from: ['closed'], who: isDispatcher, to: 'dispatched' },
  close: { from: ['replied'], who: isDispatcher, to: 'closed' },
  note: {
    from: STATES,
    who: (t, a) => isHandlingStaff(t, a) || hasRole(a, 'coordinator', 'supervisor') || (hasRole(a, 'intake') && !isIntegrity(t)),
    to: 'same',
  },
  escalate: { from: OPEN_STATES, who: (_t, a) => hasRole(a, 'coordinator', 'supervisor'), to: 'same' },
  conclude: { from: ['in_progress'], who: (_t, a) => hasRole(a, 'supervisor'), kinds: ['integrity_report'], to: 'replied' },
  decide: { from: ['in_progress'], who: isHandlingStaff, kinds: ['objection'], to: 'replied' },
};

export type Decision = { ok: true; to: TicketState } | { ok: false; reason: 'not_visible' | 'forbidden' | 'illegal_state'; allowed: Action[]; code?: string };

function permitted(t: TicketFacts, action: Action, a: Actor): boolean {
  const r = RULES[action];
  if (r.kinds && !r.kinds.includes(t.kind)) return false;
  return r.who(t, a) && !r.refuse?.(t, a);
}

/** The actions `actor` may perform on the ticket in its current state. */
export function allowedActions(t: TicketFacts, a: Actor): Action[] {
  if (!canView(t, a)) return [];
  return ACTIONS.filter((action) => RULES[action].from.includes(t.state) && permitted(t, action, a));
}

/**
 * Decides one action. `not_visible` → 404, `forbidden` (the actor may never do this on
 * this ticket) → 403 (with the rule's own `code` when it names one), `illegal_state` (not in this state) → 409 with `allowed`.
 */
export function decide(t: TicketFacts, action: Action, a: Actor, input: { rating?: Rating } = {}): Decision {
  if (!canView(t, a)) return { ok: false, reason: 'not_visible', allowed: [] };
  const rule = RULES[action];
  if (!permitted(t, action, a)) {
    const code = rule.who(t, a) ? rule.refuse?.(t, a) : null;
    return { ok: false, reason: 'forbidden', allowed: allowedActions(t, a), ...(code ? { code } : {}) };
  }
  if (!rule.from.includes(t.state)) return { ok: false, reason: 'illegal_state', allowed: allowedActions(t, a) };
  const to = rule.to === 'same' ? t.state : typeof rule.to === 'function' ? rule.to(t, input) : rule.to;
  return { ok: true, to };
}

/** System transitions (§3): an unanswered information request resumes, an unrated reply closes with rating `none`. */
export function decideSystem(t: Pick<TicketFacts, 'state'>, action: SystemAction): TicketState | null {
  if (action === 'info-timeout') return t.state === 'awaiting_info' ? 'in_progress' : null;
  return t.state === 'replied' ? 'closed' : null;
}

export const isOpen = (s: TicketState) => OPEN_STATES.includes(s);

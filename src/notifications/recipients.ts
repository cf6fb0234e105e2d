import { EntityManager, In } from 'typeorm';
import { Symposium, Ticket, User } from '../entities';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { ttlCache } from '../cache';
import type { Audience } from './render';
import { isMobile } from '../sms/text';

/**
 * What a person may switch off, one key per kind of mail (`User.notifyPrefs`, DESIGN §10).
 * Default: on.
 */
export const TOPICS = [
  'received',
  'dispatched',
  'returned',
  'info_requested',
  'supplemented',
  'extension',
  'replied',
  'rejected',
  'merged',
  'closed',
  'reopened',
  'withdrawn',
  'due_soon',
  'overdue',
  'oversight',
  'red_card',
  'outcome',
  'symposium_answer',
] as const;
export type Topic = (typeof TOPICS)[number];
/** Escalation mail to a department head cannot be switched off (issue 4, DESIGN §5). */
export const HEAD_LOCKED_TOPICS: readonly Topic[] = ['overdue', 'oversight', 'red_card'];

/** One person (or the held higher-commission address) a notice goes to. */
export interface Recipient {
  /** null only for a `higher` recipient while no address is configured (the row is held) */
  email: string | null;
  /** a mainland mobile number texts may go to (issue 11); null: no texts */
  phone: string | null;
  userId: string | null;
  name: string | null;
  audience: Audience;
  topic: Topic;
  /** escalation mail to a department head: preferences do not apply */
  mandatory: boolean;
  prefs: Record<string, boolean> | null;
  /** the user's department, for the integrity guard */
  departmentCode: string | null;
}

/**
 * Active staff of a role (and department), cached 5 s per process: every dispatched ticket
 * asks for its department's handlers. Account changes made in this process clear the cache
 * at once (`invalidateStaffCache`); another process sees them within 5 s.
 */
const staffCache = ttlCache<string, User[], EntityManager>(5_000, (key, em) => {
  const [role, departmentCode] = key.split('|');
  return em.find(User, { where: { role: role as User['role'], ...(departmentCode ? { departmentCode } : {}), active: true }, order: { username: 'ASC' } });
});
const activeStaff = (em: EntityManager, role: string, departmentCode: string | null): Promise<User[]> => staffCache.get(`${role}|${departmentCode ?? ''}`, em);
/** Forget cached staff lists (after creating or changing an account or its preferences). */
export function invalidateStaffCache(): void {
  staffCache.clear();
}

const fromUser = (u: User, audience: Audience, topic: Topic, mandatory = false): Recipient => ({
  email: u.email,
  phone: mobileOf(u),
  userId: u.id,
  name: u.name,
  audience,
  topic,
  mandatory,
  prefs: u.notifyPrefs,
  departmentCode: u.departmentCode,
});

/** The mobile number texts go to: the account's phone, or an owner's username (their phone number). */
function mobileOf(u: User): string | null {
  if (isMobile(u.phone)) return u.phone.trim();
  return u.role === 'owner' && isMobile(u.username) ? u.username : null;
}

/**
 * The submitter: the owner account's email and phone when filed signed in, else the
 * contact record's (hotline, letter, symposium, web without login). Anonymous: nobody.
 */
export async function submitterOf(em: EntityManager, t: Ticket, topic: Topic): Promise<Recipient[]> {
  if (t.anonymous) return [];
  if (t.submitterId) {
    const u = await em.findOneBy(User, { id: t.submitterId });
    if (u) return u.email || mobileOf(u) ? [fromUser(u, 'submitter', topic)] : [];
  }
  const email = t.contact?.email || null;
  const phone = isMobile(t.contact?.phone) ? t.contact!.phone!.trim() : null;
  return email || phone ? [{ email, phone, userId: null, name: t.contact?.name ?? null, audience: 'submitter', topic, mandatory: false, prefs: null, departmentCode: null }] : [];
}

/** Active handlers of a department; the head (`isHead`) is addressed as `head`. */
export async function handlersOf(em: EntityManager, departmentCode: string | null, topic: Topic): Promise<Recipient[]> {
  if (!departmentCode) return [];
  const users = await activeStaff(em, 'handler', departmentCode);
  return users.map((u) => fromUser(u, u.isHead ? 'head' : 'handler', topic));
}

/**
 * The department head(s), with mail that cannot be switched off. A department without a
 * head account still gets it: then all its handlers, equally mandatory.
 */
export async function headsOf(em: EntityManager, departmentCode: string | null, topic: Topic): Promise<Recipient[]> {
  if (!departmentCode) return [];
  const users = await activeStaff(em, 'handler', departmentCode);
  const heads = users.filter((u) => u.isHead);
  return (heads.length ? heads : users).map((u) => fromUser(u, 'head', topic, true));
}

export async function withRole(em: EntityManager, role: 'coordinator' | 'supervisor', topic: Topic): Promise<Recipient[]> {
  const users = await activeStaff(em, role, null);
  return users.map((u) => fromUser(u, role, topic));
}

/** Who handles the ticket: its department's handlers; for integrity reports the discipline supervisors too (DESIGN §7). */
export async function handlingGroup(em: EntityManager, t: Ticket, topic: Topic, departmentCode = t.departmentCode): Promise<Recipient[]> {
  const handlers = await handlersOf(em, departmentCode, topic);
  return t.kind === 'integrity_report' ? [...(await withRole(em, 'supervisor', topic)), ...handlers] : handlers;
}

/** Who dispatches and supervises: the coordinator office; the discipline supervisors for integrity reports (DESIGN §3). */
export async function dispatcherGroup(em: EntityManager, t: Ticket, topic: Topic): Promise<Recipient[]> {
  return withRole(em, t.kind === 'integrity_report' ? 'supervisor' : 'coordinator', topic);
}

/**
 * Submitters of the tickets merged into `t` (并单), following chains of merges: the
 * primary's reply and closure reach them too (DESIGN §3). Returns each with its own ticket.
 */
export async function mergedSubmitters(em: EntityManager, t: Ticket, topic: Topic): Promise<{ ticket: Ticket; to: Recipient }[]> {
  const out: { ticket: Ticket; to: Recipient }[] = [];
  let frontier = [t.id];
  const seen = new Set(frontier);
  for (let depth = 0; depth < 5 && frontier.length; depth++) {
    const merged = await em.find(Ticket, { where: { mergedIntoId: In(frontier), state: 'merged' }, order: { number: 'ASC' } });
    frontier = [];
    for (const m of merged) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      frontier.push(m.id);
      for (const r of await submitterOf(em, m, topic)) out.push({ ticket: m, to: r });
    }
  }
  return out;
}

/** Attendees of the ticket's symposium who gave an email (DESIGN §8). */
export async function attendeesOf(em: EntityManager, t: Ticket): Promise<{ symposium: Symposium; to: Recipient[] } | null> {
  if (!t.symposiumId) return null;
  const s = await em.findOneBy(Symposium, { id: t.symposiumId });
  if (!s) return null;
  const to = (s.attendees ?? [])
    .filter((a) => a.email)
    .map(
      (a): Recipient => ({
        email: a.email!,
        phone: null,
        userId: null,
        name: a.name,
        audience: 'attendee',
        topic: 'symposium_answer',
        mandatory: false,
        prefs: null,
        departmentCode: null,
      }),
    );
  return { symposium: s, to };
}

/**
 * The last word on who may receive mail about a ticket:
 * - integrity reports (DESIGN §7): nobody of the accused department; a report accusing
 *   DIS itself reaches no district user at all (only the submitter and the higher commission);
 * - preferences: a topic switched off (`prefs[topic]` for mail, `prefs['sms.' + topic]` for
 *   texts) takes that channel away unless the notice is mandatory;
 * - people without an address or a mobile number left are dropped (except the held
 *   higher-commission row);
 * - one notice per address: the first occurrence wins, so callers list the mandatory and the
 *   more specific audience first.
 */
export function finalRecipients(t: Ticket | null, list: Recipient[]): Recipient[] {
  const integrity = t?.kind === 'integrity_report';
  const accused = integrity ? t!.accusedDepartmentCode : null;
  const seen = new Set<string>();
  const out: Recipient[] = [];
  const ordered = [...list.filter((r) => r.mandatory), ...list.filter((r) => !r.mandatory)];
  for (const r of ordered) {
    if (integrity && r.userId) {
      if (accused === DISCIPLINE_DEPARTMENT && r.audience !== 'submitter') continue;
      if (r.departmentCode && r.departmentCode === accused) continue;
    }
    const email = r.mandatory || r.prefs?.[r.topic] !== false ? r.email : null;
    const phone = r.mandatory || r.prefs?.[`sms.${r.topic}`] !== false ? (r.phone ?? null) : null;
    if (!email && !phone && r.audience !== 'higher') continue;
    const key = email ? email.trim().toLowerCase() : phone ? `phone:${phone}` : `held:${r.audience}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...r, email, phone });
  }
  return out;
}

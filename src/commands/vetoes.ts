import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull } from 'typeorm';
import Decimal from 'decimal.js';
import { Ticket, User, Veto, VetoCause, VetoHistory } from '../entities';
import { historyTypeForNewCause, VetoHistoryType, vetoStands, vetoYear } from '../domain/veto';
import { AppError, conflict, forbidden, notFound } from '../errors';
import { isDuplicateKey, isMysql } from '../db';
import { CommandContext } from './context';
import { type AppDeps, runAs } from '../deps';
import type { Actor } from '../domain/lifecycle';

/**
 * The veto register (DESIGN §7). One `veto` row per (department, year) — the unique key makes
 * "exactly once" hold across processes —, one `veto_cause` per substantiated report (unique
 * per ticket), and an append-only `veto_history`. See `domain/veto.ts` for the rules.
 */

const lockOpts = (em: EntityManager) => (isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {});
/**
 * Reads made while holding the veto's lock must see the latest committed rows, not the
 * transaction's older snapshot (MariaDB REPEATABLE READ): a locking read does.
 */
const latest = (em: EntityManager) => (isMysql(em) ? { lock: { mode: 'pessimistic_read' as const } } : {});

function supervisorId(ctx: CommandContext): string {
  if (ctx.actor.kind !== 'user' || ctx.actor.role !== 'supervisor') throw forbidden('only discipline supervisors change the veto register');
  return ctx.actor.userId;
}

async function appendHistory(em: EntityManager, vetoId: string, e: { type: VetoHistoryType; at: Date; actorId: string; ticketId?: string | null; reason?: string | null }) {
  const last = await em.findOne(VetoHistory, { where: { vetoId }, order: { seq: 'DESC' }, select: { seq: true }, ...latest(em) });
  await em.insert(VetoHistory, { id: randomUUID(), vetoId, seq: (last?.seq ?? 0) + 1, type: e.type, at: e.at, actorId: e.actorId, ticketId: e.ticketId ?? null, reason: e.reason ?? null });
}

/**
 * The veto of (department, year), created if missing, and locked (MariaDB) for the rest of
 * the transaction. Insert first: two supervisors concluding at the same time both try, the
 * unique key lets one win and the other then reads the winner's row (a locking read sees
 * the latest committed version). Returns whether this call created it.
 */
async function vetoForUpdate(em: EntityManager, departmentCode: string, year: number, now: Date, actorId: string): Promise<{ veto: Veto; created: boolean }> {
  const existing = await em.getRepository(Veto).findOne({ where: { departmentCode, year }, ...lockOpts(em) });
  if (existing) return { veto: existing, created: false };
  const veto: Veto = Object.assign(new Veto(), { id: randomUUID(), departmentCode, year, createdAt: now, createdById: actorId });
  try {
    await em.insert(Veto, veto);
    return { veto, created: true };
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const winner = await em.getRepository(Veto).findOne({ where: { departmentCode, year }, ...lockOpts(em) });
    if (!winner) throw e;
    return { veto: winner, created: false };
  }
}

/**
 * A report concluded `substantiated` (DESIGN §7): sets the veto on (accused department,
 * year of occurrence), creating it or adding this case as a cause. Exactly once: a case
 * already standing as a cause changes nothing; a case whose cause had been revoked stands
 * again. Writes `imposed`, `cause_added` or `reinstated` to the history.
 * @returns the veto id and year, and the history step written (null when nothing changed)
 */
export async function addVetoCause(ctx: CommandContext, t: Ticket): Promise<{ vetoId: string; year: number; change: VetoHistoryType | null }> {
  const actorId = supervisorId(ctx);
  if (!t.accusedDepartmentCode || !t.occurredOn) throw new AppError(500, 'integrity-report-incomplete', 'the report names no accused department or date');
  const year = vetoYear(t.occurredOn);
  const { em, now } = ctx;
  const { veto, created } = await vetoForUpdate(em, t.accusedDepartmentCode, year, now, actorId);
  const causes = await em.find(VetoCause, { where: { vetoId: veto.id }, ...latest(em) });
  const stoodBefore = vetoStands(causes);
  const mine = causes.find((c) => c.ticketId === t.id);
  if (mine && mine.revokedAt === null) return { vetoId: veto.id, year, change: null };
  if (mine) {
    await em.update(VetoCause, { id: mine.id }, { revokedAt: null });
  } else {
    await em.insert(VetoCause, { id: randomUUID(), vetoId: veto.id, ticketId: t.id, ticketNumber: t.number, addedAt: now, addedById: actorId, revokedAt: null });
  }
  const change = historyTypeForNewCause(created, stoodBefore);
  await appendHistory(em, veto.id, { type: change, at: now, actorId, ticketId: t.id });
  return { vetoId: veto.id, year, change };
}

/**
 * A report that stood as a cause is concluded again `unsubstantiated` (after a bad rating
 * reopened it): its cause is withdrawn (`cause_withdrawn`); the veto stands only while
 * another cause does. Returns the veto id, or null when the report was no cause.
 */
export async function withdrawVetoCause(ctx: CommandContext, t: Ticket): Promise<string | null> {
  const actorId = supervisorId(ctx);
  const { em, now } = ctx;
  const cause = await em.findOne(VetoCause, { where: { ticketId: t.id }, ...latest(em) });
  if (!cause || cause.revokedAt) return null;
  await em.getRepository(Veto).findOne({ where: { id: cause.vetoId }, ...lockOpts(em) });
  await em.update(VetoCause, { id: cause.id }, { revokedAt: now });
  await appendHistory(em, cause.vetoId, { type: 'cause_withdrawn', at: now, actorId, ticketId: t.id });
  return cause.vetoId;
}

/**
 * Revokes a standing veto (DESIGN §7 `POST /vetoes/:id/revoke`): supervisor only, with a
 * reason. Every standing cause is revoked; the veto stays in the register with its history
 * (`revoked`, by whom, when, why). Throws 403 (not a supervisor), 404, 409
 * `conflict-of-interest` (the supervisor belongs to the vetoed department), 409
 * `veto-already-revoked` (already revoked).
 */
export async function revokeVeto(ctx: CommandContext, vetoId: string, reason: string): Promise<void> {
  const actorId = supervisorId(ctx);
  const { em, now } = ctx;
  const veto = await em.getRepository(Veto).findOne({ where: { id: vetoId }, ...lockOpts(em) });
  if (!veto) throw notFound('veto');
  if (ctx.actor.kind === 'user' && ctx.actor.departmentCode === veto.departmentCode) {
    throw conflict('conflict-of-interest', 'a veto on your own department is revoked by someone outside it');
  }
  const standing = await em.find(VetoCause, { where: { vetoId, revokedAt: IsNull() }, ...latest(em) });
  if (!standing.length) throw conflict('veto-already-revoked', 'this veto is already revoked');
  await em.update(VetoCause, { id: In(standing.map((c) => c.id)) }, { revokedAt: now });
  await appendHistory(em, vetoId, { type: 'revoked', at: now, actorId, reason });
}

/**
 * Revokes a veto as `actor` in one transaction (`revokeVeto`) and returns it as the register
 * now shows it (`POST /vetoes/:id/revoke`, the supervisors' register page).
 * @throws as `revokeVeto`
 */
export async function revokeVetoRecord(deps: AppDeps, actor: Actor, vetoId: string, reason: string): Promise<VetoRecord> {
  return runAs(deps, actor, async (c) => {
    await revokeVeto(c, vetoId, reason);
    const [v] = await loadVetoes(c.em, { id: vetoId });
    if (!v) throw notFound('veto');
    return v;
  });
}

/** A person in the register: id and name. */
export interface PersonRef {
  id: string;
  name: string | null;
}

/** One veto as the register shows it (DESIGN §7, §13). */
export interface VetoRecord {
  id: string;
  departmentCode: string;
  year: number;
  status: 'active' | 'revoked';
  vetoed: boolean;
  /** substantiated cases standing behind it */
  activeCauses: number;
  causes: { ticketId: string; number: string; amountYuan: string | null; addedAt: string; addedBy: PersonRef; active: boolean; revokedAt: string | null }[];
  /** sum of the amounts of the standing causes, exact decimal yuan ("300.10") */
  activeAmountYuan: string;
  /** who (re)imposed the veto as it stands or last stood, and when */
  decidedBy: PersonRef;
  decidedAt: string;
  /** the latest revocation while the veto is revoked, else null */
  revokedBy: PersonRef | null;
  revokedAt: string | null;
  revokeReason: string | null;
  history: { seq: number; type: string; at: string; by: PersonRef; ticketId: string | null; number: string | null; reason: string | null }[];
}

/**
 * Reads vetoes with their causes and history (for the register and the assessment).
 * @param where `id`, `year` and/or `departmentCode` filters
 */
export async function loadVetoes(em: EntityManager, where: { id?: string; year?: number; departmentCode?: string } = {}): Promise<VetoRecord[]> {
  const vetoes = await em.find(Veto, { where, order: { year: 'DESC', departmentCode: 'ASC' } });
  if (!vetoes.length) return [];
  const ids = vetoes.map((v) => v.id);
  const [causes, history] = await Promise.all([
    em.find(VetoCause, { where: { vetoId: In(ids) }, order: { addedAt: 'ASC', ticketNumber: 'ASC' } }),
    em.find(VetoHistory, { where: { vetoId: In(ids) }, order: { seq: 'ASC' } }),
  ]);
  const ticketIds = [...new Set(causes.map((c) => c.ticketId))];
  const tickets = ticketIds.length ? await em.find(Ticket, { where: { id: In(ticketIds) }, select: { id: true, amountYuan: true } }) : [];
  const amount = new Map(tickets.map((t) => [t.id, t.amountYuan]));
  const userIds = [...new Set([...causes.map((c) => c.addedById), ...history.map((h) => h.actorId), ...vetoes.map((v) => v.createdById)])];
  const users = await em.find(User, { where: { id: In(userIds) }, select: { id: true, name: true } });
  const person = (id: string): PersonRef => ({ id, name: users.find((u) => u.id === id)?.name ?? null });
  const numberOf = new Map(causes.map((c) => [c.ticketId, c.ticketNumber]));
  return vetoes.map((v) => {
    const cs = causes.filter((c) => c.vetoId === v.id);
    const hs = history.filter((h) => h.vetoId === v.id);
    const stands = vetoStands(cs);
    const standingCauses = cs.filter((c) => c.revokedAt === null);
    // Exact decimal arithmetic: amounts are DECIMAL(14,2) strings, never floats.
    const total = standingCauses.reduce((s, c) => s.plus(amount.get(c.ticketId) ?? 0), new Decimal(0));
    const decided = [...hs].reverse().find((h) => h.type === 'imposed' || h.type === 'reinstated');
    const revoked = !stands ? ([...hs].reverse().find((h) => h.type === 'revoked') ?? null) : null;
    return {
      id: v.id,
      departmentCode: v.departmentCode,
      year: v.year,
      status: stands ? 'active' : 'revoked',
      vetoed: stands,
      activeCauses: standingCauses.length,
      causes: cs.map((c) => ({
        ticketId: c.ticketId,
        number: c.ticketNumber,
        amountYuan: amount.get(c.ticketId) ?? null,
        addedAt: c.addedAt.toISOString(),
        addedBy: person(c.addedById),
        active: c.revokedAt === null,
        revokedAt: c.revokedAt?.toISOString() ?? null,
      })),
      activeAmountYuan: total.toFixed(2),
      decidedBy: person(decided?.actorId ?? v.createdById),
      decidedAt: (decided?.at ?? v.createdAt).toISOString(),
      revokedBy: revoked ? person(revoked.actorId) : null,
      revokedAt: revoked?.at.toISOString() ?? null,
      revokeReason: revoked?.reason ?? null,
      history: hs.map((h) => ({
        seq: h.seq,
        type: h.type,
        at: h.at.toISOString(),
        by: person(h.actorId),
        ticketId: h.ticketId,
        number: h.ticketId ? (numberOf.get(h.ticketId) ?? null) : null,
        reason: h.reason,
      })),
    } satisfies VetoRecord;
  });
}

/**
 * Departments on which a veto stands (while any of its causes is not revoked) for a year
 * from `firstYear` to `lastYear`: the veto register of DESIGN §7, which also knows revocations.
 */
export async function standingVetoes(em: EntityManager, departmentCodes: readonly string[], firstYear: number, lastYear: number): Promise<Set<string>> {
  const rows: { code: string }[] = await em
    .createQueryBuilder()
    .from(VetoCause, 'c')
    .innerJoin(Veto, 'v', 'v.id = c.veto_id')
    .select('DISTINCT v.department_code AS code')
    .where('c.revoked_at IS NULL AND v.year >= :firstYear AND v.year <= :lastYear', { firstYear, lastYear })
    .andWhere('v.department_code IN (:...codes)', { codes: [...departmentCodes] })
    .getRawMany();
  return new Set(rows.map((r) => r.code));
}

/**
 * Integrity reports accusing the department that are concluded `substantiated` and happened
 * in the year (local dates). A revoked veto does not un-substantiate its cases.
 */
export async function substantiatedCases(em: EntityManager, departmentCode: string, year: number): Promise<number> {
  return em
    .createQueryBuilder(Ticket, 't')
    .where("t.kind = 'integrity_report' AND t.accused_department_code = :d AND t.finding = 'substantiated' AND t.occurred_on >= :first AND t.occurred_on <= :last", {
      d: departmentCode,
      first: `${year}-01-01`,
      last: `${year}-12-31`,
    })
    .getCount();
}

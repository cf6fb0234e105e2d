import { Brackets, EntityManager, In } from 'typeorm';
import { ResultEntry, ResultNotice, Ticket } from '../entities';
import { noticeWindow, undecidedByEntry } from '../commands/result-notices';
import { facts } from '../commands/ticket-store';
import { Actor, canView } from '../domain/lifecycle';
import { entryStatus, noticeStatus } from '../domain/objection-window';
import type { WorkCalendar } from '../domain/calendar';
import { notFound } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const isStaff = (a: Actor) => a.kind === 'user' && a.role !== 'owner';

/**
 * A notice as the caller may see it. A result notice is public (公示): anyone sees its
 * entries and their status. Staff also see the objections on it (ids, numbers, state,
 * decision — only those they may view) and the excluded applicants flagged for review.
 * No response ever carries an objector's identity (DESIGN §6): not even staff get it here.
 */
export async function noticeView(em: EntityManager, n: ResultNotice, actor: Actor, cal: WorkCalendar, tz: string, now: Date) {
  const w = noticeWindow(n, cal, tz);
  const [entries, undecided] = await Promise.all([em.find(ResultEntry, { where: { noticeId: n.id }, order: { position: 'ASC' } }), undecidedByEntry(em, [n.id])]);
  const presented = entries.map((e) => ({
    id: e.id,
    position: e.position,
    creditCode: e.creditCode,
    businessName: e.businessName,
    category: e.category,
    sector: e.sector,
    operatorMasked: e.operatorMasked,
    status: entryStatus(!!e.revokedAt, undecided.get(e.id) ?? 0),
    revokedAt: iso(e.revokedAt),
  }));
  const count = (s: string) => presented.filter((e) => e.status === s).length;
  const base = {
    id: n.id,
    title: n.title,
    publishedOn: n.publishedOn,
    handlingDepartmentCode: n.handlingDepartmentCode,
    source: n.source,
    window: { workingDays: n.windowWorkingDays, firstDay: w.firstDay, lastDay: w.lastDay, opensAt: iso(w.opensAt), closesAt: iso(w.closesAt), provisional: w.provisional },
    status: noticeStatus(n.finalizedAt, w, now),
    finalizedAt: iso(n.finalizedAt),
    counts: { entries: presented.length, listed: count('listed'), disputed: count('disputed'), revoked: count('revoked') },
    entries: presented,
    createdAt: iso(n.createdAt),
  };
  const view: typeof base & {
    objections?: { ticketId: string; number: string; resultEntryId: string | null; state: string; decision: string | null }[];
    reviews?: { creditCode: string | null; ticketId: string; number: string }[];
  } = base;
  if (isStaff(actor)) {
    const objections = (await em.find(Ticket, { where: { kind: 'objection', resultNoticeId: n.id }, order: { createdAt: 'ASC' } })).filter((t) => canView(facts(t), actor));
    view.objections = objections.map((t) => ({ ticketId: t.id, number: t.number, resultEntryId: t.resultEntryId, state: t.state, decision: t.decision }));
    view.reviews = objections.filter((t) => !t.resultEntryId && t.decision === 'upheld').map((t) => ({ creditCode: t.subjectCreditCode, ticketId: t.id, number: t.number }));
  }
  return view;
}

/** The type of one notice view (`noticeView`). */
export type NoticeView = Awaited<ReturnType<typeof noticeView>>;

/** A notice by id, or 404. */
export async function findNotice(em: EntityManager, id: string): Promise<ResultNotice> {
  const n = await em.getRepository(ResultNotice).findOneBy({ id });
  if (!n) throw notFound('result notice');
  return n;
}

/** One row of the notice list (`GET /api/v1/result-notices`): window, status and entry count, no entries. */
export interface NoticeListRow {
  id: string;
  title: string;
  publishedOn: string;
  handlingDepartmentCode: string;
  window: { workingDays: number | null; firstDay: string; lastDay: string; opensAt: string | null; closesAt: string | null; provisional: boolean };
  status: string;
  finalizedAt: string | null;
  entryCount: number;
  createdAt: string | null;
}

/**
 * Result notices, newest first (keyset over created_at, id), public as a 公示 is.
 * @throws AppError 400 for a cursor this service did not issue
 */
export async function listNotices(em: EntityManager, q: { limit: number; cursor?: string }, cal: WorkCalendar, tz: string, now: Date): Promise<{ items: NoticeListRow[]; nextCursor: string | null }> {
  const qb = em.getRepository(ResultNotice).createQueryBuilder('n');
  const cur = decodeCursor(q.cursor);
  if (cur) qb.andWhere(new Brackets((w) => w.where('n.created_at < :cat', { cat: cur.at }).orWhere('n.created_at = :cat AND n.id < :cid', { cat: cur.at, cid: cur.id })));
  const rows = await qb
    .orderBy('n.created_at', 'DESC')
    .addOrderBy('n.id', 'DESC')
    .take(q.limit + 1)
    .getMany();
  const page = rows.slice(0, q.limit);
  const ids = page.map((n) => n.id);
  const counts: { notice: string; n: string | number }[] = ids.length
    ? await em
        .getRepository(ResultEntry)
        .createQueryBuilder('e')
        .select('e.notice_id', 'notice')
        .addSelect('COUNT(*)', 'n')
        .where({ noticeId: In(ids) })
        .groupBy('e.notice_id')
        .getRawMany()
    : [];
  return {
    items: page.map((n) => {
      const w = noticeWindow(n, cal, tz);
      return {
        id: n.id,
        title: n.title,
        publishedOn: n.publishedOn,
        handlingDepartmentCode: n.handlingDepartmentCode,
        window: { workingDays: n.windowWorkingDays, firstDay: w.firstDay, lastDay: w.lastDay, opensAt: iso(w.opensAt), closesAt: iso(w.closesAt), provisional: w.provisional },
        status: noticeStatus(n.finalizedAt, w, now),
        finalizedAt: iso(n.finalizedAt),
        entryCount: Number(counts.find((c) => c.notice === n.id)?.n ?? 0),
        createdAt: iso(n.createdAt),
      };
    }),
    nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].createdAt, page[page.length - 1].id) : null,
  };
}

/**
 * The notices whose objection window is open now (the home page and the objection list),
 * newest first, among the latest `scan` notices (a district publishes a few a year).
 */
export async function openNotices(em: EntityManager, cal: WorkCalendar, tz: string, now: Date, scan = 200): Promise<NoticeListRow[]> {
  return (await listNotices(em, { limit: scan }, cal, tz, now)).items.filter((n) => n.status === 'open');
}

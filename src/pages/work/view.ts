/**
 * How the workbench shows tickets to staff: a row of a list (the ticket as `presentTicket`
 * gives it to this viewer, with its next deadline in words) and the timeline of the ticket
 * page (each event in Chinese, with its text and its files next to it). Presentation only:
 * the data come from the queries (src/queries/workbench.ts), the fields from the presenters.
 */
import type { TicketRecord as Ticket } from '../../queries/tickets';
import type { Actor } from '../../domain/lifecycle';
import type { WorkCalendar } from '../../domain/calendar';
import { LIST_DEADLINE_IN_STATE, ListDeadlineField } from '../../domain/owed';
import { presentAttachment, presentEvent, presentTicket } from '../../http/presenters';
import type { TicketWorkView } from '../../queries/workbench';
import * as L from '../../notifications/labels';
import { deadlineText, DeadlineText } from '../format';
import { ROLE_LABEL } from './nav';

/** What each list deadline is called on a page. */
export const DEADLINE_NAME: Record<ListDeadlineField, string> = { dispatchBy: '分派期限', signBy: '签收期限', replyBy: '答复期限', rateBy: '评价期限' };

/**
 * A deadline for staff: the owners' wording (`deadlineText`: "还剩2个工作日" / "已逾期3个工作日")
 * and, inside its last 24 hours (urgent tickets run on hours), the hours left.
 */
export function countdownText(dueAt: Date | string | null | undefined, now: Date, cal: WorkCalendar, tz: string): (DeadlineText & { soon: boolean }) | null {
  const d = deadlineText(dueAt, now, cal, tz);
  if (!d || !dueAt) return null;
  const ms = new Date(dueAt).getTime() - now.getTime();
  if (!d.overdue && ms < 24 * 3_600_000) {
    const h = Math.floor(ms / 3_600_000);
    const m = Math.floor((ms % 3_600_000) / 60_000);
    return { ...d, left: h ? `还剩${h}小时${m}分钟` : `还剩${m}分钟`, soon: true };
  }
  return { ...d, soon: false };
}

/** The next deadline of a ticket in a list: its name and the countdown, or null (paused, finished). */
export function nextDeadline(t: Ticket, now: Date, cal: WorkCalendar, tz: string): { name: string; due: ReturnType<typeof countdownText> } | null {
  const fields = LIST_DEADLINE_IN_STATE[t.state].filter((f) => t[f]);
  if (!fields.length) return null;
  const f = fields.reduce((a, b) => ((t[b] as Date).getTime() < (t[a] as Date).getTime() ? b : a));
  return { name: DEADLINE_NAME[f], due: countdownText(t[f], now, cal, tz) };
}

/** One row of a workbench list. */
export function rowView(t: Ticket, actor: Actor, now: Date, cal: WorkCalendar, tz: string) {
  return { t: presentTicket(t, actor, { now, list: true }), next: nextDeadline(t, now, cal, tz), receivedAt: t.receivedAt };
}
export type RowView = ReturnType<typeof rowView>;

/** Who did it, as staff read a timeline. */
function actorLabel(e: ReturnType<typeof presentEvent>): string {
  if (e.actor.masked) return '举报人';
  const r = e.actor.role;
  if (r === 'system') return '系统';
  if (r === 'access_code') return '提交人（凭查询码）';
  if (r === 'anonymous') return '提交人';
  if (r === 'owner') return '提交人';
  return ROLE_LABEL[r as keyof typeof ROLE_LABEL] ?? r;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** An event's title in Chinese, with what its payload says (no personal data: payloads carry none). */
function eventTitle(e: ReturnType<typeof presentEvent>, dept: (code: unknown) => string, extDays: (id: unknown) => string): string {
  const p = e.payload as Record<string, unknown>;
  switch (e.type) {
    case 'created':
      return `登记（${L.CHANNEL_LABEL[str(p.channel)] ?? ''}）`;
    case 'dispatched':
      return p.auto ? `按规则分派至${dept(p.departmentCode)}` : p.redispatch ? `改派至${dept(p.departmentCode)}` : `分派至${dept(p.departmentCode)}`;
    case 'signed':
      return p.onTime === false ? '签收（超过签收期限）' : '签收';
    case 'returned':
      return `${dept(p.departmentCode)}退回`;
    case 'info_requested':
      return '请提交人补充材料';
    case 'supplemented':
      return '补充材料';
    case 'extension_requested':
      return `申请延期${p.workingDays ?? ''}个工作日`;
    case 'extension_decided':
      return p.approved ? `同意延期${p.workingDays ?? extDays(p.extensionId)}个工作日` : '不同意延期';
    case 'replied':
      return `${p.atIntake ? '当场答复' : '答复'}：${L.OUTCOME_LABEL[str(p.outcome)] ?? ''}${p.onTime === false ? '（超过答复期限）' : ''}`;
    case 'rated':
      return `评价：${L.RATING_LABEL[str(p.rating)] ?? ''}${p.via === 'callback' ? '（回访记录）' : ''}`;
    case 'reopened':
      return p.reason === 'bad_rating' ? `差评，重新办理（第${p.cycle}轮）` : `重新办理（第${p.cycle}轮）`;
    case 'rejected':
      return `不予受理：${L.GROUND_LABEL[str(p.ground)] ?? ''}`;
    case 'withdrawn':
      return '提交人撤回';
    case 'merged':
      return `并入${str(p.intoNumber)}`;
    case 'unmerged':
      return `${str(p.fromNumber)}${p.reason === 'primary_withdrawn' ? '已撤回' : '不予受理'}，取消并单，退回待分派`;
    case 'oversight_moved':
      return `督办单改由${p.toDepartmentCode ? dept(p.toDepartmentCode) : '区市场监管局（分派）'}回复`;
    case 'oversight_closed':
      return `督办单已关闭（${p.reason === 'merged' ? '工单已合并' : p.reason === 'rejected' ? '工单不予受理' : p.reason === 'closed' ? '工单已办结' : '诉求人已撤回'}）`;
    case 'closed':
      return '办结';
    case 'note':
      return '内部备注';
    case 'escalated':
      return `${L.LEVEL_LABEL[Number(p.level)] ?? '督办'}：${L.REASON_LABEL[str(p.reason)] ?? ''}`;
    case 'oversight_responded':
      return `回复督办单${p.onTime === false ? '（逾期）' : ''}`;
    case 'identity_read':
      return '查看举报人身份（已记录）';
    case 'contact_read':
      return '查看提交人完整电话（已记录）';
    case 'concluded':
      return `举报办结：${L.FINDING_LABEL[str(p.finding)] ?? ''}`;
    case 'decided':
      return `异议决定：${L.DECISION_LABEL[str(p.outcome)] ?? ''}`;
    case 'deadlines_recomputed':
      return '期限按新的工作日历重新计算';
    case 'attached':
      return p.internal ? '添加内部文件' : '添加文件';
    case 'attachment_read':
      return '下载证据文件（已记录）';
    default:
      return e.type;
  }
}

/** The timeline of the ticket page: each event with its text and its files, oldest first. */
export function timelineView(v: TicketWorkView, actor: Actor) {
  const depName = new Map(v.departments.map((d) => [d.code, d.nameZh]));
  const dept = (code: unknown) => (typeof code === 'string' ? (depName.get(code) ?? code) : '');
  const extDays = (id: unknown) => String(v.extensions.get(String(id))?.workingDays ?? '');
  const files = new Map<string, ReturnType<typeof presentAttachment>[]>();
  for (const x of v.attachments.items) {
    const a = presentAttachment(x.attachment, v.attachments.ticket, actor, x.ordinal);
    const k = a.eventId ?? '';
    files.set(k, [...(files.get(k) ?? []), a]);
  }
  return v.events.map((raw) => {
    const e = presentEvent(raw, v.hideActorId);
    const p = e.payload as Record<string, unknown>;
    const msg = typeof p.messageId === 'string' ? v.messages.get(p.messageId) : undefined;
    const ext = e.type === 'extension_requested' ? v.extensions.get(String(p.extensionId)) : undefined;
    return {
      id: e.id,
      at: e.at,
      cycle: e.cycle,
      title: eventTitle(e, dept, extDays),
      by: actorLabel(e),
      text: msg?.body ?? ext?.reason ?? null,
      internal: !!msg?.internal,
      files: files.get(e.id) ?? [],
    };
  });
}

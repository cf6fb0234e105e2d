import { addCalendarDays, isoWeekday } from '../domain/calendar';

/**
 * Chinese labels and formatting for mail texts (DESIGN §10: Chinese text). Identifiers stay
 * English in code and API; what people read is here, in one place.
 */
export const KIND_LABEL: Record<string, string> = {
  complaint: '诉求投诉',
  suggestion: '意见建议',
  objection: '异议',
  integrity_report: '违规收费、摊派、索要财物举报',
};
export const CHANNEL_LABEL: Record<string, string> = { web: '网上提交', hotline: '热线电话', symposium: '座谈会', letter: '来信' };
export const PRIORITY_LABEL: Record<string, string> = { normal: '一般', urgent: '紧急' };
export const STATE_LABEL: Record<string, string> = {
  registered: '待分派',
  dispatched: '待签收',
  in_progress: '办理中',
  awaiting_info: '待补充',
  replied: '已答复',
  closed: '已办结',
  rejected: '不予受理',
  withdrawn: '已撤回',
  merged: '已并单',
};
export const OUTCOME_LABEL: Record<string, string> = { resolved: '已解决', explained: '已解释说明', unresolvable: '暂无法解决' };
/** Grounds of the SAMR complaint rules (市场监督管理投诉举报处理暂行办法 第十五条), as `REJECT_GROUNDS`. */
export const GROUND_LABEL: Record<string, string> = {
  outside_remit: '不属于本机关职责范围',
  handled_elsewhere: '已由人民法院、仲裁机构或其他行政机关受理或处理',
  not_business_related: '不属于经营活动引起的问题',
  older_than_3_years: '自知道或应当知道权益受侵害之日起超过三年',
  materials_missing_or_false: '材料不全或不实',
  identity_refused: '拒绝提供必要的身份信息',
  other: '其他原因',
};
export const DEMAND_LABEL: Record<string, string> = { fee: '违规收费', levy: '摊派', property: '索要财物', other: '其他' };
export const DEADLINE_LABEL: Record<string, string> = { dispatch: '分派', sign: '签收', reply: '答复' };
export const LEVEL_LABEL: Record<number, string> = { 1: '一级催办', 2: '二级黄牌督办', 3: '三级红牌督办' };
/** Why an escalation fired (`EscalationReason` of the clock). */
export const REASON_LABEL: Record<string, string> = {
  dispatch_late: '超过分派期限',
  sign_late: '超过签收期限',
  reply_late: '超过答复期限',
  reply_missing: '超过答复期限5个工作日仍未答复',
  oversight_late: '督办单逾期未回复',
  manual: '协调办公室（纪检监察机关）决定督办',
  second_reopening: '同一问题第二次重新办理',
};
export const FINDING_LABEL: Record<string, string> = { substantiated: '属实', unsubstantiated: '不属实' };
export const DECISION_LABEL: Record<string, string> = { upheld: '异议成立', dismissed: '异议不成立' };
export const RATING_LABEL: Record<string, string> = {
  very_satisfied: '非常满意',
  satisfied: '满意',
  basically_satisfied: '基本满意',
  dissatisfied: '不满意',
  very_dissatisfied: '非常不满意',
  none: '未评价（评价期满自动办结）',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as local wall time in the business time zone, `YYYY-MM-DD HH:mm`. Deadlines
 * are 00:00 of the day after the last day (DESIGN §4); they are written with {@link formatDeadline}.
 */
export function formatInstant(d: Date | null | undefined, tz: string): string | null {
  if (!d) return null;
  // one formatter per zone: making one costs far more than using it (issue 15: ~1.5% of the whole job's CPU)
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  const parts = f.formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}`;
}

const WEEKDAY = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** A local date `YYYY-MM-DD` as `2026年11月4日（周三）`. */
export function formatDate(date: string): string {
  return `${Number(date.slice(0, 4))}年${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日（${WEEKDAY[isoWeekday(date)]}）`;
}

/**
 * A deadline instant as every page, mail and text writes it (one formatter): deadlines are
 * 00:00 of the day after the last day (DESIGN §4), which reads as "before Wednesday starts"
 * and is misread as a day early; so a deadline at local midnight is written as the end of its
 * last day, `2026年11月3日（周二）24:00前` (the same instant), any other as
 * `2026年11月4日（周三）17:30前`. The text carries its 「前」: templates do not add one.
 */
export function formatDeadline(d: Date, tz: string): string {
  const wall = formatInstant(d, tz)!; // `YYYY-MM-DD HH:mm`, the zone's formatter cached
  const date = wall.slice(0, 10);
  const time = wall.slice(11);
  if (time === '00:00') return `${formatDate(addCalendarDays(date, -1))}24:00前`;
  return `${formatDate(date)}${time}前`;
}

/** {@link formatDeadline}, or null for no deadline (mail and text data). */
export const formatDeadlineOrNull = (d: Date | null | undefined, tz: string): string | null => (d ? formatDeadline(d, tz) : null);

/** `a***@example.test`: enough for the admin to tell addresses apart, not to read them. */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** Cuts a long text for a mail, saying so (the full text is in the system). */
export function excerpt(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max).join('')}……（全文请登录系统查看）`;
}

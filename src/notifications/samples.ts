import type { Ticket } from '../entities';
import type { Audience } from './render';

/**
 * Sample data for previews and template tests: a routed complaint from a hotline caller
 * and an integrity report, with what each notice adds. Instants are fixed (a Monday in
 * November 2026), so previews are reproducible.
 */
export function sampleTicket(integrity = false): Ticket {
  const at = (s: string) => new Date(s);
  const t = {
    id: '00000000-0000-4000-8000-000000000001',
    number: 'FL2026000123',
    kind: integrity ? 'integrity_report' : 'complaint',
    channel: integrity ? 'web' : 'hotline',
    categoryCode: integrity ? null : 'tax_fees',
    priority: 'normal',
    state: 'in_progress',
    cycle: 1,
    departmentCode: integrity ? 'DIS' : 'TAX',
    title: integrity ? '办税服务厅专管员索要红包' : '定额税核定偏高，申请重新核定 <示例>',
    description: integrity ? '2026年10月20日，专管员张某在办税服务厅要求缴纳"加急费"500元，未出具票据。' : '今年营业额下降三成，但定额仍按去年核定。\n请求重新核定。',
    submitterId: null,
    createdById: null,
    anonymous: false,
    accessCodeHash: 'x',
    contact: { name: '王小明', phone: '13800001234', businessName: '涪陵区示例面馆', email: 'owner@example.test' },
    sourceId: null,
    receivedAt: at('2026-11-02T01:30:00Z'),
    cycleStartedAt: at('2026-11-02T01:30:00Z'),
    routingClockStart: at('2026-11-02T01:30:00Z'),
    dispatchBy: null,
    signBy: at('2026-11-03T16:00:00Z'),
    replyBy: at('2026-11-09T16:00:00Z'),
    redBy: null,
    rateBy: at('2026-11-12T16:00:00Z'),
    dueSoonAt: null,
    deadlinesProvisional: false,
    nextCheckAt: null,
    pausedAt: null,
    escalationLevel: 0,
    outcome: null,
    repliedAt: null,
    rating: null,
    ratedAt: null,
    closedAt: null,
    rejectGround: null,
    mergedIntoId: null,
    symposiumId: null,
    resultNoticeId: null,
    resultEntryId: null,
    subjectCreditCode: null,
    decision: null,
    accusedDepartmentCode: integrity ? 'TAX' : null,
    accusedPerson: integrity ? '张某' : null,
    demand: integrity ? 'property' : null,
    amountYuan: integrity ? '500.00' : null,
    occurredOn: integrity ? '2026-10-20' : null,
    finding: null,
    version: 3,
    createdAt: at('2026-11-02T01:30:00Z'),
    updatedAt: at('2026-11-02T01:30:00Z'),
  };
  return t as unknown as Ticket;
}

/** Per template: who it is written for (the first is the preview default), whether it is about an integrity report, and what the notice adds. */
export const SAMPLES: Record<string, { audiences: Audience[]; integrity?: boolean; ticket?: Partial<Ticket>; vars: Record<string, unknown> }> = {
  ticket_received: { audiences: ['submitter'], vars: { forwardedToHigher: false } },
  ticket_dispatched: { audiences: ['handler', 'head', 'supervisor'], vars: { redispatch: false } },
  ticket_returned: { audiences: ['coordinator', 'supervisor'], vars: { reason: '该事项属于区商务委职责。', fromDepartmentCode: 'TAX' } },
  info_requested: { audiences: ['submitter'], vars: { message: '请提供近三个月的营业额流水。', waitWorkingDays: 5 } },
  ticket_supplemented: { audiences: ['handler', 'head'], vars: { message: '已上传10月流水。' } },
  extension_requested: { audiences: ['coordinator', 'supervisor'], vars: { workingDays: 5, reason: '需实地核查。' } },
  extension_decided: { audiences: ['submitter', 'handler', 'head'], vars: { approved: true, workingDays: 5, note: '需实地核查经营情况。' } },
  ticket_replied: { audiences: ['submitter'], vars: { outcome: 'resolved', message: '经核查，已按实际营业额重新核定定额。\n新定额自12月起执行。', atIntake: false, mergedFrom: null } },
  symposium_answer: { audiences: ['attendee'], vars: { outcome: 'explained', message: '夜市经营时间延长至24点。', symposiumTitle: '个体工商户代表座谈会', heldOn: '2026-10-30' } },
  ticket_closed: { audiences: ['submitter'], vars: { rating: 'satisfied', mergedFrom: null } },
  ticket_rejected: { audiences: ['submitter'], vars: { ground: 'handled_elsewhere', detail: '该纠纷已由区人民法院受理。' } },
  ticket_withdrawn: { audiences: ['handler', 'head'], vars: {} },
  ticket_merged: { audiences: ['submitter'], vars: { intoNumber: 'FL2026000100', answered: false, outcome: null, message: null } },
  ticket_unmerged: { audiences: ['submitter'], vars: { fromNumber: 'FL2026000100' } },
  ticket_reopened: { audiences: ['handler', 'head', 'coordinator'], vars: { cycle: 2, badRating: true } },
  due_soon: { audiences: ['handler', 'head', 'coordinator', 'supervisor'], vars: { deadline: 'reply', dueAt: new Date('2026-11-09T16:00:00Z') } },
  overdue: { audiences: ['head', 'handler', 'coordinator'], vars: { level: 1, reason: 'sign_late' } },
  oversight_opened: { audiences: ['head', 'coordinator', 'supervisor'], vars: { level: 2, reason: 'reply_late', respondBy: new Date('2026-11-12T16:00:00Z'), departmentCode: 'TAX' } },
  oversight_late: { audiences: ['head', 'coordinator', 'supervisor'], vars: { level: 2, reason: 'reply_late', respondBy: new Date('2026-11-12T16:00:00Z'), departmentCode: 'TAX' } },
  red_card: { audiences: ['head', 'supervisor', 'coordinator'], vars: { level: 3, reason: 'oversight_late', respondBy: new Date('2026-11-18T16:00:00Z'), departmentCode: 'TAX' } },
  ticket_concluded: { audiences: ['submitter'], integrity: true, vars: { finding: 'substantiated', message: '经调查，反映情况属实，已对相关人员立案处理。' } },
  objection_decided: { audiences: ['submitter'], vars: { decision: 'upheld', message: '经复核，该商户不符合"特色"认定条件，已撤销公示。' } },
  integrity_forward: {
    audiences: ['higher'],
    integrity: true,
    ticket: { accusedDepartmentCode: 'DIS', accusedPerson: '某干部', departmentCode: null, state: 'registered', title: '区纪委干部检查时索要烟酒' },
    vars: {},
  },
};

/** How the sample texts address their reader. */
export const sampleGreeting = (a: Audience): string | null => (a === 'higher' ? null : a === 'submitter' || a === 'attendee' ? '王小明' : '李华');

/** Department names for samples (the seeded ones that samples use). */
export const SAMPLE_DEPARTMENTS = new Map([
  ['TAX', '区税务局'],
  ['DIS', '区纪委监委'],
  ['SAMR', '区市场监管局'],
  ['COM', '区商务委'],
]);

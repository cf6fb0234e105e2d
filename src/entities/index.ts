import { Department } from './department';
import { Category } from './category';
import { RoutingRule } from './routing-rule';
import { SlaPolicy } from './sla-policy';
import { User } from './user';
import { TicketCounter } from './ticket-counter';
import { Ticket } from './ticket';
import { TicketEvent, EventChainSeal } from './ticket-event';
import { TicketMessage, TicketPause, TicketExtension, TicketReturn } from './ticket-detail';
import { Symposium } from './symposium';
import { IdempotencyKey } from './idempotency-key';
import { CalendarDay, CalendarYear } from './calendar-day';
import { OutboxMessage } from './outbox-message';
import { ResultNotice, ResultEntry } from './result-notice';
import { Veto, VetoCause, VetoHistory } from './veto';
import { Escalation, DeadlineNotice, TestClock } from './escalation';
import { OversightOrder } from './oversight-order';
import { TicketAttachment } from './ticket-attachment';
import { WebSession } from './web-session';
import { AccountEvent } from './account-event';
import { PhoneVerification, SmsReceipt } from './sms';
import { TicketSearchToken } from './ticket-search-token';
import { FigureDirty, ReportFigure, TicketFigure } from './report-figure';

export {
  Department,
  Category,
  RoutingRule,
  SlaPolicy,
  User,
  TicketCounter,
  Ticket,
  TicketEvent,
  TicketMessage,
  TicketPause,
  TicketExtension,
  TicketReturn,
  Symposium,
  IdempotencyKey,
  CalendarDay,
  CalendarYear,
  ResultNotice,
  ResultEntry,
  Veto,
  VetoCause,
  VetoHistory,
  OutboxMessage,
  Escalation,
  DeadlineNotice,
  TestClock,
  OversightOrder,
  TicketAttachment,
  WebSession,
  AccountEvent,
  EventChainSeal,
  SmsReceipt,
  PhoneVerification,
  TicketSearchToken,
  ReportFigure,
  TicketFigure,
  FigureDirty,
};

export const entities = [
  Department,
  Category,
  RoutingRule,
  SlaPolicy,
  User,
  TicketCounter,
  Ticket,
  TicketEvent,
  TicketMessage,
  TicketPause,
  TicketExtension,
  TicketReturn,
  Symposium,
  IdempotencyKey,
  CalendarDay,
  CalendarYear,
  ResultNotice,
  ResultEntry,
  Veto,
  VetoCause,
  VetoHistory,
  OutboxMessage,
  Escalation,
  DeadlineNotice,
  TestClock,
  OversightOrder,
  TicketAttachment,
  WebSession,
  AccountEvent,
  EventChainSeal,
  SmsReceipt,
  PhoneVerification,
  TicketSearchToken,
  ReportFigure,
  TicketFigure,
  FigureDirty,
];

import { z, registry } from './openapi';
import { ACTIONS, CHANNELS, PRIORITIES, STATES, TICKET_KINDS } from '../domain/lifecycle';

/**
 * Response shapes for the OpenAPI document (DESIGN §13: the document is the full contract).
 * They describe what the presenters in `presenters.ts` return; instants are ISO 8601 UTC strings.
 */
const instant = z.string().nullable().openapi({ format: 'date-time' });

export const TicketView = registry.register(
  'Ticket',
  z.object({
    id: z.string().uuid(),
    number: z.string().openapi({ example: 'FL2026000123' }),
    kind: z.enum(TICKET_KINDS),
    channel: z.enum(CHANNELS),
    category: z.string().nullable(),
    priority: z.enum(PRIORITIES),
    state: z.enum(STATES),
    cycle: z.number().int(),
    departmentCode: z.string().nullable(),
    title: z.string(),
    description: z.string(),
    anonymous: z.boolean(),
    reporter: z.enum(['shown', 'masked', 'anonymous']),
    contact: z
      .object({ name: z.string().optional(), phone: z.string().nullable().optional(), creditCode: z.string().optional(), businessName: z.string().optional(), email: z.string().optional() })
      .nullable()
      .openapi({ description: 'the submitter; phone masked for handlers and in lists; null when masked or anonymous' }),
    receivedAt: instant,
    deadlines: z.object({
      dispatchBy: instant,
      signBy: instant,
      replyBy: instant,
      rateBy: instant,
      escalateBy: instant.openapi({ description: 'reply deadline of N + 5 working days (level 3)' }),
      provisional: z.boolean().openapi({ description: 'a counted day lies in a year without an official schedule' }),
    }),
    overdue: z.boolean(),
    dueSoon: z.boolean(),
    escalationLevel: z.number().int().min(0).max(3),
    outcome: z.string().nullable(),
    repliedAt: instant,
    rating: z.string().nullable(),
    closedAt: instant,
    rejectGround: z.string().nullable(),
    mergedIntoId: z.string().nullable(),
    symposiumId: z.string().nullable(),
    resultNoticeId: z.string().nullable(),
    resultEntryId: z.string().nullable(),
    accused: z
      .object({ departmentCode: z.string().nullable(), person: z.string().nullable(), demand: z.string().nullable(), amountYuan: z.string().nullable(), occurredOn: z.string().nullable() })
      .optional()
      .openapi({ description: 'integrity reports only' }),
    finding: z.string().nullable().optional(),
    subjectCreditCode: z.string().nullable().optional(),
    decision: z.string().nullable().optional(),
    oversight: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: 'oversight orders (staff, single-ticket view)' }),
    version: z.number().int().openapi({ description: 'also the ETag; send it as If-Match' }),
    allowedActions: z.array(z.enum(ACTIONS)),
    createdAt: instant,
    updatedAt: instant,
    accessCode: z.string().optional().openapi({ description: 'create only, account-less submitters: shown once' }),
  }),
);

export const TicketPage = z.object({ items: z.array(TicketView), nextCursor: z.string().nullable() });

export const EventView = registry.register(
  'TicketEvent',
  z.object({
    id: z.string().uuid(),
    seq: z.number().int(),
    type: z.string(),
    at: instant,
    cycle: z.number().int(),
    actor: z.object({ id: z.string().nullable(), role: z.string(), masked: z.boolean().optional() }),
    fromState: z.string().nullable(),
    toState: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
  }),
);

export const TrackedView = registry.register(
  'TrackedTicket',
  z.object({
    number: z.string(),
    kind: z.enum(TICKET_KINDS),
    title: z.string(),
    state: z.enum(STATES),
    cycle: z.number().int(),
    departmentCode: z.string().nullable(),
    receivedAt: instant,
    deadlines: z.object({ replyBy: instant, rateBy: instant, provisional: z.boolean() }),
    outcome: z.string().nullable(),
    rating: z.string().nullable(),
    closedAt: instant,
    answers: z.array(z.object({ kind: z.string(), cycle: z.number().int(), body: z.string(), at: instant })),
    timeline: z
      .array(
        z.object({
          type: z.string(),
          at: instant,
          cycle: z.number().int(),
          departmentCode: z.string().nullable().optional(),
          text: z.string().nullable().optional(),
          extension: z.object({ approved: z.boolean(), workingDays: z.number().int(), reason: z.string() }).optional(),
          outcome: z.string().nullable().optional(),
          rating: z.string().nullable().optional(),
          ground: z.string().nullable().optional(),
          finding: z.string().nullable().optional(),
          decision: z.string().nullable().optional(),
          auto: z.boolean().optional(),
        }),
      )
      .openapi({ description: 'the public timeline: dispatches, sign-for, questions, answers, extensions with their reason; never a person or an internal note' }),
  }),
);

export const AttachmentView = registry.register(
  'Attachment',
  z.object({
    id: z.string().uuid(),
    name: z.string().openapi({ description: 'stored name, with the extension of the real type; on integrity reports staff see a neutral name (the real one comes with the audited download)' }),
    type: z.string().openapi({ description: 'media type recognized from the content', example: 'image/jpeg' }),
    size: z.number().int().openapi({ description: 'bytes stored (photos: after metadata removal)' }),
    sha256: z.string().openapi({ description: 'SHA-256 of the stored bytes (hex), also in the event that brought the file' }),
    kind: z.enum(['photo', 'document', 'audio']),
    preview: z.boolean().openapi({ description: 'a preview image exists (`…/preview`)' }),
    context: z.enum(['create', 'supplement', 'reply', 'conclude', 'decide', 'oversight_response', 'attach']),
    internal: z.boolean().openapi({ description: 'shown to staff only' }),
    cycle: z.number().int(),
    eventId: z.string().uuid().openapi({ description: 'the timeline entry (event) the file belongs to' }),
    eventSeq: z.number().int().openapi({ description: "that event's `seq` in the timeline" }),
    attachedAt: z.string().openapi({ format: 'date-time' }),
    by: z.string().openapi({ description: 'role of who attached it (owner, access_code, anonymous, intake, handler, …)' }),
  }),
);
export const AttachmentList = z.object({ items: z.array(AttachmentView) });

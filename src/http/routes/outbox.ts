import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { filter, Paging, Uuid } from '../../schemas';
import { forwardHeldReport, listOutbox, retryOutboxMessage } from '../../commands/outbox';
import { presentOutbox } from '../presenters';

const OutboxState = z.enum(['pending', 'sent', 'failed', 'held']);
const OutboxItem = z.object({
  id: z.string(),
  notice: z.string(),
  channel: z.enum(['email', 'sms']).openapi({ description: '`email`, or `sms` (recipient a mobile number, no subject; issue 11)' }),
  segments: z.number().int().nullable().openapi({ description: 'sms: parts the text travels as (70 UCS-2 characters in one, 67 per part)' }),
  notBefore: z.string().nullable().openapi({ description: 'sms to an owner written in quiet hours: not sent before this instant (service clock)' }),
  ticketNumber: z.string().nullable(),
  recipient: z.string().nullable(),
  recipientRole: z.string(),
  subject: z.string(),
  state: OutboxState,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  messageId: z.string().nullable(),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  masked: z.boolean().openapi({ description: 'about an integrity report: recipient and body masked (DESIGN §1, §7)' }),
  text: z.string().nullable().openapi({ description: "the text part (a text message's whole text, access and verification codes shown as ******); null when masked" }),
});

/** The admin's view of notification delivery (DESIGN §10, §13). */
export function outboxRoutes(router: Router, deps: AppDeps) {
  const tags = ['outbox'];
  route(
    router,
    {
      method: 'get',
      path: '/outbox',
      roles: ['admin'] as const,
      summary: 'Delivery state of every notification, newest first (admin)',
      tags,
      query: z.object({ state: filter(OutboxState), ticketNumber: filter(z.string().max(32)), ...Paging }).strict(),
      response: z.object({ items: z.array(OutboxItem), nextCursor: z.string().nullable() }),
    },
    async (ctx, { query, actor }) => {
      const page = await listOutbox(deps, actor, query);
      ctx.body = { items: page.items.map(presentOutbox), nextCursor: page.nextCursor };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/outbox/:id/forward',
      roles: ['admin'] as const,
      summary: 'Send a held report to the higher-level discipline commission now, at the configured HIGHER_DISCIPLINE_EMAIL (never an address from the request; DESIGN §7)',
      tags,
      params: z.object({ id: Uuid }),
      body: z.object({}).strict(),
      response: OutboxItem,
    },
    async (ctx, { params, actor }) => {
      ctx.body = presentOutbox(await forwardHeldReport(deps, actor, params.id));
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/outbox/:id/retry',
      roles: ['admin'] as const,
      summary: 'Send a failed notification again, or a pending one now (admin); a sent or held one is 409 not-retryable',
      tags,
      params: z.object({ id: Uuid }),
      body: z.object({}).strict(),
      response: OutboxItem,
    },
    async (ctx, { params, actor }) => {
      ctx.body = presentOutbox(await retryOutboxMessage(deps, actor, params.id));
    },
  );
}

import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { TOPICS } from '../../notifications/recipients';
import { getNotificationPrefs, setNotificationPrefs } from '../../commands/notification-prefs';

const Prefs = z.object({
  topics: z.record(z.string(), z.boolean()).openapi({ description: 'per kind of mail: true = send (the default), false = do not' }),
  sms: z.record(z.string(), z.boolean()).openapi({ description: 'per kind of text message (issue 11): true = send (the default), false = do not; only kinds that have a text are ever sent by SMS' }),
  locked: z.array(z.string()).openapi({ description: "kinds that cannot be switched off for this account (a department head's escalation mail and texts)" }),
});

/** The signed-in user's mail preferences (DESIGN §10: users choose per event whether they get mail). */
export function notificationPrefRoutes(router: Router, deps: AppDeps) {
  const tags = ['notifications'];

  route(router, { method: 'get', path: '/me/notifications', summary: 'My mail preferences', tags, response: Prefs }, async (ctx, { actor }) => {
    ctx.body = await getNotificationPrefs(deps.db, actor.userId);
  });

  route(
    router,
    {
      method: 'put',
      path: '/me/notifications',
      summary: 'Switch kinds of mail on or off (unlisted kinds keep their setting)',
      tags,
      body: z.object({ topics: z.partialRecord(z.enum(TOPICS), z.boolean()).optional(), sms: z.partialRecord(z.enum(TOPICS), z.boolean()).optional() }).strict(),
      response: Prefs,
    },
    async (ctx, { body, actor }) => {
      ctx.body = await setNotificationPrefs(deps.db, actor.userId, body.topics ?? {}, body.sms ?? {});
    },
  );
}

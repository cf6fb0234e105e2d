import Router from '@koa/router';
import { invalidateStaffCache } from '../../notifications/recipients';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { User } from '../../entities';
import { requireRole } from '../auth';
import { fieldError } from '../../errors';
import { HEAD_LOCKED_TOPICS, TOPICS } from '../../notifications/recipients';

const Prefs = z.object({
  topics: z.record(z.string(), z.boolean()).openapi({ description: 'per kind of mail: true = send (the default), false = do not' }),
  locked: z.array(z.string()).openapi({ description: 'kinds that cannot be switched off for this account (a department head\'s escalation mail)' }),
});

/** The signed-in user's mail preferences (DESIGN §10: users choose per event whether they get mail). */
export function notificationPrefRoutes(router: Router, deps: AppDeps) {
  const tags = ['notifications'];
  const view = (u: User) => {
    const locked = u.role === 'handler' && u.isHead ? [...HEAD_LOCKED_TOPICS] : [];
    return { topics: Object.fromEntries(TOPICS.map((t) => [t, locked.includes(t) || u.notifyPrefs?.[t] !== false])), locked };
  };

  route(router, { method: 'get', path: '/me/notifications', summary: 'My mail preferences', tags, response: Prefs }, async (ctx) => {
    const a = requireRole(ctx);
    ctx.body = view(await deps.db.getRepository(User).findOneByOrFail({ id: a.userId }));
  });

  route(router, {
    method: 'put', path: '/me/notifications', summary: 'Switch kinds of mail on or off (unlisted kinds keep their setting)', tags,
    body: z.object({ topics: z.partialRecord(z.enum(TOPICS), z.boolean()) }).strict(), response: Prefs,
  }, async (ctx, { body }) => {
    const a = requireRole(ctx);
    const repo = deps.db.getRepository(User);
    const u = await repo.findOneByOrFail({ id: a.userId });
    const locked = u.role === 'handler' && u.isHead ? HEAD_LOCKED_TOPICS : [];
    const off = Object.entries(body.topics).find(([t, on]) => !on && locked.includes(t as never));
    if (off) throw fieldError(`topics.${off[0]}`, 'locked', 'a department head\'s escalation mail cannot be switched off');
    u.notifyPrefs = { ...(u.notifyPrefs ?? {}), ...body.topics };
    await repo.update({ id: u.id }, { notifyPrefs: u.notifyPrefs });
    invalidateStaffCache();
    ctx.body = view(u);
  });
}

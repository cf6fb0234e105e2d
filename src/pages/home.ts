import type Router from '@koa/router';
import type { PageKit } from './kit';
import { openNotices } from '../queries/result-notices';

/** The home page at `/`: what the service is for in two sentences, and four entries (issue 9). */
export function homePages(router: Router, kit: PageKit) {
  const { deps } = kit;
  router.get('/', async (ctx) => {
    const notices = await openNotices(deps.db.manager, await deps.calendar.get(deps.db.manager), deps.config.businessTz, deps.clock.now());
    kit.show(ctx, 'home', '首页', { openNotices: notices });
  });
}

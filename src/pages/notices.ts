import type Router from '@koa/router';
import type { PageKit } from './kit';
import { actorOf } from './kit';
import { findNotice, listNotices, noticeView } from '../queries/result-notices';
import { listDepartments } from '../queries/reference';

/** The result notices (issue 9 §6): the list with window dates, one notice with its entries and the way to object. */
export function noticePages(router: Router, kit: PageKit) {
  const { deps } = kit;
  router.get('/notices', async (ctx) => {
    const cal = await deps.calendar.get(deps.db.manager);
    const { items } = await listNotices(deps.db.manager, { limit: 50 }, cal, deps.config.businessTz, deps.clock.now());
    kit.show(ctx, 'notices/list', '认定结果公示', { open: items.filter((n) => n.status === 'open'), others: items.filter((n) => n.status !== 'open') });
  });
  router.get('/notices/:id', async (ctx) => {
    const cal = await deps.calendar.get(deps.db.manager);
    const n = await noticeView(deps.db.manager, await findNotice(deps.db.manager, ctx.params.id), actorOf(ctx), cal, deps.config.businessTz, deps.clock.now());
    const dep = (await listDepartments(deps.db.manager)).find((d) => d.code === n.handlingDepartmentCode)?.nameZh ?? n.handlingDepartmentCode;
    kit.show(ctx, 'notices/notice', n.title, { n, handlingDepartment: dep });
  });
}

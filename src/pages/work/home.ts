import type Router from '@koa/router';
import type { PageKit } from '../kit';
import { pageCursor, takeDone } from './common';
import { requireStaff } from './access';
import { dispatchBoard, handlerTodo } from '../../queries/workbench';
import { presentOversightOrder } from '../../http/presenters';
import { countdownText, rowView } from './view';
import { actionDoneText } from './tickets';
import { adminHome, RECENT_DEACTIVATION_DAYS, supervisorHome } from '../../queries/home-views';

/**
 * `GET /work`: each role's home (issue 10). The handler's 待办 (to sign, in progress,
 * awaiting information, oversight orders to answer, with countdowns); the coordinator's
 * dispatch board (registered and returned tickets with the routing rules' suggestion and the
 * return reasons, and the extension requests to decide); intake goes to the call form; the
 * supervisors' integrity reports to sign, in progress and overdue with the standing vetoes
 * (`supervisorHome`); the admin's failed notices, held reports, provisional calendar years
 * and recently deactivated accounts (`adminHome`). Every figure links to its page.
 */
export function homePagesForStaff(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  router.get('/work', async (ctx) => {
    const { account, actor } = requireStaff(ctx);
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const row = (t: Parameters<typeof rowView>[0]) => rowView(t, actor, now, cal, tz);
    // what the POST that brought this browser here did (once, never from the address)
    const taken = takeDone(ctx, kit);
    const notice = taken?.done;
    const changed = notice === 'password-changed';
    switch (account.role) {
      case 'handler': {
        const todo = await handlerTodo(deps, actor);
        const list = (l: typeof todo.toSign) => ({ rows: l.items.map(row), total: l.total });
        kit.show(ctx, 'work/todo', '待办', {
          changed,
          // a sign from the 待办 list comes back here (back=/work): say which ticket was signed for
          done: taken && notice === 'sign' && taken.number ? `已签收 ${taken.number}，请在答复期限前办理。` : null,
          toSign: list(todo.toSign),
          inProgress: list(todo.inProgress),
          awaitingInfo: list(todo.awaitingInfo),
          orders: todo.orders.map((o) => ({ ...presentOversightOrder(o, now), due: countdownText(o.respondBy, now, cal, tz) })),
        });
        return;
      }
      case 'coordinator': {
        const cursor = pageCursor(ctx.query.cursor);
        const b = await dispatchBoard(deps, actor, { limit: 50, cursor });
        const depName = new Map(b.departments.map((d) => [d.code, d.nameZh]));
        kit.show(ctx, 'work/board', '派单', {
          changed,
          done: taken && (notice === 'dispatch' || notice === 'decide-extension') ? actionDoneText(taken) : null,
          rows: b.waiting.items.map((t) => ({ ...row(t), suggestion: b.suggestions.get(t.id) ?? null, returned: b.returns.get(t.id) ?? null })),
          total: b.waiting.total,
          nextCursor: b.waiting.nextCursor,
          extensions: b.extensions.map((x) => ({ ...row(x.ticket), extension: x.extension })),
          departments: b.departments.filter((d) => d.active && d.code !== 'DIS'),
          dept: (c: string | null) => (c ? (depName.get(c) ?? c) : ''),
        });
        return;
      }
      case 'intake':
        // intake's day starts with the next call
        ctx.redirect('/work/call');
        ctx.status = 303;
        return;
      case 'supervisor':
        kit.show(ctx, 'work/home-supervisor', '工作台', { changed, o: await supervisorHome(deps, actor) });
        return;
      case 'admin':
        kit.show(ctx, 'work/home-admin', '工作台', { changed, o: await adminHome(deps, actor), days: RECENT_DEACTIVATION_DAYS });
        return;
      default:
        throw new Error(`no workbench home for role ${account.role}`);
    }
  });
}

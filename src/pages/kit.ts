import type { Context } from 'koa';
import type { AppDeps } from '../deps';
import type { Actor } from '../domain/lifecycle';
import { SessionStore } from '../commands/sessions';
import type { AttemptStore } from '../http/limiter';
import { PageRenderer } from './render';
import type { CookieOptions, PageState } from './session';
import { unauthorized } from '../errors';

/**
 * What every page area gets: the wiring, the renderer, the session store, the cookie
 * options and the attempt counters shared with the API. `show` renders a page with the
 * chrome of this request (account, CSRF token).
 */
export interface PageKit {
  deps: AppDeps;
  renderer: PageRenderer;
  sessions: SessionStore;
  cookie: CookieOptions;
  attempts: AttemptStore;
  show(ctx: Context, template: string, title: string, data?: Record<string, unknown>, status?: number): void;
}

export const pageState = (ctx: Context): PageState => ctx.state.page as PageState;
export const actorOf = (ctx: Context): Actor => ctx.state.actor as Actor;

/** The signed-in account with one of `roles`, else 401 (the error page offers the sign-in link). */
export function requireAccount(ctx: Context, ...roles: string[]) {
  const a = pageState(ctx).account;
  if (!a || (roles.length && !roles.includes(a.role))) throw unauthorized();
  return a;
}

export function makeKit(deps: AppDeps, attempts: AttemptStore): PageKit {
  const renderer = new PageRenderer(deps.config.businessTz);
  const kit: PageKit = {
    deps,
    renderer,
    sessions: new SessionStore(deps.db, deps.config.sessionIdleMinutes * 60_000),
    cookie: { secure: deps.config.publicUrl.startsWith('https://') },
    attempts,
    show(ctx, template, title, data = {}, status = 200) {
      const p = ctx.state.page as PageState | undefined;
      renderer.render(ctx, template, { title, account: p?.account ?? null, csrf: p?.csrf ?? '' }, data, status);
    },
  };
  return kit;
}

import type { Context } from 'koa';
import type { CommandContext } from '../commands/context';
import type { Actor } from '../domain/lifecycle';
import { AppDeps, runAs } from '../deps';

export type { AppDeps };

/** Runs a command in one transaction as the request's actor (or `actor`). */
export function runCommand<T>(deps: AppDeps, ctx: Context, fn: (c: CommandContext) => Promise<T>, actor?: Actor): Promise<T> {
  return runAs(deps, actor ?? (ctx.state.actor as Actor), fn);
}

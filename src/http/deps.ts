import type { Context } from 'koa';
import type { CommandContext } from '../commands/context';
import type { Actor } from '../domain/lifecycle';
import type { EntityManager } from 'typeorm';
import { AppDeps, runAs } from '../deps';
import { readLagTolerant } from '../replicas';

export type { AppDeps };

/** Runs a command in one transaction as the request's actor (or `actor`). */
export function runCommand<T>(deps: AppDeps, ctx: Context, fn: (c: CommandContext) => Promise<T>, actor?: Actor): Promise<T> {
  return runAs(deps, actor ?? (ctx.state.actor as Actor), fn);
}

/**
 * Runs a read that tolerates replica lag (reports, the assessment, the veto register, lists)
 * as the request's actor: on a replica when there is one and the actor wrote nothing
 * recently, else on the primary (src/replicas.ts). Not a transaction; reads only.
 */
export function readForLists<T>(deps: AppDeps, ctx: Context, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  return readLagTolerant(deps, ctx.state.actor as Actor | undefined, fn);
}

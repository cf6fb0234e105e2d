import { bootForCli } from './common';
import { parseArgs } from './args';
import { sealLegacyChains } from '../commands/events';
import { inTransaction } from '../db';
import { Ticket } from '../entities';
import { In } from 'typeorm';

export const SEAL_USAGE = `seal-event-chains [--dry-run]
    Seals the event chains written before the chain had keys (once, after upgrading; see
    docs/decisions/security.md): each chain that ends in unkeyed events and verifies gets a
    keyed seal under the current EVENT_CHAIN_KEYS key. Chains that do not verify are listed
    and left unsealed. Safe to run again; exit code 1 when a chain is broken.`;

/** `seal-event-chains`: returns the exit code. */
export async function sealChainsCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { booleans: ['dry-run'] });
  if (a.flags.help) {
    process.stdout.write(`${SEAL_USAGE}\n`);
    return 0;
  }
  const dryRun = a.flags['dry-run'] === true;
  const deps = await bootForCli();
  try {
    let after: string | undefined;
    let sealed = 0;
    let broken = 0;
    for (;;) {
      const r = await inTransaction(deps.db, (em) => sealLegacyChains(em, deps.clock.now(), { after, dryRun }));
      sealed += r.sealed.length;
      broken += r.broken.length;
      if (r.broken.length) {
        const numbers = new Map((await deps.db.getRepository(Ticket).find({ where: { id: In(r.broken.map((b) => b.ticketId)) }, select: { id: true, number: true } })).map((t) => [t.id, t.number]));
        for (const b of r.broken) process.stdout.write(`broken: ${numbers.get(b.ticketId) ?? b.ticketId} at event ${b.brokenAt} (${b.reason})\n`);
      }
      if (!r.next) break;
      after = r.next;
    }
    process.stdout.write(`${sealed} chain(s) ${dryRun ? 'would be ' : ''}sealed, ${broken} broken\n`);
    return broken ? 1 : 0;
  } finally {
    await deps.db.destroy();
  }
}

import { bootForCli } from './common';
import { flag, parseArgs, UsageError } from './args';
import { reindexSearch } from '../commands/search-index';
import { inTransaction } from '../db';

export const REINDEX_SEARCH_USAGE = `reindex-search [--batch N] [--after ID]
    Rebuilds the search index (ticket_search_token, docs/decisions/search.md) of every ticket,
    N tickets per transaction in id order (default 2000), starting after ticket id ID when
    given: for tickets written without it (a bulk load), or after a change of the segmenter
    or its dictionary. Each ticket's old rows are replaced; safe to run again or to resume.`;

/** `reindex-search`: returns the exit code. */
export async function reindexSearchCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['batch', 'after'] });
  if (a.flags.help) {
    process.stdout.write(`${REINDEX_SEARCH_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length) throw new UsageError('reindex-search takes no arguments');
  const batch = flag(a, 'batch') ?? '2000';
  if (!/^\d{1,6}$/.test(batch) || Number(batch) < 1) throw new UsageError('--batch must be a number from 1 to 999999');
  const deps = await bootForCli();
  try {
    let after = flag(a, 'after');
    let tickets = 0;
    let tokens = 0;
    const started = Date.now();
    for (;;) {
      const r = await inTransaction(deps.db, (em) => reindexSearch(em, { after, limit: Number(batch) }));
      if (!r.last) break;
      tickets += r.tickets;
      tokens += r.tokens;
      after = r.last;
      if (process.stdout.isTTY) process.stdout.write(`\r${tickets} tickets, ${tokens} tokens, last ${after}`);
    }
    if (process.stdout.isTTY) process.stdout.write('\n');
    process.stdout.write(`${tickets} ticket(s) indexed, ${tokens} token(s), in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

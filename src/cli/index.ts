#!/usr/bin/env node
import 'reflect-metadata';
import { AppError } from '../errors';
import { parseArgs, flag, UsageError } from './args';
import { IMPORT_USAGE, importHotlineCommand } from './import-hotline';
import { activationCommand, CREATE_USER_USAGE, createUserCommand, resetPasswordCommand, UPDATE_USER_USAGE, updateUserCommand } from './users';
import { MIGRATE_USAGE, migrateCommand } from './migrate';
import { PREVIEW_USAGE, previewCommand } from './preview';
import { SEAL_USAGE, sealChainsCommand } from './seal-chains';
import { REINDEX_SEARCH_USAGE, reindexSearchCommand } from './reindex-search';
import { FIGURES_USAGE, figuresCommand } from './figures';

/**
 * The command line (`npm run cli -- <command>`, or `node build/src/cli/index.js <command>`).
 * Exit codes: 0 done, 1 done with rejected input or failed, 2 usage error.
 */

const DEMO_USAGE = `demo [--data-dir DIR] [--port N]
    Runs the main job on the embedded default (SQLite under DATA_DIR, default var/;
    DATABASE_URL is ignored): starts the service in-process on a simulated clock that
    replays November 2026, imports seed/sample-hotline.csv day by day, lets demo staff
    dispatch, sign and reply and the submitters rate through the HTTP API, and prints
    the closed-loop summary per department. Safe to run again.`;

export const USAGE = `usage: node build/src/cli/index.js <command> [options]   (npm run cli -- <command> …)

commands:
  ${IMPORT_USAGE.replace(/\n/g, '\n  ')}

  ${DEMO_USAGE.replace(/\n/g, '\n  ')}

  ${CREATE_USER_USAGE.replace(/\n/g, '\n  ')}

  ${UPDATE_USER_USAGE.replace(/\n/g, '\n  ')}

  ${MIGRATE_USAGE.replace(/\n/g, '\n  ')}

  ${PREVIEW_USAGE.replace(/\n/g, '\n  ')}

  ${SEAL_USAGE.replace(/\n/g, '\n  ')}

  ${REINDEX_SEARCH_USAGE.replace(/\n/g, '\n  ')}

  ${FIGURES_USAGE.replace(/\n/g, '\n  ')}

The database is the service's: DATABASE_URL (with JWT_SECRET and EVENT_CHAIN_KEYS), else the embedded
SQLite file under DATA_DIR. See README for the configuration table.`;

async function demoCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['data-dir', 'port'] });
  if (a.flags.help) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length) throw new UsageError('demo takes no arguments');
  const port = flag(a, 'port');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new UsageError('--port must be a number');
  const { runDemo } = await import('./demo.js');
  await runDemo({ dataDir: flag(a, 'data-dir'), port: port === undefined ? undefined : Number(port) });
  return 0;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  'import-hotline': importHotlineCommand,
  demo: demoCommand,
  'create-user': createUserCommand,
  'update-user': updateUserCommand,
  'deactivate-user': (argv) => activationCommand(argv, false),
  'reactivate-user': (argv) => activationCommand(argv, true),
  'reset-password': resetPasswordCommand,
  migrate: migrateCommand,
  preview: previewCommand,
  'seal-event-chains': sealChainsCommand,
  'reindex-search': reindexSearchCommand,
  figures: figuresCommand,
};

/** Runs one command line; returns the exit code (never exits itself). */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${command}: ${e.message} (see ${command} --help)\n`);
      return 2;
    }
    if (e instanceof AppError) {
      const fields = e.errors
        .map((f) => `${f.field}: ${f.message}`)
        .filter((f) => f !== e.detail)
        .map((f) => `\n  ${f}`)
        .join('');
      process.stderr.write(`${command}: ${e.detail}${fields}\n`);
      return 1;
    }
    process.stderr.write(`${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `… | head` closes the pipe early: that is not an error of the command.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { User } from '../entities';
import { createStaffAccount, deactivateAccount, reactivateAccount, resetPassword, updateStaffAccount } from '../commands/accounts';
import { AccountDeactivation, StaffAccount, StaffAccountInput, StaffAccountUpdate } from '../schemas';
import { findAccountByUsername } from '../queries/accounts';
import { AppError } from '../errors';
import { bootForCli } from './common';
import { flag, parseArgs, UsageError } from './args';

/**
 * Creates a staff account with the rules of `POST /api/v1/users` (`createStaffAccount`).
 * Throws AppError 400 naming the field for bad input, 422/409 as the route does.
 */
export async function createStaffUser(db: DataSource, input: StaffAccountInput, now: Date): Promise<User> {
  return createStaffAccount(db, validated(StaffAccount, input), now, { via: 'cli' });
}

/** The input checked by the API's schema. @throws AppError 400 `validation-failed` naming each field */
function validated<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; code: string; message: string }[] } } },
  input: unknown,
): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new AppError(
      400,
      'validation-failed',
      'invalid account',
      r.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(account)', code: i.code, message: i.message })),
    );
  }
  return r.data;
}

/** The account of a username. @throws UsageError when there is none */
async function accountNamed(db: DataSource, username: string | undefined, command: string): Promise<User> {
  if (!username) throw new UsageError(`${command} takes one username`);
  const u = await findAccountByUsername(db, username);
  if (!u) throw new UsageError(`no account "${username}"`);
  return u;
}

/** Reads a password: `NEW_USER_PASSWORD`, else a hidden prompt on a terminal (asked twice), else the first line of stdin. */
async function readPassword(): Promise<string> {
  if (process.env.NEW_USER_PASSWORD) return process.env.NEW_USER_PASSWORD;
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const l of rl) {
      rl.close();
      return l;
    }
    throw new UsageError('no password: set NEW_USER_PASSWORD or pipe it on stdin');
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = (q: string) =>
    new Promise<string>((res) => {
      process.stdout.write(q);
      muted = true;
      rl.question('', (a) => {
        muted = false;
        process.stdout.write('\n');
        res(a);
      });
    });
  try {
    const a = await ask('password: ');
    const b = await ask('again: ');
    if (a !== b) throw new UsageError('the passwords differ');
    return a;
  } finally {
    rl.close();
  }
}

export const CREATE_USER_USAGE = `create-user <username> --role <intake|handler|coordinator|supervisor|admin> [--department CODE] [--head]
            [--name NAME] [--email EMAIL] [--phone MOBILE]
    Creates a staff account. The password comes from NEW_USER_PASSWORD, else a prompt
    (or the first line of stdin when it is not a terminal).`;

export const UPDATE_USER_USAGE = `update-user <username> [--name NAME] [--email EMAIL|--no-email] [--phone MOBILE|--no-phone]
            [--role ROLE] [--department CODE] [--head|--no-head]
    Changes a staff account with the rules of PATCH /api/v1/users/:id (recorded).
  deactivate-user <username> [--reason TEXT]
    Deactivates an account: it cannot sign in, and its sessions end within seconds.
  reactivate-user <username>
    Lets a deactivated account sign in again.
  reset-password <username>
    Sets a generated temporary password (printed once) that the user must change.`;

/** `update-user`: returns the exit code. */
export async function updateUserCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['name', 'email', 'phone', 'role', 'department'], booleans: ['head', 'no-head', 'no-email', 'no-phone'] });
  if (a.flags.help) {
    process.stdout.write(`${UPDATE_USER_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length > 1) throw new UsageError('update-user takes one username');
  if (a.flags.head && a.flags['no-head']) throw new UsageError('--head and --no-head exclude each other');
  const patch = {
    ...(flag(a, 'name') !== undefined ? { name: flag(a, 'name') } : {}),
    ...(flag(a, 'email') !== undefined ? { email: flag(a, 'email') } : a.flags['no-email'] ? { email: null } : {}),
    ...(flag(a, 'phone') !== undefined ? { phone: flag(a, 'phone') } : a.flags['no-phone'] ? { phone: null } : {}),
    ...(flag(a, 'role') !== undefined ? { role: flag(a, 'role') } : {}),
    ...(flag(a, 'department') !== undefined ? { departmentCode: flag(a, 'department') } : {}),
    ...(a.flags.head ? { isHead: true } : a.flags['no-head'] ? { isHead: false } : {}),
  };
  const body = validated(StaffAccountUpdate, patch);
  const deps = await bootForCli();
  try {
    const u = await accountNamed(deps.db, a.positionals[0], 'update-user');
    const after = await updateStaffAccount(deps.db, { via: 'cli' }, u.id, body, deps.clock.now());
    process.stdout.write(`updated ${after.role} "${after.username}"${after.departmentCode ? ` in ${after.departmentCode}` : ''}${after.isHead ? ' (department head)' : ''}\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

/** `deactivate-user` and `reactivate-user`: returns the exit code. */
export async function activationCommand(argv: string[], active: boolean): Promise<number> {
  const command = active ? 'reactivate-user' : 'deactivate-user';
  const a = parseArgs(argv, { values: active ? [] : ['reason'] });
  if (a.flags.help) {
    process.stdout.write(`${UPDATE_USER_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length > 1) throw new UsageError(`${command} takes one username`);
  const reason = flag(a, 'reason');
  const deps = await bootForCli();
  try {
    const u = await accountNamed(deps.db, a.positionals[0], command);
    if (active) await reactivateAccount(deps.db, { via: 'cli' }, u.id, deps.clock.now());
    else await deactivateAccount(deps.db, { via: 'cli' }, u.id, validated(AccountDeactivation, reason ? { reason } : {}), deps.clock.now());
    process.stdout.write(`${active ? 'reactivated' : 'deactivated'} "${u.username}"\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

/** `reset-password`: prints the generated temporary password once; returns the exit code. */
export async function resetPasswordCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.flags.help) {
    process.stdout.write(`${UPDATE_USER_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length > 1) throw new UsageError('reset-password takes one username');
  const deps = await bootForCli();
  try {
    const u = await accountNamed(deps.db, a.positionals[0], 'reset-password');
    const r = await resetPassword(deps.db, { via: 'cli' }, u.id, {}, deps.clock.now());
    process.stdout.write(`temporary password of "${u.username}": ${r.temporaryPassword} (shown once; it must be changed at the next sign-in)\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

/** `create-user`: returns the exit code. */
export async function createUserCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['role', 'department', 'name', 'email', 'phone'], booleans: ['head'] });
  if (a.flags.help) {
    process.stdout.write(`${CREATE_USER_USAGE}\n`);
    return 0;
  }
  const [username, ...rest] = a.positionals;
  if (!username || rest.length) throw new UsageError('create-user takes one username');
  const role = flag(a, 'role');
  if (!role) throw new UsageError('--role is required');
  const password = await readPassword();
  const deps = await bootForCli();
  try {
    const u = await createStaffUser(
      deps.db,
      {
        username,
        password,
        role: role as never,
        name: flag(a, 'name') ?? username,
        departmentCode: flag(a, 'department'),
        email: flag(a, 'email'),
        phone: flag(a, 'phone'),
        isHead: a.flags.head === true,
      },
      deps.clock.now(),
    );
    process.stdout.write(`created ${u.role} "${u.username}"${u.departmentCode ? ` in ${u.departmentCode}` : ''}${u.isHead ? ' (department head)' : ''}\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

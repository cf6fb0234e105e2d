import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { User } from '../entities';
import { createStaffAccount, StaffAccount, StaffAccountInput } from '../commands/accounts';
import { AppError } from '../errors';
import { bootForCli } from './common';
import { flag, parseArgs, UsageError } from './args';

/**
 * Creates a staff account with the rules of `POST /api/v1/users` (`createStaffAccount`).
 * Throws AppError 400 naming the field for bad input, 422/409 as the route does.
 */
export async function createStaffUser(db: DataSource, input: StaffAccountInput, now: Date): Promise<User> {
  const r = StaffAccount.safeParse(input);
  if (!r.success) {
    throw new AppError(400, 'validation-failed', 'invalid account', r.error.issues.map((i) => ({ field: i.path.join('.') || '(account)', code: i.code, message: i.message })));
  }
  return createStaffAccount(db, r.data, now);
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
  const output = new Writable({ write(chunk, _enc, cb) { if (!muted) process.stdout.write(chunk); cb(); } });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = (q: string) => new Promise<string>((res) => {
    process.stdout.write(q);
    muted = true;
    rl.question('', (a) => { muted = false; process.stdout.write('\n'); res(a); });
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
    const u = await createStaffUser(deps.db, {
      username, password, role: role as never, name: flag(a, 'name') ?? username, departmentCode: flag(a, 'department'),
      email: flag(a, 'email'), phone: flag(a, 'phone'), isHead: a.flags.head === true,
    }, deps.clock.now());
    process.stdout.write(`created ${u.role} "${u.username}"${u.departmentCode ? ` in ${u.departmentCode}` : ''}${u.isHead ? ' (department head)' : ''}\n`);
    return 0;
  } finally {
    await deps.db.destroy();
  }
}

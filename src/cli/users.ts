import { randomUUID } from 'node:crypto';
import { invalidateStaffCache } from '../notifications/recipients';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Department, User } from '../entities';
import { hashPassword } from '../http/passwords';
import { DepartmentCode, Email, Mobile, RoleE, line } from '../http/schemas';
import { AppError, conflict, fieldError } from '../errors';
import { isDuplicateKey } from '../db';
import { bootForCli } from './common';
import { flag, parseArgs, UsageError } from './args';

/** A staff account as `POST /api/v1/users` takes it (DESIGN §13). */
export const StaffAccount = z.object({
  username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3-64 letters, digits, dot, dash or underscore'),
  password: z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters'),
  name: line(100),
  email: Email.optional(),
  phone: Mobile.optional(),
  role: RoleE.exclude(['owner']),
  departmentCode: DepartmentCode.optional(),
  isHead: z.boolean().optional(),
}).strict();
export type StaffAccountInput = z.input<typeof StaffAccount>;

/**
 * Creates a staff account with the rules of `POST /api/v1/users`: staff other than the
 * admin belong to an existing department; supervisors to DIS, coordinators to SAMR
 * (DESIGN §1). Throws AppError 400/422 naming the field, 409 `account-exists`.
 * (The route has the same rules inline; the lead may move both onto this function.)
 */
export async function createStaffUser(db: DataSource, input: StaffAccountInput, now: Date): Promise<User> {
  const r = StaffAccount.safeParse(input);
  if (!r.success) {
    throw new AppError(400, 'validation-failed', 'invalid account', r.error.issues.map((i) => ({ field: i.path.join('.') || '(account)', code: i.code, message: i.message })));
  }
  const body = r.data;
  if (body.role !== 'admin' && !body.departmentCode) throw fieldError('departmentCode', 'required', 'staff belong to a department', 400);
  if (body.departmentCode && !(await db.getRepository(Department).findOneBy({ code: body.departmentCode }))) throw fieldError('departmentCode', 'unknown', `unknown department ${body.departmentCode}`);
  if (body.role === 'supervisor' && body.departmentCode !== 'DIS') throw fieldError('departmentCode', 'supervisor_dis', 'supervisors belong to the discipline department (DIS)');
  if (body.role === 'coordinator' && body.departmentCode !== 'SAMR') throw fieldError('departmentCode', 'coordinator_samr', 'the coordinator office is SAMR (区市场监管局)');
  const u = Object.assign(new User(), {
    id: randomUUID(), username: body.username, passwordHash: await hashPassword(body.password), role: body.role, name: body.name, email: body.email ?? null,
    phone: body.phone ?? null, departmentCode: body.departmentCode ?? null, isHead: body.isHead ?? false, creditCode: null, businessName: null,
    notifyPrefs: null, active: true, createdAt: now,
  });
  try {
    await db.getRepository(User).insert(u);
    invalidateStaffCache();
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('account-exists', `username ${body.username} is taken`);
    throw e;
  }
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

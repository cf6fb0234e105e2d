import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { DataSource } from 'typeorm';
import { Category, Department, RoutingRule, SlaPolicy, User } from '../entities';
import { hashPassword } from '../passwords';
import { DEFAULT_SLA_POLICIES } from '../domain/schedule';

const SEED_DIR = join(__dirname, '..', '..', '..', 'seed');

function readCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(join(SEED_DIR, file)), { columns: true, skip_empty_lines: true, bom: true, trim: true });
}

/**
 * Seeds reference data idempotently: departments and categories with their stable codes
 * (`seed/*.csv`, copies of the shared data), one routing rule per category with a default
 * department, the default SLA policies (DESIGN §4). Existing rows are left as the admin edited them.
 */
export async function seedReferenceData(ds: DataSource, now: Date): Promise<void> {
  await ds.transaction(async (em) => {
    for (const r of readCsv('departments.csv')) {
      if (!(await em.findOneBy(Department, { code: r.code }))) {
        await em.insert(Department, { code: r.code, nameZh: r.name_zh, nameEn: r.name_en, kind: r.kind, active: true });
      }
    }
    for (const r of readCsv('categories.csv')) {
      if (!(await em.findOneBy(Category, { code: r.code }))) {
        await em.insert(Category, { code: r.code, nameZh: r.name_zh, nameEn: r.name_en, defaultDepartmentCode: r.default_department || null, active: true });
        if (r.default_department) {
          await em.insert(RoutingRule, { id: randomUUID(), categoryCode: r.code, departmentCode: r.default_department, updatedAt: now });
        }
      }
    }
    for (const p of DEFAULT_SLA_POLICIES) {
      if (!(await em.findOneBy(SlaPolicy, { kind: p.kind, priority: p.priority }))) {
        await em.insert(SlaPolicy, { ...p, updatedAt: now });
      }
    }
  });
}

/**
 * Creates the bootstrap admin (username `admin`) when no admin exists (DESIGN §13). Returns
 * a generated password when none was configured (embedded default only), to be printed once.
 * Throws when outside the embedded default no password is configured.
 */
export async function ensureAdmin(ds: DataSource, now: Date, password: string | undefined, embedded: boolean): Promise<{ created: boolean; generatedPassword?: string }> {
  const existing = await ds.getRepository(User).findOneBy({ role: 'admin' });
  if (existing) return { created: false };
  let generatedPassword: string | undefined;
  if (!password) {
    if (!embedded) throw new Error('BOOTSTRAP_ADMIN_PASSWORD is required to create the first admin');
    generatedPassword = randomBytes(9).toString('base64url');
  }
  await ds.getRepository(User).insert({
    id: randomUUID(),
    username: 'admin',
    passwordHash: await hashPassword(password ?? generatedPassword!),
    role: 'admin',
    name: '系统管理员',
    email: null,
    phone: null,
    departmentCode: null,
    isHead: false,
    creditCode: null,
    businessName: null,
    notifyPrefs: null,
    active: true,
    createdAt: now,
  });
  return { created: true, generatedPassword };
}

import type { EntityManager } from 'typeorm';
import { Category, Department } from '../entities';

/** A department as lists show it (seeded from seed/departments.csv; `code` is stable). */
export interface DepartmentRow {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: string;
  active: boolean;
}
/** A category as lists show it (seeded from seed/categories.csv; `code` is stable). */
export interface CategoryRow {
  code: string;
  nameZh: string;
  nameEn: string;
  defaultDepartmentCode: string | null;
  active: boolean;
}

/** Every department, by code (`GET /api/v1/departments`, the pages' pickers). */
export async function listDepartments(em: EntityManager): Promise<DepartmentRow[]> {
  const rows = await em.getRepository(Department).find({ order: { code: 'ASC' } });
  return rows.map((d) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn, kind: d.kind, active: !!d.active }));
}

/** Every category, by code (`GET /api/v1/categories`, the complaint form's plain names). */
export async function listCategories(em: EntityManager): Promise<CategoryRow[]> {
  const rows = await em.getRepository(Category).find({ order: { code: 'ASC' } });
  return rows.map((c) => ({ code: c.code, nameZh: c.nameZh, nameEn: c.nameEn, defaultDepartmentCode: c.defaultDepartmentCode, active: !!c.active }));
}

import { EntityManager } from 'typeorm';
import { Category, RoutingRule, SlaPolicy } from '../entities';
import type { SlaPolicyValues } from '../domain/schedule';
import { ttlCache } from '../cache';

/**
 * Reference data every ticket change reads: SLA policies (DESIGN §4) and categories with
 * their routing rules (§2), cached 10 s per process; `invalidateReferenceData()` after an
 * admin edit makes it visible in this process at once (others within 10 s).
 */
const policies = ttlCache<'all', SlaPolicyValues[], EntityManager>(10_000, async (_k, em) => (await em.find(SlaPolicy)) as SlaPolicyValues[]);
const routing = ttlCache<'all', { categories: Map<string, Category>; rules: Map<string, string> }, EntityManager>(10_000, async (_k, em) => {
  const [cats, rules] = await Promise.all([em.find(Category), em.find(RoutingRule)]);
  return { categories: new Map(cats.map((c) => [c.code, c])), rules: new Map(rules.map((r) => [r.categoryCode, r.departmentCode])) };
});

/** The SLA policies (admin-editable, DESIGN §4). */
export const loadPolicies = (em: EntityManager): Promise<SlaPolicyValues[]> => policies.get('all', em);

/** Categories by code and the routing rules (category code → department code). */
export const loadRouting = (em: EntityManager): Promise<{ categories: Map<string, Category>; rules: Map<string, string> }> => routing.get('all', em);

/** Forget the cached policies, categories and routing rules (after an admin edit in this process). */
export function invalidateReferenceData(): void {
  policies.clear();
  routing.clear();
}

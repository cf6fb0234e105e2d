import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

interface InsertPlan {
  prefix: string;
  columns: ColumnMetadata[];
  row: string;
}
const plans = new WeakMap<EntityMetadata, InsertPlan>();

function planFor(em: EntityManager, meta: EntityMetadata): InsertPlan {
  let plan = plans.get(meta);
  if (plan) return plan;
  // as TypeORM's insert: columns marked `insert: false` (the database's generated columns) are left out
  const columns = meta.columns.filter((c) => c.isInsert && !c.generatedType);
  for (const c of columns) {
    if (c.isVirtual || c.isGenerated || c.isCreateDate || c.isUpdateDate || c.isVersion || c.embeddedMetadata || typeof c.default === 'function')
      throw new Error(`insertEntities: ${meta.tableName}.${c.databaseName} is filled by TypeORM or the database; use em.insert`);
  }
  const q = (n: string) => em.connection.driver.escape(n);
  plan = {
    prefix: `INSERT INTO ${q(meta.tableName)} (${columns.map((c) => q(c.databaseName)).join(', ')}) VALUES `,
    columns,
    row: `(${columns.map(() => '?').join(', ')})`,
  };
  plans.set(meta, plan);
  return plan;
}

/**
 * Inserts whole rows of an entity whose every column the caller sets (no generated keys, no
 * create/update-date or version columns, nothing embedded; columns the database generates,
 * `insert: false`, are left out as TypeORM leaves them out) in one `INSERT … VALUES (…), (…)`
 * built once per entity, instead of TypeORM's insert query builder (issue 15 item 4: building
 * and parameter-mapping the insert of a ticket, its events and its outbox rows was a large
 * part of the create's TypeORM CPU). Values go through the driver's `preparePersistentValue`,
 * as TypeORM's own insert does (column transformers, booleans, SQLite's datetime strings); a
 * property left `undefined` gets the column's default from the entity, else NULL. No insert
 * events reach subscribers (none is registered for these entities) and nothing is read back.
 * Errors are TypeORM's `QueryFailedError`s, as from `em.insert` (`isDuplicateKey` works).
 * @throws Error for an entity with a column TypeORM or the database fills in
 */
export async function insertEntities<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, rows: readonly T[]): Promise<void> {
  if (!rows.length) return;
  const plan = planFor(em, em.connection.getMetadata(target));
  const driver = em.connection.driver;
  const params: unknown[] = [];
  for (const r of rows) {
    for (const c of plan.columns) {
      let v = r[c.propertyName];
      if (v === undefined) v = c.default ?? null;
      params.push(driver.preparePersistentValue(v, c) ?? null);
    }
  }
  await em.query(plan.prefix + rows.map(() => plan.row).join(', '), params);
}

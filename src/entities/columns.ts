import { ValueTransformer } from 'typeorm';
import Decimal from 'decimal.js';

/**
 * Column helpers shared by every entity, so that MariaDB and SQLite read back the same
 * values (STACK.md: millisecond datetimes; JSON stored as text we serialize ourselves,
 * because mysql2 and TypeORM would both parse a JSON column).
 */
export const instant = { type: 'datetime', precision: 3 } as const;

/** JSON kept in a TEXT column; objects and arrays only. */
export const jsonText: ValueTransformer = {
  to: (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v)),
  from: (v: string | null) => (v === null || v === undefined ? null : JSON.parse(v)),
};

/** Yuan amounts as exact decimal strings with two places ("300.10"); DECIMAL(14,2) in the database. */
export const yuan: ValueTransformer = {
  to: (v: string | null | undefined) => (v === undefined || v === null ? null : new Decimal(v).toFixed(2)),
  from: (v: string | number | null) => (v === null || v === undefined ? null : new Decimal(v).toFixed(2)),
};

/** SQLite hands booleans back as 0/1. */
export const bool: ValueTransformer = {
  to: (v: boolean | undefined | null) => v,
  from: (v: unknown) => (v === null || v === undefined ? v : Boolean(v)),
};

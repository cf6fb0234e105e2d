import type { DataSource } from 'typeorm';
import { User } from './entities';
import { ttlCache } from './cache';

/** The account of `id` as stored now (no cache), or null: when a token is newer than the cached account. */
export const storedAccount = (ds: DataSource, id: string): Promise<User | null> => ds.getRepository(User).findOneBy({ id });

/**
 * Accounts as stored now, for bearer authentication: 5 s per process, so that a moved,
 * deactivated or reset account loses its old access within seconds in every process, and at
 * once in the process that made the change (`forgetAccounts()` after every account change).
 * Keyed by account id (random UUIDs), loaded through the caller's data source.
 */
const accounts = ttlCache<string, User | null, DataSource>(5000, (id, ds) => storedAccount(ds, id), 10_000);

/** The account of `id` as stored at most 5 s ago, or null. */
export const cachedAccount = (ds: DataSource, id: string): Promise<User | null> => accounts.get(id, ds);

/** Forget the cached accounts (after an account change in this process). */
export function forgetAccounts(): void {
  accounts.clear();
}

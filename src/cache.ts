import { LRUCache } from 'lru-cache';

/**
 * A per-process cache of values that other processes may change (reference data, accounts):
 * each entry lives `ttlMs` (so another process's change is seen within that time), at most
 * `max` entries, and concurrent loads of one key share one read. `clear()` after a change
 * made in this process makes it visible here at once. `C` is what a load needs (e.g. the
 * caller's entity manager); the first caller's is used for a shared load.
 */
export interface TtlCache<K extends string, V, C> {
  get(key: K, context: C): Promise<V>;
  clear(): void;
}

export function ttlCache<K extends string, V, C>(ttlMs: number, load: (key: K, context: C) => Promise<V>, max = 1000): TtlCache<K, V, C> {
  // lru-cache stores no undefined values: each value is boxed.
  const lru = new LRUCache<K, { v: V }, C>({ max, ttl: ttlMs, fetchMethod: async (key, _stale, { context }) => ({ v: await load(key, context) }) });
  // lru-cache types `context` conditionally on C; this generic helper states the shape once.
  const fetch = lru.fetch.bind(lru) as (key: K, o: { context: C }) => Promise<{ v: V } | undefined>;
  return {
    async get(key, context) {
      return (await fetch(key, { context }))!.v;
    },
    clear() {
      lru.clear();
    },
  };
}

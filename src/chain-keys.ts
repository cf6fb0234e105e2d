import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * The keys of the event chain (DESIGN §3; issue 13 item 9): each event's hash is an
 * HMAC-SHA-256 under one of them, named by the event's `key_id`, so that someone who can
 * write to the database but does not hold the key cannot rewrite history and recompute the
 * chain. The keys live in the configuration, never in the database.
 */
export interface ChainKeyring {
  /** the id new events are sealed with */
  current: string;
  /** every key that verifies, by id (the current one and the retired ones kept for old events) */
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
/** Shortest key accepted, in bytes (HMAC-SHA-256's block is 64; 32 random bytes are plenty). */
export const MIN_KEY_BYTES = 32;

/**
 * Parses `EVENT_CHAIN_KEYS` = `id:base64,id:base64,…` (ids of 1–32 letters, digits, `_ . -`;
 * keys of at least 32 bytes, base64 or base64url) and `EVENT_CHAIN_KEY_ID` (the id new events
 * use; default the first listed).
 * @throws Error naming the problem (the configuration check lists it)
 */
export function parseChainKeys(value: string, currentId?: string): ChainKeyring {
  const keys = new Map<string, Buffer>();
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf(':');
    const id = at > 0 ? item.slice(0, at) : '';
    if (!KEY_ID.test(id)) throw new Error('each entry is id:base64key with an id of 1-32 letters, digits, _ . -');
    if (keys.has(id)) throw new Error(`key id ${id} is listed twice`);
    const key = Buffer.from(item.slice(at + 1), 'base64');
    if (key.length < MIN_KEY_BYTES) throw new Error(`key ${id} has ${key.length} bytes; at least ${MIN_KEY_BYTES} (openssl rand -base64 32)`);
    keys.set(id, key);
  }
  if (!keys.size) throw new Error('no key listed');
  const current = currentId ?? keys.keys().next().value!;
  if (!keys.has(current)) throw new Error(`EVENT_CHAIN_KEY_ID ${current} is not one of the listed keys`);
  return { current, keys };
}

/**
 * The embedded default's keyring when `EVENT_CHAIN_KEYS` is not set: one key generated on
 * first start into `<DATA_DIR>/event-chain-keys` (mode 600, beside the JWT secret, not in
 * the SQLite file), in the `EVENT_CHAIN_KEYS` format so that it can be extended for rotation.
 */
export function embeddedChainKeys(dataDir: string): ChainKeyring {
  const file = join(dataDir, 'event-chain-keys');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `local1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process of this DATA_DIR made it first
    }
  }
  return parseChainKeys(readFileSync(file, 'utf8').trim());
}

/** The id of the key derived from `JWT_SECRET` ({@link derivedChainKeys}). */
export const DERIVED_KEY_ID = 'jwt';

/**
 * The keyring when `DATABASE_URL` is set without `EVENT_CHAIN_KEYS`: one key, id `jwt`,
 * HKDF-SHA-256 of `JWT_SECRET` (salt `grievance-event-chain`, info `v1`, 32 bytes), so that the
 * service starts with the two settings every deployment has and every process of it seals
 * with the same key; boot warns. The key then changes with `JWT_SECRET`: before rotating that
 * secret, list the derived key in `EVENT_CHAIN_KEYS` (docs/decisions/security.md "A key when
 * none is configured"), or the events sealed with it no longer verify.
 */
export function derivedChainKeys(jwtSecret: string): ChainKeyring {
  const key = Buffer.from(hkdfSync('sha256', jwtSecret, 'grievance-event-chain', 'v1', 32));
  return { current: DERIVED_KEY_ID, keys: new Map([[DERIVED_KEY_ID, key]]) };
}

/**
 * The keyring a process seals and verifies with: `EVENT_CHAIN_KEYS` when set; else the
 * embedded default's generated file under DATA_DIR; else the key derived from `JWT_SECRET`;
 * undefined without either (no event can then be written).
 */
export function chainKeysOf(config: { eventChainKeys?: ChainKeyring; embedded: boolean; dataDir: string; jwtSecret?: string }): ChainKeyring | undefined {
  if (config.eventChainKeys) return config.eventChainKeys;
  if (config.embedded) return embeddedChainKeys(config.dataDir);
  return config.jwtSecret ? derivedChainKeys(config.jwtSecret) : undefined;
}

const rings = new WeakMap<DataSource, ChainKeyring>();

/** Attaches the keyring to a database (done by `openDatabase`); events written to it are sealed with it. */
export function configureEventChain(ds: DataSource, ring: ChainKeyring): void {
  rings.set(ds, ring);
}

/**
 * The keyring of `ds`.
 * @throws Error when none was configured: an event is never written unsealed
 */
export function eventChainKeys(ds: DataSource): ChainKeyring {
  const r = rings.get(ds);
  if (!r) throw new Error('the event chain has no key: open the database with openDatabase() and EVENT_CHAIN_KEYS');
  return r;
}

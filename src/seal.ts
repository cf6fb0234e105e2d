import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing under a key derived with HKDF-SHA-256 from the service secret for one
 * purpose (`info`), with associated data that binds the sealed value to where it belongs.
 * Layout: iv (12 bytes) ‖ tag (16) ‖ ciphertext, as bytes; the callers choose the text encoding
 * (the idempotency rows: `v1.` + base64; the page cookies: base64url). One implementation for
 * src/commands/idempotency.ts and src/pages/sealed.ts.
 */
const derived = new Map<string, Buffer>();

/** The 32-byte key of `info` under `secret`, derived once per process. */
export function sealKey(secret: string, info: string): Buffer {
  const id = `${info}\n${secret}`;
  let k = derived.get(id);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
    derived.set(id, k);
  }
  return k;
}

/** `plain` sealed: iv ‖ tag ‖ ciphertext. */
export function sealBytes(key: Buffer, aad: Buffer, plain: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}

/** The plain text of {@link sealBytes}' output, or null: too short, another key or associated data, or changed. */
export function openBytes(key: Buffer, aad: Buffer, raw: Buffer, minPlain = 1): string | null {
  if (raw.length < 12 + 16 + minPlain) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

import { createSecretKey, KeyObject } from 'node:crypto';
import type { User } from './entities';

// jose is ESM-only; a dynamic import loads it from this CommonJS build.
const jose = import('jose');

/**
 * Bearer tokens: HS256 JWTs signed with `JWT_SECRET`, expiring after `TOKEN_TTL_HOURS`. Each
 * carries the account's `sessionVersion` at issue (`ver`): a password reset or change and a
 * deactivation raise the version, which ends every token issued before (issue 10).
 */
export class TokenService {
  private readonly key: KeyObject;
  /** `now` is the service clock, so that tokens follow the test clock too */
  constructor(
    secret: string,
    private readonly ttlHours: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Imported once: jose would otherwise import the raw bytes on every verification.
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }
  async issue(user: Pick<User, 'id' | 'role' | 'sessionVersion'>, now: Date): Promise<string> {
    const { SignJWT } = await jose;
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: user.role, ver: user.sessionVersion ?? 0 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.round(this.ttlHours * 3600))
      .sign(this.key);
  }
  /** the user id and session version of a valid token, else null */
  async verify(token: string): Promise<{ userId: string; version: number } | null> {
    const { jwtVerify } = await jose;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], currentDate: this.now() });
      return typeof payload.sub === 'string' ? { userId: payload.sub, version: typeof payload.ver === 'number' ? payload.ver : 0 } : null;
    } catch {
      return null;
    }
  }
}

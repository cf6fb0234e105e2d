import { createHash, createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { OutboxMessage, PhoneVerification, User } from '../entities';
import type { VerificationPurpose } from '../entities/sms';
import { fieldError } from '../errors';
import { inTransaction } from '../db';
import { afterCommit, notifySettings } from '../notifications/outbox-hook';
import { renderSms } from '../notifications/render';
import { SITE_NAME } from '../notifications/render';
import { secret, segmentText, unmarkSecrets } from '../sms/text';

/** A code is good for 5 minutes (service clock) and 5 tries (issue 11). */
export const CODE_TTL_MS = 5 * 60_000;
export const CODE_MAX_TRIES = 5;

const PURPOSE_LABEL: Record<VerificationPurpose, string> = { register: '注册账号', reset: '重设密码' };

/** Only the keyed hash of a code is stored (the key is the service secret, not in the database). */
export function hashVerificationCode(key: string, purpose: VerificationPurpose, phone: string, code: string): string {
  return createHmac('sha256', key).update(`verify:${purpose}:${phone}:${code}`).digest('hex');
}

/**
 * Sends a one-time 6-digit code by SMS to prove `phone` for `purpose` (issue 11; closes issue
 * 13 item 12). The caller's answer is the same whatever the number: an account's existence is
 * told only to the phone itself —
 * - `register`, no account yet: the code; `register`, an account exists: a text saying so (no
 *   code: registering again is impossible, and whoever asked learns nothing);
 * - `reset`, an account exists: the code; `reset`, no account: nothing is sent.
 * A verification row is written in every case (the same work whatever the answer), with the
 * code's HMAC, valid for 5 minutes of the service clock; earlier unused codes of the same
 * phone and purpose are retired (only the newest counts). The text is an outbox row
 * (channel `sms`, written in the same transaction, not held by quiet hours: the owner is
 * waiting for it), the code marked as a secret so no view and no stored copy after sending shows it.
 * Rate limits are the edge's (`codeLimits`).
 */
export async function requestVerificationCode(db: DataSource, key: string, phone: string, purpose: VerificationPurpose, now: Date): Promise<{ expiresAt: Date }> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  await inTransaction(db, async (em) => {
    const exists = !!(await em.findOne(User, { where: { username: phone, role: 'owner' }, select: { id: true } }));
    // Only the newest code counts: earlier unused ones of this phone and purpose are retired.
    await em.createQueryBuilder().update(PhoneVerification).set({ usedAt: now }).where('phone = :phone AND purpose = :purpose AND used_at IS NULL', { phone, purpose }).execute();
    await em.insert(PhoneVerification, {
      id: randomUUID(),
      phone,
      purpose,
      codeHash: hashVerificationCode(key, purpose, phone, code),
      attempts: 0,
      expiresAt,
      usedAt: null,
      createdAt: now,
    } as never);
    const send = purpose === 'register' ? (exists ? 'already_registered' : 'code') : exists ? 'code' : null;
    if (send) await writeCodeText(em, phone, purpose, send === 'code' ? code : null, now);
  });
  return { expiresAt };
}

async function writeCodeText(em: EntityManager, phone: string, purpose: VerificationPurpose, code: string | null, now: Date) {
  const st = notifySettings(em.connection);
  const vars = { code: code ? secret(code) : null, purposeLabel: PURPOSE_LABEL[purpose], alreadyRegistered: code === null };
  const text = `${st.smsSignature ?? ''}${renderSms('verification_code', { audience: 'submitter', greeting: '您', site: SITE_NAME, siteUrl: st.publicUrl ?? '', ticket: null, contact: null, integrity: null, vars })}`;
  const id = randomUUID();
  const wall = new Date();
  await em.insert(OutboxMessage, {
    id,
    dedupeKey: createHash('sha256').update(`verification:${id}`).digest('hex'),
    sourceKey: `verification:${purpose}:${id}`,
    notice: 'verification_code',
    channel: 'sms',
    ticketId: null,
    ticketNumber: null,
    sensitive: false,
    recipient: phone,
    recipientUserId: null,
    recipientRole: 'submitter',
    subject: '',
    bodyText: text,
    bodyHtml: '',
    state: 'pending',
    attempts: 0,
    lastError: null,
    messageId: null,
    nextAttemptAt: wall,
    notBefore: null,
    segments: segmentText(unmarkSecrets(text)).length,
    claimedUntil: null,
    claimToken: null,
    sentAt: null,
    createdAt: now,
    updatedAt: now,
  } as never);
  afterCommit(em, [{ id, channel: 'sms' }]);
}

/**
 * Checks the newest code of `phone` for `purpose`. The try is counted first, by a conditional
 * update committed on its own (a failing registration rolls back, the count stays), so
 * concurrent guesses cannot exceed 5. Returns the verification's id for `useVerification`.
 * @throws 422 field `code`: `code_invalid` (wrong, or no code was sent, or already used — the
 *   same answer), `code_expired` (older than 5 minutes), `code_locked` (5 wrong tries: request a new one)
 */
export async function checkVerificationCode(db: DataSource, key: string, phone: string, purpose: VerificationPurpose, code: string, now: Date): Promise<string> {
  const repo = db.getRepository(PhoneVerification);
  const row = await repo.findOne({ where: { phone, purpose, usedAt: IsNull() } });
  if (!row) throw invalidCode();
  if (row.expiresAt.getTime() <= now.getTime()) throw fieldError('code', 'code_expired', 'the verification code has expired (5 minutes); request a new one');
  const tried = await repo
    .createQueryBuilder()
    .update()
    .set({ attempts: () => 'attempts + 1' })
    .where('id = :id AND attempts < :max AND used_at IS NULL', { id: row.id, max: CODE_MAX_TRIES })
    .execute();
  if (!tried.affected) throw lockedCode();
  const want = Buffer.from(row.codeHash, 'hex');
  const got = Buffer.from(hashVerificationCode(key, purpose, phone, code.trim()), 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw row.attempts + 1 >= CODE_MAX_TRIES ? lockedCode() : invalidCode();
  return row.id;
}

/** Uses the checked code up, in the transaction of what it proves (registration, reset). @throws 422 `code_invalid` when a concurrent request used it first */
export async function useVerification(em: EntityManager, id: string, now: Date): Promise<void> {
  const used = await em.createQueryBuilder().update(PhoneVerification).set({ usedAt: now }).where('id = :id AND used_at IS NULL', { id }).execute();
  if (!used.affected) throw invalidCode();
}

const invalidCode = () => fieldError('code', 'code_invalid', 'the verification code is wrong; check the text message or request a new code');
const lockedCode = () => fieldError('code', 'code_locked', 'too many wrong codes; request a new one');

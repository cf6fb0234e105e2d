import { DataSource } from 'typeorm';
import { User } from '../entities';
import { fieldError } from '../errors';
import { HEAD_LOCKED_TOPICS, invalidateStaffCache, TOPICS, Topic } from '../notifications/recipients';

/**
 * One account's mail preferences (DESIGN §10: users choose per kind of mail whether they get
 * it). `topics`: every kind, true = sent (the default); `locked`: kinds this account cannot
 * switch off (a department head's escalation mail, DESIGN §5).
 */
export interface NotificationPrefs {
  topics: Record<Topic, boolean>;
  /** the same per kind of text message (issue 11), stored as `sms.<kind>` */
  sms: Record<Topic, boolean>;
  locked: Topic[];
}

const lockedFor = (u: Pick<User, 'role' | 'isHead'>): readonly Topic[] => (u.role === 'handler' && u.isHead ? HEAD_LOCKED_TOPICS : []);

function prefsOf(u: User): NotificationPrefs {
  const locked = [...lockedFor(u)];
  return {
    topics: Object.fromEntries(TOPICS.map((t) => [t, locked.includes(t) || u.notifyPrefs?.[t] !== false])) as Record<Topic, boolean>,
    sms: Object.fromEntries(TOPICS.map((t) => [t, locked.includes(t) || u.notifyPrefs?.[`sms.${t}`] !== false])) as Record<Topic, boolean>,
    locked,
  };
}

/** The preferences of account `userId`. @throws EntityNotFoundError for an unknown id */
export async function getNotificationPrefs(db: DataSource, userId: string): Promise<NotificationPrefs> {
  return prefsOf(await db.getRepository(User).findOneByOrFail({ id: userId }));
}

/**
 * Switches the listed kinds of mail (`topics`) and of texts (`sms`) on or off; unlisted kinds
 * keep their setting. Takes effect for this process at once (the staff cache is cleared), for
 * others within 5 s.
 * @throws 400 `validation-failed` (field `topics.<kind>` or `sms.<kind>`, code `locked`) when switching off a locked kind; nothing changes
 */
export async function setNotificationPrefs(db: DataSource, userId: string, topics: Partial<Record<Topic, boolean>>, sms: Partial<Record<Topic, boolean>> = {}): Promise<NotificationPrefs> {
  const repo = db.getRepository(User);
  const u = await repo.findOneByOrFail({ id: userId });
  const locked = lockedFor(u);
  for (const [part, set] of [
    ['topics', topics],
    ['sms', sms],
  ] as const) {
    const off = Object.entries(set).find(([t, on]) => !on && locked.includes(t as Topic));
    if (off) throw fieldError(`${part}.${off[0]}`, 'locked', "a department head's escalation mail cannot be switched off");
  }
  const texts = Object.fromEntries(Object.entries(sms).map(([t, on]) => [`sms.${t}`, on]));
  u.notifyPrefs = { ...(u.notifyPrefs ?? {}), ...topics, ...texts } as Record<string, boolean>;
  await repo.update({ id: u.id }, { notifyPrefs: u.notifyPrefs });
  invalidateStaffCache();
  return prefsOf(u);
}

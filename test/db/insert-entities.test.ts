import test from 'ava';
import { randomUUID } from 'node:crypto';
import { startHarness, Harness } from '../helpers/harness';
import { insertEntities } from '../../src/db-insert';
import { isDuplicateKey } from '../../src/db';
import { OutboxMessage, Ticket, TicketEvent } from '../../src/entities';

// issue 15 item 4: the create path writes its ticket, events and outbox rows with one plain
// INSERT each (insertEntities) instead of TypeORM's insert builder; the stored rows must be
// exactly what em.insert stores, on MariaDB and on SQLite.

let h: Harness;
test.before(async () => {
  h = await startHarness();
});
test.after.always(async () => {
  await h?.close();
});

/** The stored row as the driver returns it, without the columns that differ by construction. */
const raw = async (table: string, id: string, ignore: string[]) => {
  const [row] = await h.deps.db.query(`SELECT * FROM ${table} WHERE id = ?`, [id]);
  for (const c of ['id', ...ignore]) delete row[c];
  return row;
};

/** The same entity written both ways under two ids: the stored columns agree (id apart). */
async function sameRow<T extends { id: string }>(t: any, entity: new () => T, table: string, make: (id: string) => T, ignore: string[] = []) {
  const a = make(randomUUID());
  const b = make(randomUUID());
  await h.deps.db.manager.insert(entity, a as never);
  await insertEntities(h.deps.db.manager, entity, [b]);
  const [ra, rb] = [await raw(table, a.id, ignore), await raw(table, b.id, ignore)];
  t.deepEqual(rb, ra);
  t.true(Object.keys(ra).length >= 10, 'the columns were compared');
  const read = async (id: string) => {
    const e = (await h.deps.db.manager.findOneByOrFail(entity, { id } as never)) as Record<string, unknown>;
    for (const c of ['id', ...ignore]) delete e[c.replace(/_(\w)/g, (_, x: string) => x.toUpperCase())];
    return e;
  };
  t.deepEqual(await read(b.id), await read(a.id));
}

const at = new Date('2026-12-03T04:05:06.789Z');

test.serial('an event with a JSON payload, nulls and an instant', async (t) => {
  await sameRow(
    t,
    TicketEvent,
    'ticket_event',
    (id) =>
      Object.assign(new TicketEvent(), {
        id,
        ticketId: randomUUID(),
        seq: 1,
        cycle: 1,
        type: 'created',
        actorId: null,
        actorRole: 'system',
        at,
        fromState: null,
        toState: 'registered',
        payload: { kind: 'complaint', receivedAt: at.toISOString(), anonymous: false, nested: { 名: '中文' } },
        prevHash: '0'.repeat(64),
        hash: 'a'.repeat(64),
        keyId: 'k1',
      }),
    ['ticket_id'],
  );
});

test.serial('an outbox row: booleans, a column left undefined takes the entity default', async (t) => {
  await sameRow(
    t,
    OutboxMessage,
    'outbox_message',
    (id) => {
      const r = {
        id,
        dedupeKey: id.replace(/-/g, ''),
        sourceKey: `event:${id}`,
        notice: 'ticket_received',
        ticketId: null,
        ticketNumber: 'FL2026000001',
        sensitive: true,
        recipient: 'a@example.test',
        recipientUserId: null,
        recipientRole: 'submitter',
        subject: '主题',
        bodyText: 'text',
        bodyHtml: '<p>x</p>',
        state: 'pending',
        attempts: 0,
        lastError: null,
        messageId: null,
        nextAttemptAt: at,
        notBefore: null,
        segments: null,
        claimedUntil: null,
        claimToken: null,
        sentAt: null,
        createdAt: at,
        updatedAt: at,
      } as Partial<OutboxMessage>;
      // channel omitted: 'email' either way
      return r as OutboxMessage;
    },
    ['dedupe_key', 'source_key'],
  );
});

test.serial('a ticket (every column, contact as JSON, false booleans) and a duplicate key is the usual error', async (t) => {
  const ticket = (id: string, number: string) =>
    Object.assign(new Ticket(), {
      id,
      number,
      kind: 'complaint',
      channel: 'hotline',
      categoryCode: 'tax_fees',
      priority: 'normal',
      state: 'dispatched',
      cycle: 1,
      departmentCode: 'TAX',
      title: '标题',
      description: 'd',
      submitterId: null,
      createdById: null,
      anonymous: false,
      accessCodeHash: 'h',
      contact: { name: '张三', phone: '13800000000', email: 'z@example.test' },
      sourceId: null,
      receivedAt: at,
      cycleStartedAt: at,
      routingClockStart: at,
      dispatchBy: at,
      signBy: at,
      replyBy: at,
      redBy: at,
      rateBy: null,
      dueSoonAt: at,
      deadlinesProvisional: false,
      nextCheckAt: at,
      pausedAt: null,
      escalationLevel: 0,
      outcome: null,
      repliedAt: null,
      rating: null,
      ratedAt: null,
      closedAt: null,
      rejectGround: null,
      mergedIntoId: null,
      symposiumId: null,
      resultNoticeId: null,
      resultEntryId: null,
      subjectCreditCode: null,
      decision: null,
      accusedDepartmentCode: null,
      accusedPerson: null,
      demand: null,
      amountYuan: null,
      occurredOn: null,
      finding: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    });
  let n = 0;
  await sameRow(t, Ticket, 'ticket', (id) => ticket(id, `TEST2026${String(++n).padStart(6, '0')}`), ['number']);
  const again = ticket(randomUUID(), 'TEST2026000001');
  const err = await t.throwsAsync(insertEntities(h.deps.db.manager, Ticket, [again]));
  t.true(isDuplicateKey(err), 'the number is unique');
});

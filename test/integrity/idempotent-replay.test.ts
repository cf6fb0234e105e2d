/**
 * Issue 13 item 5: an `Idempotency-Key` replay returns what the first response returned,
 * never the ticket as it is now. An intake user of SAMR who files a report accusing SAMR
 * cannot read its progress, the supervisors' finding or its state later by replaying.
 */
import test from 'ava';
import { startHarness, standardStaff, Harness } from '../helpers/harness';
import { IdempotencyKey } from '../../src/entities';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
  s = await standardStaff(h);
});
test.after.always(async () => {
  await h?.close();
});

const REPORT = {
  kind: 'integrity_report',
  channel: 'hotline',
  title: '窗口人员索要好处费',
  description: '来电人称办理登记时被索要300元。',
  owner: { name: '来电人', phone: '13912340000' },
  accused: { departmentCode: 'SAMR', demand: 'property', amountYuan: '300', occurredOn: '2026-10-28' },
};

test.serial('a replay after the report was concluded shows the first response, not the finding', async (t) => {
  const first = await s.intake.post('/api/v1/tickets', REPORT, { 'idempotency-key': 'report-1' });
  t.is(first.status, 201);
  t.is(first.body.state, 'dispatched');
  t.is(first.body.departmentCode, 'DIS');
  // The intake user's own department is accused: no access code for them (the reporter gets it
  // by text), and the report is hidden from them from now on.
  t.false('accessCode' in first.body);
  t.is((await s.intake.get(`/api/v1/tickets/${first.body.id}`)).status, 404);

  t.is((await s.sup.post(`/api/v1/tickets/${first.body.id}/sign`, {})).status, 200);
  const concluded = await s.sup.post(`/api/v1/tickets/${first.body.id}/conclude`, { finding: 'substantiated', summary: '经查属实。' });
  t.is(concluded.status, 200);
  t.is(concluded.body.state, 'replied');

  const replay = await s.intake.post('/api/v1/tickets', REPORT, { 'idempotency-key': 'report-1' });
  t.is(replay.status, 201);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(replay.body, first.body, 'exactly the first response');
  t.is(replay.body.state, 'dispatched');
  t.is(replay.body.finding, null);
  t.is(replay.headers.get('etag'), `"${first.body.version}"`);
  t.false(JSON.stringify(replay.body).includes('经查属实'));
});

test.serial('a row kept before responses were stored replays the receipt only, never the live ticket', async (t) => {
  const first = await s.intake.post('/api/v1/tickets', { ...REPORT, title: '第二份举报' }, { 'idempotency-key': 'report-legacy' });
  t.is(first.status, 201);
  await h.deps.db.getRepository(IdempotencyKey).update({ idemKey: 'report-legacy' }, { response: null });
  await s.sup.post(`/api/v1/tickets/${first.body.id}/sign`, {});
  const replay = await s.intake.post('/api/v1/tickets', { ...REPORT, title: '第二份举报' }, { 'idempotency-key': 'report-legacy' });
  t.is(replay.status, 201);
  t.deepEqual(Object.keys(replay.body).sort(), ['channel', 'createdAt', 'id', 'kind', 'number', 'receivedAt']);
  t.is(replay.body.number, first.body.number);
});

test.serial("the accused department's intake user never holds the access code: the reporter gets it by text and tracks with it; an intake user of another department is shown it", async (t) => {
  const r = await s.intake.post('/api/v1/tickets', { ...REPORT, title: '第三份举报', owner: { name: '来电人', phone: '13912345678' } });
  t.is(r.status, 201);
  t.false('accessCode' in r.body);
  const texts = await h.deps.db.query("SELECT recipient, body_text AS body FROM outbox_message WHERE ticket_id = ? AND channel = 'sms' AND notice = 'ticket_received'", [r.body.id]);
  t.is(texts.length, 1);
  t.is(texts[0].recipient, '13912345678');
  const code = /[A-Z2-9]{10}/.exec(texts[0].body.replace(r.body.number, ''))?.[0];
  t.truthy(code, texts[0].body);
  const tracked = await h.http.get(`/api/v1/track/${r.body.number}?code=${code}`);
  t.is(tracked.status, 200, 'the reporter tracks with the code from the text');
  // the same report taken by an intake user of another department shows the code to read out
  const other = await h.staff('intake-tax', 'intake', 'TAX');
  const r2 = await other.post('/api/v1/tickets', { ...REPORT, title: '第四份举报' });
  t.is(r2.status, 201);
  t.regex(r2.body.accessCode, /^[A-Z2-9]{10}$/);
});

test.serial('the first response is stored sealed, not readable', async (t) => {
  const row = await h.deps.db.getRepository(IdempotencyKey).findOneByOrFail({ idemKey: 'report-1' });
  t.regex(row.response!, /^v1\.[A-Za-z0-9+/]+=*$/);
  t.false(row.response!.includes('窗口人员'));
  t.false(row.response!.includes('13912340000'));
});

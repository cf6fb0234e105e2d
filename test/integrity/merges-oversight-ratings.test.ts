/**
 * Issue 13 items 1, 2, 7 and 8 through the HTTP API, on the embedded SQLite and on MariaDB +
 * Redis: concurrent merges never form a cycle or a chain; a primary that ends without an
 * answer releases its merged tickets (exact events, states, outbox rows); open oversight
 * orders follow the department that owes the answer; nobody rates a ticket handled by their
 * own department, and a signed-in owner's ticket takes no callback rating.
 */
import test from 'ava';
import { act, startHarness, standardStaff, Harness, Client } from '../helpers/harness';

let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };
let taxIntake: Client & { id: string };
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00', env: { TOKEN_TTL_HOURS: '8760' } });
  s = await standardStaff(h);
  owner = await h.owner();
  taxIntake = await h.staff('intaketax', 'intake', 'TAX');
});
test.after.always(async () => {
  await h?.close();
});

const Z = (local: string) => new Date(local).toISOString();
const setNow = (local: string) => h.clock.set(new Date(local));
let callers = 0;
/** a hotline complaint (routed to TAX) whose caller gave an email */
async function hotline(body: Record<string, unknown> = {}) {
  callers += 1;
  const caller = { name: `来电人${callers}`, phone: `1391234${String(callers).padStart(4, '0')}`, businessName: '五金店', email: `caller${callers}@example.test` };
  const r = await s.intake.post('/api/v1/tickets', { kind: 'complaint', channel: 'hotline', category: 'tax_fees', title: '来电反映', description: '来电内容', owner: caller, ...body });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.body;
}
async function ownerTicket() {
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '网上反映', description: '网上内容' });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.body;
}
async function events(id: string) {
  return (await s.coord.get(`/api/v1/tickets/${id}/events`)).body.items as any[];
}
async function ticket(id: string) {
  return (await s.coord.get(`/api/v1/tickets/${id}`)).body;
}
async function outbox(ticketId: string) {
  const rows: any[] = await h.deps.db.query('SELECT notice, channel, recipient, recipient_role, ticket_number FROM outbox_message WHERE ticket_id = ? ORDER BY notice, channel, recipient', [ticketId]);
  return rows.map((r) => [r.notice, r.channel, r.recipient, r.recipient_role, r.ticket_number]);
}

test.serial('item 1: A→B and B→A at the same moment: exactly one merge succeeds, the other is refused 409 merge-into-merged', async (t) => {
  setNow('2026-11-02T10:00:00+08:00');
  for (let round = 0; round < 12; round++) {
    const a = await hotline();
    const b = await hotline();
    const [ab, ba] = await Promise.all([s.coord.post(`/api/v1/tickets/${a.id}/merge`, { intoTicketId: b.id }), s.coord.post(`/api/v1/tickets/${b.id}/merge`, { intoTicketId: a.id })]);
    t.deepEqual([ab.status, ba.status].sort(), [200, 409], `round ${round}: ${ab.text} ${ba.text}`);
    const [won, lost, dup, primary] = ab.status === 200 ? [ab, ba, a, b] : [ba, ab, b, a];
    t.like(won.body, { state: 'merged', mergedIntoId: primary.id });
    t.is(lost.body.code, 'merge-into-merged');
    t.deepEqual([lost.body.intoTicketId, lost.body.mergedIntoId], [dup.id, primary.id]);
    t.like(await ticket(primary.id), { state: 'dispatched', mergedIntoId: null });
    t.like(await ticket(dup.id), { state: 'merged', mergedIntoId: primary.id });
  }
});

test.serial('item 1: no chain: merging into a merged ticket is refused; a merged-into ticket takes its duplicates along', async (t) => {
  setNow('2026-11-02T11:00:00+08:00');
  const a = await hotline();
  const b = await hotline();
  const c = await hotline();
  const d = await hotline();
  await act(s.coord, a.id, 'merge', { intoTicketId: b.id });
  const chain = await s.coord.post(`/api/v1/tickets/${c.id}/merge`, { intoTicketId: a.id });
  t.is(chain.status, 409);
  t.like(chain.body, { code: 'merge-into-merged', intoTicketId: a.id, mergedIntoId: b.id });
  t.like(await ticket(c.id), { state: 'dispatched', mergedIntoId: null });
  // B (with A in it) goes into D: A follows, so nothing points at a merged ticket.
  const m = await act(s.coord, b.id, 'merge', { intoTicketId: d.id });
  t.like(m, { state: 'merged', mergedIntoId: d.id });
  t.like(await ticket(a.id), { state: 'merged', mergedIntoId: d.id });
  const evA = await events(a.id);
  t.deepEqual(
    evA.slice(2).map((e) => [e.type, e.fromState, e.toState, e.payload]),
    [
      ['merged', 'dispatched', 'merged', { intoTicketId: b.id, intoNumber: b.number }],
      ['merged', 'merged', 'merged', { intoTicketId: d.id, intoNumber: d.number, previousIntoTicketId: b.id, previousIntoNumber: b.number }],
    ],
  );
  const evB = await events(b.id);
  t.deepEqual(evB.at(-1).payload, { intoTicketId: d.id, intoNumber: d.number, movedTicketIds: [a.id] });
  // A's submitter was told both times, the second time of the ticket that now carries the answer.
  const to = a.contact.email;
  t.deepEqual(await outbox(a.id), [
    ['ticket_dispatched', 'email', 'tax1@example.test', 'handler', a.number],
    ['ticket_dispatched', 'email', 'taxhead@example.test', 'head', a.number],
    ['ticket_merged', 'email', to, 'submitter', a.number],
    ['ticket_merged', 'email', to, 'submitter', a.number],
    ['ticket_received', 'email', to, 'submitter', a.number],
    ['ticket_received', 'sms', a.contact.phone, 'submitter', a.number],
  ]);
  const texts: any[] = await h.deps.db.query("SELECT subject FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_merged' ORDER BY created_at, subject", [a.id]);
  t.deepEqual(texts.map((r) => r.subject).sort(), [`【${a.number}】工单已并入 ${b.number} 一并办理`, `【${a.number}】工单已并入 ${d.number} 一并办理`].sort());
});

test.serial('item 2: the owner withdraws a primary: its merged tickets return to 待分派 on their own, each submitter told', async (t) => {
  setNow('2026-11-03T09:00:00+08:00');
  const p = await ownerTicket();
  const d1 = await hotline();
  const d2 = await hotline();
  await act(s.tax, d1.id, 'sign');
  await act(s.coord, d1.id, 'merge', { intoTicketId: p.id });
  await act(s.coord, d2.id, 'merge', { intoTicketId: p.id });
  setNow('2026-11-04T09:00:00+08:00');
  const w = await act(owner, p.id, 'withdraw', { reason: '已自行解决' });
  t.is(w.state, 'withdrawn');
  const evP = await events(p.id);
  t.deepEqual([evP.at(-1).type, evP.at(-1).payload.releasedTicketIds], ['withdrawn', [d1.id, d2.id]]);
  for (const [d, from] of [
    [d1, 'in_progress'],
    [d2, 'dispatched'],
  ] as const) {
    const now = await ticket(d.id);
    t.like(now, { state: 'registered', mergedIntoId: null, departmentCode: null, closedAt: null });
    // the dispatch clock restarts now (1 working day from Wed Nov 4); the reply clock still
    // counts from the call on Tue Nov 3 (the submitter's wait is not reset)
    t.deepEqual([now.deadlines.dispatchBy, now.deadlines.replyBy], [Z('2026-11-06T00:00:00+08:00'), d.deadlines.replyBy]);
    const ev = await events(d.id);
    t.deepEqual(
      ev.slice(-2).map((e) => [e.type, e.fromState, e.toState]),
      [
        ['merged', from, 'merged'],
        ['unmerged', 'merged', 'registered'],
      ],
    );
    t.deepEqual(ev.at(-1).payload, { fromTicketId: p.id, fromNumber: p.number, reason: 'primary_withdrawn', previousDepartmentCode: 'TAX' });
    t.deepEqual(ev.at(-1).actor.role, 'owner');
    const mail: any[] = await h.deps.db.query("SELECT recipient, subject, body_text FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_unmerged' AND channel = 'email'", [d.id]);
    t.is(mail.length, 1);
    t.is(mail[0].recipient, d.contact.email);
    t.is(mail[0].subject, `【${d.number}】工单改为单独办理`);
    t.true(mail[0].body_text.includes(`原已并入工单 ${p.number} 一并办理`));
    // back in the coordinator's hands, handled like any other ticket
    t.deepEqual(now.allowedActions, ['dispatch', 'reject', 'merge', 'note', 'escalate']);
  }
  // nothing is left pointing at the withdrawn ticket
  const left: any[] = await h.deps.db.query('SELECT id FROM ticket WHERE merged_into_id = ?', [p.id]);
  t.deepEqual(left, []);
  const redo = await act(s.coord, d1.id, 'dispatch', { departmentCode: 'TAX' });
  t.is(redo.state, 'dispatched');
});

test.serial('item 2: the coordinator rejects a primary: its merged ticket is released (reason primary_rejected)', async (t) => {
  setNow('2026-11-05T09:00:00+08:00');
  const p = await hotline();
  const d = await hotline();
  await act(s.coord, d.id, 'merge', { intoTicketId: p.id });
  await act(s.coord, p.id, 'reject', { ground: 'identity_refused', detail: '来电人拒绝提供身份信息' });
  t.like(await ticket(d.id), { state: 'registered', mergedIntoId: null });
  const ev = await events(d.id);
  t.deepEqual([ev.at(-1).type, ev.at(-1).payload.reason, ev.at(-1).actor.role], ['unmerged', 'primary_rejected', 'coordinator']);
  t.deepEqual(await outbox(d.id), [
    ['ticket_dispatched', 'email', 'tax1@example.test', 'handler', d.number],
    ['ticket_dispatched', 'email', 'taxhead@example.test', 'head', d.number],
    ['ticket_merged', 'email', d.contact.email, 'submitter', d.number],
    ['ticket_received', 'email', d.contact.email, 'submitter', d.number],
    ['ticket_received', 'sms', d.contact.phone, 'submitter', d.number],
    // a caller who gave only a phone is told too (the text of `templates/sms/ticket_unmerged.eta`)
    ['ticket_unmerged', 'email', d.contact.email, 'submitter', d.number],
    ['ticket_unmerged', 'sms', d.contact.phone, 'submitter', d.number],
  ]);
  const sms: any[] = await h.deps.db.query("SELECT body_text FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_unmerged' AND channel = 'sms'", [d.id]);
  t.true(sms[0].body_text.includes(`工单${d.number}原并入${p.number}办理，现改为单独办理`), sms[0].body_text);
  // the submitter's own timeline says so
  const tr = await h.http.get(`/api/v1/track/${d.number}?code=${d.accessCode}`);
  t.is(tr.status, 200);
  t.deepEqual(
    tr.body.timeline.map((x: any) => x.type),
    ['created', 'dispatched', 'merged', 'unmerged'],
  );
});

test.serial('item 7: an open oversight order follows the return and the re-dispatch; the old department neither lists nor answers it', async (t) => {
  setNow('2026-11-09T09:00:00+08:00');
  const tk = await hotline();
  await act(s.tax, tk.id, 'sign');
  await act(s.coord, tk.id, 'escalate', { level: 2, note: '请加快办理' });
  const [order] = (await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items;
  t.like(order, { departmentCode: 'TAX', state: 'open', level: 2 });
  t.is((await s.tax.get('/api/v1/oversight')).body.items.length, 1);
  setNow('2026-11-10T09:00:00+08:00');
  await act(s.tax, tk.id, 'return', { reason: '不属于本部门职责' });
  t.like((await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items[0], { id: order.id, departmentCode: null, state: 'open' });
  setNow('2026-11-10T10:00:00+08:00');
  await act(s.coord, tk.id, 'dispatch', { departmentCode: 'HRSS' });
  const moved = (await s.coord.get(`/api/v1/tickets/${tk.id}/oversight`)).body.items[0];
  // a fresh response period for the department that now owes the answer: 2 working days from Tue Nov 10
  t.like(moved, { id: order.id, departmentCode: 'HRSS', state: 'open', respondBy: Z('2026-11-13T00:00:00+08:00') });
  const ev = (await events(tk.id)).filter((e) => e.type === 'oversight_moved' || e.type === 'returned' || e.type === 'dispatched');
  t.deepEqual(
    ev.map((e) => [e.type, e.payload.orderId ?? null, e.payload.fromDepartmentCode, e.payload.toDepartmentCode]),
    [
      ['dispatched', null, undefined, undefined],
      ['returned', null, undefined, undefined],
      ['oversight_moved', order.id, 'TAX', null],
      ['dispatched', null, undefined, undefined],
      ['oversight_moved', order.id, null, 'HRSS'],
    ],
  );
  // the old department: not listed, not answerable (404 as for anything it cannot see)
  t.deepEqual(
    (await s.tax.get('/api/v1/oversight')).body.items.filter((o: any) => o.ticketId === tk.id),
    [],
  );
  const old = await s.tax.post(`/api/v1/oversight/${order.id}/respond`, { message: '已办理' });
  t.is(old.status, 404);
  // the new one lists and answers it
  t.deepEqual(
    (await s.hrss.get('/api/v1/oversight')).body.items.map((o: any) => o.id),
    [order.id],
  );
  const ok = await s.hrss.post(`/api/v1/oversight/${order.id}/respond`, { message: '已接手办理' });
  t.is(ok.status, 200);
  t.is(ok.body.state, 'responded');
  // the new addressee was told (the oversight notice, to HRSS)
  const mail: any[] = await h.deps.db.query("SELECT recipient FROM outbox_message WHERE notice = 'oversight_opened' AND ticket_id = ? ORDER BY recipient", [tk.id]);
  t.true(mail.some((m) => m.recipient === 'hrss1@example.test'));
});

test.serial('open oversight orders of a ticket merged away or rejected are closed, with an oversight_closed event; the old department cannot answer them', async (t) => {
  setNow('2026-11-11T09:00:00+08:00');
  // merged into another department's ticket
  const dup = await hotline();
  await act(s.coord, dup.id, 'escalate', { level: 2, note: '请加快办理' });
  const primary = await hotline({ category: 'social_insurance' });
  const [order] = (await s.coord.get(`/api/v1/tickets/${dup.id}/oversight`)).body.items;
  t.like(order, { departmentCode: 'TAX', state: 'open' });
  await act(s.coord, dup.id, 'merge', { intoTicketId: primary.id });
  t.like((await s.coord.get(`/api/v1/tickets/${dup.id}/oversight`)).body.items[0], { id: order.id, state: 'closed', closeNote: `工单已合并至${primary.number}，由主工单答复` });
  const closed = (await events(dup.id)).filter((e) => e.type === 'oversight_closed');
  t.deepEqual(
    closed.map((e) => [e.payload.orderId, e.payload.level, e.payload.departmentCode, e.payload.reason]),
    [[order.id, 2, 'TAX', 'merged']],
  );
  const late = await s.tax.post(`/api/v1/oversight/${order.id}/respond`, { message: '已办理' });
  t.deepEqual([late.status, late.body.code], [409, 'oversight-not-open']);

  // returned to the coordinator office, then rejected
  const gone = await hotline();
  await act(s.coord, gone.id, 'escalate', { level: 2, note: '请加快办理' });
  await act(s.tax, gone.id, 'return', { reason: '不属于本部门职责' });
  await act(s.coord, gone.id, 'reject', { ground: 'identity_refused', detail: '来电人拒绝提供身份信息' });
  const [o2] = (await s.coord.get(`/api/v1/tickets/${gone.id}/oversight`)).body.items;
  t.like(o2, { state: 'closed', departmentCode: null, closeNote: '工单不予受理，督办结束' });
  t.deepEqual(
    (await events(gone.id)).filter((e) => e.type === 'oversight_closed').map((e) => e.payload.reason),
    ['rejected'],
  );
});

test.serial("item 8: nobody rates a ticket handled by their own department; a signed-in owner's ticket takes no callback rating", async (t) => {
  setNow('2026-11-11T09:00:00+08:00');
  const call = await hotline();
  await act(s.tax, call.id, 'sign');
  await act(s.tax, call.id, 'reply', { outcome: 'resolved', message: '已处理完毕。' });
  t.false((await taxIntake.get(`/api/v1/tickets/${call.id}`)).body.allowedActions.includes('rate'));
  for (const body of [{ rating: 'very_satisfied', via: 'callback' }, { rating: 'very_satisfied' }]) {
    const own = await taxIntake.post(`/api/v1/tickets/${call.id}/rate`, body);
    t.is(own.status, 403);
    t.is(own.body.code, 'rating-own-department');
  }
  t.is((await ticket(call.id)).state, 'replied');
  // intake of another department records the caller's rating
  t.like(await act(s.intake, call.id, 'rate', { rating: 'satisfied', via: 'callback' }), { state: 'closed', rating: 'satisfied' });

  const web = await ownerTicket();
  await act(s.tax, web.id, 'sign');
  await act(s.tax, web.id, 'reply', { outcome: 'resolved', message: '已处理完毕。' });
  t.false((await s.intake.get(`/api/v1/tickets/${web.id}`)).body.allowedActions.includes('rate'));
  const cb = await s.intake.post(`/api/v1/tickets/${web.id}/rate`, { rating: 'very_satisfied', via: 'callback' });
  t.is(cb.status, 403);
  t.is(cb.body.code, 'callback-owner-account');
  const own = await taxIntake.post(`/api/v1/tickets/${web.id}/rate`, { rating: 'very_satisfied', via: 'callback' });
  t.is(own.body.code, 'rating-own-department');
  t.like(await act(owner, web.id, 'rate', { rating: 'basically_satisfied' }), { state: 'closed', rating: 'basically_satisfied' });
});

test.serial('item 2 sibling: merged into an already answered primary, the submitter gets the answer with the merge mail', async (t) => {
  setNow('2026-11-12T09:00:00+08:00');
  const p = await hotline();
  await act(s.tax, p.id, 'sign');
  await act(s.tax, p.id, 'reply', { outcome: 'explained', message: '已向您解释定额核定的依据。' });
  const d = await hotline();
  await act(s.coord, d.id, 'merge', { intoTicketId: p.id });
  const mail: any[] = await h.deps.db.query("SELECT recipient, body_text FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_merged' AND channel = 'email'", [d.id]);
  t.deepEqual(
    mail.map((m) => m.recipient),
    [d.contact.email],
  );
  t.true(mail[0].body_text.includes(`已并入工单 ${p.number} 一并办理。该工单已经答复，答复如下`));
  t.true(mail[0].body_text.includes('办理结果：已解释说明'), mail[0].body_text);
  t.true(mail[0].body_text.includes('已向您解释定额核定的依据。'));
  // not yet answered: the mail says the answer will come
  const q = await hotline();
  const e = await hotline();
  await act(s.coord, e.id, 'merge', { intoTicketId: q.id });
  const later: any[] = await h.deps.db.query("SELECT body_text FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_merged' AND channel = 'email'", [e.id]);
  t.true(later[0].body_text.includes('该工单的答复和办结情况将同样通过邮件告知您。'));
  t.false(later[0].body_text.includes('答复内容'));
});

test.serial('item 8 sibling: the reply mail offers a callback rating only where one may be recorded (no owner account)', async (t) => {
  setNow('2026-11-12T10:00:00+08:00');
  const call = await hotline();
  const web = await ownerTicket();
  for (const tk of [call, web]) {
    await act(s.tax, tk.id, 'sign');
    await act(s.tax, tk.id, 'reply', { outcome: 'resolved', message: '已处理完毕。' });
  }
  const body = async (id: string) =>
    ((await h.deps.db.query("SELECT body_text FROM outbox_message WHERE ticket_id = ? AND notice = 'ticket_replied' AND channel = 'email'", [id])) as any[])[0].body_text as string;
  t.true((await body(call.id)).includes('评价，也可在热线回访时告知。'));
  t.false((await body(web.id)).includes('热线回访'));
});

test.serial(
  "a ticket closed by the owner's rating or by the coordinator closes its open oversight orders (an oversight_closed event each, reason closed); an answered order keeps its answer",
  async (t) => {
    setNow('2026-11-13T09:00:00+08:00');
    const tail = async (id: string, after: string) => {
      const ev = await events(id);
      // the close's note is a message of its own (its id in the payload)
      return ev.slice(ev.map((e) => e.type).lastIndexOf(after) + 1).map((e) => [e.type, e.actor.id ?? e.actor.role, e.fromState, e.toState, e.type === 'closed' ? Object.keys(e.payload) : e.payload]);
    };
    // the owner rates satisfied: two open orders (levels 2 and 3) close with the ticket
    const mine = await ownerTicket();
    await act(s.coord, mine.id, 'escalate', { level: 2, note: '请加快办理' });
    setNow('2026-11-13T09:05:00+08:00'); // the orders close in the order they were opened
    await act(s.coord, mine.id, 'escalate', { level: 3, note: '再次督办' });
    const orders = ((await s.coord.get(`/api/v1/tickets/${mine.id}/oversight`)).body.items as any[]).sort((a, b) => a.level - b.level);
    t.deepEqual(
      orders.map((o) => [o.level, o.state]),
      [
        [2, 'open'],
        [3, 'open'],
      ],
    );
    await act(s.tax, mine.id, 'sign');
    await act(s.tax, mine.id, 'reply', { outcome: 'resolved', message: '已处理完毕。' });
    await act(owner, mine.id, 'rate', { rating: 'satisfied' });
    t.deepEqual(await tail(mine.id, 'replied'), [
      ['rated', owner.id, 'replied', 'closed', { rating: 'satisfied', via: 'owner' }],
      ['oversight_closed', owner.id, 'closed', 'closed', { orderId: orders[0].id, level: 2, departmentCode: 'TAX', reason: 'closed' }],
      ['oversight_closed', owner.id, 'closed', 'closed', { orderId: orders[1].id, level: 3, departmentCode: 'TAX', reason: 'closed' }],
    ]);
    const after = ((await s.coord.get(`/api/v1/tickets/${mine.id}/oversight`)).body.items as any[]).sort((a, b) => a.level - b.level);
    t.deepEqual(
      after.map((o) => [o.id, o.state, o.closeNote]),
      [
        [orders[0].id, 'closed', '工单已办结，督办结束'],
        [orders[1].id, 'closed', '工单已办结，督办结束'],
      ],
    );
    const late = await s.tax.post(`/api/v1/oversight/${orders[0].id}/respond`, { message: '已办理' });
    t.deepEqual([late.status, late.body.code], [409, 'oversight-not-open']);

    // the coordinator closes a replied ticket: the answered order keeps its answer, the open one closes
    const call = await hotline();
    await act(s.coord, call.id, 'escalate', { level: 2, note: '请加快办理' });
    const [answered] = (await s.coord.get(`/api/v1/tickets/${call.id}/oversight`)).body.items;
    t.is((await s.tax.post(`/api/v1/oversight/${answered.id}/respond`, { message: '正在办理' })).status, 200);
    await act(s.coord, call.id, 'escalate', { level: 3, note: '再次督办' });
    const open = ((await s.coord.get(`/api/v1/tickets/${call.id}/oversight`)).body.items as any[]).find((o) => o.state === 'open');
    await act(s.tax, call.id, 'sign');
    await act(s.tax, call.id, 'reply', { outcome: 'resolved', message: '已处理完毕。' });
    await act(s.coord, call.id, 'close', { note: '回访未接通' });
    t.deepEqual(await tail(call.id, 'replied'), [
      ['closed', s.coord.id, 'replied', 'closed', ['messageId']],
      ['oversight_closed', s.coord.id, 'closed', 'closed', { orderId: open.id, level: 3, departmentCode: 'TAX', reason: 'closed' }],
    ]);
    const states = ((await s.coord.get(`/api/v1/tickets/${call.id}/oversight`)).body.items as any[]).map((o) => [o.id, o.state]).sort();
    t.deepEqual(
      states,
      [
        [answered.id, 'responded'],
        [open.id, 'closed'],
      ].sort(),
    );
  },
);

import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { AUDIENCES, renderNotice, templateNames, templatesDir } from '../../src/notifications/render';
import { noticeData } from '../../src/notifications/notify';
import { formatDeadline, formatDeadlineOrNull, formatInstant } from '../../src/notifications/labels';
import { renderSms } from '../../src/notifications/render';
import { segmentText } from '../../src/sms/text';
import { formatDeadline as pagesDeadline } from '../../src/pages/format';
import { SAMPLES, SAMPLE_DEPARTMENTS, sampleTicket } from '../../src/notifications/samples';
import { previewCommand } from '../../src/cli/preview';
import { UsageError } from '../../src/cli/args';

// The templates of templates/ (issue 4): one folder per notice with subject, text and
// HTML, rendered by eta with HTML auto-escaping in a shared layout; what they show
// depends on the reader's role.

const FULL_PHONE = '13800001234';
const SITE = 'https://grievance.example.test';
const data = (name: string, audience: (typeof AUDIENCES)[number], integrity = false) => {
  const s = SAMPLES[name];
  const ticket = Object.assign(sampleTicket(integrity || !!s.integrity), s.ticket ?? {});
  return noticeData(ticket, { audience, name: '读者' }, s.vars, SAMPLE_DEPARTMENTS, 'Asia/Shanghai', SITE);
};
const render = (name: string, audience: (typeof AUDIENCES)[number], integrity = false) => renderNotice(name, data(name, audience, integrity));
const TICKET_ID = sampleTicket().id;
const WORK_URL = `${SITE}/work/tickets/${TICKET_ID}`;
const STAFF = ['handler', 'head', 'coordinator', 'supervisor'] as const;

test('every notice has a folder with subject, text and HTML, and sample data', (t) => {
  const names = templateNames();
  t.deepEqual(names, Object.keys(SAMPLES).sort());
  for (const n of names) for (const f of ['subject', 'text', 'html']) t.true(existsSync(join(templatesDir(), n, `${f}.eta`)), `${n}/${f}.eta`);
});

for (const name of Object.keys(SAMPLES)) {
  test(`${name}: renders for every role; subject carries the number; HTML escaped, text intact; handlers see the phone masked`, (t) => {
    for (const a of AUDIENCES) {
      for (const integrity of [false, true]) {
        const r = render(name, a, integrity);
        t.regex(r.subject, /^【FL2026000123】/, `${name}/${a}`);
        t.false(r.subject.includes('\n'));
        t.true(r.html.startsWith('<!DOCTYPE html>'));
        t.true(r.html.includes('涪陵区个体工商户诉求办理平台'));
        t.false(/<示例>/.test(r.html), 'no raw title markup in HTML');
        t.false(/<script/i.test(r.html));
        t.true(r.text.endsWith('请勿直接回复。如有疑问请拨打12345政务服务便民热线。\n'));
        if (r.text.includes('示例')) t.true(r.text.includes('<示例>') || !r.text.includes('&lt;'), 'text is not HTML-escaped');
        if (a === 'handler' || a === 'head' || a === 'attendee' || a === 'submitter') t.false(r.text.includes(FULL_PHONE) || r.html.includes(FULL_PHONE), `${name}/${a}: no full phone`);
        if (integrity && a !== 'higher') {
          t.false(r.text.includes(FULL_PHONE) || r.text.includes('owner@example.test') || r.text.includes('涪陵区示例面馆'), `${name}/${a}: no reporter identity`);
        }
        if (integrity && !['supervisor', 'handler', 'head', 'higher'].includes(a)) t.false(r.text.includes('被反映人'), `${name}/${a}: no accusation`);
      }
    }
  });
}

test('coordinators and supervisors see the full phone of a complaint; handlers 138****1234', (t) => {
  t.true(render('ticket_dispatched', 'handler').text.includes('电话 138****1234'));
  t.true(render('ticket_returned', 'coordinator').text.includes(`电话 ${FULL_PHONE}`));
  t.true(render('due_soon', 'supervisor').text.includes(`电话 ${FULL_PHONE}`));
  t.true(render('ticket_dispatched', 'supervisor', true).text.includes('举报人信息：请登录平台查看（查看将被记录）'));
  t.true(render('integrity_forward', 'higher').text.includes(`电话 ${FULL_PHONE}`));
});

test('preview writes HTML, text or a whole message for a role; refuses what it does not know', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'preview-'));
  try {
    const out = (s: string) => join(dir, s);
    t.is(await previewCommand(['ticket_replied', '--out', out('a.html')]), 0);
    t.true(readFileSync(out('a.html'), 'utf8').includes('经核查，已按实际营业额重新核定定额。'));
    t.is(await previewCommand(['ticket_dispatched', '--role', 'handler', '--out', out('b.txt')]), 0);
    const txt = readFileSync(out('b.txt'), 'utf8');
    t.true(txt.startsWith('Subject: 【FL2026000123】新工单待签收：定额税核定偏高，申请重新核定 <示例>\n'));
    t.true(txt.includes('138****1234'));
    t.is(await previewCommand(['red_card', '--role', 'supervisor', '--out', out('c.eml')]), 0);
    const m = await simpleParser(readFileSync(out('c.eml')));
    t.is(m.subject, '【FL2026000123】红牌督办：请于 2026年11月18日（周三）24:00前回复督办单');
    t.true(String(m.html).includes('&lt;示例&gt;'));
    await t.throwsAsync(previewCommand(['nope']), { instanceOf: UsageError });
    await t.throwsAsync(previewCommand(['ticket_replied', '--role', 'mayor']), { instanceOf: UsageError });
    await t.throwsAsync(previewCommand(['ticket_replied', '--out', out('x.pdf')]), { instanceOf: UsageError });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatDeadline, the one formatter of pages, mails and texts: a deadline at local midnight is the end of its last day (24:00前), any other instant as it is', (t) => {
  const rows: [string, string][] = [
    ['2026-11-03T16:00:00Z', '2026年11月3日（周二）24:00前'], // 2026-11-04 00:00 in Shanghai
    ['2026-12-31T16:00:00Z', '2026年12月31日（周四）24:00前'], // across the year's end
    ['2026-12-10T16:00:00Z', '2026年12月10日（周四）24:00前'],
    ['2026-11-04T09:30:00Z', '2026年11月4日（周三）17:30前'],
    ['2026-11-03T16:01:00Z', '2026年11月4日（周三）00:01前'],
  ];
  for (const [at, want] of rows) {
    t.is(formatDeadline(new Date(at), 'Asia/Shanghai'), want, at);
    t.is(pagesDeadline(new Date(at), 'Asia/Shanghai'), want, `${at}: the pages write the same`);
  }
  t.is(formatDeadlineOrNull(null, 'Asia/Shanghai'), null);
  t.is(formatInstant(new Date('2026-11-03T16:00:00Z'), 'Asia/Shanghai'), '2026-11-04 00:00', 'other instants (received at) unchanged');
});

test('mails and texts write deadlines as the pages do: 「2026年11月3日（周二）24:00前」, never 「2026-11-03 24:00 前」', (t) => {
  const mail = render('ticket_dispatched', 'handler');
  t.true(mail.text.includes('签收期限：2026年11月3日（周二）24:00前\n'), mail.text);
  t.true(mail.text.includes('答复期限：2026年11月9日（周一）24:00前\n'), mail.text);
  t.true(mail.html.includes('<p>签收期限：<strong>2026年11月3日（周二）24:00前</strong></p>'), mail.html);
  t.true(render('ticket_replied', 'submitter').text.includes('请在 2026年11月12日（周四）24:00前对答复作出评价'));
  t.is(render('due_soon', 'handler').subject, '【FL2026000123】答复期限将至（2026年11月9日（周一）24:00前）');
  t.true(render('oversight_opened', 'head').text.includes('请于 2026年11月12日（周四）24:00前在平台回复督办单'));
  for (const name of Object.keys(SAMPLES)) {
    for (const a of AUDIENCES) {
      const r = render(name, a);
      t.notRegex(`${r.subject}\n${r.text}\n${r.html}`, /\d{4}-\d{2}-\d{2} 24:00|\d{2}:\d{2} 前|前 ?前/, `${name}/${a}: the pages' form only`);
    }
  }
  t.is(renderSms('ticket_dispatched', data('ticket_dispatched', 'handler')), `新工单FL2026000123待区税务局签收，请于2026年11月3日（周二）24:00前签收。${SITE}/work`);
  t.is(renderSms('ticket_replied', data('ticket_replied', 'submitter')), `工单FL2026000123已答复，请查看并评价（2026年11月12日（周四）24:00前）：${SITE}/track?number=FL2026000123`);
  t.is(renderSms('extension_decided', data('extension_decided', 'submitter')), `工单FL2026000123经批准延期，将于2026年11月9日（周一）24:00前答复。详情：${SITE}/track?number=FL2026000123`);
});

test('SMS length: every text with a deadline, signature and a real address fits two UCS-2 segments (134 characters), as before the longer deadline form', (t) => {
  const sig = '【涪陵区个体工商户诉求办理平台】';
  for (const name of [
    'ticket_dispatched',
    'due_soon',
    'oversight_opened',
    'red_card',
    'overdue',
    'oversight_late',
    'extension_decided',
    'ticket_replied',
    'info_requested',
    'objection_decided',
    'ticket_unmerged',
  ]) {
    const audience = SAMPLES[name].audiences.includes('handler') ? 'handler' : SAMPLES[name].audiences[0];
    const text = `${sig}${renderSms(name, data(name, audience))}`;
    t.true(segmentText(text).length <= 2, `${name}: ${text.length} characters, ${segmentText(text).length} segments: ${text}`);
  }
});

test('every staff mail about a ticket links to its workbench page; owners keep their track link and never get the staff link', (t) => {
  for (const name of Object.keys(SAMPLES)) {
    for (const a of AUDIENCES) {
      for (const integrity of [false, true]) {
        const r = render(name, a, integrity);
        const staff = (STAFF as readonly string[]).includes(a);
        t.is(r.text.includes(WORK_URL), staff, `${name}/${a}/${integrity}: text`);
        t.is(r.html.includes(`<a href="${WORK_URL}"`), staff, `${name}/${a}/${integrity}: html`);
        if (!staff) t.false(r.text.includes('/work/'), `${name}/${a}: no workbench address`);
      }
    }
  }
  t.true(render('ticket_dispatched', 'handler').text.includes(`\n在平台查看和办理本工单：${WORK_URL}\n`));
  t.true(render('ticket_received', 'submitter').text.includes(`${SITE}/track?number=FL2026000123`), 'the owner keeps the track link');
  // a supervisor's integrity mail: the report's page (the integrity console opens it), where identity reads are recorded
  const sup = render('ticket_dispatched', 'supervisor', true);
  t.true(sup.text.includes(`在平台查看本件举报（查看举报人身份将被记录）：${WORK_URL}`), sup.text);
  t.true(sup.html.includes(`<a href="${WORK_URL}"`));
});

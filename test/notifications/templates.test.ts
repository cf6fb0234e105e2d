import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { AUDIENCES, renderNotice, templateNames, templatesDir } from '../../src/notifications/render';
import { noticeData } from '../../src/notifications/notify';
import { formatDeadlineInstant, formatInstant } from '../../src/notifications/labels';
import { SAMPLES, SAMPLE_DEPARTMENTS, sampleTicket } from '../../src/notifications/samples';
import { previewCommand } from '../../src/cli/preview';
import { UsageError } from '../../src/cli/args';

// The templates of templates/ (issue 4): one folder per notice with subject, text and
// HTML, rendered by eta with HTML auto-escaping in a shared layout; what they show
// depends on the reader's role.

const FULL_PHONE = '13800001234';
const render = (name: string, audience: (typeof AUDIENCES)[number], integrity = false) => {
  const s = SAMPLES[name];
  const ticket = Object.assign(sampleTicket(integrity || !!s.integrity), s.ticket ?? {});
  return renderNotice(name, noticeData(ticket, { audience, name: '读者' }, s.vars, SAMPLE_DEPARTMENTS, 'Asia/Shanghai'));
};

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
    t.is(m.subject, '【FL2026000123】红牌督办：请于 2026-11-18 24:00 前回复督办单');
    t.true(String(m.html).includes('&lt;示例&gt;'));
    await t.throwsAsync(previewCommand(['nope']), { instanceOf: UsageError });
    await t.throwsAsync(previewCommand(['ticket_replied', '--role', 'mayor']), { instanceOf: UsageError });
    await t.throwsAsync(previewCommand(['ticket_replied', '--out', out('x.pdf')]), { instanceOf: UsageError });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatDeadlineInstant: a deadline at local midnight is the end of its last day (24:00), any other instant as it is', (t) => {
  const rows: [string | null, string | null][] = [
    ['2026-11-03T16:00:00Z', '2026-11-03 24:00'], // 2026-11-04 00:00 in Shanghai
    ['2026-12-31T16:00:00Z', '2026-12-31 24:00'], // across the year's end
    ['2026-11-04T09:30:00Z', '2026-11-04 17:30'],
    ['2026-11-03T16:01:00Z', '2026-11-04 00:01'],
    [null, null],
  ];
  for (const [at, want] of rows) t.is(formatDeadlineInstant(at ? new Date(at) : null, 'Asia/Shanghai'), want, String(at));
  t.is(formatInstant(new Date('2026-11-03T16:00:00Z'), 'Asia/Shanghai'), '2026-11-04 00:00', 'other instants (received at) unchanged');
});

test('mails and texts write deadlines as the pages do: 24:00 of the last day', (t) => {
  const mail = render('ticket_dispatched', 'handler').text;
  t.true(mail.includes('签收期限：2026-11-03 24:00 前'), mail);
  t.true(mail.includes('答复期限：2026-11-09 24:00 前'), mail);
  t.false(mail.includes(' 00:00 前'));
  t.true(render('ticket_replied', 'submitter').text.includes('请在 2026-11-12 24:00 前对答复作出评价'));
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { parseArgs, flag, UsageError } from './args';
import { AUDIENCES, Audience, renderNotice, templateNames, templatesDir } from '../notifications/render';
import { noticeData } from '../notifications/notify';
import { SAMPLES, SAMPLE_DEPARTMENTS, sampleGreeting, sampleTicket } from '../notifications/samples';

export const PREVIEW_USAGE = `preview <template> [--role ROLE] [--integrity] [--out FILE]
    Renders templates/<template>/ (subject, text, HTML in the shared layout) with sample
    data, as the recipient ROLE would get it (${AUDIENCES.join(', ')};
    default: the first role the notice is written for), and writes FILE:
      .html  the HTML part (open it in a browser)
      .txt   the subject and the text part
      .eml   the whole message (open it in a mail client)
    Default FILE: var/preview/<template>.<role>.html. --integrity renders it about an
    integrity report. "preview --list" lists the templates and their roles.`;

/**
 * `preview` (issue 4): for the people who write the mail texts. Renders one template with
 * the sample data of `src/notifications/samples.ts`; prints the file written.
 * Returns the exit code (0); throws UsageError for a wrong template, role or file type.
 */
export async function previewCommand(args: string[]): Promise<number> {
  const a = parseArgs(args, { values: ['role', 'out'], booleans: ['integrity', 'list'] });
  if (a.flags.help) {
    process.stdout.write(`${PREVIEW_USAGE}\n`);
    return 0;
  }
  const names = templateNames();
  if (a.flags.list) {
    for (const n of names) process.stdout.write(`${n.padEnd(22)} ${(SAMPLES[n]?.audiences ?? ['submitter']).join(', ')}\n`);
    return 0;
  }
  if (a.positionals.length !== 1) throw new UsageError('name one template (preview --list shows them)');
  const name = a.positionals[0];
  if (!names.includes(name)) throw new UsageError(`no template "${name}" in ${templatesDir()} (preview --list shows them)`);
  const sample = SAMPLES[name] ?? { audiences: ['submitter'] as Audience[], vars: {} };
  const role = (flag(a, 'role') ?? sample.audiences[0]) as Audience;
  if (!AUDIENCES.includes(role)) throw new UsageError(`--role must be one of ${AUDIENCES.join(', ')}`);
  const out = resolve(flag(a, 'out') ?? `var/preview/${name}.${role}.html`);
  const ext = extname(out).toLowerCase();
  if (!['.html', '.txt', '.eml'].includes(ext)) throw new UsageError('--out must end in .html, .txt or .eml');

  const ticket = Object.assign(sampleTicket(!!a.flags.integrity || !!sample.integrity), sample.ticket ?? {});
  const data = noticeData(ticket, { audience: role, name: sampleGreeting(role) }, sample.vars, SAMPLE_DEPARTMENTS, 'Asia/Shanghai');
  const r = renderNotice(name, data);
  let content: string | Buffer;
  if (ext === '.html') content = r.html;
  else if (ext === '.txt') content = `Subject: ${r.subject}\n\n${r.text}`;
  else {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    const info = await t.sendMail({ from: 'noreply@grievance.local', to: `${role}@example.test`, subject: r.subject, text: r.text, html: r.html });
    content = info.message as Buffer;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, content);
  process.stdout.write(`${out}\n  subject: ${r.subject}\n`);
  return 0;
}

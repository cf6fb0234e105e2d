import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Eta } from 'eta';

/** Who a text is written for; decides what it may show (DESIGN §1, §7). */
export const AUDIENCES = ['submitter', 'handler', 'head', 'coordinator', 'supervisor', 'attendee', 'higher'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** The ticket as mail texts show it: labels in Chinese, instants as local wall time. */
export interface TicketView {
  number: string;
  title: string;
  kind: string;
  kindLabel: string;
  channelLabel: string;
  priorityLabel: string;
  stateLabel: string;
  departmentName: string | null;
  receivedAt: string | null;
  dispatchBy: string | null;
  signBy: string | null;
  replyBy: string | null;
  rateBy: string | null;
  isIntegrity: boolean;
  /** submitted without an account: tracked with the number and the access code */
  accountLess: boolean;
  anonymous: boolean;
  /** the submitter's track page, `${PUBLIC_URL}/track?number=<number>` */
  trackUrl: string;
  /**
   * staff only (handler, head, coordinator, supervisor): the ticket's page in the workbench,
   * `${PUBLIC_URL}/work/tickets/<id>`, written by the mail layout; null for everyone else
   */
  workUrl: string | null;
  /** the words of that link (a supervisor's integrity report: its page, where each identity read is recorded) */
  workLinkLabel: string;
  /** the account of what happened, cut for mail; null when the audience does not get it */
  description: string | null;
}

/** The submitter's contact record as this audience may see it (phone masked for handlers). */
export interface ContactView {
  name: string | null;
  phone: string | null;
  businessName: string | null;
  email: string | null;
}

/** The accusation as discipline staff and the higher commission see it (never sent elsewhere). */
export interface IntegrityView {
  accusedDepartmentName: string;
  accusedPerson: string | null;
  demandLabel: string;
  amountYuan: string | null;
  occurredOn: string | null;
}

/**
 * What every template gets as `it`. `vars` holds what a notice adds (the reply text, the
 * deadline, the level...); each template folder's files name what they read.
 */
export interface NoticeData {
  audience: Audience;
  /** how the text addresses the reader: a name, or "您" */
  greeting: string;
  site: string;
  /** `PUBLIC_URL`: the pages' address */
  siteUrl: string;
  ticket: TicketView | null;
  /** null: this audience does not see who submitted it */
  contact: ContactView | null;
  /** only for supervisors and the higher commission on integrity reports */
  integrity: IntegrityView | null;
  vars: Record<string, unknown>;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export const SITE_NAME = '涪陵区个体工商户诉求办理平台';

/** The `templates/` folder: `TEMPLATES_DIR`, else the nearest ancestor of this file that has one (works from `src/` and `build/src/`). */
export function templatesDir(): string {
  if (process.env.TEMPLATES_DIR) return resolve(process.env.TEMPLATES_DIR);
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    const c = join(d, 'templates');
    if (existsSync(join(c, '_layout'))) return c;
    d = dirname(d);
  }
  throw new Error('templates/ not found (set TEMPLATES_DIR)');
}

let engines: { html: Eta; text: Eta; dir: string } | null = null;
function eta() {
  const dir = templatesDir();
  if (!engines || engines.dir !== dir) {
    // HTML escapes every `<%= %>` (DESIGN §12: text stored as given, escaped on output);
    // text parts and subjects are plain text, so they carry the text intact.
    const common = { views: dir, cache: true, defaultExtension: '.eta', autoTrim: false as const };
    engines = { dir, html: new Eta({ ...common, autoEscape: true }), text: new Eta({ ...common, autoEscape: false }) };
  }
  return engines;
}

/** Whether `templates/sms/<name>.eta` exists (the notice has a text message). */
export function smsTemplateExists(name: string): boolean {
  return /^[a-z][a-z0-9_]*$/.test(name) && existsSync(join(templatesDir(), 'sms', `${name}.eta`));
}

/**
 * Renders the text message `templates/sms/<name>.eta` (issue 11): one paragraph, whitespace
 * runs collapsed to one space, so that it stays short (70 UCS-2 characters fit one message).
 * Throws if it fails.
 */
export function renderSms(name: string, data: NoticeData): string {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad template name ${name}`);
  return eta().text.render(`/sms/${name}`, data).replace(/\s+/g, ' ').trim();
}

/** The notice kinds that have templates (folders of `templates/` not starting with `_`; `pages/` holds the web pages). */
export function templateNames(): string[] {
  return readdirSync(templatesDir(), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_') && d.name !== 'pages' && d.name !== 'sms')
    .map((d) => d.name)
    .sort();
}

/**
 * Renders `templates/<name>/{subject,text,html}.eta` with `data`. The subject is one line
 * (whitespace collapsed, at most 250 characters). Throws if a template is missing or fails.
 */
export function renderNotice(name: string, data: NoticeData): Rendered {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad template name ${name}`);
  const e = eta();
  const subject = Array.from(e.text.render(`/${name}/subject`, data).replace(/\s+/g, ' ').trim())
    .slice(0, 250)
    .join('');
  const text = `${e.text
    .render(`/${name}/text`, data)
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
  const html = e.html.render(`/${name}/html`, data);
  return { subject, text, html };
}

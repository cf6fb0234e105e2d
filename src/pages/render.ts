import { join } from 'node:path';
import type { Context } from 'koa';
import { Eta } from 'eta';
import { templatesDir } from '../notifications/render';
import { AssetTable } from './assets';
import { formatDate, formatDeadline, formatInstant } from './format';
import type { SessionAccount } from '../commands/sessions';
import * as labels from '../notifications/labels';
import * as texts from './texts';
import { workHelpers } from './work/helpers';

/** The service's name as every page header and title shows it. */
export const SERVICE_NAME = '涪陵区个体工商户诉求办理平台';

/** What every page template gets besides its own data, as `it.page`. */
export interface PageChrome {
  /** the `<title>` and the `<h1>` (without the service name) */
  title: string;
  account: SessionAccount | null;
  /** CSRF token for this browser and session: every form posts it as `_csrf` */
  csrf: string;
  asset: (name: string) => string;
  path: string;
  tz: string;
}

/** Form state: the values as typed (kept on error), the message per field, the summary (GOV.UK pattern). */
export interface FormView {
  values: Record<string, string>;
  errors: Record<string, string>;
  summary: { href: string; text: string }[];
  /** a message about the whole form (not one field), shown at the top of the summary */
  problem?: string;
}

export const emptyForm = (values: Record<string, string> = {}): FormView => ({ values, errors: {}, summary: [] });

/** `owner.phone` → `f-owner-phone`: the id of a field's control, linked from the error summary. */
export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * Page rendering: eta templates under `templates/pages/`, HTML-escaped by default (`<%= %>`;
 * DESIGN §12: text stored as given, escaped on output). Templates get `it.page` (chrome),
 * `it.h` (formatting helpers and the Chinese labels) and their own data.
 */
export class PageRenderer {
  private readonly eta: Eta;
  readonly assets: AssetTable;

  constructor(
    private readonly tz: string,
    assets = new AssetTable(),
  ) {
    this.assets = assets;
    this.eta = new Eta({ views: join(templatesDir(), 'pages'), cache: true, autoEscape: true, defaultExtension: '.eta', autoTrim: [false, 'nl'] });
  }

  /** helpers every template may call as `it.h.…` */
  private helpers() {
    const tz = this.tz;
    return {
      time: (d: Date | string | null | undefined) => formatInstant(d, tz),
      /** a deadline as every page writes it (`formatDeadline`: midnight as the end of the day before, `…24:00前`) */
      deadline: (d: Date | string | null | undefined) => (d ? formatDeadline(typeof d === 'string' ? new Date(d) : d, tz) : ''),
      date: (d: string | null | undefined) => (d ? formatDate(d) : ''),
      id: fieldId,
      labels,
      texts,
      work: workHelpers(tz),
    };
  }

  /** Renders `templates/pages/<name>.eta` into the response (HTML, `no-store`). */
  render(ctx: Context, name: string, chrome: Omit<PageChrome, 'asset' | 'path' | 'tz'>, data: Record<string, unknown> = {}, status = 200) {
    const page: PageChrome = { ...chrome, asset: (n) => this.assets.url(n), path: ctx.path, tz: this.tz };
    const html = this.eta.render(`/${name}`, { ...data, page, h: this.helpers() });
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  }
}

/**
 * Browser tests of the web pages (issue 9): playwright-core driving Debian's Chromium
 * (`/usr/bin/chromium`, apt packages `chromium`, `chromium-l10n` and `fonts-noto-cjk`), headless, with a
 * fresh temporary profile per browser. One browser per test file (they are slow to start):
 * open it in `test.before`, close it in `test.after.always`, run the file's tests with
 * `test.serial` (one cookie jar). See docs/pages.md "Browser tests".
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExecutionContext } from 'ava';
import { chromium, BrowserContext, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The staff workbench's design width (issue 10: desktop first). */
export const DESKTOP = { width: 1366, height: 768 };
/** The phone the owner pages are designed for (a cheap Android phone). */
export const PHONE = { width: 390, height: 844 };

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export interface TestBrowser {
  context: BrowserContext;
  /** a new tab at `viewport` (default the phone), opened at `url` when given */
  page(url?: string, viewport?: { width: number; height: number }): Promise<Page>;
  /** forgets every cookie: the next page is a new visitor */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile. `javaScript: false` runs every page of this browser
 * with JavaScript disabled (the owner pages must work so).
 */
export async function openBrowser(o: { javaScript?: boolean } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'grievance-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, '--lang=zh-CN'],
    javaScriptEnabled: o.javaScript ?? true,
    // the browser's own words (file picker, date field) in Chinese, as on the owner's phone (apt package chromium-l10n)
    env: { ...process.env, LANGUAGE: 'zh_CN', LANG: process.env.LANG || 'C.UTF-8' },
    viewport: PHONE,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    deviceScaleFactor: 1,
    isMobile: false,
    hasTouch: false,
  });
  context.setDefaultTimeout(15_000);
  // The pages take nothing from outside the service: a request elsewhere fails the page.
  await context.route(
    (u) => !/^https?:\/\/127\.0\.0\.1(:\d+)?\//.test(u.toString()) && !u.toString().startsWith('data:'),
    (r) => r.abort(),
  );
  return {
    context,
    async page(url, viewport = PHONE) {
      const p = await context.newPage();
      await p.setViewportSize(viewport);
      if (url) await p.goto(url);
      return p;
    },
    async reset() {
      await context.clearCookies();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * axe-core on the page as it is now: fails the test on any serious or critical violation
 * (issue 9: "no serious or critical violation"), listing them.
 */
export async function checkA11y(t: ExecutionContext, page: Page, label = page.url()): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `accessibility of ${label}`,
  );
}

/** docs/screenshots/, or `SCREENSHOT_DIR` (to look at pictures without rewriting the committed ones). */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ? resolve(process.env.SCREENSHOT_DIR) : resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');

/**
 * A full-page screenshot into docs/screenshots/<name>.png, only when `SCREENSHOTS=1` (so that
 * test runs do not rewrite the committed pictures): `SCREENSHOTS=1 npx ava build/test/pages/…`.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Looks at the page: an accessibility check, then the screenshot (when asked for). */
export async function look(t: ExecutionContext, page: Page, name: string): Promise<void> {
  await checkA11y(t, page, name);
  await screenshot(page, name);
}

/** The text of the element, whitespace collapsed (for asserting what a page shows). */
export async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Signs in at the one entry (`/account/sign-in`) as `username` (staff of `standardStaff` have
 * the password `Pw-<username>-123!`), in a browser with no cookies left (`b.reset()`), on `p`
 * or a new desktop-width tab. Returns the page where sign-in landed.
 */
export async function staffSignIn(b: TestBrowser, baseUrl: string, username: string, o: { password?: string; page?: Page } = {}): Promise<Page> {
  await b.reset();
  const page = o.page ?? (await b.page(undefined, DESKTOP));
  await page.goto(`${baseUrl}/account/sign-in`);
  await page.fill('#f-phone', username);
  await page.fill('#f-password', o.password ?? `Pw-${username}-123!`);
  await page.click('main button[type=submit]');
  await page.waitForLoadState();
  return page;
}

/**
 * Runs `act` (a click that sends a form) and waits for the page its 303 leads to to load — a
 * new document, whatever its address (the success notice travels in a one-time cookie, not in a
 * `?done=`, so the address may be the page's own) — then returns that address.
 */
export async function afterPost(page: Page, act: () => Promise<unknown>): Promise<string> {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
  return page.url();
}

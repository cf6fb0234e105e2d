import 'reflect-metadata';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { boot } from '../boot';
import { createApp } from '../app';
import { manualClock } from '../clock';
import { createLogger } from '../logger';
import { startWorkers } from '../jobs/runner';
import { startMailWorker } from '../notifications/mail-worker';
import { importHotline, parseHotlineExport, HotlineRow } from '../commands/import-hotline';
import { addCalendarDays, WorkCalendar } from '../domain/calendar';
import { localDate } from '../domain/deadline';
import type { Outcome, Rating } from '../domain/lifecycle';
import { RoutingRule, User } from '../entities';
import { createStaffUser } from './users';

/**
 * The `demo` command (issue 2 item 9): the main job on the embedded default, end to end.
 * It replays November 2026 on a manual clock — the sample export's calls are imported in
 * the evening of the day they came in (urgent ones at once), and through the HTTP API the
 * coordinator dispatches, handlers sign and reply, submitters rate with their access
 * codes, one bad rating reopens a ticket — then prints the closed-loop summary as of the
 * end of the replay. Idempotent: a second run finds every step done and changes nothing.
 * Decisions: docs/decisions/import-and-demo.md.
 */

const SEED_DIR = join(__dirname, '..', '..', '..', 'seed');
export const DEMO_FILE = join(SEED_DIR, 'sample-hotline.csv');
/** Password of every demo account (demo data only: never use a demo data directory in production). */
export const DEMO_PASSWORD = 'demo-pass-2026';
export const DEMO_COORDINATOR = 'demo.coord';
export const DEMO_INTAKE = 'demo.intake';
/** The demo's discipline supervisor (the supervisors' workbench pages). */
export const DEMO_SUPERVISOR = 'demo.sup';
const handlerOf = (dept: string) => `demo.${dept.toLowerCase()}`;
const headOf = (dept: string) => `demo.${dept.toLowerCase()}.head`;

export interface DemoOptions {
  /** data directory (SQLite file, outbox, secrets); default `DATA_DIR` or `var` */
  dataDir?: string;
  /** HTTP port of the in-process service; default 0 (any free port) */
  port?: number;
  /** print nothing (the summary is returned) */
  quiet?: boolean;
}

export interface DepartmentLine {
  code: string;
  name: string;
  received: number;
  /** replied or closed now (the latest cycle's answer stands) */
  answered: number;
  /** answered after the reply deadline */
  answeredLate: number;
  closed: number;
  /** open with an owed deadline (dispatch, sign-for, reply) passed, as of the summary */
  overdue: number;
}

export interface DemoSummary {
  asOf: string;
  import: { imported: number; skipped: number; rejected: number; batches: number };
  /** HTTP actions this run performed (0 on a re-run) */
  actions: number;
  departments: DepartmentLine[];
  totals: Omit<DepartmentLine, 'code' | 'name'>;
  reopened: string[];
  awaitingRating: string[];
  overdueTickets: string[];
  /** escalations the clock wrote (DESIGN §5): `FL2026000014 level 2 (reply_overdue)` */
  escalations: string[];
  /** .eml files in the outbox folder after the run (mail is written there without SMTP_URL) */
  mailFiles: number;
  sqlitePath: string;
  outboxDir: string;
  dataDir: string;
  port: number;
  /** the printed report, line by line */
  lines: string[];
}

type Step =
  | { at: Date; kind: 'import'; sourceIds: Set<string> }
  | { at: Date; kind: 'dispatch'; row: number; departmentCode: string }
  | { at: Date; kind: 'sign'; row: number; cycle: number }
  | { at: Date; kind: 'reply'; row: number; cycle: number; outcome: Outcome }
  | { at: Date; kind: 'rate'; row: number; cycle: number; rating: Rating; comment?: string };

/** Rows (1-based, file order) with a part in the story; everything else is answered on time and rated well. */
const STORY = {
  /** consultations: answered with an explanation (咨询类) */
  explained: new Set([6, 16, 19, 25, 27]),
  unresolvable: new Set([21]),
  /** signed two working days late */
  lateSign: 9,
  /** answered on the sixth working day, after the five-day deadline */
  lateReply: 14,
  /** rated dissatisfied: reopened as cycle 2, answered again and rated well */
  badRating: 10,
  /** signed but never answered: overdue at the end */
  neverReplied: 28,
  /** answered, rating still awaited at the end */
  unrated: new Set([29, 30]),
};
const GOOD_RATINGS: Rating[] = ['very_satisfied', 'satisfied', 'very_satisfied', 'basically_satisfied', 'satisfied', 'very_satisfied'];

/** Where the coordinator sends an uncategorised (`other`) ticket: public sanitation and works go to HUD, the rest stays with SAMR. */
function pickDepartment(row: HotlineRow): string {
  return /厕|环卫|卫生|垃圾|市政|道路|路灯/.test(row.input.title + row.input.description) ? 'HUD' : 'SAMR';
}

function replyMessage(outcome: Outcome, title: string): string {
  switch (outcome) {
    case 'resolved':
      return `关于“${title}”：经核实，已协调相关单位解决，如仍有困难请再次联系。`;
    case 'explained':
      return `关于“${title}”：已电话联系您说明相关政策、办理条件和流程，书面说明见本答复。`;
    default:
      return `关于“${title}”：经核实，该事项属于民事纠纷，行政机关无法直接处理，已告知人民调解和诉讼等依法维权途径。`;
  }
}

/** Builds the replay: every step with its instant, from the rows' receipt times and the working calendar. */
function plan(rows: HotlineRow[], routes: Map<string, string>, cal: WorkCalendar, tz: string): { steps: Step[]; asOf: Date; departments: Set<string> } {
  const at = (date: string, hhmm: string, plusMin = 0) => DateTime.fromISO(`${date}T${hhmm}`, { zone: tz }).plus({ minutes: plusMin }).toJSDate();
  /** the n-th working day after `date` (n = 0: `date` itself if it is one, else the next) */
  const wd = (date: string, n: number) => {
    let d = date;
    while (!cal.isWorkingDay(d)) d = addCalendarDays(d, 1);
    for (let i = 0; i < n; i++) {
      d = addCalendarDays(d, 1);
      while (!cal.isWorkingDay(d)) d = addCalendarDays(d, 1);
    }
    return d;
  };
  const day = (d: Date) => localDate(d, tz);
  const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
  const steps: Step[] = [];
  const imports = new Map<number, Set<string>>();
  const departments = new Set<string>();
  rows.forEach((row, i) => {
    const k = i + 1;
    const received = row.input.receivedAt;
    const urgent = row.input.priority === 'urgent';
    const rd = day(received);
    // Normal calls reach the system with the evening export; urgent ones are passed on at once.
    const importAt = urgent ? new Date(received.getTime() + 10 * 60_000) : later(at(rd, '18:00'), new Date(received.getTime() + 10 * 60_000));
    const batch = imports.get(importAt.getTime()) ?? new Set<string>();
    batch.add(row.sourceId);
    imports.set(importAt.getTime(), batch);

    const routed = row.input.category ? routes.get(row.input.category) : undefined;
    const dept = routed ?? pickDepartment(row);
    departments.add(dept);
    let signAt: Date;
    if (!routed) {
      const dispatchAt = at(wd(day(importAt), 1), '09:00', k);
      steps.push({ at: dispatchAt, kind: 'dispatch', row: k, departmentCode: dept });
      signAt = new Date(dispatchAt.getTime() + 60 * 60_000);
    } else if (urgent) {
      signAt = new Date(importAt.getTime() + 30 * 60_000);
    } else {
      signAt = at(wd(day(importAt), k === STORY.lateSign ? 2 : 1), k === STORY.lateSign ? '10:00' : '09:30', k);
    }
    steps.push({ at: signAt, kind: 'sign', row: k, cycle: 1 });
    if (k === STORY.neverReplied) return;
    const outcome: Outcome = STORY.explained.has(k) ? 'explained' : STORY.unresolvable.has(k) ? 'unresolvable' : 'resolved';
    const replyWd = k === STORY.lateReply ? 6 : k === STORY.lateSign ? 4 : 3;
    const replyAt = urgent ? new Date(received.getTime() + 6 * 3600_000) : later(at(wd(rd, replyWd), '15:00', k), new Date(signAt.getTime() + 3600_000));
    steps.push({ at: replyAt, kind: 'reply', row: k, cycle: 1, outcome });
    if (STORY.unrated.has(k)) return;
    const rateAt = at(wd(day(replyAt), 1), '10:00', k);
    if (k === STORY.badRating) {
      steps.push({ at: rateAt, kind: 'rate', row: k, cycle: 1, rating: 'dissatisfied', comment: '问题没有解决，管理方仍按新标准收费。' });
      const sign2 = at(wd(day(rateAt), 1), '09:30', k);
      const reply2 = at(wd(day(rateAt), 3), '15:00', k);
      steps.push({ at: sign2, kind: 'sign', row: k, cycle: 2 });
      steps.push({ at: reply2, kind: 'reply', row: k, cycle: 2, outcome: 'resolved' });
      steps.push({ at: at(wd(day(reply2), 1), '10:00', k), kind: 'rate', row: k, cycle: 2, rating: 'very_satisfied', comment: '再次办理后问题解决了，谢谢。' });
    } else {
      const rating = outcome === 'unresolvable' ? 'basically_satisfied' : GOOD_RATINGS[k % GOOD_RATINGS.length];
      steps.push({ at: rateAt, kind: 'rate', row: k, cycle: 1, rating });
    }
  });
  for (const [t, ids] of imports) steps.push({ at: new Date(t), kind: 'import', sourceIds: ids });
  // Imports first at equal instants; otherwise chronological, ties in the order planned.
  const order = (s: Step) => (s.kind === 'import' ? 0 : 1);
  const indexed = steps.map((s, i) => ({ s, i }));
  indexed.sort((a, b) => a.s.at.getTime() - b.s.at.getTime() || order(a.s) - order(b.s) || a.i - b.i);
  const sorted = indexed.map((x) => x.s);
  const last = sorted[sorted.length - 1].at;
  return { steps: sorted, asOf: at(wd(day(last), 2), '18:00'), departments };
}

interface Res {
  status: number;
  body: any;
}

/**
 * Runs the demo (see the module comment) on the embedded SQLite database under
 * `opts.dataDir`; `DATABASE_URL`, `REDIS_URL` and `SMTP_URL` are ignored so that a demo never
 * writes to a configured database. Takes a few seconds.
 * @returns the summary as of the end of the replay, and the printed lines
 * @throws Error when an HTTP step fails unexpectedly (the message names the step)
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const lines: string[] = [];
  // The report is printed at the end, once the mail worker has written its files.
  const say = (s = '') => {
    lines.push(s);
  };
  const dataDir = resolve(opts.dataDir ?? process.env.DATA_DIR ?? 'var');
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: opts.quiet ? 'silent' : 'warn', MIGRATE_ON_START: '1' };
  for (const v of ['DATABASE_URL', 'DATABASE_TYPE', 'REDIS_URL', 'SMTP_URL', 'TEST_CLOCK', 'PORT', 'ROLE']) delete env[v];
  if (process.env.DATABASE_URL) say('demo: DATABASE_URL is set; the demo ignores it and uses the embedded SQLite database (it never writes to a configured database).');

  const file = readFileSync(DEMO_FILE);
  // A first parse only to plan: receipt times decide when the replay starts.
  const seedCategories = new Set((parse(readFileSync(join(SEED_DIR, 'categories.csv')), { columns: true, bom: true }) as { code: string }[]).map((c) => c.code));
  const pre = parseHotlineExport(file, { now: new Date(8.64e15), categories: seedCategories });
  if (pre.problems.length || pre.rows.length === 0) throw new Error(`demo: ${DEMO_FILE} does not parse`);
  if (!opts.quiet) process.stdout.write(`demo: replaying ${pre.rows.length} calls on the embedded database under ${dataDir} …\n`);
  const first = pre.rows.reduce((m, r) => Math.min(m, r.input.receivedAt.getTime()), Infinity);
  const clock = manualClock(new Date(first - 3600_000));

  const deps = await boot(env, { clock, log: createLogger(env.LOG_LEVEL) });
  const tz = deps.config.businessTz;
  // The clock's workers and the mail worker run in this process, as with `npm start`; the
  // replay sweeps after every move of the clock and every step, so the clock acts on time.
  const jobs = await startWorkers(deps, { sweepIntervalMs: 0 });
  const mail = await startMailWorker(deps, { sweepIntervalMs: false });
  const server: Server = createServer(createApp(deps).callback());
  await new Promise<void>((r, j) => server.once('error', j).listen(opts.port ?? 0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}/api/v1`;
  let summary!: DemoSummary;
  let outboxLine = -1;
  try {
    const cal = await deps.calendar.get(deps.db.manager);
    const routes = new Map((await deps.db.getRepository(RoutingRule).find()).map((r) => [r.categoryCode, r.departmentCode] as const));
    const { steps, asOf, departments } = plan(pre.rows, routes, cal, tz);

    // Demo staff: coordinator, intake, a supervisor, a handler and a head per department involved.
    const staff: { username: string; role: 'coordinator' | 'intake' | 'handler' | 'supervisor'; departmentCode: string; isHead?: boolean; name: string }[] = [
      { username: DEMO_COORDINATOR, role: 'coordinator', departmentCode: 'SAMR', name: '演示·派单员' },
      { username: DEMO_INTAKE, role: 'intake', departmentCode: 'SAMR', name: '演示·热线受理员' },
      { username: DEMO_SUPERVISOR, role: 'supervisor', departmentCode: 'DIS', name: '演示·纪检监察员' },
    ];
    for (const d of [...departments].sort()) {
      staff.push({ username: handlerOf(d), role: 'handler', departmentCode: d, name: `演示·${d}经办人` });
      staff.push({ username: headOf(d), role: 'handler', departmentCode: d, isHead: true, name: `演示·${d}负责人` });
    }
    let created = 0;
    for (const s of staff) {
      if (await deps.db.getRepository(User).findOneBy({ username: s.username })) continue;
      await createStaffUser(deps.db, { ...s, password: DEMO_PASSWORD, email: `${s.username}@demo.invalid` }, clock.now());
      created++;
    }

    const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Res> => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    const must = (r: Res, ok: number, what: string) => {
      if (r.status !== ok) throw new Error(`demo: ${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    // Tokens follow the replay clock, so they are renewed when the clock has moved on.
    const sessions = new Map<string, { token: string; at: number }>();
    const token = async (username: string) => {
      const s = sessions.get(username);
      if (s && clock.now().getTime() - s.at < 6 * 3600_000) return s.token;
      const body = must(await call('POST', '/auth/login', { username, password: DEMO_PASSWORD }), 200, `sign in as ${username}`);
      sessions.set(username, { token: body.token, at: clock.now().getTime() });
      return body.token as string;
    };

    // Access codes of the demo submitters, kept so that an interrupted demo can finish the ratings.
    const codesFile = join(dataDir, 'demo-access-codes.json');
    const codes: Record<string, string> = existsSync(codesFile) ? JSON.parse(readFileSync(codesFile, 'utf8')) : {};
    const tickets = new Map<string, { id: string; number: string }>();
    const totals = { imported: 0, skipped: 0, rejected: 0, batches: 0 };
    let actions = 0;

    const moveTo = async (at: Date) => {
      if (at.getTime() > clock.now().getTime()) clock.set(at);
      await jobs.sweep();
    };
    for (const step of steps) {
      await moveTo(step.at);
      if (step.kind === 'import') {
        const r = await importHotline(deps, file, { as: DEMO_INTAKE, only: step.sourceIds });
        totals.batches++;
        totals.imported += r.imported.length;
        totals.skipped += r.skipped.length;
        totals.rejected += r.rejectedRows;
        for (const x of [...r.imported, ...r.skipped]) tickets.set(x.sourceId, { id: x.ticketId, number: x.number });
        for (const x of r.imported) if (x.accessCode) codes[x.number] = x.accessCode;
        if (r.imported.length) {
          mkdirSync(dataDir, { recursive: true });
          writeFileSync(codesFile, JSON.stringify(codes, null, 2), { mode: 0o600 });
          await jobs.check(r.imported.map((x) => x.ticketId));
        }
        continue;
      }
      const row = pre.rows[step.row - 1];
      const ref = tickets.get(row.sourceId);
      if (!ref) continue;
      const coord = await token(DEMO_COORDINATOR);
      for (let attempt = 0; ; attempt++) {
        const t = must(await call('GET', `/tickets/${ref.id}`, undefined, coord), 200, `read ${ref.number}`);
        let r: Res | null = null;
        if (step.kind === 'dispatch' && t.state === 'registered' && t.cycle === 1) {
          r = await call('POST', `/tickets/${ref.id}/dispatch`, { departmentCode: step.departmentCode, note: '按属地和职责分派。' }, coord);
        } else if (step.kind === 'sign' && t.state === 'dispatched' && t.cycle === step.cycle) {
          r = await call('POST', `/tickets/${ref.id}/sign`, {}, await token(handlerOf(t.departmentCode)));
        } else if (step.kind === 'reply' && t.state === 'in_progress' && t.cycle === step.cycle) {
          r = await call('POST', `/tickets/${ref.id}/reply`, { outcome: step.outcome, message: replyMessage(step.outcome, row.input.title) }, await token(handlerOf(t.departmentCode)));
        } else if (step.kind === 'rate' && t.state === 'replied' && t.cycle === step.cycle) {
          const rating = { rating: step.rating, ...(step.comment ? { comment: step.comment } : {}) };
          r = codes[ref.number]
            ? await call('POST', `/track/${ref.number}/rate`, { code: codes[ref.number], ...rating })
            : // Without the code (deleted codes file), the hotline records the rating after a callback.
              await call('POST', `/tickets/${ref.id}/rate`, { ...rating, via: 'callback' }, await token(DEMO_INTAKE));
        }
        if (r === null) break;
        if (r.status === 409 && r.body?.code === 'concurrent-update' && attempt < 2) continue;
        must(r, 200, `${step.kind} ${ref.number} (cycle ${'cycle' in step ? step.cycle : 1})`);
        actions++;
        await jobs.sweep();
        break;
      }
    }

    // The closed-loop summary, read through the API as the coordinator at the end of the replay.
    await moveTo(asOf);
    const coord = await token(DEMO_COORDINATOR);
    const names = new Map<string, string>((must(await call('GET', '/departments', undefined, coord), 200, 'departments').items as { code: string; nameZh: string }[]).map((d) => [d.code, d.nameZh]));
    const byDept = new Map<string, DepartmentLine>();
    const reopened: string[] = [];
    const awaitingRating: string[] = [];
    const overdueTickets: string[] = [];
    const escalations: string[] = [];
    for (const row of pre.rows) {
      const ref = tickets.get(row.sourceId);
      if (!ref) continue;
      const t = must(await call('GET', `/tickets/${ref.id}`, undefined, coord), 200, `read ${ref.number}`);
      const code: string = t.departmentCode ?? '—';
      const line = byDept.get(code) ?? { code, name: names.get(code) ?? '(not dispatched)', received: 0, answered: 0, answeredLate: 0, closed: 0, overdue: 0 };
      byDept.set(code, line);
      line.received++;
      const events = must(await call('GET', `/tickets/${ref.id}/events`, undefined, coord), 200, `events of ${ref.number}`).items as {
        type: string;
        cycle: number;
        payload: { onTime?: boolean; level?: number; reason?: string };
      }[];
      for (const e of events)
        if (e.type === 'escalated') escalations.push(`${t.number} level ${e.payload.level}${e.payload.reason ? ` (${e.payload.reason})` : ''}${e.cycle > 1 ? ` in cycle ${e.cycle}` : ''}`);
      if (t.state === 'replied' || t.state === 'closed') {
        line.answered++;
        const lastReply = events.filter((e) => e.type === 'replied').pop();
        if (lastReply?.payload.onTime === false) line.answeredLate++;
      }
      if (t.state === 'closed') line.closed++;
      if (t.state === 'replied') awaitingRating.push(t.number);
      if (t.overdue) {
        line.overdue++;
        overdueTickets.push(`${t.number} (${code}, ${t.state})`);
      }
      if (t.cycle > 1) reopened.push(`${t.number} (cycle ${t.cycle}, ${t.state}${t.rating ? `, rated ${t.rating}` : ''})`);
    }
    const departmentsOut = [...byDept.values()].sort((a, b) => b.received - a.received || a.code.localeCompare(b.code));
    const sum = (f: keyof Omit<DepartmentLine, 'code' | 'name'>) => departmentsOut.reduce((n, d) => n + d[f], 0);
    const totalsLine = { received: sum('received'), answered: sum('answered'), answeredLate: sum('answeredLate'), closed: sum('closed'), overdue: sum('overdue') };

    const local = (d: Date) => DateTime.fromJSDate(d, { zone: tz }).toFormat('yyyy-MM-dd HH:mm');
    const pad = (s: string | number, n: number) => String(s).padStart(n);
    const fmt = (code: string, d: Omit<DepartmentLine, 'code' | 'name'>, name = '') =>
      `  ${code.padEnd(6)}${pad(d.received, 9)}${pad(d.answered, 10)}${pad(d.answeredLate, 8)}${pad(d.closed, 8)}${pad(d.overdue, 9)}  ${name}`;
    say(`Demo: ${relative(process.cwd(), DEMO_FILE) || DEMO_FILE} replayed from ${local(new Date(first))} to ${local(asOf)} (${tz}) on the embedded database.`);
    say(`Import (${totals.batches} batches, registered by ${DEMO_INTAKE}): ${totals.imported} imported, ${totals.skipped} skipped (already imported), ${totals.rejected} rejected.`);
    say(`Demo staff: ${staff.length} accounts (${created} created now); ${actions} actions through the HTTP API on this run.`);
    say('');
    say(`Closed-loop summary as of ${local(asOf)}:`);
    say(`  ${'dept'.padEnd(6)}${pad('received', 9)}${pad('answered', 10)}${pad('late', 8)}${pad('closed', 8)}${pad('overdue', 9)}  name`);
    for (const d of departmentsOut) say(fmt(d.code, d, d.name));
    say(fmt('total', totalsLine));
    say('  (answered = replied or closed; late = answered after the reply deadline; overdue = open with a deadline passed)');
    if (reopened.length) say(`Reopened after a bad rating: ${reopened.join(', ')}`);
    if (awaitingRating.length) say(`Answered, rating awaited (closed automatically after 3 working days): ${awaitingRating.join(', ')}`);
    if (overdueTickets.length) say(`Overdue: ${overdueTickets.join(', ')}`);
    if (escalations.length) say(`Escalations by the clock (督办): ${escalations.join(', ')}`);
    say('');
    say(`Data: SQLite database ${deps.config.sqlitePath}`);
    say(`      mail (.eml files, no SMTP_URL): ${deps.config.outboxDir}`);
    const mailLine = lines.length - 1;
    say(`      the demo submitters' access codes: ${codesFile}`);
    const startCmd = dataDir === resolve('var') ? 'npm start' : `DATA_DIR=${dataDir} npm start`;
    say(`Look at it: ${startCmd}, then ${deps.config.publicUrl}/account/sign-in (the pages) or ${deps.config.publicUrl}/docs (API, with a token from POST /api/v1/auth/login)`);
    say(
      `      demo accounts (password "${DEMO_PASSWORD}"): ${DEMO_COORDINATOR} (coordinator, sees every ticket), ${DEMO_INTAKE}, ${handlerOf('TAX')}, ${headOf('TAX')}, ${DEMO_SUPERVISOR} (supervisor), …`,
    );
    say(
      deps.generatedAdminPassword
        ? `      admin: username "admin", password "${deps.generatedAdminPassword}" (generated now, shown once)`
        : '      admin: username "admin" with the password set at the first start (BOOTSTRAP_ADMIN_PASSWORD, or the one printed then)',
    );
    say('      (demo accounts have a published password: do not run production on a demo data directory)');

    summary = {
      asOf: asOf.toISOString(),
      import: totals,
      actions,
      departments: departmentsOut,
      totals: totalsLine,
      reopened,
      awaitingRating,
      overdueTickets,
      escalations,
      mailFiles: 0,
      sqlitePath: deps.config.sqlitePath,
      outboxDir: deps.config.outboxDir,
      dataDir,
      port,
      lines,
    };
    outboxLine = mailLine;
  } finally {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeIdleConnections?.();
    });
    await jobs.close().catch(() => undefined);
    await mail.close().catch(() => undefined);
    await deps.db.destroy();
  }
  // Mail is delivered in the background; counted once the mail worker has finished.
  summary.mailFiles = existsSync(summary.outboxDir) ? readdirSync(summary.outboxDir).filter((f) => f.endsWith('.eml')).length : 0;
  const note = `      mail (.eml files, no SMTP_URL): ${summary.outboxDir} (${summary.mailFiles} messages)`;
  lines[outboxLine] = note;
  if (!opts.quiet) process.stdout.write(`${lines.join('\n')}\n`);
  return summary;
}
